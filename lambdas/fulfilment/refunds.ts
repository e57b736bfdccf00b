import { OrderNotReadyError } from '../domain/errors';
import type { Order } from '../domain/order';
import { hasBeenPaid } from '../domain/order-status';
import type { RefundInput } from '../domain/workflow-input';
import { nowIso, type FulfilmentDeps } from './deps';

export interface RefundRecorded {
  orderId: string;
  amountRefunded: number;
  fullyRefunded: boolean;
  status: Order['status'];
}

/** The order a charge-level event (refund, dispute) is about: by metadata, else by payment intent. */
export async function orderOfCharge(deps: FulfilmentDeps, input: { orderId?: string; paymentIntentId?: string }): Promise<string> {
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
