/**
 * Order statuses and the only transitions allowed between them. Every status change in the system
 * is a conditional write whose condition is derived from this table, so a duplicate, late or
 * reordered event can never move an order backwards.
 */
export const ORDER_STATUSES = [
  'pending',
  'paid',
  'pending_mapping',
  'in_production',
  'shipped',
  'cancelled',
  'failed',
  'refunded',
  'fulfillment_failed',
  'payment_mismatch',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  // failed -> paid: Stripe lets a customer retry a failed payment intent, and it can then succeed.
  // -> payment_mismatch: a payment that does not match what the order owes (amount or currency,
  // or unverifiable) holds the order for an operator (lambdas/domain/payment-check.ts).
  pending: ['paid', 'failed', 'cancelled', 'payment_mismatch'],
  failed: ['paid', 'cancelled', 'payment_mismatch'],
  // Once money is taken, an order ends through a refund (which also takes its petals back), not
  // through cancellation: cancelled is for orders that were never paid (an expired session).
  paid: ['pending_mapping', 'in_production', 'fulfillment_failed', 'refunded'],
  pending_mapping: ['in_production', 'fulfillment_failed', 'refunded'],
  in_production: ['shipped', 'fulfillment_failed', 'refunded'],
  // an operator can retry a failed fulfilment once the cause is fixed
  fulfillment_failed: ['in_production', 'pending_mapping', 'refunded'],
  shipped: ['refunded'],
  refunded: [],
  // cancelled -> paid: money taken is never ignored. Checkout's abandoned-cart recovery (or the
  // storefront's second session) can pay an order whose first session expired.
  cancelled: ['paid', 'payment_mismatch'],
  // Held: nothing printed, no petals, no confirmation, until an operator decides (`ops hold`):
  // accept -> paid (the fulfilment workflow runs), or refund the payment through Stripe -> refunded
  // (not cancelled: an expiry must never end an order whose money was taken).
  payment_mismatch: ['paid', 'refunded'],
};

/**
 * Leaving `refunded`: only when a refund that made the order fully refunded fails or is canceled
 * (Stripe: https://docs.stripe.com/refunds#failed-refunds), back to the status the order had
 * (`statusBeforeRefund`). Kept out of TRANSITIONS on purpose: no payment, Printify or operator
 * event may move a refunded order; only recordRefund does, in a write guarded by the order's
 * refund ledger (refundsVersion) and its status.
 */
export const REFUND_REVERSAL_STATUSES: readonly OrderStatus[] = [
  'paid',
  'pending_mapping',
  'in_production',
  'shipped',
  'fulfillment_failed',
  // a held payment an operator refunded (ops hold refund), whose refund then failed: held again
  'payment_mismatch',
];

/** Whether a refunded order whose refund failed may return to `to` (REFUND_REVERSAL_STATUSES). */
export function canReverseRefundTo(to: OrderStatus): boolean {
  return REFUND_REVERSAL_STATUSES.includes(to);
}

export function isOrderStatus(value: unknown): value is OrderStatus {
  return typeof value === 'string' && (ORDER_STATUSES as readonly string[]).includes(value);
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses an order may be in for a change to `to` to be allowed (the write's condition). */
export function statusesThatMayBecome(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

/** Statuses in which the customer's money has been taken (petals may be awarded). */
export const PAID_STATUSES: readonly OrderStatus[] = [
  'paid',
  'pending_mapping',
  'in_production',
  'shipped',
  'fulfillment_failed',
  'refunded',
];

/** Whether the customer's money has been taken (PAID_STATUSES): petals may be awarded, a full refund ends the order as refunded. */
export function hasBeenPaid(status: OrderStatus): boolean {
  return PAID_STATUSES.includes(status);
}

/**
 * Not paid yet, and still payable: pending, failed (a retried payment may succeed) and cancelled
 * (Checkout's recovery session may pay it). A payment for one of these is applied; a charge event
 * naming one that records no payment intent yet may be its payment still on the way.
 */
export const AWAITING_PAYMENT_STATUSES: readonly OrderStatus[] = ['pending', 'failed', 'cancelled'];

export function isAwaitingPayment(status: OrderStatus): boolean {
  return AWAITING_PAYMENT_STATUSES.includes(status);
}

/**
 * Paid, but not yet handed to Printify's production: the statuses from which the Printify order is
 * created (the fulfilment step and the operator's retry), and from which a Printify shipment event
 * first moves the order to in_production.
 */
export const BEFORE_PRODUCTION: readonly OrderStatus[] = ['paid', 'pending_mapping', 'fulfillment_failed'];

export function isBeforeProduction(status: OrderStatus): boolean {
  return BEFORE_PRODUCTION.includes(status);
}

/**
 * The statuses an operator may retry the Printify order from (`ops retry-mapping`): waiting for a
 * product mapping, or failed (Printify refused, or kept failing). A plain paid order is still the
 * workflow's to fulfil.
 */
export const OPERATOR_RETRYABLE_STATUSES: readonly OrderStatus[] = ['pending_mapping', 'fulfillment_failed'];

export function isOperatorRetryable(status: OrderStatus): boolean {
  return OPERATOR_RETRYABLE_STATUSES.includes(status);
}
