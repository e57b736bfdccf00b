import { OrderNotFoundError, OrderNotReadyError } from '../domain/errors';
import type { Order } from '../domain/order';
import type { PaymentFailedInput, PaymentInput, RefundInput } from '../domain/workflow-input';
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
    await deps.orders.update(input.orderId, details);
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
  return { orderId: input.orderId, status: order.status, fulfil: transitioned || order.paidByEventId === input.eventId };
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

export interface RefundRecorded {
  orderId: string;
  amountRefunded: number;
  fullyRefunded: boolean;
  status: Order['status'];
}

/**
 * Records a cumulative refund. Stripe's amount_refunded only grows, so the order keeps the largest
 * seen: a late, smaller one changes nothing. A refund for an order not yet known to be paid waits
 * (OrderNotReady is retried with backoff by the workflow).
 */
export async function recordRefund(deps: FulfilmentDeps, input: RefundInput): Promise<RefundRecorded> {
  const orderId =
    input.orderId ?? (input.paymentIntentId ? await deps.orders.findOrderIdByPaymentIntent(input.paymentIntentId) : undefined);
  if (!orderId) throw new OrderNotFoundError(`for payment intent ${input.paymentIntentId ?? '(none)'}`);
  const order = await deps.orders.require(orderId);
  if (order.status === 'pending' || order.status === 'failed') {
    throw new OrderNotReadyError(`order ${orderId} is ${order.status}; the refund waits for its payment to be recorded`);
  }
  await deps.orders.update(
    orderId,
    { amountRefunded: input.amountRefunded },
    { expression: 'attribute_not_exists(amountRefunded) OR amountRefunded < :refunded', values: { ':refunded': input.amountRefunded } },
  );
  let current = await deps.orders.require(orderId);
  const amountRefunded = current.amountRefunded ?? 0;
  const fullyRefunded = amountRefunded >= current.amountTotal;
  if (fullyRefunded && current.status !== 'refunded') {
    current = (await deps.orders.transition(orderId, 'refunded', { refundedAt: nowIso(deps) })).order;
  }
  return { orderId, amountRefunded, fullyRefunded, status: current.status };
}
