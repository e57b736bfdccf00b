import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../lambdas/domain/keys';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../../../local/dynamodb-local';
import { LOCAL_REGION } from '../../../local/stack-template';
import type { LocalExecution } from '../../../local/step-functions-service';
import {
  boundMs,
  checkOutcomes,
  deliverOrder,
  planOrder,
  pool,
  sessionCompleted,
  SIZE,
  within,
  type SentEvent,
  type ReliabilityEnv,
} from '../support';

/**
 * Printify and SES failing in the ways they do (5xx, 429, slow, accepting then timing out,
 * throttling, an outage), on the local pipeline with the harness's fast retries.
 */

const taskFailures = (execution: LocalExecution, state: string) =>
  execution.history.filter((h) => h.type === 'TaskFailed' && h.name === state).length;

export function faultCases(env: () => ReliabilityEnv): void {
  /** One paid order through the pipeline; its execution and the usual exactly-once checks. */
  async function oneOrder() {
    const p = await planOrder(env().pipeline, 'paid');
    const event = sessionCompleted(p);
    const execution = await within(60_000, 'the execution', env().pipeline.deliver(event));
    const sent: SentEvent[] = [{ event, workflow: 'fulfilment', status: 200 }];
    return { p, event, execution, sent };
  }

  afterEach(() => {
    env().pipeline.stack.printify.reset();
    env().ses.heal();
  });

  describe('Printify failing', () => {
    test.each([
      ['500 Internal Server Error, three times', { status: 500, times: 3 }],
      ['429 Too Many Requests, three times', { status: 429, times: 3 }],
      ['502 Bad Gateway, then 503, then 429', { status: 502, times: 1 }],
    ])('%s: retried, then one Printify order and the order in production', async (name, fault) => {
      const { pipeline } = env();
      pipeline.stack.printify.fail(fault);
      if (name.startsWith('502')) {
        pipeline.stack.printify.fail({ status: 503, times: 1 });
        pipeline.stack.printify.fail({ status: 429, times: 1 });
      }
      const { p, execution, sent } = await oneOrder();
      expect(execution.status).toBe('SUCCEEDED');
      expect(taskFailures(execution, 'Create Printify order')).toBe(3);
      expect(await checkOutcomes(pipeline, [p], sent)).toEqual([]);
    });

    test("slow (answers after 600 ms, within the client's timeout): one order, no retry needed", async () => {
      const { pipeline } = env();
      pipeline.stack.printify.fail({ delayMs: 600, times: 1 });
      const { p, execution, sent } = await oneOrder();
      expect(execution.status).toBe('SUCCEEDED');
      expect(taskFailures(execution, 'Create Printify order')).toBe(0);
      expect(await checkOutcomes(pipeline, [p], sent)).toEqual([]);
    });

    test('slower than the client waits (2.5 s): timed out, retried, one order', async () => {
      const { pipeline } = env();
      pipeline.stack.printify.fail({ delayMs: 2500, times: 1 });
      const { p, execution, sent } = await oneOrder();
      expect(execution.status).toBe('SUCCEEDED');
      expect(taskFailures(execution, 'Create Printify order')).toBeGreaterThanOrEqual(1);
      expect(await checkOutcomes(pipeline, [p], sent)).toEqual([]);
    });

    test('accepts the order, then the answer times out: the retry finds it by external_id, no second order', async () => {
      const { pipeline } = env();
      pipeline.stack.printify.fail({ acceptThenDelayMs: 2500, times: 1 });
      const { p, execution, sent } = await oneOrder();
      expect(execution.status).toBe('SUCCEEDED');
      expect(taskFailures(execution, 'Create Printify order')).toBeGreaterThanOrEqual(1);
      // exactly one create reached Printify, and exactly one order exists there
      const creates = pipeline.stack.printify.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/orders.json'));
      expect(creates).toHaveLength(1);
      expect(await checkOutcomes(pipeline, [p], sent)).toEqual([]);
    });

    test('down for longer than the retries last: the order is fulfillment_failed, petals and email still happen, the execution fails visibly', async () => {
      const { pipeline } = env();
      pipeline.stack.printify.fail({ status: 500, times: 50 });
      const { p, execution } = await oneOrder();
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('FulfilmentIncomplete');
      expect((await pipeline.order(p.order.orderId))?.status).toBe('fulfillment_failed');
      expect(await pipeline.balance(p.order.userId)).toBe(p.expectedPetals);
      expect(await pipeline.emailsTo(p.email)).toHaveLength(1);
      expect(pipeline.stack.printify.orders()).toHaveLength(0);
    });

    test(
      `${SIZE.faultyOrders} orders at once, the first create of each refused with 500 or 429: all in production, one Printify order each`,
      async () => {
        const { pipeline, printify } = env();
        const planned = await pool(Array.from({ length: SIZE.faultyOrders }), 8, () => planOrder(pipeline, 'paid'));
        printify.flaky(true);
        let sent: SentEvent[];
        try {
          sent = (
            await within(
              boundMs(SIZE.faultyOrders),
              'sending',
              pool(planned, SIZE.concurrency, (p, i) => deliverOrder(pipeline, p, i)),
            )
          ).flat();
          expect(sent.filter((s) => s.status !== 200)).toEqual([]);
          await within(boundMs(SIZE.faultyOrders), 'the executions', pipeline.stack.stepFunctions.idle());
        } finally {
          printify.flaky(false);
        }
        expect(printify.refused()).toBe(SIZE.faultyOrders);
        expect(await checkOutcomes(pipeline, planned, sent)).toEqual([]);
      },
      boundMs(SIZE.faultyOrders) * 2,
    );
  });

  describe('SES failing', () => {
    test('throttled for a moment (more failures than the SDK retries alone): the pacer waits a window and sends the email once', async () => {
      const { pipeline, ses } = env();
      ses.fail('throttling', 4);
      const { p, execution, sent } = await oneOrder();
      expect(ses.failed()).toBeGreaterThanOrEqual(4);
      expect(execution.status).toBe('SUCCEEDED');
      expect(await checkOutcomes(pipeline, [p], sent)).toEqual([]);
    }, 120_000);

    test("down for longer than the retries last: the rest completes, the execution fails visibly; Stripe's redelivery is a duplicate; the operator's replay sends the email once", async () => {
      const { pipeline, ses } = env();
      ses.fail('internal');
      const { p, event, execution } = await oneOrder();
      // what could be done was done: Printify, petals, cart; the email is not sent, and it says so
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('FulfilmentIncomplete');
      expect((await pipeline.order(p.order.orderId))?.status).toBe('in_production');
      expect(pipeline.stack.printify.orders().filter((o) => o.external_id === p.order.orderId)).toHaveLength(1);
      expect(await pipeline.balance(p.order.userId)).toBe(p.expectedPetals);
      expect(await pipeline.emailsTo(p.email)).toHaveLength(0);
      const { Item: outbox } = await pipeline.db.send(
        new GetCommand({
          TableName: pipeline.stack.tableName,
          Key: keys.email(p.order.orderId, 'order-confirmation'),
          ConsistentRead: true,
        }),
      );
      expect(outbox?.status).toBe('failed');

      // Stripe delivering the event again does not re-run it: the webhook deduplicates events
      ses.heal();
      const again = await pipeline.send(event);
      expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
      await pipeline.stack.stepFunctions.idle();
      expect(await pipeline.emailsTo(p.email)).toHaveLength(0);

      // Completing it is the operator's replay (`npm run ops -- replay <event id>`: the same input as
      // a new execution, <event id>-replay-<n>; a redrive would only reach the Fail state again).
      // Every step is idempotent, so it sends the missing email and repeats nothing else.
      const sfn = new SFNClient({ endpoint: pipeline.stack.urls.sfn, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS });
      try {
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn: pipeline.stack.stateMachineArns.fulfilment,
            name: `${event.id}-replay-1`,
            input: execution.input,
          }),
        );
      } finally {
        sfn.destroy();
      }
      const replay = await within(
        60_000,
        'the replay',
        pipeline.stack.stepFunctions.waitFor(pipeline.executionArn('fulfilment', `${event.id}-replay-1`)),
      );
      expect(replay.status).toBe('SUCCEEDED');
      expect(await checkOutcomes(pipeline, [p], [{ event, workflow: 'fulfilment', status: 200 }], [event.id])).toEqual([]);
    });
  });
}
