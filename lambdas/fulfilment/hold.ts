import type { Order } from '../domain/order';
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
