import type { Order } from '../domain/order';
import type { CheckoutExpiredInput, PaymentFailedInput, PaymentInput } from '../domain/workflow-input';
import { nowIso, type FulfilmentDeps } from './deps';

export interface PaymentRecorded {
  orderId: string;
  status: Order['status'];
  /** true only for the execution whose event moved the order to paid: it, and only it, fulfils */
  fulfil: boolean;
}

/**
 * Records what Stripe told us about the payment on the order and, if the money is in, moves it to
 * paid. Of several events that pay the same order (session completed, payment intent succeeded,
 * duplicates), exactly one wins the conditional transition; a retry of the winner still fulfils.
 * Throws OrderNotFoundError while the storefront's order is not there (the workflow retries).
 */
export async function recordPayment(deps: FulfilmentDeps, input: PaymentInput): Promise<PaymentRecorded> {
  const before = await deps.orders.require(input.orderId);
  const details = {
    stripeSessionId: input.stripeSessionId,
    paymentIntentId: input.paymentIntentId,
    amountTotal: input.amountTotal,
    currency: input.currency,
    email: input.email,
    customerName: input.customerName,
    shippingAddress: input.shippingAddress,
  };
  if (before.status === 'pending' || before.status === 'failed') {
    await deps.orders.set(input.orderId, details);
  } else {
    // Already paid (by the other event of the pair, in either order): what was fulfilled stays as
    // it was sent to Printify; a late event only fills in what is still missing.
    await deps.orders.fillMissing(input.orderId, details);
  }
  if (!input.paid) {
    const order = await deps.orders.require(input.orderId);
    return { orderId: input.orderId, status: order.status, fulfil: false };
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
    return { orderId: input.orderId, status: refunded.order.status, fulfil: false };
  }
  return { orderId: input.orderId, status: order.status, fulfil: won };
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

/** An expired Checkout session cancels its order only while nothing was paid. */
export async function cancelExpiredCheckout(
  deps: FulfilmentDeps,
  input: CheckoutExpiredInput,
): Promise<{ status: Order['status']; cancelled: boolean }> {
  const { transitioned, order } = await deps.orders.transition(input.orderId, 'cancelled', {
    cancelledAt: nowIso(deps),
    cancelReason: `Checkout session ${input.stripeSessionId} expired`,
  });
  return { status: order.status, cancelled: transitioned };
}
