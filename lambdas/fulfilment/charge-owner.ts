import { OrderNotReadyError } from '../domain/errors';
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
 * - `none`: the event names an order that does not exist (a Payment Link or manual charge with
 *   copied metadata), or carries no payment intent and names no order: acknowledge, log, ignore.
 *
 * A payment intent no order records yet, with no order named or naming a pending order that has
 * recorded no payment intent yet, may be our payment whose event Stripe has not delivered yet:
 * OrderNotReadyError (the workflow retries for about an hour, then fails visibly). Charges carry
 * no trace of the payment intent's metadata, so a Dashboard or Payment Link charge without
 * metadata cannot be told from a late payment of ours without asking Stripe.
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
 * named order. Throws OrderNotReadyError while the payment intent may still become an order's
 * (see ChargeOwner), and the store's errors (retry).
 */
export async function ownerOfCharge(deps: FulfilmentDeps, claim: ChargeClaim): Promise<ChargeOwner> {
  const pi = claim.paymentIntentId;
  const owner = pi ? await deps.orders.findOrderIdByPaymentIntent(pi) : undefined;
  if (owner) {
    if (claim.orderId && claim.orderId !== owner) {
      return {
        kind: 'mismatch',
        claimedOrderId: claim.orderId,
        ownerOrderId: owner,
        reason: `payment intent ${pi} is order ${owner}'s, not ${claim.orderId}'s`,
      };
    }
    return { kind: 'order', orderId: owner };
  }
  if (claim.invoiceId) return { kind: 'invoice', invoiceId: claim.invoiceId };
  if (!claim.orderId) {
    if (!pi) return { kind: 'none', reason: 'the charge carries neither a payment intent nor an order id' };
    // Stripe does not order events: our payment event for this intent may not be recorded yet.
    throw new OrderNotReadyError(`no order records payment intent ${pi} yet`);
  }
  const named = await deps.orders.get(claim.orderId);
  if (!named) return { kind: 'none', reason: `the charge names order ${claim.orderId}, which does not exist` };
  // the index is eventually consistent: the order itself is the truth
  if (pi && named.paymentIntentId === pi) return { kind: 'order', orderId: named.orderId };
  if (pi && !named.paymentIntentId && (named.status === 'pending' || named.status === 'failed')) {
    // The named order has not recorded a payment yet: wait for it, then decide by its intent
    // (applied only if it turns out to be this one). Nothing is written meanwhile.
    throw new OrderNotReadyError(`order ${claim.orderId} records no payment intent yet; ${pi} is not known to be its payment`);
  }
  const reason = !pi
    ? `the charge carries no payment intent to prove it is order ${claim.orderId}'s`
    : named.paymentIntentId
      ? `order ${claim.orderId} was paid by ${named.paymentIntentId}, not ${pi}`
      : `order ${claim.orderId} (${named.status}) records no payment intent; ${pi} is not its payment`;
  return { kind: 'mismatch', claimedOrderId: claim.orderId, reason };
}
