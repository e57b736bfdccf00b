import { TransientError } from '../domain/errors';
import { type Order, type UnfulfilledPayment, unfulfilledKey, unfulfilledPaymentsOf } from '../domain/order';
import type { HeldPayment } from '../domain/payment-check';
import type { StripeApiPort } from '../ports/stripe-api';
import { nowIso, type FulfilmentDeps } from './deps';

/** An operator's decision that cannot be applied to this order (not held, nothing to refund): the message says why. */
export class HoldNotResolvableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HoldNotResolvable';
  }
}

/** What accepting a hold did: the order's status before and after, and the held event to fulfil. */
export interface HoldAccepted {
  orderId: string;
  before: Order['status'];
  after: Order['status'];
  /** the Stripe event whose payment was held: run it again (`ops replay`) to fulfil the order */
  eventId: string;
  held: HeldPayment;
}

async function heldOrder(deps: FulfilmentDeps, orderId: string): Promise<{ order: Order; held: HeldPayment }> {
  const order = await deps.orders.require(orderId);
  const held = order.heldPayment;
  if (!held) throw new HoldNotResolvableError(`order ${orderId} is ${order.status} and was never held for a payment mismatch`);
  return { order, held };
}

/**
 * An operator accepts a held payment as paying the order (`ops hold accept`): payment_mismatch ->
 * paid, with the held event as the order's paidByEventId, so that running that event's fulfilment
 * workflow again (the caller does: `ops replay <eventId>`) fulfils the order exactly as the
 * workflow would have (Printify order, confirmation email, petals, cart). The order's amount and
 * currency stay what it owed; its petals are earned on no more than was paid in its currency
 * (amountEarningPetals). Run again after it succeeded, it changes nothing and returns the same
 * event (the caller may replay it again: every effect is idempotent).
 *
 * Throws OrderNotFoundError (no such order), HoldNotResolvableError (never held, or the hold was
 * refunded), and the store's errors (try again).
 */
export async function acceptHeldPayment(deps: FulfilmentDeps, orderId: string): Promise<HoldAccepted> {
  const { order: before, held } = await heldOrder(deps, orderId);
  const { transitioned, order } = await deps.orders.transition(orderId, 'paid', {
    paidByEventId: held.eventId,
    paidAt: nowIso(deps),
    holdResolution: {
      action: 'accepted',
      eventId: held.eventId,
      ...(held.paymentIntentId ? { paymentIntentId: held.paymentIntentId } : {}),
      at: nowIso(deps),
    },
  });
  if (!transitioned && order.paidByEventId !== held.eventId) {
    throw new HoldNotResolvableError(
      `order ${orderId} is ${order.status}${order.holdResolution ? ` (its hold was ${order.holdResolution.action})` : ''}: only a payment_mismatch order is accepted`,
    );
  }
  return { orderId, before: before.status, after: order.status, eventId: held.eventId, held };
}

/** What refunding a hold did: the order's status before and after, and Stripe's refund. */
export interface HoldRefunded {
  orderId: string;
  before: Order['status'];
  after: Order['status'];
  refundId: string;
  /** what Stripe refunded, minor units of `currency` */
  amount: number;
  currency: string;
  refundStatus: string;
}

/**
 * An operator refunds a held payment (`ops hold refund`): asks Stripe to refund the held payment
 * intent in full (POST /v1/refunds, idempotency key `hold-refund-<orderId>-<eventId>`, so running
 * it again after a crash never refunds twice), then payment_mismatch -> refunded with
 * `holdResolution`; run again once recorded, it returns the recorded refund without calling Stripe. Nothing is
 * printed and no petals are earned; Stripe's own `charge.refunded` event then runs the refund
 * workflow (amountRefunded on the order, the refund email to the customer).
 *
 * Throws OrderNotFoundError, HoldNotResolvableError (not held; held without a payment intent:
 * refund it in the Stripe Dashboard), StripeApiError (Stripe refused or is down: nothing changed on
 * the order; if `retryable`, run it again), and the store's errors (run it again: the same refund).
 */
export async function refundHeldPayment(deps: FulfilmentDeps & { stripe: StripeApiPort }, orderId: string): Promise<HoldRefunded> {
  const { order: before, held } = await heldOrder(deps, orderId);
  if (before.status !== 'payment_mismatch' && before.holdResolution?.action !== 'refunded') {
    throw new HoldNotResolvableError(
      `order ${orderId} is ${before.status}${before.holdResolution ? ` (its hold was ${before.holdResolution.action})` : ''}: only a payment_mismatch order is refunded here`,
    );
  }
  if (before.holdResolution?.action === 'refunded' && before.holdResolution.refundId) {
    // already done: say so without asking Stripe again (its idempotency keys expire after 24 hours)
    return {
      orderId,
      before: before.status,
      after: before.status,
      refundId: before.holdResolution.refundId,
      amount: held.amountTotal ?? 0,
      currency: held.currency ?? before.currency,
      refundStatus: 'already refunded',
    };
  }
  if (!held.paymentIntentId) {
    throw new HoldNotResolvableError(
      `order ${orderId}: the held event ${held.eventId} names no payment intent; refund it in the Stripe Dashboard`,
    );
  }
  const refund = await deps.stripe.refundPaymentIntent({
    paymentIntentId: held.paymentIntentId,
    idempotencyKey: `hold-refund-${orderId}-${held.eventId}`,
    metadata: { orderId, reason: 'payment_mismatch' },
  });
  const { order } = await deps.orders.transition(orderId, 'refunded', {
    refundedAt: nowIso(deps),
    holdResolution: {
      action: 'refunded',
      eventId: held.eventId,
      paymentIntentId: held.paymentIntentId,
      refundId: refund.refundId,
      at: nowIso(deps),
    },
  });
  return {
    orderId,
    before: before.status,
    after: order.status,
    refundId: refund.refundId,
    amount: refund.amount,
    currency: refund.currency,
    refundStatus: refund.status,
  };
}

/** What resolving one unfulfilled payment did (`ops hold refund|accept <order> <payment intent>`). */
export interface UnfulfilledResolved {
  orderId: string;
  /** the payment's key on the order: its payment intent, else `event:<eventId>` */
  key: string;
  action: 'refunded' | 'accepted';
  refundId?: string;
  /** what Stripe refunded, minor units of `currency` (refund only) */
  amount?: number;
  currency?: string;
  refundStatus?: string;
}

async function unfulfilledPayment(
  deps: FulfilmentDeps,
  orderId: string,
  key: string,
): Promise<{ order: Order; payment: UnfulfilledPayment }> {
  const order = await deps.orders.require(orderId);
  const all = unfulfilledPaymentsOf(order);
  const payment = all[key] ?? all[`event:${key}`];
  if (!payment) {
    const keys = Object.keys(all);
    throw new HoldNotResolvableError(
      `order ${orderId} has no unfulfilled payment ${key}${keys.length > 0 ? ` (it has: ${keys.join(', ')})` : ''}`,
    );
  }
  return { order, payment };
}

/** Writes an operator's resolution on one unfulfilled payment (guarded by unfulfilledPaymentsVersion; the map migrates the old field). */
async function resolveUnfulfilled(
  deps: FulfilmentDeps,
  orderId: string,
  key: string,
  resolution: NonNullable<UnfulfilledPayment['resolution']>,
): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const order = await deps.orders.require(orderId);
    const all = unfulfilledPaymentsOf(order);
    const payment = all[key];
    if (!payment) throw new HoldNotResolvableError(`order ${orderId} has no unfulfilled payment ${key}`);
    if (payment.resolution) return;
    const changes = {
      unfulfilledPayments: { ...all, [key]: { ...payment, resolution } },
      unfulfilledPaymentsVersion: (order.unfulfilledPaymentsVersion ?? 0) + 1,
    };
    if (await deps.orders.compareAndSet(orderId, { unfulfilledPaymentsVersion: order.unfulfilledPaymentsVersion }, changes)) return;
  }
  throw new TransientError(`the unfulfilled payments of order ${orderId} did not settle: run it again`);
}

/**
 * An operator refunds one of the order's unfulfilled payments (another payment intent that paid
 * for nothing shipped), named by its payment intent: POST /v1/refunds for that payment intent in
 * full (idempotency key `unfulfilled-refund-<orderId>-<paymentIntentId>`), then the payment is
 * marked refunded on the order (it leaves `ops held`). The order's own status and payment are
 * untouched. Run again once recorded, it returns the recorded refund without calling Stripe.
 *
 * Throws HoldNotResolvableError (no such unfulfilled payment; one without a payment intent: refund
 * it in the Stripe Dashboard), StripeApiError, and the store's errors (run it again).
 */
export async function refundUnfulfilledPayment(
  deps: FulfilmentDeps & { stripe: StripeApiPort },
  orderId: string,
  key: string,
): Promise<UnfulfilledResolved> {
  const { order, payment } = await unfulfilledPayment(deps, orderId, key);
  const paymentKey = unfulfilledKey(payment);
  if (payment.resolution?.action === 'refunded') {
    return {
      orderId,
      key: paymentKey,
      action: 'refunded',
      ...(payment.resolution.refundId ? { refundId: payment.resolution.refundId } : {}),
      ...(payment.amountTotal !== undefined ? { amount: payment.amountTotal } : {}),
      currency: payment.currency ?? order.currency,
      refundStatus: 'already refunded',
    };
  }
  if (payment.resolution)
    throw new HoldNotResolvableError(`order ${orderId}: the payment ${paymentKey} was already ${payment.resolution.action}`);
  if (!payment.paymentIntentId) {
    throw new HoldNotResolvableError(
      `order ${orderId}: the event ${payment.eventId} names no payment intent; refund it in the Stripe Dashboard`,
    );
  }
  const refund = await deps.stripe.refundPaymentIntent({
    paymentIntentId: payment.paymentIntentId,
    idempotencyKey: `unfulfilled-refund-${orderId}-${payment.paymentIntentId}`,
    metadata: { orderId, reason: 'unfulfilled_payment' },
  });
  await resolveUnfulfilled(deps, orderId, paymentKey, { action: 'refunded', refundId: refund.refundId, at: nowIso(deps) });
  return {
    orderId,
    key: paymentKey,
    action: 'refunded',
    refundId: refund.refundId,
    amount: refund.amount,
    currency: refund.currency,
    refundStatus: refund.status,
  };
}

/**
 * An operator keeps one of the order's unfulfilled payments (the customer meant to pay twice and
 * it was fulfilled by hand): it is marked accepted and leaves `ops held`. Nothing else changes.
 * Throws HoldNotResolvableError (no such payment, or it was refunded) and the store's errors.
 */
export async function acceptUnfulfilledPayment(deps: FulfilmentDeps, orderId: string, key: string): Promise<UnfulfilledResolved> {
  const { payment } = await unfulfilledPayment(deps, orderId, key);
  const paymentKey = unfulfilledKey(payment);
  if (payment.resolution?.action === 'refunded')
    throw new HoldNotResolvableError(`order ${orderId}: the payment ${paymentKey} was refunded`);
  await resolveUnfulfilled(deps, orderId, paymentKey, { action: 'accepted', at: nowIso(deps) });
  return { orderId, key: paymentKey, action: 'accepted' };
}
