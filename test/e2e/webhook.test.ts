import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { keys } from '../../lambdas/domain/keys';
import { DYNAMODB_LOCAL_CREDENTIALS, freePort, startDynamoDbLocal, type DynamoDbLocalService } from '../../local/dynamodb-local';
import { checkoutSession, signedRequest, stripeEvent } from '../fixtures/stripe-events';
import { LOCAL_REGION } from '../../local/stack-template';
import { LocalPipeline } from '../support/local-pipeline';

/** The webhook's contract, row by row (issue: "The webhook … answers"). */
describe('POST /webhooks/stripe', () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await LocalPipeline.start();
  }, 120_000);
  afterAll(async () => pipeline?.stop());

  async function paidCheckout() {
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    return { order, event };
  }

  async function executionsNamed(name: string) {
    const sfn = new SFNClient({ endpoint: pipeline.stack.urls.sfn, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS });
    try {
      const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: pipeline.stack.stateMachineArns.fulfilment }));
      return (executions ?? []).filter((e) => e.name === name);
    } finally {
      sfn.destroy();
    }
  }

  test('a valid, handled event: 200 once it is recorded and its execution, named after the event, started', async () => {
    const { order, event } = await paidCheckout();
    const response = await pipeline.send(event);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: true, outcome: 'started', eventId: event.id, workflow: 'fulfilment' });
    // Both facts hold the moment the answer is given, before the workflow finishes.
    const record = await pipeline.stripeEventRecord(event.id);
    expect(record).toMatchObject({ type: 'checkout.session.completed', livemode: false, workflow: 'fulfilment', orderId: order.orderId });
    expect(record?.executionArn).toBe(pipeline.executionArn('fulfilment', event.id));
    const described = await pipeline.describeExecution('fulfilment', event.id);
    expect(described.name).toBe(event.id);
    expect(JSON.parse(described.input ?? '{}')).toMatchObject({ kind: 'payment', orderId: order.orderId, eventId: event.id });

    const execution = await pipeline.execution('fulfilment', event.id);
    expect(execution.status).toBe('SUCCEEDED');
    // The Lambda tasks really ran (a silently failing runtime would skip them and still "succeed").
    const ran = execution.history.filter((h) => h.type === 'TaskStateExited').map((h) => h.name);
    expect(ran).toEqual(
      expect.arrayContaining(['Record payment', 'Create Printify order', 'Send confirmation email', 'Award petals', 'Clear cart']),
    );
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });

  test('the same event again, later: 200, and no second execution or effect', async () => {
    const { order, event } = await paidCheckout();
    await pipeline.deliver(event);
    const again = await pipeline.send(event);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', eventId: event.id });
    // Stripe retries with a fresh signature and timestamp: still the same event.
    const retried = await pipeline.send(event, { timestamp: Math.floor(Date.now() / 1000) + 5 });
    expect(retried.body).toMatchObject({ outcome: 'duplicate' });
    await pipeline.stack.stepFunctions.idle();
    expect(await executionsNamed(event.id)).toHaveLength(1);
    expect(pipeline.stack.printify.orders().filter((o) => o.external_id === order.orderId)).toHaveLength(1);
    expect(await pipeline.ledger(order.userId)).toHaveLength(1);
  });

  test('the same event twice at the same moment: one execution', async () => {
    const { order, event } = await paidCheckout();
    const answers = await Promise.all([pipeline.send(event), pipeline.send(event), pipeline.send(event)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await pipeline.stack.stepFunctions.idle();
    expect(await executionsNamed(event.id)).toHaveLength(1);
    expect(pipeline.stack.printify.orders().filter((o) => o.external_id === order.orderId)).toHaveLength(1);
  });

  test('60 concurrent copies of one event: one "started" (one WebhookAccepted), 59 "duplicate", one execution', async () => {
    const { order, event } = await paidCheckout();
    const answers = await Promise.all(Array.from({ length: 60 }, () => pipeline.send(event)));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const counts: Record<string, number> = {};
    for (const a of answers) counts[String(a.body.outcome)] = (counts[String(a.body.outcome)] ?? 0) + 1;
    // the handler counts WebhookAccepted once per "started" answer and WebhookDuplicate per "duplicate"
    expect(counts).toEqual({ started: 1, duplicate: 59 });
    const executionArn = pipeline.executionArn('fulfilment', event.id);
    expect(answers.every((a) => a.body.executionArn === executionArn)).toBe(true);
    await pipeline.stack.stepFunctions.idle();
    expect(await executionsNamed(event.id)).toHaveLength(1);
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect(pipeline.stack.printify.orders().filter((o) => o.external_id === order.orderId)).toHaveLength(1);
  });

  test('an event recorded by a delivery that died before StartExecution: the redelivery starts it, then answers "duplicate"', async () => {
    const { order, event } = await paidCheckout();
    // what a crash between the inbox put and StartExecution leaves behind: the item, no execution
    const executionArn = pipeline.executionArn('fulfilment', event.id);
    await pipeline.db.send(
      new PutCommand({
        TableName: pipeline.stack.tableName,
        Item: {
          ...keys.stripeEvent(event.id),
          eventId: event.id,
          type: event.type,
          livemode: false,
          workflow: 'fulfilment',
          orderId: order.orderId,
          input: {},
          executionArn,
          receivedAt: new Date().toISOString(),
        },
      }),
    );
    expect(await executionsNamed(event.id)).toHaveLength(0);

    const response = await pipeline.send(event);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'duplicate', eventId: event.id, executionArn });
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });

  test('a valid event of a type not handled: 200, ignored, nothing written', async () => {
    await pipeline.stack.stepFunctions.idle();
    const before = await pipeline.allItems();
    const event = stripeEvent('customer.created', { id: 'cus_123', object: 'customer', email: 'x@example.com' });
    const response = await pipeline.send(event);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'ignored', eventType: 'customer.created' });
    expect(await pipeline.allItems()).toEqual(before);
  });

  test('a body API Gateway hands over base64-encoded is verified on its decoded bytes', async () => {
    const { order, event } = await paidCheckout();
    const response = await pipeline.send(event, { headers: { 'content-type': 'application/octet-stream' } });
    expect(response.status).toBe(200);
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });

  describe('400 and nothing written', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, (event: object, secret: string) => { body: string; headers: Record<string, string> }][] = [
      ['missing signature', (e, s) => ({ body: signedRequest(e, s).body, headers: { 'stripe-signature': '' } })],
      ['malformed signature header', (e, s) => ({ body: signedRequest(e, s).body, headers: { 'stripe-signature': 'garbage' } })],
      ['signed with another secret', (e) => signedRequest(e, 'whsec_someone_else')],
      ['timestamp older than five minutes', (e, s) => signedRequest(e, s, now() - 301)],
      ['timestamp more than five minutes ahead', (e, s) => signedRequest(e, s, now() + 301)],
      [
        'body changed after signing',
        (e, s) => {
          const r = signedRequest(e, s);
          return { body: r.body.replace('"livemode": false', '"livemode": true'), headers: r.headers };
        },
      ],
      [
        'a signed body that is not JSON',
        (_e, s) => {
          const body = 'this is not json';
          return { body, headers: { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: s }) } };
        },
      ],
      [
        'a signed event of a handled type with a malformed object',
        (_e, s) =>
          signedRequest(stripeEvent('checkout.session.completed', { id: 'cs_1', client_reference_id: 'ord_x', payment_status: 42 }), s),
      ],
      ['a signed JSON body that is not an event', (_e, s) => signedRequest({ hello: 'world' }, s)],
    ];
    test.each(cases)('%s', async (_name, build) => {
      const { event } = await paidCheckout();
      await pipeline.stack.stepFunctions.idle();
      const before = await pipeline.allItems();
      const request = build(event, pipeline.stack.stripeWebhookSecret);
      const response = await pipeline.send(event, { body: request.body, headers: request.headers });
      expect(response.status).toBe(400);
      expect(typeof response.body.error).toBe('string');
      expect(await pipeline.allItems()).toEqual(before);
      expect(await executionsNamed(event.id)).toHaveLength(0);
    });
  });

  test("Step Functions unavailable: 5xx, nothing half-done, and Stripe's retry completes it", async () => {
    const { order, event } = await paidCheckout();
    const sfnPort = Number(new URL(pipeline.stack.urls.sfn).port);
    await pipeline.stack.stepFunctions.stop();
    try {
      const response = await pipeline.send(event);
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(await pipeline.stripeEventRecord(event.id)).toBeUndefined();
    } finally {
      await pipeline.stack.stepFunctions.listen(sfnPort);
    }
    const retried = await pipeline.send(event);
    expect(retried.status).toBe(200);
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });
});

describe('POST /webhooks/stripe while DynamoDB is down', () => {
  let dynamodb: DynamoDbLocalService;
  let pipeline: LocalPipeline;
  let dataPath: string;
  beforeAll(async () => {
    dataPath = mkdtempSync(path.join(tmpdir(), 'otakumori-ddb-'));
    dynamodb = await startDynamoDbLocal({ port: await freePort(), dataPath });
    pipeline = await LocalPipeline.start({ dynamodb: { endpoint: dynamodb.url } });
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
    await dynamodb?.stop();
    rmSync(dataPath, { recursive: true, force: true });
  });

  test('5xx so that Stripe retries; the redelivery after it is back completes the order', async () => {
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    await dynamodb.stop();
    const response = await pipeline.send(event);
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(pipeline.stack.stepFunctions.listExecutions()).toHaveLength(0);

    dynamodb = await startDynamoDbLocal({ port: Number(new URL(dynamodb.url).port), dataPath });
    const redelivered = await pipeline.send(event);
    expect(redelivered.status).toBe(200);
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });
});
