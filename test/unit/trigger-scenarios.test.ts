import type { Order } from '../../lambdas/domain/order';
import { amountRefundedOf, CHARGE_TOTAL, mergeRefunds, type RefundLedger } from '../../lambdas/domain/refunds';
import { refundIdOf, runTriggerScenario, type TriggerDeps } from '../../scripts/lib/trigger-scenarios';
import type { Storefront } from '../fixtures/storefront';
import { chargeIdOf, type StripeEventEnvelope } from '../fixtures/stripe-events';

type Obj = Record<string, unknown>;

/**
 * The scenarios against a fake pipeline: the order's refund ledger as the refund workflow keeps it
 * (charge.refunded gives the charge's cumulative amount, refund.* one refund by id), and the inbox's
 * charge.refunded figures, so that several runs continue one order as `--order` does.
 */
function fakePipeline() {
  const paymentIntentId = 'pi_3Scene000000000000000001';
  const order = {
    orderId: 'ord_scene',
    userId: 'user_scene',
    status: 'in_production',
    amountTotal: 4999,
    currency: 'usd',
    paymentIntentId,
    items: [],
  } as unknown as Order;
  const sent: StripeEventEnvelope[] = [];
  const inbox: number[] = [];
  const deps: TriggerDeps = {
    storefront: {} as Storefront,
    readOrder: async () => structuredClone(order),
    async send(event) {
      sent.push(event);
      const object = event.data.object as Obj;
      let incoming: RefundLedger;
      if (event.type === 'charge.refunded') {
        inbox.push(object.amount_refunded as number);
        incoming = { [CHARGE_TOTAL]: { amount: object.amount_refunded as number, status: 'succeeded', at: event.created } };
      } else {
        incoming = { [object.id as string]: { amount: object.amount as number, status: object.status as string, at: event.created } };
      }
      order.refunds = mergeRefunds(order.refunds, incoming);
      order.amountRefunded = amountRefundedOf(order.refunds);
      order.status = order.amountRefunded >= order.amountTotal ? 'refunded' : 'in_production';
      return { status: 200, outcome: 'started', executionStatus: 'SUCCEEDED' };
    },
    printifyUrl: 'http://127.0.0.1:1',
    log: () => undefined,
    refundHistory: async (pi) => (pi === paymentIntentId ? [...inbox] : []),
  };
  const run = (type: string, amount?: number) => runTriggerScenario(type, { order: order.orderId, ...(amount ? { amount } : {}) }, deps);
  return { order, sent, deps, run, paymentIntentId };
}

describe('trigger scenarios: one charge, refunds with their own ids and amounts', () => {
  it("keeps the charge id across a payment intent's events, and fails the latest refund with its own amount", async () => {
    const { order, sent, run, paymentIntentId } = fakePipeline();
    await run('charge.refunded', 1000);
    await run('charge.refunded', 500);
    expect(order.amountRefunded).toBe(1500);
    const failed = await run('refund.failed');
    expect(failed.sent?.type).toBe('refund.failed');

    const objects = sent.map((e) => e.data.object as Obj);
    expect(objects.map((o) => (o.object === 'charge' ? o.id : o.charge))).toEqual(Array(3).fill(chargeIdOf(paymentIntentId)));
    expect(objects.slice(0, 2).map((o) => o.amount_refunded)).toEqual([1000, 1500]);
    // the second refund fails: its own id and its 500, not the charge's cumulative 1500
    expect(objects[2]).toMatchObject({ object: 'refund', id: refundIdOf(paymentIntentId, 2), amount: 500, status: 'failed' });
    expect(order.amountRefunded).toBe(1000);

    // the latest refund that still counts is now the first: refund.updated updates it
    await run('refund.updated');
    expect(sent.at(-1)?.data.object).toMatchObject({ id: refundIdOf(paymentIntentId, 1), amount: 1000, status: 'succeeded' });
    expect(order.amountRefunded).toBe(1000);
  });

  it('refunds first when nothing is refunded, then fails or updates that refund', async () => {
    const failing = fakePipeline();
    await failing.run('refund.failed', 700);
    expect(failing.sent.map((e) => e.type)).toEqual(['charge.refunded', 'refund.failed']);
    expect(failing.sent[1]!.data.object).toMatchObject({
      id: refundIdOf(failing.paymentIntentId, 1),
      amount: 700,
      charge: chargeIdOf(failing.paymentIntentId),
    });
    expect(failing.order.amountRefunded).toBe(0);

    const updating = fakePipeline();
    await updating.run('charge.refund.updated');
    expect(updating.sent.map((e) => e.type)).toEqual(['charge.refunded', 'charge.refund.updated']);
    expect(updating.sent[1]!.data.object).toMatchObject({ id: refundIdOf(updating.paymentIntentId, 1), amount: 4999 });
    expect(updating.order).toMatchObject({ amountRefunded: 4999, status: 'refunded' });
  });

  it('without the inbox, an order refunded by an earlier run is known by its ledger', async () => {
    const { order, sent, deps, run, paymentIntentId } = fakePipeline();
    await run('charge.refunded', 1200);
    delete deps.refundHistory;
    await run('refund.failed');
    // the cumulative figure as one refund: all that can be told
    expect(sent.at(-1)?.data.object).toMatchObject({ amount: 1200, status: 'failed', charge: chargeIdOf(paymentIntentId) });
    expect(order.amountRefunded).toBe(0);
  });
});
