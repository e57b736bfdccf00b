import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { executionArnFor } from '../../lambdas/adapters/workflow-starter';
import { keys } from '../../lambdas/domain/keys';
import { routeStripeEvent } from '../../lambdas/domain/stripe-events';
import { checkoutSession, paidInvoice, stripeEvent, stripeId } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';
import { opsAgainst } from '../support/ops';

/**
 * The operator's view of unfinished work against the local stack: `ops events --unfinished` lists
 * accepted events whose execution is missing or failed, `ops reconcile` finishes them (start,
 * redrive or replay), and `ops order` still shows an order whose execution is gone. Its own
 * pipeline: reconcile sweeps the whole inbox.
 */

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

const ops = opsAgainst(() => pipeline);

/**
 * An event the webhook accepted and marked started whose execution is gone, as a local run killed
 * mid-burst leaves it: the inbox item exactly as the webhook writes it, and no execution.
 */
async function lostEvent() {
  const order = await pipeline.storefront.checkoutScene();
  const event = stripeEvent(
    'checkout.session.completed',
    checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
  );
  const decision = routeStripeEvent(event);
  if (decision.action !== 'start') throw new Error(`expected a workflow start, got ${decision.action}`);
  const executionArn = executionArnFor(pipeline.stack.stateMachineArns[decision.workflow], event.id);
  const receivedAt = new Date(Date.now() - 60 * 60_000).toISOString();
  await pipeline.db.send(
    new PutCommand({
      TableName: pipeline.stack.tableName,
      Item: {
        ...keys.stripeEvent(event.id),
        eventId: event.id,
        type: event.type,
        livemode: false,
        workflow: decision.workflow,
        orderId: order.orderId,
        input: decision.input,
        receivedAt,
        executionArn,
        startedAt: receivedAt,
      },
    }),
  );
  return { order, event, executionArn };
}

const unfinishedIds = async () =>
  ((await ops('events', '--unfinished', '--json')).json as { eventId: string; reason: string }[]).map((e) => [e.eventId, e.reason]);

describe('an accepted event whose execution is gone', () => {
  it('ops order shows the order with the execution MISSING; events --unfinished lists it; reconcile --dry-run changes nothing; reconcile finishes it once', async () => {
    const { order, event, executionArn } = await lostEvent();

    const shown = await ops('order', order.orderId, '--json');
    expect(shown.err).toBe('');
    expect(shown.json).toMatchObject({ order: { orderId: order.orderId, status: 'pending' }, ledger: [], emails: [] });
    expect(shown.json.executions).toEqual([expect.objectContaining({ eventId: event.id, executionArn, status: 'MISSING', steps: [] })]);
    const text = await ops('order', order.orderId);
    expect(text.out).toContain('MISSING');

    expect(await unfinishedIds()).toContainEqual([event.id, 'missing']);
    const listed = await ops('events', '--unfinished');
    expect(listed.out).toMatch(new RegExp(`missing\\s+fulfilment\\s+${event.id}`));

    const dry = await ops('reconcile', '--dry-run', '--json');
    expect(dry.json).toContainEqual(expect.objectContaining({ eventId: event.id, reason: 'missing', action: 'start', done: false }));
    expect(pipeline.stack.stepFunctions.knows(pipeline.stack.stateMachineArns.fulfilment, event.id)).toBe(false);

    const done = await ops('reconcile', '--json');
    expect(done.json).toContainEqual({ eventId: event.id, reason: 'missing', action: 'start', executionArn, done: true });
    expect((await pipeline.stack.stepFunctions.waitFor(executionArn)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
    expect(await pipeline.ledger(order.userId)).toHaveLength(1);
    expect(pipeline.stack.printify.orders().filter((o) => o.external_id === order.orderId)).toHaveLength(1);

    expect(await unfinishedIds()).not.toContainEqual([event.id, expect.anything()]);
    const again = await ops('reconcile', '--json');
    expect(again.json.map((a: { eventId: string }) => a.eventId)).not.toContain(event.id);
  });
});

describe('accepted events whose execution failed', () => {
  it('reconcile redrives a redrivable failure and replays one that ended in a Fail state; both finish', async () => {
    // a subscription payment that fails on a corrupt balance (redrivable from the failed task)
    const userId = `user_${stripeId('x').slice(2, 10)}`;
    await pipeline.db.send(
      new PutCommand({ TableName: pipeline.stack.tableName, Item: { ...keys.petalBalance(userId), balance: 'corrupt' } }),
    );
    const invoice = stripeEvent('invoice.payment_succeeded', paidInvoice({ userId, amountPaid: 1200 }));
    expect((await pipeline.deliver(invoice)).status).toBe('FAILED');
    // an order whose Printify order was refused once: the workflow ends in its Fail state
    const order = await pipeline.storefront.checkoutScene();
    pipeline.stack.printify.fail({ status: 422, times: 1 });
    const session = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    expect((await pipeline.deliver(session)).status).toBe('FAILED');

    const unfinished = await unfinishedIds();
    expect(unfinished).toContainEqual([invoice.id, 'FAILED']);
    expect(unfinished).toContainEqual([session.id, 'FAILED']);

    await pipeline.db.send(new PutCommand({ TableName: pipeline.stack.tableName, Item: { ...keys.petalBalance(userId), balance: 0 } }));
    const actions = (await ops('reconcile', '--json')).json as { eventId: string; action: string; executionArn: string; done: boolean }[];
    const invoiceAction = actions.find((a) => a.eventId === invoice.id)!;
    const sessionAction = actions.find((a) => a.eventId === session.id)!;
    expect(invoiceAction).toMatchObject({ action: 'redrive', done: true });
    expect(sessionAction).toMatchObject({ action: 'replay', done: true, executionArn: expect.stringContaining(`${session.id}-replay-1`) });
    expect((await pipeline.stack.stepFunctions.waitFor(invoiceAction.executionArn)).status).toBe('SUCCEEDED');
    expect((await pipeline.stack.stepFunctions.waitFor(sessionAction.executionArn)).status).toBe('SUCCEEDED');
    expect(await pipeline.balance(userId)).toBe(12);
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');

    const left = await unfinishedIds();
    expect(left.map(([id]) => id)).not.toEqual(expect.arrayContaining([invoice.id]));
    expect(left.map(([id]) => id)).not.toEqual(expect.arrayContaining([session.id]));
  });

  it('events needs --unfinished, and a bad --stuck-after is refused (bad usage: exit 2)', async () => {
    expect(await ops('events', '--json')).toMatchObject({ code: 2, json: { error: expect.stringContaining('--unfinished') } });
    expect(await ops('events', '--unfinished', '--stuck-after', 'soon', '--json')).toMatchObject({
      code: 2,
      json: { error: expect.stringContaining('--stuck-after soon') },
    });
  });
});
