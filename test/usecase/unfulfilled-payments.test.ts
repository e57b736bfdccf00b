import type { PaymentInput } from '../../lambdas/domain/workflow-input';
import { acceptUnfulfilledPayment, HoldNotResolvableError, refundUnfulfilledPayment } from '../../lambdas/fulfilment/hold';
import { recordPayment } from '../../lambdas/fulfilment/payments';
import { recordRefund } from '../../lambdas/fulfilment/refunds';
import { holdLines, resolveCommands } from '../../scripts/ops/held';
import { anOrder, memoryPorts } from '../support/fakes';
import { FakeStripeApi } from '../support/fakes/stripe-api';

// Every extra charge of an order stays listed (money3 item 1): an order paid three times keeps
// both extra payments, each signalled, each resolvable by its payment intent.

const paid = (eventId: string, paymentIntentId: string, overrides: Partial<PaymentInput> = {}): PaymentInput => ({
  eventId,
  eventType: 'payment_intent.succeeded',
  created: 1_764_158_400,
  livemode: false,
  kind: 'payment',
  orderId: 'ord_1',
  paid: true,
  paymentIntentId,
  amountTotal: 10000,
  currency: 'usd',
  ...overrides,
});

async function scene(overrides: Record<string, unknown> = {}) {
  const ports = memoryPorts();
  await ports.orders.put(anOrder({ amountTotal: 10000, currency: 'usd', ...overrides }));
  const deps = { orders: ports.orders, now: ports.clock.now };
  return { ...ports, deps };
}

describe('unfulfilled payments: every extra charge stays listed', () => {
  it('paid three times one after another: both extra payments are kept, each signalled', async () => {
    const { deps, orders } = await scene();
    expect((await recordPayment(deps, paid('evt_1', 'pi_1'))).fulfil).toBe(true);
    expect((await recordPayment(deps, paid('evt_2', 'pi_2'))).signals).toEqual([{ kind: 'paid-not-fulfilled' }]);
    expect((await recordPayment(deps, paid('evt_3', 'pi_3'))).signals).toEqual([{ kind: 'paid-not-fulfilled' }]);
    const order = await orders.read('ord_1');
    expect(Object.keys(order.unfulfilledPayments ?? {}).sort()).toEqual(['pi_2', 'pi_3']);
    expect(order.unfulfilledPayments?.pi_2).toMatchObject({ eventId: 'evt_2', amountTotal: 10000, currency: 'usd' });
  });

  it('paid three times concurrently: the extra payments are all kept', async () => {
    const { deps, orders } = await scene();
    await recordPayment(deps, paid('evt_1', 'pi_1'));
    const results = await Promise.all(['2', '3', '4', '5'].map((n) => recordPayment(deps, paid(`evt_${n}`, `pi_${n}`))));
    expect(results.every((r) => r.signals.some((s) => s.kind === 'paid-not-fulfilled'))).toBe(true);
    expect(Object.keys((await orders.read('ord_1')).unfulfilledPayments ?? {}).sort()).toEqual(['pi_2', 'pi_3', 'pi_4', 'pi_5']);
  });

  it('the other event of the same extra payment (or a retry) is kept once, as first recorded', async () => {
    const { deps, orders } = await scene();
    await recordPayment(deps, paid('evt_1', 'pi_1'));
    await recordPayment(deps, paid('evt_2', 'pi_2'));
    await recordPayment(deps, paid('evt_2b', 'pi_2', { eventType: 'checkout.session.completed', stripeSessionId: 'cs_2' }));
    const order = await orders.read('ord_1');
    expect(order.unfulfilledPayments).toEqual({ pi_2: expect.objectContaining({ eventId: 'evt_2' }) });
  });

  it('an order written with the old single field keeps that payment when another arrives', async () => {
    const legacy = {
      eventId: 'evt_old',
      paymentIntentId: 'pi_old',
      amountTotal: 10000,
      currency: 'usd',
      reason: 'old',
      at: '2026-01-01T00:00:00.000Z',
    };
    const { deps, orders } = await scene({ status: 'paid', paymentIntentId: 'pi_1', paidByEventId: 'evt_1', unfulfilledPayment: legacy });
    await recordPayment(deps, paid('evt_2', 'pi_2'));
    const order = await orders.read('ord_1');
    expect(Object.keys(order.unfulfilledPayments ?? {}).sort()).toEqual(['pi_2', 'pi_old']);
    expect(resolveCommands(order).join('\n')).toContain('hold refund ord_1 pi_old');
  });

  it('ops order and ops held show every one, with a command per payment intent', async () => {
    const { deps, orders } = await scene();
    for (const n of ['1', '2', '3']) await recordPayment(deps, paid(`evt_${n}`, `pi_${n}`));
    const order = await orders.read('ord_1');
    const lines = holdLines(order as unknown as Record<string, unknown>).join('\n');
    expect(lines).toContain('paid, not fulfilled: pi_2 (event evt_2)');
    expect(lines).toContain('paid, not fulfilled: pi_3 (event evt_3)');
    expect(resolveCommands(order)).toEqual(
      expect.arrayContaining([expect.stringContaining('hold refund ord_1 pi_2'), expect.stringContaining('hold refund ord_1 pi_3')]),
    );
  });

  it('ops hold refund <order> <pi> refunds that payment once and only it; ops hold accept keeps another', async () => {
    const { deps, orders } = await scene();
    for (const n of ['1', '2', '3']) await recordPayment(deps, paid(`evt_${n}`, `pi_${n}`));
    const stripe = new FakeStripeApi();
    stripe.charge('pi_2', 10000, 'usd');
    const refunded = await refundUnfulfilledPayment({ ...deps, stripe }, 'ord_1', 'pi_2');
    expect(refunded).toMatchObject({ key: 'pi_2', action: 'refunded', amount: 10000, currency: 'usd' });
    expect((await refundUnfulfilledPayment({ ...deps, stripe }, 'ord_1', 'pi_2')).refundStatus).toBe('already refunded');
    expect(stripe.refunds).toHaveLength(1);
    await acceptUnfulfilledPayment(deps, 'ord_1', 'pi_3');
    const order = await orders.read('ord_1');
    expect(order.status).toBe('paid');
    expect(order.unfulfilledPayments?.pi_2?.resolution).toMatchObject({ action: 'refunded', refundId: refunded.refundId });
    expect(order.unfulfilledPayments?.pi_3?.resolution).toMatchObject({ action: 'accepted' });
    expect(resolveCommands(order)).toEqual([]);
    await expect(acceptUnfulfilledPayment(deps, 'ord_1', 'pi_9')).rejects.toThrow(HoldNotResolvableError);
  });

  it("Stripe's charge.refunded for a refunded extra payment leaves the order alone and raises no mismatch", async () => {
    const { deps, orders, invoices } = await scene();
    for (const n of ['1', '2']) await recordPayment(deps, paid(`evt_${n}`, `pi_${n}`));
    const stripe = new FakeStripeApi();
    stripe.charge('pi_2', 10000, 'usd');
    await refundUnfulfilledPayment({ ...deps, stripe }, 'ord_1', 'pi_2');
    const before = await orders.read('ord_1');
    const refunded = await recordRefund(
      { ...deps, invoices },
      {
        eventId: 'evt_refund_pi_2',
        eventType: 'charge.refunded',
        created: 1_764_158_500,
        livemode: false,
        kind: 'refund',
        chargeId: 'ch_2',
        paymentIntentId: 'pi_2',
        orderId: 'ord_1',
        amountRefunded: 10000,
        amount: 10000,
        currency: 'usd',
      },
    );
    expect(refunded).toMatchObject({ apply: false, owner: 'unfulfilled', signals: [] });
    expect(await orders.read('ord_1')).toEqual(before);
  });
});
