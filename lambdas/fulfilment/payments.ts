import { TransientError } from '../domain/errors';
import { type Order, type UnfulfilledPayment, unfulfilledKey, unfulfilledPaymentsOf } from '../domain/order';
import { hasBeenPaid, isAwaitingPayment } from '../domain/order-status';
import { checkPayment, type HeldPayment } from '../domain/payment-check';
import type { Signal } from '../domain/signals';
import type { CheckoutExpiredInput, PaymentFailedInput, PaymentInput } from '../domain/workflow-input';
import { nowIso, type FulfilmentDeps } from './deps';

export interface PaymentRecorded {
  orderId: string;
  status: Order['status'];
  /** true only for the execution whose event moved the order to paid: it, and only it, fulfils */
  fulfil: boolean;
  /** true when this event's payment holds the order (payment_mismatch): an operator decides */
  held?: boolean;
  /** payment-mismatch and paid-not-fulfilled when money was taken and not fulfilled */
  signals: Signal[];
}

/** Statuses from which a payment event's details (session, payment intent, contact) replace the order's. */

/**
 * Whether a paid event is the payment the order already records (the pair of events of one payment,
 * or a duplicate): the same payment intent, else the same Checkout session; when neither side names
 * one, it cannot be told apart and counts as the same (no alarm on a guess).
 */
function isOrdersOwnPayment(order: Order, input: PaymentInput): boolean {
  if (input.paymentIntentId && order.paymentIntentId) return input.paymentIntentId === order.paymentIntentId;
  if (input.stripeSessionId && order.stripeSessionId) return input.stripeSessionId === order.stripeSessionId;
  return true;
}

/**
 * Records what Stripe told us about the payment on the order and, if the money is in and is what
 * the order owes (checkPayment in domain/payment-check.ts: the same amount, minor units, in the
 * order's currency), moves it to paid. The event's amount and currency are never written on the
 * order: the order says what is owed.
 *
 * - Of several events that pay the same order (session completed, payment intent succeeded,
 *   duplicates), exactly one wins the conditional transition; a retry of the winner still fulfils
 *   (`fulfil`), as does a replay after an operator accepted a held payment (`ops hold accept`
 *   makes that event the order's paidByEventId).
 * - A paid event for a pending, failed or cancelled order (Checkout's recovery session, a second
 *   session of the storefront) is applied.
 * - A paid event that does not match holds the order (payment_mismatch, `heldPayment` on the
 *   order; `held`): nothing printed, no petals, no email; signals payment-mismatch and
 *   paid-not-fulfilled.
 * - A paid event of another payment of an order already paid, refunded or held is not fulfilled:
 *   it is added to the order's `unfulfilledPayments` (every such payment stays listed, by payment
 *   intent) and signals paid-not-fulfilled.
 *
 * Throws OrderNotFoundError while the storefront's order is not there (the workflow retries), and
 * the store's errors (retry).
 */
export async function recordPayment(deps: FulfilmentDeps, input: PaymentInput): Promise<PaymentRecorded> {
  const before = await deps.orders.require(input.orderId);
  const resolved = before.holdResolution;
  if (
    input.paid &&
    resolved?.action === 'refunded' &&
    (resolved.eventId === input.eventId || (input.paymentIntentId !== undefined && resolved.paymentIntentId === input.paymentIntentId))
  ) {
    // this payment was held and an operator gave it back: it is done with
    return { orderId: input.orderId, status: before.status, fulfil: false, signals: [] };
  }
  const details = {
    stripeSessionId: input.stripeSessionId,
    paymentIntentId: input.paymentIntentId,
    // what the charge is in (refunds are claims in it): the customer's currency with Adaptive Pricing
    chargedAmount: input.chargedAmount,
    chargedCurrency: input.chargedCurrency?.toLowerCase(),
    email: input.email,
    customerName: input.customerName,
    shippingAddress: input.shippingAddress,
  };
  if (isAwaitingPayment(before.status)) {
    await deps.orders.set(input.orderId, details);
  } else {
    // Already paid (by the other event of the pair, in either order) or held: what was fulfilled
    // stays as it was sent to Printify; a late event only fills in what is still missing.
    await deps.orders.fillMissing(input.orderId, details);
  }
  if (!input.paid) {
    const order = await deps.orders.require(input.orderId);
    return { orderId: input.orderId, status: order.status, fulfil: false, signals: [] };
  }
  // The winner's retry (or the replay of an accepted hold) is already decided.
  const verdict = before.paidByEventId === input.eventId ? ({ kind: 'match' } as const) : checkPayment(before, input);
  if (verdict.kind === 'mismatch' && before.status !== 'payment_mismatch') {
    const heldPayment: HeldPayment = {
      eventId: input.eventId,
      eventType: input.eventType,
      ...(input.amountTotal !== undefined ? { amountTotal: input.amountTotal } : {}),
      ...(input.currency !== undefined ? { currency: input.currency.toLowerCase() } : {}),
      ...(input.paymentIntentId ? { paymentIntentId: input.paymentIntentId } : {}),
      ...(input.stripeSessionId ? { stripeSessionId: input.stripeSessionId } : {}),
      reason: verdict.reason,
      detail: verdict.detail,
      heldAt: nowIso(deps),
    };
    const { transitioned, order } = await deps.orders.transition(input.orderId, 'payment_mismatch', { heldPayment });
    if (transitioned || order.heldPayment?.eventId === input.eventId) {
      return {
        orderId: input.orderId,
        status: order.status,
        fulfil: false,
        held: true,
        signals: [{ kind: 'payment-mismatch' }, { kind: 'paid-not-fulfilled' }],
      };
    }
    // the other event of a payment already accepted or paid (one said no amount, say): nothing new
    if (hasBeenPaid(order.status) && isOrdersOwnPayment(order, input))
      return { orderId: input.orderId, status: order.status, fulfil: false, signals: [] };
    return notFulfilled(deps, input, order, `not what the order owes (${verdict.detail}) and the order is ${order.status}`);
  }
  if (before.status === 'payment_mismatch') {
    const held = before.heldPayment;
    const samePayment =
      held?.eventId === input.eventId || (held?.paymentIntentId !== undefined && held.paymentIntentId === input.paymentIntentId);
    if (samePayment) {
      // the held execution's retry says so again (its first attempt may have failed before its
      // metrics were emitted); the other event of the held payment adds nothing
      const signals: Signal[] = held?.eventId === input.eventId ? [{ kind: 'payment-mismatch' }, { kind: 'paid-not-fulfilled' }] : [];
      return { orderId: input.orderId, status: before.status, fulfil: false, held: true, signals };
    }
    // A second payment for a held order: the operator decides about both (ops held shows them).
    return notFulfilled(deps, input, before, 'another payment for an order held for a payment mismatch');
  }
  const { transitioned, order } = await deps.orders.transition(input.orderId, 'paid', {
    paidByEventId: input.eventId,
    paidAt: nowIso(deps),
  });
  const won = transitioned || order.paidByEventId === input.eventId;
  if (won && (order.amountRefunded ?? 0) >= order.amountTotal && order.amountTotal > 0) {
    // The full refund overtook its payment (Stripe does not order events): the order ends as it
    // would have in order — refunded — without printing what was already paid back.
    const refunded = await deps.orders.transition(input.orderId, 'refunded', { refundedAt: nowIso(deps) });
    return { orderId: input.orderId, status: refunded.order.status, fulfil: false, signals: [] };
  }
  if (transitioned && order.heldPayment && !order.holdResolution) {
    // A hold raced this payment (read pending, held meanwhile, then paid by this one): the held
    // payment is money taken for nothing; the operator sees it among the order's unfulfilledPayments.
    const held = order.heldPayment;
    await addUnfulfilledPayment(deps, input.orderId, {
      eventId: held.eventId,
      ...(held.paymentIntentId ? { paymentIntentId: held.paymentIntentId } : {}),
      ...(held.amountTotal !== undefined ? { amountTotal: held.amountTotal } : {}),
      ...(held.currency !== undefined ? { currency: held.currency } : {}),
      reason: `held (${held.reason}), then the order was paid by event ${input.eventId}`,
      at: nowIso(deps),
    });
    return { orderId: input.orderId, status: order.status, fulfil: true, signals: [{ kind: 'paid-not-fulfilled' }] };
  }
  if (won || isOrdersOwnPayment(order, input)) return { orderId: input.orderId, status: order.status, fulfil: won, signals: [] };
  return notFulfilled(deps, input, order, `another payment for an order already ${order.status}`);
}

/** Records a paid event that will not be fulfilled on its order (one of its `unfulfilledPayments`), and signals it. */
async function notFulfilled(deps: FulfilmentDeps, input: PaymentInput, order: Order, reason: string): Promise<PaymentRecorded> {
  await addUnfulfilledPayment(deps, input.orderId, {
    eventId: input.eventId,
    ...(input.paymentIntentId ? { paymentIntentId: input.paymentIntentId } : {}),
    ...(input.amountTotal !== undefined ? { amountTotal: input.amountTotal } : {}),
    ...(input.currency !== undefined ? { currency: input.currency.toLowerCase() } : {}),
    reason,
    at: nowIso(deps),
  });
  return { orderId: input.orderId, status: order.status, fulfil: false, signals: [{ kind: 'paid-not-fulfilled' }] };
}

const MAX_ROUNDS = 5;

/**
 * Adds one unfulfilled payment to the order's `unfulfilledPayments` (by unfulfilledKey: its payment
 * intent, else its event), keeping every other one: a read-merge-write guarded by
 * `unfulfilledPaymentsVersion`, so concurrent payments all stay listed. Idempotent: a payment
 * already listed (the other event of the same payment intent, a retry) is left as it was. Migrates
 * the old single `unfulfilledPayment` into the map. TransientError when concurrent writers kept
 * changing it (the workflow retries).
 */
export async function addUnfulfilledPayment(deps: FulfilmentDeps, orderId: string, payment: UnfulfilledPayment): Promise<void> {
  const key = unfulfilledKey(payment);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = await deps.orders.require(orderId);
    const known = unfulfilledPaymentsOf(before);
    if (known[key] && before.unfulfilledPayments?.[key]) return;
    const changes = {
      unfulfilledPayments: { ...known, [key]: known[key] ?? payment },
      unfulfilledPaymentsVersion: (before.unfulfilledPaymentsVersion ?? 0) + 1,
    };
    if (await deps.orders.compareAndSet(orderId, { unfulfilledPaymentsVersion: before.unfulfilledPaymentsVersion }, changes)) return;
  }
  throw new TransientError(`the unfulfilled payments of order ${orderId} did not settle in ${MAX_ROUNDS} rounds`);
}

/** A failed payment marks only a pending order failed; a stale failure after success changes nothing. */
export async function markPaymentFailed(
  deps: FulfilmentDeps,
  input: PaymentFailedInput,
): Promise<{ status: Order['status']; notify: boolean }> {
  const { transitioned, order } = await deps.orders.transition(input.orderId, 'failed', {
    failureReason: input.reason,
    failedByEventId: input.eventId,
    paymentIntentId: input.paymentIntentId,
  });
  const current = order as Order & { failedByEventId?: string };
  return { status: order.status, notify: transitioned || (order.status === 'failed' && current.failedByEventId === input.eventId) };
}

/**
 * An expired Checkout session cancels its order only while nothing was paid (the transition table:
 * pending or failed), and only when it is the session the order waits on: the order's recorded
 * `stripeSessionId`, if it records one. The expiry of another session (an earlier one the customer
 * abandoned, while a newer one is open or paid) changes nothing (`cancelled: false`). A cancelled
 * order is still paid by a later paid event (recordPayment). Throws OrderNotFoundError (retry).
 */
export async function cancelExpiredCheckout(
  deps: FulfilmentDeps,
  input: CheckoutExpiredInput,
): Promise<{ status: Order['status']; cancelled: boolean }> {
  const before = await deps.orders.require(input.orderId);
  if (before.stripeSessionId && before.stripeSessionId !== input.stripeSessionId) return { status: before.status, cancelled: false };
  const { transitioned, order } = await deps.orders.transition(input.orderId, 'cancelled', {
    cancelledAt: nowIso(deps),
    cancelReason: `Checkout session ${input.stripeSessionId} expired`,
  });
  return { status: order.status, cancelled: transitioned };
}
