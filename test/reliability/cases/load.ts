import { newUserId } from '../../fixtures/storefront';
import {
  boundMs,
  checkOutcomes,
  deliverOrder,
  intentSucceeded,
  kindFor,
  planOrder,
  pool,
  sessionCompleted,
  SIZE,
  within,
  type PlannedOrder,
  type SentEvent,
  type ReliabilityEnv,
} from '../support';

/**
 * A flash sale on the local pipeline: many distinct orders at once, and one event delivered many
 * times at once. Sizes: test/reliability/support.ts (small in `npm test`, full in
 * `npm run test:reliability`). No timing thresholds here: figures belong to `npm run bench`.
 */
export function loadCases(env: () => ReliabilityEnv): void {
  test(
    `load: ${SIZE.orders} distinct orders at concurrency ${SIZE.concurrency} each end in their expected status; ledger exact, nothing lost or doubled`,
    async () => {
      const { pipeline } = env();
      // about four orders per customer, so that their petal balances are written concurrently
      const users = Array.from({ length: Math.ceil(SIZE.orders / 4) }, () => newUserId());
      const planned: PlannedOrder[] = await pool(Array.from({ length: SIZE.orders }), 16, (_, i) =>
        planOrder(pipeline, kindFor(i), users[i % users.length]),
      );

      const sent: SentEvent[] = (
        await within(
          boundMs(SIZE.orders),
          'sending the orders',
          pool(planned, SIZE.concurrency, (p, i) => deliverOrder(pipeline, p, i)),
        )
      ).flat();
      const refused = sent.filter((s) => s.status !== 200);
      expect(refused.map((s) => `${s.event.type} ${s.event.id}: ${s.status}`)).toEqual([]);
      await within(boundMs(SIZE.orders), 'waiting for every execution', pipeline.stack.stepFunctions.idle());

      expect(await checkOutcomes(pipeline, planned, sent)).toEqual([]);
      // the totals, once more from the other side: every Printify order and email belongs to one order
      expect(pipeline.stack.printify.orders()).toHaveLength(planned.reduce((s, p) => s + p.expectedPrintifyOrders, 0));
      expect(await pipeline.stack.ses.sentEmails()).toHaveLength(planned.reduce((s, p) => s + p.expectedEmails, 0));
    },
    boundMs(SIZE.orders) * 2 + 60_000,
  );

  describe(`duplicate storm: one event delivered ${SIZE.storm} times at once`, () => {
    test('one execution, one Printify order, one ledger entry, one email', async () => {
      const { pipeline } = env();
      const p = await planOrder(pipeline, 'paid');
      const event = sessionCompleted(p);
      const answers = await within(
        boundMs(SIZE.storm),
        'the storm',
        Promise.all(Array.from({ length: SIZE.storm }, () => pipeline.send(event))),
      );
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      const outcomes = new Set(answers.map((a) => a.body.outcome));
      expect([...outcomes].every((o) => o === 'started' || o === 'duplicate')).toBe(true);
      // exactly one delivery wins the inbox put; the others learn from Step Functions that it exists
      expect(answers.filter((a) => a.body.outcome === 'started')).toHaveLength(1);
      await within(boundMs(SIZE.storm), 'the execution', pipeline.stack.stepFunctions.idle());

      expect(pipeline.stack.stepFunctions.listExecutions().filter((e) => e.name === event.id)).toHaveLength(1);
      expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
      expect(await checkOutcomes(pipeline, [p], [{ event, workflow: 'fulfilment', status: 200 }])).toEqual([]);
    });

    test('both events that pay an order, each delivered many times, interleaved: the order is fulfilled once', async () => {
      const { pipeline } = env();
      const p = await planOrder(pipeline, 'paid');
      const paid = sessionCompleted(p);
      const succeeded = intentSucceeded(p);
      const deliveries = Array.from({ length: SIZE.storm }, (_, i) => (i % 2 ? paid : succeeded));
      const answers = await within(boundMs(SIZE.storm), 'the storm', Promise.all(deliveries.map((e) => pipeline.send(e))));
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      await within(boundMs(SIZE.storm), 'the executions', pipeline.stack.stepFunctions.idle());

      const sent: SentEvent[] = [paid, succeeded].map((event) => ({ event, workflow: 'fulfilment', status: 200 }));
      expect(await checkOutcomes(pipeline, [p], sent)).toEqual([]);
      // exactly one of the two executions fulfilled; the other found the order paid
      const fulfilled = await Promise.all(
        [paid, succeeded].map(async (e) => (await pipeline.execution('fulfilment', e.id)).history.some((h) => h.name === 'Fulfil')),
      );
      expect(fulfilled.filter(Boolean)).toHaveLength(1);
    });
  });
}
