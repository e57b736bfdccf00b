import { OrderNotReadyError } from '../domain/errors';
import { isAwaitingPayment } from '../domain/order-status';
import type { InvoicesPort } from '../ports/invoices';
import type { FulfilmentDeps } from './deps';

/**
 * Whose payment a charge-level event (a refund or a dispute) reverses, decided from the data
 * (DESIGN principle 7: the order is the source of truth; `metadata.orderId` is a claim):
 *
 * - `order`: the order that recorded the charge's payment intent as its own `paymentIntentId`.
 * - `mismatch`: the event names an order (`claimedOrderId`) that is not the payment intent's
 *   owner: another order recorded it (`ownerOrderId`), or the named order has another payment
 *   intent, none yet, or the event carries no payment intent to prove it. Touch nothing; flag it.
 * - `invoice`: one of our subscription invoices' charges: its payment intent is the one an
 *   invoice record keeps (recorded when the invoice's petals were awarded), or the charge names
 *   the invoice (`invoice`, API versions before 2025-03-31).
 * - `none`: not ours, at once: the event names an order that does not exist (a Payment Link or
 *   manual charge with copied metadata), or carries none of our marks and a payment intent no
 *   order and no invoice records (a Dashboard charge, a Payment Link, another integration's).
 *
 * Our marks. The storefront creates every Checkout session with `metadata.orderId`/`userId` and
 * the same keys in `payment_intent_data.metadata`; Stripe copies a payment intent's metadata to the
 * charge it creates when it is confirmed (support.stripe.com, "How metadata works with related
 * objects"), so a charge of ours says `metadata.orderId`. A charge named by an order whose payment
 * event Stripe has not delivered yet (a payment intent no order records, naming a pending, failed or
 * cancelled order that records none yet: isAwaitingPayment) may be ours: OrderNotReadyError (the workflow retries for about an
 * hour, then fails visibly), and it applies only if that order's intent turns out to be this one.
 *
 * Refund and Dispute objects carry no metadata of the charge's and no invoice (at any API
 * version), so `charge.refund.updated`, `refund.*` and `charge.dispute.*` are decided by their
 * payment intent alone: one no order or invoice records is not waited for (no failed execution,
 * no alarm): acknowledged, logged with its payment intent, counted (`ChargeWithoutOrder`). Stripe
 * creates them after the payment's own events, long after in practice (a dispute comes days
 * later); if one ever overtakes its payment, `ops replay <event id>` applies it once the payment is
 * recorded.
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
  /** the charge's invoice (subscription, API versions before 2025-03-31), when known */
  invoiceId?: string | undefined;
}

/** What deciding a charge's owner reads: the orders, and the invoice records' payment intents. */
export type ChargeOwnerDeps = FulfilmentDeps & { invoices: Pick<InvoicesPort, 'findInvoiceIdByPaymentIntent' | 'get'> };

/**
 * Decides whose payment the event reverses (ChargeOwner). Reads the payment-intent index (orders
 * and invoices) and the named order. Throws OrderNotReadyError while a charge that names a pending
 * order may still become its payment (see ChargeOwner), and the store's errors (retry).
 */
export async function ownerOfCharge(deps: ChargeOwnerDeps, claim: ChargeClaim): Promise<ChargeOwner> {
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
  if (claim.invoiceId) {
    // Stripe named the invoice; an invoice record that knows its payment intent must still agree
    const named = pi ? await deps.invoices.get(claim.invoiceId) : undefined;
    if (!named?.paymentIntentId || named.paymentIntentId === pi) return { kind: 'invoice', invoiceId: claim.invoiceId };
    return { kind: 'mismatch', reason: `invoice ${claim.invoiceId} was paid by ${named.paymentIntentId}, not ${pi}` };
  }
  const invoiceId = pi && !claim.orderId ? await deps.invoices.findInvoiceIdByPaymentIntent(pi) : undefined;
  // only a record invoice.payment_succeeded gave a user is one of our subscriptions' invoices; the
  // link alone (invoice_payment.paid) is recorded for any invoice paid on the account
  const invoice = invoiceId ? await deps.invoices.get(invoiceId) : undefined;
  if (invoiceId && invoice?.userId) return { kind: 'invoice', invoiceId };
  if (!claim.orderId) {
    return {
      kind: 'none',
      reason: invoiceId
        ? `payment intent ${pi} paid invoice ${invoiceId}, which is not one of our subscriptions' (no invoice.payment_succeeded of ours recorded it)`
        : pi
          ? `payment intent ${pi} is no order's or subscription invoice's we know, and the event carries no order id`
          : 'the charge carries neither a payment intent nor an order id',
    };
  }
  const named = await deps.orders.get(claim.orderId);
  if (!named) return { kind: 'none', reason: `the charge names order ${claim.orderId}, which does not exist` };
  // the index is eventually consistent: the order itself is the truth
  if (pi && named.paymentIntentId === pi) return { kind: 'order', orderId: named.orderId };
  if (pi && !named.paymentIntentId && isAwaitingPayment(named.status)) {
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
