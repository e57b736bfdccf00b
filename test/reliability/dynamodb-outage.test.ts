import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, startDynamoDbLocal, type DynamoDbLocalService } from '../../local/dynamodb-local';
import { LocalPipeline } from '../support/local-pipeline';
import {
  boundMs,
  checkOutcomes,
  deliverOrder,
  firstEvent,
  kindFor,
  planOrder,
  pool,
  putMappings,
  SIZE,
  within,
  type PlannedOrder,
  type SentEvent,
} from './support';

/**
 * DynamoDB Local stopped in the middle of a run and started again on the same data: while it is
 * down every webhook answers 5xx (so Stripe retries) and nothing starts; Stripe's redelivery
 * afterwards completes every order, exactly once.
 *
 * The outage falls between two bursts, with no execution in flight: with the harness's retries
 * (milliseconds in all instead of AWS's minutes) an execution caught mid-way would use up its
 * retries long before the JVM is back and end FAILED, for an operator to redrive
 * (`npm run ops -- redrive <event id>`); Stripe's redelivery cannot revive it (the webhook
 * deduplicates the event). See the SES outage case in cases/faults.ts and docs/scaling.md.
 */
let dynamodb: DynamoDbLocalService;
let pipeline: LocalPipeline;
let dataPath: string;
beforeAll(async () => {
  dataPath = mkdtempSync(path.join(tmpdir(), 'otakumori-outage-'));
  dynamodb = await startDynamoDbLocal({ port: await freePort(), dataPath });
  pipeline = await LocalPipeline.start({ dynamodb: { endpoint: dynamodb.url } });
  await putMappings(pipeline);
}, 120_000);
afterAll(async () => {
  await pipeline?.stop();
  await dynamodb?.stop();
  rmSync(dataPath, { recursive: true, force: true });
});

test(
  `${SIZE.outageOrders} orders around an outage: 5xx while DynamoDB is down, redelivery completes every order once`,
  async () => {
    const planned: PlannedOrder[] = await pool(Array.from({ length: SIZE.outageOrders }), 8, (_, i) => planOrder(pipeline, kindFor(i)));
    const third = Math.ceil(planned.length / 3);
    const before = planned.slice(0, third);
    const during = planned.slice(third, 2 * third);
    const after = planned.slice(2 * third);

    // a burst while all is well
    const sent: SentEvent[] = (
      await within(
        boundMs(before.length),
        'the first burst',
        pool(before, SIZE.concurrency, (p, i) => deliverOrder(pipeline, p, i)),
      )
    ).flat();
    await within(boundMs(before.length), "the first burst's executions", pipeline.stack.stepFunctions.idle());
    const executionsBefore = pipeline.stack.stepFunctions.listExecutions().length;

    // DynamoDB goes away: every delivery is answered 5xx, and nothing starts
    const port = Number(new URL(dynamodb.url).port);
    await dynamodb.stop();
    const refused = await within(
      boundMs(during.length),
      'deliveries during the outage',
      pool(during, SIZE.concurrency, async (p) => (await pipeline.send(firstEvent(p))).status),
    );
    expect(refused.filter((status) => status < 500)).toEqual([]);
    expect(pipeline.stack.stepFunctions.listExecutions()).toHaveLength(executionsBefore);

    // back, on the same data: Stripe redelivers what it was refused (the same events), and new
    // orders keep coming
    dynamodb = await startDynamoDbLocal({ port, dataPath });
    const redelivered = (
      await within(
        boundMs(during.length + after.length),
        'redelivery and the last burst',
        pool([...during, ...after], SIZE.concurrency, (p, i) => deliverOrder(pipeline, p, third + i)),
      )
    ).flat();
    expect(redelivered.filter((s) => s.status !== 200).map((s) => `${s.event.type}: ${s.status}`)).toEqual([]);
    await within(boundMs(planned.length), 'every execution', pipeline.stack.stepFunctions.idle());

    expect(await checkOutcomes(pipeline, planned, [...sent, ...redelivered])).toEqual([]);
  },
  boundMs(SIZE.outageOrders) * 3,
);
