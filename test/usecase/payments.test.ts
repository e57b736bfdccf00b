import type { OrderStatus } from '../../lambdas/domain/order-status';
import type { DisputeInput, PaymentInput, RefundInput } from '../../lambdas/domain/workflow-input';
import { recordDispute } from '../../lambdas/fulfilment/disputes';
import { cancelExpiredCheckout, markPaymentFailed, recordPayment } from '../../lambdas/fulfilment/payments';
import { recordRefund } from '../../lambdas/fulfilment/refunds';
import { anOrder, memoryPorts } from '../support/fakes';

const event = (eventId: string, eventType: string) => ({ eventId, eventType, created: 1_764_158_400, livemode: false });

const payment = (overrides: Partial<PaymentInput> = {}): PaymentInput => ({
  ...event('evt_session', 'checkout.session.completed'),
  kind: 'payment',
  orderId: 'ord_1',
  paid: true,
  stripeSessionId: 'cs_1',
  paymentIntentId: 'pi_1',
  amountTotal: 2500,
  currency: 'usd',
  email: 'checkout@example.com',
  customerName: 'Sakura Haruno',
  ...overrides,
});

const refund = (amountRefunded: number, overrides: Partial<RefundInput> = {}): RefundInput => ({
  ...event(`evt_refund_${amountRefunded}`, 'charge.refunded'),
  kind: 'refund',
  chargeId: 'ch_1',
  paymentIntentId: 'pi_1',
  amountRefunded,
  amount: amountRefunded,
  currency: 'usd',
  ...overrides,
});

const dispute = (status: string, closed: boolean, overrides: Partial<DisputeInput> = {}): DisputeInput => ({
  ...event(`evt_dispute_${status}`, closed ? 'charge.dispute.closed' : 'charge.dispute.created'),
  kind: 'dispute',
  disputeId: 'dp_1',
  paymentIntentId: 'pi_1',
  status,
  closed,
  reason: 'fraudulent',
  amount: 2500,
  currency: 'usd',
  ...overrides,
});

async function withOrder(status: OrderStatus = 'pending', overrides: Record<string, unknown> = {}) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status, ...overrides }));
  return { ...ports, deps: { orders: ports.orders, now: ports.clock.now } };
}

describe('recordPayment: the payment is in', () => {
  it('records what Stripe said and moves the pending order to paid; this execution fulfils', async () => {
    const { deps, orders } = await withOrder();
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: true });
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'paid',
      paidByEventId: 'evt_session',
      paidAt: '2026-11-26T12:00:00.000Z',
      stripeSessionId: 'cs_1',
      paymentIntentId: 'pi_1',
      email: 'checkout@example.com',
    });
  });

  it('run again (the task retried), still fulfils: the winner is the event that paid', async () => {
    const { deps } = await withOrder();
    await recordPayment(deps, payment());
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: true });
  });

  it('of the pair of events that pay one order, only the first fulfils; the second only fills what is missing', async () => {
    const { deps, orders } = await withOrder();
    await recordPayment(deps, payment({ stripeSessionId: undefined, email: undefined, shippingAddress: undefined }));
    const second = payment({ ...event('evt_pi', 'payment_intent.succeeded'), email: 'late@example.com', customerName: 'Late Name' });
    expect(await recordPayment(deps, second)).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: false });
    const order = await orders.read('ord_1');
    expect(order).toMatchObject({ paidByEventId: 'evt_session', stripeSessionId: 'cs_1', email: 'sakura@example.com' });
  });

  it('a failed payment retried successfully pays the order', async () => {
    const { deps } = await withOrder('failed');
    expect(await recordPayment(deps, payment())).toMatchObject({ status: 'paid', fulfil: true });
  });

  it('a full refund that overtook its payment ends the order refunded, and nothing is fulfilled', async () => {
    const { deps } = await withOrder('pending', { amountRefunded: 2500 });
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'refunded', fulfil: false });
  });
});

describe('recordPayment: not paid yet, or not payable', () => {
  it('a completed session whose delayed payment has not cleared records the details and leaves the order pending', async () => {
    const { deps, orders } = await withOrder();
    expect(await recordPayment(deps, payment({ paid: false }))).toEqual({ orderId: 'ord_1', status: 'pending', fulfil: false });
    expect((await orders.read('ord_1')).stripeSessionId).toBe('cs_1');
  });

  it('a cancelled order is not paid by a late event', async () => {
    const { deps } = await withOrder('cancelled');
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'cancelled', fulfil: false });
  });

  it('an unknown order is OrderNotFound (the workflow retries: the storefront write may lag)', async () => {
    const { deps } = await withOrder();
    await expect(recordPayment(deps, payment({ orderId: 'ord_missing' }))).rejects.toMatchObject({ name: 'OrderNotFound' });
  });
});

describe('markPaymentFailed', () => {
  const failed = { ...event('evt_failed', 'payment_intent.payment_failed'), kind: 'paymentFailed' as const, orderId: 'ord_1', paymentIntentId: 'pi_1', reason: 'card_declined' };

  it('marks a pending order failed and notifies; run again, still notifies (the same event)', async () => {
    const { deps, orders } = await withOrder();
    expect(await markPaymentFailed(deps, failed)).toEqual({ status: 'failed', notify: true });
    expect(await markPaymentFailed(deps, failed)).toEqual({ status: 'failed', notify: true });
    expect((await orders.read('ord_1')).failureReason).toBe('card_declined');
  });

  it('a second failure event of an already failed order does not notify again', async () => {
    const { deps } = await withOrder();
    await markPaymentFailed(deps, failed);
    expect(await markPaymentFailed(deps, { ...failed, eventId: 'evt_failed_2' })).toEqual({ status: 'failed', notify: false });
  });

  it('a stale failure after the payment succeeded changes nothing', async () => {
    const { deps, orders } = await withOrder('paid');
    expect(await markPaymentFailed(deps, failed)).toEqual({ status: 'paid', notify: false });
    expect((await orders.read('ord_1')).failureReason).toBeUndefined();
  });
});

describe('recordRefund', () => {
  it('records a partial refund on the order found by its payment intent', async () => {
    const { deps } = await withOrder('in_production', { paymentIntentId: 'pi_1' });
    expect(await recordRefund(deps, refund(1000))).toEqual({ orderId: 'ord_1', amountRefunded: 1000, fullyRefunded: false, status: 'in_production' });
  });

  it('a full refund of a paid order ends it refunded; run again, the same result', async () => {
    const { deps } = await withOrder('shipped', { paymentIntentId: 'pi_1' });
    const expected = { orderId: 'ord_1', amountRefunded: 2500, fullyRefunded: true, status: 'refunded' };
    expect(await recordRefund(deps, refund(2500))).toEqual(expected);
    expect(await recordRefund(deps, refund(2500))).toEqual(expected);
  });

  it('keeps the largest cumulative amount: a late, smaller refund event changes nothing', async () => {
    const { deps } = await withOrder('paid', { paymentIntentId: 'pi_1' });
    await recordRefund(deps, refund(2000));
    expect(await recordRefund(deps, refund(1000))).toMatchObject({ amountRefunded: 2000 });
  });

  it('a refund that overtakes its payment is recorded on the pending order, which stays pending', async () => {
    const { deps } = await withOrder('pending', { paymentIntentId: 'pi_1' });
    expect(await recordRefund(deps, refund(2500))).toEqual({ orderId: 'ord_1', amountRefunded: 2500, fullyRefunded: true, status: 'pending' });
  });

  it('uses the order id of the charge\'s metadata when there is one', async () => {
    const { deps } = await withOrder('paid');
    expect(await recordRefund(deps, refund(100, { orderId: 'ord_1', paymentIntentId: undefined }))).toMatchObject({ orderId: 'ord_1', amountRefunded: 100 });
  });

  it('throws OrderNotReady while no order records the payment intent (the workflow retries)', async () => {
    const { deps } = await withOrder('paid');
    await expect(recordRefund(deps, refund(100, { paymentIntentId: 'pi_unknown' }))).rejects.toMatchObject({ name: 'OrderNotReady' });
  });
});

describe('cancelExpiredCheckout', () => {
  const expired = { ...event('evt_expired', 'checkout.session.expired'), kind: 'checkoutExpired' as const, orderId: 'ord_1', stripeSessionId: 'cs_1' };

  it('cancels a pending order once, with the reason', async () => {
    const { deps, orders } = await withOrder();
    expect(await cancelExpiredCheckout(deps, expired)).toEqual({ status: 'cancelled', cancelled: true });
    expect(await cancelExpiredCheckout(deps, expired)).toEqual({ status: 'cancelled', cancelled: false });
    expect((await orders.read('ord_1')).cancelReason).toBe('Checkout session cs_1 expired');
  });

  it('leaves a paid order as it is', async () => {
    const { deps } = await withOrder('paid');
    expect(await cancelExpiredCheckout(deps, expired)).toEqual({ status: 'paid', cancelled: false });
  });
});

describe('recordDispute', () => {
  it('flags the order with an open dispute; opened only the first time', async () => {
    const { deps, orders } = await withOrder('shipped', { paymentIntentId: 'pi_1' });
    expect(await recordDispute(deps, dispute('needs_response', false))).toEqual({ orderId: 'ord_1', disputeStatus: 'open', opened: true, signals: [{ kind: 'dispute-opened' }] });
    expect(await recordDispute(deps, dispute('under_review', false))).toEqual({ orderId: 'ord_1', disputeStatus: 'open', opened: false, signals: [] });
    expect(await orders.read('ord_1')).toMatchObject({ disputeId: 'dp_1', disputeStatus: 'open', disputeReason: 'fraudulent', disputeAmount: 2500 });
  });

  it.each([
    ['won', 'won'],
    ['warning_closed', 'won'],
    ['lost', 'lost'],
  ])('a dispute closed as %s is final: a late "open" does not reopen it', async (stripeStatus, outcome) => {
    const { deps } = await withOrder('shipped', { paymentIntentId: 'pi_1' });
    expect(await recordDispute(deps, dispute(stripeStatus, true))).toEqual({ orderId: 'ord_1', disputeStatus: outcome, opened: false, signals: [] });
    expect(await recordDispute(deps, dispute('needs_response', false))).toEqual({ orderId: 'ord_1', disputeStatus: outcome, opened: false, signals: [] });
  });

  it('a new dispute of the same order opens again after an earlier one closed', async () => {
    const { deps } = await withOrder('shipped', { paymentIntentId: 'pi_1' });
    await recordDispute(deps, dispute('won', true));
    expect(await recordDispute(deps, dispute('needs_response', false, { disputeId: 'dp_2' }))).toEqual({ orderId: 'ord_1', disputeStatus: 'open', opened: true, signals: [{ kind: 'dispute-opened' }] });
  });
});
