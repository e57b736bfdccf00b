import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import type { CheckoutExpiredInput, PaymentInput } from '../../lambdas/domain/workflow-input';
import { cancelExpiredCheckout, recordPayment } from '../../lambdas/fulfilment/payments';
import { settleOrderPetals } from '../../lambdas/petals/use-cases';
import { anOrder, memoryPorts } from '../support/fakes';

// Issue 11 items 1 and 3: the order says what is owed; money taken is never silently ignored.

const event = (eventId: string, eventType: string) => ({ eventId, eventType, created: 1_764_158_400, livemode: false });

const paidSession = (overrides: Partial<PaymentInput> = {}): PaymentInput => ({
  ...event('evt_session', 'checkout.session.completed'),
  kind: 'payment',
  orderId: 'ord_1',
  paid: true,
  stripeSessionId: 'cs_1',
  paymentIntentId: 'pi_1',
  amountTotal: 10000,
  currency: 'usd',
  ...overrides,
});

const expired = (stripeSessionId: string): CheckoutExpiredInput => ({
  ...event(`evt_expired_${stripeSessionId}`, 'checkout.session.expired'),
  kind: 'checkoutExpired',
  orderId: 'ord_1',
  stripeSessionId,
});

async function scene(status: OrderStatus = 'pending', overrides: Record<string, unknown> = {}) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ status, amountTotal: 10000, currency: 'usd', ...overrides }));
  const deps = { orders: ports.orders, now: ports.clock.now };
  const petals = { orders: ports.orders, ledger: ports.ledger, rates: DEFAULT_PETAL_RATES, now: ports.clock.now };
  return { ...ports, deps, settle: () => settleOrderPetals(petals, 'ord_1') };
}

const HELD = [{ kind: 'payment-mismatch' }, { kind: 'paid-not-fulfilled' }];

describe('recordPayment: a payment fulfils only what the order owes', () => {
  it('an order of 10000 usd paid 100: held, its amount stays 10000, it earns 0 petals', async () => {
    const { deps, orders, settle, ledger } = await scene();
    expect(await recordPayment(deps, paidSession({ amountTotal: 100 }))).toEqual({
      orderId: 'ord_1',
      status: 'payment_mismatch',
      fulfil: false,
      held: true,
      signals: HELD,
    });
    const order = await orders.read('ord_1');
    expect(order).toMatchObject({ status: 'payment_mismatch', amountTotal: 10000, currency: 'usd', paymentIntentId: 'pi_1' });
    expect(order.heldPayment).toMatchObject({
      eventId: 'evt_session',
      amountTotal: 100,
      currency: 'usd',
      reason: 'underpaid',
      paymentIntentId: 'pi_1',
    });
    expect(order.paidByEventId).toBeUndefined();
    expect(await settle()).toMatchObject({ awarded: 0, written: [], signals: [] });
    expect(await ledger.balance('user_1')).toBe(0);
  });

  it('a 4999 usd order paid in jpy: held, its currency stays usd', async () => {
    const { deps, orders } = await scene('pending', { amountTotal: 4999 });
    expect(await recordPayment(deps, paidSession({ amountTotal: 4999, currency: 'jpy' }))).toMatchObject({
      status: 'payment_mismatch',
      fulfil: false,
      held: true,
    });
    expect(await orders.read('ord_1')).toMatchObject({
      amountTotal: 4999,
      currency: 'usd',
      heldPayment: { reason: 'currency', currency: 'jpy' },
    });
  });

  it.each([
    ['no amount', { amountTotal: undefined }, 'unverified'],
    ['no currency', { currency: undefined }, 'unverified'],
    ['more than owed', { amountTotal: 10001 }, 'overpaid'],
  ] as const)('a paid event with %s is held (%s)', async (_name, overrides, reason) => {
    const { deps, orders } = await scene();
    expect(await recordPayment(deps, paidSession(overrides))).toMatchObject({ status: 'payment_mismatch', held: true, signals: HELD });
    expect((await orders.read('ord_1')).heldPayment?.reason).toBe(reason);
  });

  it('compares the currency case-insensitively and fulfils an exact match', async () => {
    const { deps } = await scene();
    expect(await recordPayment(deps, paidSession({ currency: 'USD' }))).toEqual({
      orderId: 'ord_1',
      status: 'paid',
      fulfil: true,
      signals: [],
    });
  });

  it('the held execution retried signals again and still does not fulfil; the pair event of the held payment adds nothing', async () => {
    const { deps, orders } = await scene();
    await recordPayment(deps, paidSession({ amountTotal: 100 }));
    expect(await recordPayment(deps, paidSession({ amountTotal: 100 }))).toEqual({
      orderId: 'ord_1',
      status: 'payment_mismatch',
      fulfil: false,
      held: true,
      signals: HELD,
    });
    const pair = paidSession({ ...event('evt_pi', 'payment_intent.succeeded'), stripeSessionId: undefined, amountTotal: 100 });
    expect(await recordPayment(deps, pair)).toEqual({
      orderId: 'ord_1',
      status: 'payment_mismatch',
      fulfil: false,
      held: true,
      signals: [],
    });
    expect((await orders.read('ord_1')).heldPayment?.eventId).toBe('evt_session');
  });

  it('a held order is not paid by a later matching payment of another intent: flagged for the operator, not fulfilled', async () => {
    const { deps, orders } = await scene();
    await recordPayment(deps, paidSession({ amountTotal: 100 }));
    const second = paidSession({ ...event('evt_second', 'checkout.session.completed'), stripeSessionId: 'cs_2', paymentIntentId: 'pi_2' });
    expect(await recordPayment(deps, second)).toEqual({
      orderId: 'ord_1',
      status: 'payment_mismatch',
      fulfil: false,
      signals: [{ kind: 'paid-not-fulfilled' }],
    });
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'payment_mismatch',
      paymentIntentId: 'pi_1',
      unfulfilledPayments: { pi_2: { eventId: 'evt_second', paymentIntentId: 'pi_2' } },
    });
  });

  it('a failed or cancelled order paid with the wrong amount is held too', async () => {
    for (const status of ['failed', 'cancelled'] as const) {
      const { deps } = await scene(status);
      expect(await recordPayment(deps, paidSession({ amountTotal: 100 }))).toMatchObject({ status: 'payment_mismatch', held: true });
    }
  });

  it('a completed session whose payment has not cleared is neither checked nor held', async () => {
    const { deps } = await scene();
    expect(await recordPayment(deps, paidSession({ paid: false, amountTotal: 100 }))).toEqual({
      orderId: 'ord_1',
      status: 'pending',
      fulfil: false,
      signals: [],
    });
  });
});

describe('recordPayment: money taken and not fulfilled is flagged', () => {
  it('a hold that raced a matching payment (read pending, held meanwhile): fulfilled, and the held payment is flagged', async () => {
    const { deps, orders, settle } = await scene();
    await recordPayment(deps, paidSession({ eventId: 'evt_under', amountTotal: 100 }));
    // the matching payment read the order before the hold was written
    const stale = Object.assign(Object.create(orders) as typeof orders, {
      require: async (id: string) => ({ ...(await orders.require(id)), status: 'pending' as const, heldPayment: undefined }),
    });
    const matching = paidSession({ ...event('evt_full', 'checkout.session.completed'), stripeSessionId: 'cs_2', paymentIntentId: 'pi_2' });
    expect(await recordPayment({ ...deps, orders: stale }, matching)).toEqual({
      orderId: 'ord_1',
      status: 'paid',
      fulfil: true,
      signals: [{ kind: 'paid-not-fulfilled' }],
    });
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'paid',
      paidByEventId: 'evt_full',
      paymentIntentId: 'pi_2',
      unfulfilledPayments: { pi_1: { eventId: 'evt_under', paymentIntentId: 'pi_1', amountTotal: 100 } },
    });
    expect(await settle()).toMatchObject({ awarded: 100 });
  });

  it('another payment intent paying an order already paid: paid-not-fulfilled, recorded on the order', async () => {
    const { deps, orders } = await scene();
    await recordPayment(deps, paidSession());
    const second = paidSession({ ...event('evt_second', 'checkout.session.completed'), stripeSessionId: 'cs_2', paymentIntentId: 'pi_2' });
    expect(await recordPayment(deps, second)).toEqual({
      orderId: 'ord_1',
      status: 'paid',
      fulfil: false,
      signals: [{ kind: 'paid-not-fulfilled' }],
    });
    expect(await orders.read('ord_1')).toMatchObject({
      paymentIntentId: 'pi_1',
      paidByEventId: 'evt_session',
      unfulfilledPayments: { pi_2: { eventId: 'evt_second', amountTotal: 10000 } },
    });
  });

  it('a new payment for an order already refunded: paid-not-fulfilled', async () => {
    const { deps } = await scene('refunded', { paymentIntentId: 'pi_1', amountRefunded: 10000 });
    const again = paidSession({ ...event('evt_again', 'checkout.session.completed'), stripeSessionId: 'cs_2', paymentIntentId: 'pi_2' });
    expect(await recordPayment(deps, again)).toMatchObject({
      status: 'refunded',
      fulfil: false,
      signals: [{ kind: 'paid-not-fulfilled' }],
    });
  });

  it('the pair event of the payment that paid the order is no alarm', async () => {
    const { deps } = await scene();
    await recordPayment(deps, paidSession());
    const pair = paidSession({ ...event('evt_pi', 'payment_intent.succeeded'), stripeSessionId: undefined });
    expect(await recordPayment(deps, pair)).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: false, signals: [] });
  });
});

describe('cancelExpiredCheckout: only the session the order waits on, only while unpaid', () => {
  it('expired cs_A, then a paid cs_B for the same order: the order is paid and fulfilled once', async () => {
    const { deps, orders } = await scene('pending', { stripeSessionId: 'cs_A' });
    expect(await cancelExpiredCheckout(deps, expired('cs_A'))).toEqual({ status: 'cancelled', cancelled: true });
    const recovered = paidSession({ stripeSessionId: 'cs_B', paymentIntentId: 'pi_B' });
    expect(await recordPayment(deps, recovered)).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: true, signals: [] });
    expect(await recordPayment(deps, recovered)).toMatchObject({ fulfil: true }); // the winner's retry
    const pair = paidSession({ ...event('evt_pi_B', 'payment_intent.succeeded'), stripeSessionId: undefined, paymentIntentId: 'pi_B' });
    expect(await recordPayment(deps, pair)).toMatchObject({ fulfil: false, signals: [] });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'paid', stripeSessionId: 'cs_B', paymentIntentId: 'pi_B' });
  });

  it('the expiry of another session than the one the order records changes nothing', async () => {
    const { deps, orders } = await scene('pending', { stripeSessionId: 'cs_B' });
    expect(await cancelExpiredCheckout(deps, expired('cs_A'))).toEqual({ status: 'pending', cancelled: false });
    expect((await orders.read('ord_1')).cancelReason).toBeUndefined();
  });

  it('a completed-but-unpaid session cs_B, then cs_A expires: still pending', async () => {
    const { deps } = await scene('pending', { stripeSessionId: 'cs_A' });
    await recordPayment(deps, paidSession({ paid: false, stripeSessionId: 'cs_B' }));
    expect(await cancelExpiredCheckout(deps, expired('cs_A'))).toEqual({ status: 'pending', cancelled: false });
  });

  it('an order that records no session is cancelled by an expiry (the storefront did not say which it waits on)', async () => {
    const { deps } = await scene();
    expect(await cancelExpiredCheckout(deps, expired('cs_A'))).toEqual({ status: 'cancelled', cancelled: true });
  });

  it('a held order is not cancelled by an expiry: money was taken', async () => {
    const { deps } = await scene('pending', { stripeSessionId: 'cs_1' });
    await recordPayment(deps, paidSession({ amountTotal: 100 }));
    expect(await cancelExpiredCheckout(deps, expired('cs_1'))).toEqual({ status: 'payment_mismatch', cancelled: false });
  });
});
