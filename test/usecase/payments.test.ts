import type { OrderStatus } from '../../lambdas/domain/order-status';
import type { PaymentInput } from '../../lambdas/domain/workflow-input';
import { cancelExpiredCheckout, markPaymentFailed, recordPayment } from '../../lambdas/fulfilment/payments';
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

async function withOrder(status: OrderStatus = 'pending', overrides: Record<string, unknown> = {}) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status, ...overrides }));
  return { ...ports, deps: { orders: ports.orders, now: ports.clock.now } };
}

describe('recordPayment: the payment is in', () => {
  it('records what Stripe said and moves the pending order to paid; this execution fulfils', async () => {
    const { deps, orders } = await withOrder();
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: true, signals: [] });
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
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: true, signals: [] });
  });

  it('of the pair of events that pay one order, only the first fulfils; the second only fills what is missing', async () => {
    const { deps, orders } = await withOrder();
    await recordPayment(deps, payment({ stripeSessionId: undefined, email: undefined, shippingAddress: undefined }));
    const second = payment({ ...event('evt_pi', 'payment_intent.succeeded'), email: 'late@example.com', customerName: 'Late Name' });
    expect(await recordPayment(deps, second)).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: false, signals: [] });
    const order = await orders.read('ord_1');
    expect(order).toMatchObject({ paidByEventId: 'evt_session', stripeSessionId: 'cs_1', email: 'sakura@example.com' });
  });

  it('a failed payment retried successfully pays the order', async () => {
    const { deps } = await withOrder('failed');
    expect(await recordPayment(deps, payment())).toMatchObject({ status: 'paid', fulfil: true, signals: [] });
  });

  it('a full refund that overtook its payment ends the order refunded, and nothing is fulfilled', async () => {
    const { deps } = await withOrder('pending', { amountRefunded: 2500 });
    expect(await recordPayment(deps, payment())).toEqual({ orderId: 'ord_1', status: 'refunded', fulfil: false, signals: [] });
  });
});

describe('recordPayment: not paid yet, or not payable', () => {
  it('a completed session whose delayed payment has not cleared records the details and leaves the order pending', async () => {
    const { deps, orders } = await withOrder();
    expect(await recordPayment(deps, payment({ paid: false }))).toEqual({
      orderId: 'ord_1',
      status: 'pending',
      fulfil: false,
      signals: [],
    });
    expect((await orders.read('ord_1')).stripeSessionId).toBe('cs_1');
  });

  it('a cancelled order (its first session expired) is paid by a later paid event: money taken is never ignored', async () => {
    const { deps, orders } = await withOrder('cancelled', { stripeSessionId: 'cs_expired' });
    expect(await recordPayment(deps, payment({ stripeSessionId: 'cs_recovered' }))).toEqual({
      orderId: 'ord_1',
      status: 'paid',
      fulfil: true,
      signals: [],
    });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'paid', stripeSessionId: 'cs_recovered', paymentIntentId: 'pi_1' });
  });

  it('an unknown order is OrderNotFound (the workflow retries: the storefront write may lag)', async () => {
    const { deps } = await withOrder();
    await expect(recordPayment(deps, payment({ orderId: 'ord_missing' }))).rejects.toMatchObject({ name: 'OrderNotFound' });
  });
});

describe('markPaymentFailed', () => {
  const failed = {
    ...event('evt_failed', 'payment_intent.payment_failed'),
    kind: 'paymentFailed' as const,
    orderId: 'ord_1',
    paymentIntentId: 'pi_1',
    reason: 'card_declined',
  };

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

describe('cancelExpiredCheckout', () => {
  const expired = {
    ...event('evt_expired', 'checkout.session.expired'),
    kind: 'checkoutExpired' as const,
    orderId: 'ord_1',
    stripeSessionId: 'cs_1',
  };

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
