import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import type { PaymentInput } from '../../lambdas/domain/workflow-input';
import { acceptHeldPayment, refundHeldPayment } from '../../lambdas/fulfilment/hold';
import { recordPayment } from '../../lambdas/fulfilment/payments';
import { recordRefund } from '../../lambdas/fulfilment/refunds';
import { settleOrderPetals } from '../../lambdas/petals/use-cases';
import { anOrder, aPayment, memoryPorts } from '../support/fakes';
import { FakeStripeApi } from '../support/fakes/stripe-api';

// An operator resolves a held order (`ops hold accept|refund`): issue 11 item 1.

const held = (overrides: Partial<PaymentInput> = {}): PaymentInput => aPayment({ eventId: 'evt_under', amountTotal: 5000, ...overrides });

async function heldScene(payment: PaymentInput = held()) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ amountTotal: 10000 }));
  const stripe = new FakeStripeApi();
  stripe.charge('pi_1', payment.amountTotal ?? 0, payment.currency ?? 'usd');
  const deps = { orders: ports.orders, now: ports.clock.now };
  await recordPayment(deps, payment);
  const settle = () =>
    settleOrderPetals({ orders: ports.orders, ledger: ports.ledger, rates: DEFAULT_PETAL_RATES, now: ports.clock.now }, 'ord_1');
  return { ...ports, deps, stripe, settle };
}

describe('acceptHeldPayment', () => {
  it("moves the held order to paid with the held event as its payer; that event's workflow then fulfils it", async () => {
    const { deps, orders } = await heldScene();
    expect(await acceptHeldPayment(deps, 'ord_1')).toMatchObject({
      orderId: 'ord_1',
      before: 'payment_mismatch',
      after: 'paid',
      eventId: 'evt_under',
    });
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'paid',
      paidByEventId: 'evt_under',
      amountTotal: 10000,
      holdResolution: { action: 'accepted' },
    });
    // what the replayed execution's first step says: this event fulfils
    expect(await recordPayment(deps, held())).toEqual({ orderId: 'ord_1', status: 'paid', fulfil: true, signals: [] });
  });

  it('petals are earned on what was paid, never on what was not (5000 of 10000 usd: 50 petals)', async () => {
    const { deps, settle } = await heldScene();
    await acceptHeldPayment(deps, 'ord_1');
    expect(await settle()).toMatchObject({ awarded: 50 });
  });

  it('an accepted payment in another currency earns no petals', async () => {
    const { deps, settle } = await heldScene(held({ amountTotal: 10000, currency: 'jpy' }));
    await acceptHeldPayment(deps, 'ord_1');
    expect(await settle()).toMatchObject({ awarded: 0, written: [] });
  });

  it('run again, changes nothing and names the same event', async () => {
    const { deps } = await heldScene();
    await acceptHeldPayment(deps, 'ord_1');
    expect(await acceptHeldPayment(deps, 'ord_1')).toMatchObject({ before: 'paid', after: 'paid', eventId: 'evt_under' });
  });

  it('an order that was never held, or whose hold was refunded, is refused', async () => {
    const ports = memoryPorts();
    await ports.orders.put(anOrder({ status: 'paid' }));
    await expect(acceptHeldPayment({ orders: ports.orders }, 'ord_1')).rejects.toMatchObject({ name: 'HoldNotResolvable' });
    const { deps, stripe } = await heldScene();
    await refundHeldPayment({ ...deps, stripe }, 'ord_1');
    await expect(acceptHeldPayment(deps, 'ord_1')).rejects.toThrow(/refunded/);
  });
});

describe('refundHeldPayment', () => {
  it('refunds the held payment intent through Stripe once and ends the order refunded, with no petals', async () => {
    const { deps, stripe, orders, settle } = await heldScene();
    expect(await refundHeldPayment({ ...deps, stripe }, 'ord_1')).toEqual({
      orderId: 'ord_1',
      before: 'payment_mismatch',
      after: 'refunded',
      refundId: 're_1',
      amount: 5000,
      currency: 'usd',
      refundStatus: 'succeeded',
    });
    expect(stripe.refunds).toMatchObject([
      { paymentIntentId: 'pi_1', idempotencyKey: 'hold-refund-ord_1-evt_under', metadata: { orderId: 'ord_1' } },
    ]);
    expect(await orders.read('ord_1')).toMatchObject({
      status: 'refunded',
      amountTotal: 10000,
      holdResolution: { action: 'refunded', refundId: 're_1' },
    });
    expect(await settle()).toMatchObject({ awarded: 0, written: [] });
  });

  it('run again (the operator was not sure it worked): the same refund, never a second one', async () => {
    const { deps, stripe } = await heldScene();
    await refundHeldPayment({ ...deps, stripe }, 'ord_1');
    expect(await refundHeldPayment({ ...deps, stripe }, 'ord_1')).toMatchObject({
      refundId: 're_1',
      after: 'refunded',
      refundStatus: 'already refunded',
    });
    expect(stripe.refunds).toHaveLength(1);
  });

  it('refunded at Stripe but not recorded (the command crashed): run again, the same refund is recorded', async () => {
    const { deps, stripe, orders } = await heldScene();
    const crashing = Object.assign(Object.create(orders) as typeof orders, {
      transition: async () => {
        throw new Error('the store failed');
      },
    });
    await expect(refundHeldPayment({ ...deps, orders: crashing, stripe }, 'ord_1')).rejects.toThrow('the store failed');
    expect(await refundHeldPayment({ ...deps, stripe }, 'ord_1')).toMatchObject({
      refundId: 're_1',
      after: 'refunded',
      refundStatus: 'succeeded',
    });
    expect(stripe.refunds).toHaveLength(1);
  });

  it('Stripe down: the order stays held; run again, it is refunded', async () => {
    const { deps, stripe, orders } = await heldScene();
    stripe.failNext();
    await expect(refundHeldPayment({ ...deps, stripe }, 'ord_1')).rejects.toMatchObject({ name: 'StripeApiError', retryable: true });
    expect((await orders.read('ord_1')).status).toBe('payment_mismatch');
    expect(await refundHeldPayment({ ...deps, stripe }, 'ord_1')).toMatchObject({ after: 'refunded' });
  });

  it("the held payment's own events after the refund change nothing and raise no alarm", async () => {
    const { deps, stripe } = await heldScene();
    await refundHeldPayment({ ...deps, stripe }, 'ord_1');
    expect(await recordPayment(deps, held())).toEqual({ orderId: 'ord_1', status: 'refunded', fulfil: false, signals: [] });
    expect(
      await recordPayment(deps, held({ eventId: 'evt_pi', eventType: 'payment_intent.succeeded', stripeSessionId: undefined })),
    ).toMatchObject({ signals: [] });
  });

  it("Stripe's refund events for the operator's refund leave the order refunded, with no petals taken or given", async () => {
    const { deps, stripe, orders, ledger, invoices, settle } = await heldScene();
    const { refundId } = await refundHeldPayment({ ...deps, stripe }, 'ord_1');
    const refundDeps = { ...deps, invoices };
    const base = {
      created: 1_764_158_500,
      livemode: false,
      kind: 'refund' as const,
      chargeId: 'ch_1',
      paymentIntentId: 'pi_1',
      currency: 'usd',
    };
    // charge.refunded: all that was charged (5000 of the order's 10000) is refunded; metadata names the order
    const charged = {
      ...base,
      eventId: 'evt_refunded',
      eventType: 'charge.refunded',
      orderId: 'ord_1',
      amount: 5000,
      amountRefunded: 5000,
    };
    expect(await recordRefund(refundDeps, charged)).toMatchObject({ apply: true, status: 'refunded', amountRefunded: 5000 });
    expect(await recordRefund(refundDeps, charged)).toMatchObject({ apply: true, status: 'refunded' });
    const succeeded = {
      ...base,
      eventId: 'evt_re',
      eventType: 'refund.updated',
      refunds: [{ refundId, amount: 5000, status: 'succeeded' }],
    };
    expect(await recordRefund(refundDeps, succeeded)).toMatchObject({ apply: true, status: 'refunded' });
    expect(await settle()).toMatchObject({ awarded: 0, deducted: 0, written: [] });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'refunded', holdResolution: { action: 'refunded', refundId } });
    expect(await ledger.entries('user_1')).toEqual([]);
  });

  it("the operator's refund failing at Stripe puts the money back on hold: the order is held again, for the operator", async () => {
    const { deps, stripe, orders, ledger, invoices, settle } = await heldScene();
    const { refundId } = await refundHeldPayment({ ...deps, stripe }, 'ord_1');
    const failed = {
      eventId: 'evt_re_failed',
      eventType: 'refund.failed',
      created: 1_764_158_600,
      livemode: false,
      kind: 'refund' as const,
      paymentIntentId: 'pi_1',
      currency: 'usd',
      refunds: [{ refundId, amount: 5000, status: 'failed' }],
    };
    expect(await recordRefund({ ...deps, invoices }, failed)).toMatchObject({ apply: true, status: 'payment_mismatch', amountRefunded: 0 });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'payment_mismatch', heldPayment: { eventId: 'evt_under' } });
    expect((await orders.read('ord_1')).holdResolution).toBeUndefined();
    expect(await settle()).toMatchObject({ awarded: 0, written: [] });
    expect(await ledger.entries('user_1')).toEqual([]);
  });

  it('a held event without a payment intent is refused: refund it in the Dashboard', async () => {
    const { deps, stripe } = await heldScene(held({ paymentIntentId: undefined }));
    await expect(refundHeldPayment({ ...deps, stripe }, 'ord_1')).rejects.toThrow(/Stripe Dashboard/);
    expect(stripe.refunds).toEqual([]);
  });

  it('an accepted order is not refunded here', async () => {
    const { deps, stripe } = await heldScene();
    await acceptHeldPayment(deps, 'ord_1');
    await expect(refundHeldPayment({ ...deps, stripe }, 'ord_1')).rejects.toMatchObject({ name: 'HoldNotResolvable' });
  });
});
