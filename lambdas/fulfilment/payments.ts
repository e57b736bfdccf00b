import { OrderNotReadyError } from '../domain/errors';
import type { Order } from '../domain/order';
import { hasBeenPaid } from '../domain/order-status';
import type { Signal } from '../domain/signals';
import type { CheckoutExpiredInput, DisputeInput, PaymentFailedInput, PaymentInput, RefundInput } from '../domain/workflow-input';
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

export interface RefundRecorded {
  orderId: string;
  amountRefunded: number;
  fullyRefunded: boolean;
  status: Order['status'];
}

/** The order a charge-level event (refund, dispute) is about: by metadata, else by payment intent. */
async function orderOfCharge(deps: FulfilmentDeps, input: { orderId?: string; paymentIntentId?: string }): Promise<string> {
  if (input.orderId) return input.orderId;
  const orderId = input.paymentIntentId ? await deps.orders.findOrderIdByPaymentIntent(input.paymentIntentId) : undefined;
  // No order records this payment intent yet: the payment event has not arrived (Stripe does not
  // order events) or the index lags. The workflow retries this for about an hour.
  if (!orderId) throw new OrderNotReadyError(`no order records payment intent ${input.paymentIntentId ?? '(none)'} yet`);
  return orderId;
}

/**
 * Records a cumulative refund. Stripe's amount_refunded only grows, so the order keeps the largest
 * seen: a late, smaller one changes nothing. A refund that overtakes its payment is recorded on the
 * pending order and applied when the payment arrives (recordPayment), so both orders of arrival end
 * the same.
 */
export async function recordRefund(deps: FulfilmentDeps, input: RefundInput): Promise<RefundRecorded> {
  const orderId = await orderOfCharge(deps, input);
  await deps.orders.raiseRefundedAmount(orderId, input.amountRefunded);
  let current = await deps.orders.require(orderId);
  const amountRefunded = current.amountRefunded ?? 0;
  const fullyRefunded = amountRefunded >= current.amountTotal;
  if (fullyRefunded && hasBeenPaid(current.status) && current.status !== 'refunded') {
    current = (await deps.orders.transition(orderId, 'refunded', { refundedAt: nowIso(deps) })).order;
  }
  return { orderId, amountRefunded, fullyRefunded, status: current.status };
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

export interface DisputeRecorded {
  orderId: string;
  disputeStatus: NonNullable<Order['disputeStatus']>;
  /** true the first time this dispute is seen open (for the metric an alarm watches) */
  opened: boolean;
  /** dispute-opened when `opened` */
  signals: Signal[];
}

/**
 * Flags the order with the dispute. A closed dispute's outcome is final: an "open" that arrives
 * after it (Stripe does not order events) does not reopen it. The petals follow in the petals step.
 */
export async function recordDispute(deps: FulfilmentDeps, input: DisputeInput): Promise<DisputeRecorded> {
  const orderId = await orderOfCharge(deps, input);
  const before = await deps.orders.require(orderId);
  const details = { disputeId: input.disputeId, disputeReason: input.reason, disputeAmount: input.amount };
  if (input.closed) {
    const outcome = input.status === 'lost' ? 'lost' : 'won';
    await deps.orders.closeDispute(orderId, details, outcome, nowIso(deps));
    return { orderId, disputeStatus: outcome, opened: false, signals: [] };
  }
  const updated = await deps.orders.openDispute(orderId, details, nowIso(deps));
  const current = updated ?? (await deps.orders.require(orderId));
  const opened = updated !== undefined && !(before.disputeId === input.disputeId && before.disputeStatus === 'open');
  return { orderId, disputeStatus: current.disputeStatus ?? 'open', opened, signals: opened ? [{ kind: 'dispute-opened' }] : [] };
}
