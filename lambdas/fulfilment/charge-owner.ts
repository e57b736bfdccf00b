import type { FulfilmentDeps } from './deps';

/**
 * Whose payment a charge-level event (a refund or a dispute) reverses, decided from the data
 * (DESIGN principle 7: the order is the source of truth; `metadata.orderId` is a claim):
 *
 * - `order`: the order that recorded the charge's payment intent as its own `paymentIntentId`.
 * - `mismatch`: the event names an order (`claimedOrderId`) that is not the payment intent's
 *   owner: another order recorded it (`ownerOrderId`), or the named order has another payment
 *   intent, none yet, or the event carries no payment intent to prove it. Touch nothing; flag it.
 * - `invoice`: a subscription invoice's charge (the charge's `invoice`, or our metadata.invoiceId).
 * - `none`: no order of this shop records the payment intent and the event names none that
 *   exists (a Payment Link, a Dashboard charge): acknowledge, log, ignore.
 */
export type ChargeOwner =
  | { kind: 'order'; orderId: string }
  | { kind: 'mismatch'; claimedOrderId?: string; ownerOrderId?: string; reason: string }
  | { kind: 'invoice'; invoiceId: string }
  | { kind: 'none'; reason: string };

/** The facts of a charge-level event that decide its owner (RefundInput, DisputeInput). */
export interface ChargeClaim {
  /** the charge's (refund's, dispute's) payment intent, pi_… */
  paymentIntentId?: string | undefined;
  /** metadata.orderId: a hint only */
  orderId?: string | undefined;
  /** the charge's invoice (subscription), when known */
  invoiceId?: string | undefined;
}

/**
 * Decides whose payment the event reverses (ChargeOwner). Reads the payment-intent index and the
 * named order; never throws for a charge that is not an order's (no retries for Payment Links or
 * Dashboard charges). Throws only the store's errors (retry).
 */
export async function ownerOfCharge(deps: FulfilmentDeps, claim: ChargeClaim): Promise<ChargeOwner> {
  const pi = claim.paymentIntentId;
  const owner = pi ? await deps.orders.findOrderIdByPaymentIntent(pi) : undefined;
  if (owner) {
    if (claim.orderId && claim.orderId !== owner) {
      return { kind: 'mismatch', claimedOrderId: claim.orderId, ownerOrderId: owner, reason: `payment intent ${pi} is order ${owner}'s, not ${claim.orderId}'s` };
    }
    return { kind: 'order', orderId: owner };
  }
  if (claim.invoiceId) return { kind: 'invoice', invoiceId: claim.invoiceId };
  if (!claim.orderId) return { kind: 'none', reason: `no order records payment intent ${pi ?? '(none)'} and the charge names no order` };
  const named = await deps.orders.get(claim.orderId);
  if (!named) return { kind: 'none', reason: `the charge names order ${claim.orderId}, which does not exist` };
  // the index is eventually consistent: the order itself is the truth
  if (pi && named.paymentIntentId === pi) return { kind: 'order', orderId: named.orderId };
  const reason = !pi
    ? `the charge carries no payment intent to prove it is order ${claim.orderId}'s`
    : named.paymentIntentId
      ? `order ${claim.orderId} was paid by ${named.paymentIntentId}, not ${pi}`
      : `order ${claim.orderId} records no payment intent yet (${named.status}); ${pi} is not known to be its payment`;
  return { kind: 'mismatch', claimedOrderId: claim.orderId, reason };
}
