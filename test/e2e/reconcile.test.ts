import type { ListedStripeEvent } from '../../lambdas/adapters/stripe-events-api';
import type { ReconcileResult } from '../../lambdas/reconciler/use-case';
import { runOps } from '../../scripts/ops/cli';
import { checkoutSession, stripeEvent } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

/** Issue 13.4: events Stripe holds but never delivered are processed once by a reconciler run. */
describe('reconciliation with Stripe (the Stripe API stand-in and the reconciler Lambda)', () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    // no grace: the events of this test are seconds old
    pipeline = await LocalPipeline.start({ environment: { RECONCILER_GRACE_SECONDS: '0' } });
  }, 120_000);
  afterAll(async () => pipeline?.stop());

  const reconciler = () => {
    const lambda = [...pipeline.stack.lambdas.values()].find((l) => l.fn.entry === 'lambdas/reconciler/handler.ts');
    if (!lambda) throw new Error('the stack has no reconciler Lambda');
    return lambda;
  };
  const reconcile = async (payload: object = {}) => (await reconciler().invoke(payload)) as ReconcileResult;

  async function paidEvent() {
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    return { order, event };
  }

  test('the stand-in holds every correctly signed event sent to the webhook, and none that is not', async () => {
    const { event } = await paidEvent();
    await pipeline.deliver(event);
    const forged = stripeEvent('checkout.session.completed', { id: 'cs_forged' });
    expect((await pipeline.send(forged, { secret: 'whsec_someone_else' })).status).toBe(400);
    const held = pipeline.stack.stripeApi.events().map((e) => e.id);
    expect(held).toContain(event.id);
    expect(held).not.toContain(forged.id);
  });

  test('events held by Stripe but never delivered are processed once by a run; a second run does nothing', async () => {
    const delivered = await paidEvent();
    await pipeline.deliver(delivered.event);
    const missed = [await paidEvent(), await paidEvent()];
    for (const { event } of missed) pipeline.stack.stripeApi.add(event as unknown as ListedStripeEvent);
    const since = Math.floor(Date.now() / 1000) - 60;

    const first = await reconcile({ since });

    expect(first.failed).toEqual([]);
    expect(first.missed.map((m) => m.eventId).sort()).toEqual(missed.map((m) => m.event.id).sort());
    expect(first.known).toBeGreaterThanOrEqual(1); // the delivered one (and any earlier test's)
    for (const { order, event } of missed) {
      expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
      expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
      expect(await pipeline.stripeEventRecord(event.id)).toMatchObject({
        type: 'checkout.session.completed',
        executionArn: pipeline.executionArn('fulfilment', event.id),
      });
    }
    await pipeline.stack.stepFunctions.idle();
    const items = await pipeline.allItems();
    const executions = pipeline.stack.stepFunctions.listExecutions().length;

    const second = await reconcile({ since });

    expect(second).toMatchObject({ missed: [], failed: [], known: first.known + first.missed.length });
    await pipeline.stack.stepFunctions.idle();
    expect(pipeline.stack.stepFunctions.listExecutions()).toHaveLength(executions);
    expect(await pipeline.allItems()).toEqual(items);
    const printifyOrders = pipeline.stack.printify.orders();
    for (const { order } of missed) expect(printifyOrders.filter((o) => o.external_id === order.orderId)).toHaveLength(1);
  });

  test('a scheduled run (no `since`) writes its checkpoint; the next run lists from it and delivers what is new', async () => {
    const first = await reconcile();
    expect(first.failed).toEqual([]);
    expect(first.checkpoint).toBe(first.window.to + 1);
    // Stripe's `created` is in seconds: wait for a second after the first window (with a deadline)
    const deadline = Date.now() + 5_000;
    while (Math.floor(Date.now() / 1000) <= first.window.to) {
      if (Date.now() > deadline) throw new Error('the clock did not move on');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { order, event } = await paidEvent();
    pipeline.stack.stripeApi.add(event as unknown as ListedStripeEvent);

    const next = await reconcile();

    expect(next.window.from).toBe(first.checkpoint);
    expect(next.missed.map((m) => m.eventId)).toEqual([event.id]);
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });

  test('`ops reconcile --stripe --since 3d` runs the same use case by hand, and a second run starts nothing', async () => {
    const { order, event } = await paidEvent();
    pipeline.stack.stripeApi.add(event as unknown as ListedStripeEvent);
    const ops = async () => {
      let out = '';
      const code = await runOps(
        [
          'reconcile',
          '--stripe',
          '--since',
          '3d',
          '--json',
          '--sfn-endpoint',
          pipeline.stack.urls.sfn,
          '--dynamodb-endpoint',
          pipeline.stack.urls.dynamodb,
          '--table',
          pipeline.stack.tableName,
          '--stripe-api-url',
          pipeline.stack.urls.stripeApi,
        ],
        { out: (t) => (out += t), err: (t) => (out += t) },
      );
      return { code, result: JSON.parse(out) as ReconcileResult };
    };

    const first = await ops();
    expect(first.code).toBe(0);
    expect(first.result.missed.map((m) => m.eventId)).toEqual([event.id]);
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');

    const second = await ops();
    expect(second.code).toBe(0);
    expect(second.result).toMatchObject({ missed: [], failed: [] });
  });
});
