import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/domain/keys';
import { checkoutSession, paidInvoice, refund, stripeEvent, stripeId } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';
import { runMapping } from '../../scripts/mapping';
import { runPrintifyWebhooks, WEBHOOK_TOPICS } from '../../scripts/printify-webhooks';
import { opsAgainst, opsTarget } from '../support/ops';

/**
 * The ops command against the local stack: an order's timeline, listing executions, redrive of a
 * failed execution once its cause is fixed, and replay of a recorded event (which changes nothing
 * the second time). Everything goes through the same AWS SDK calls as against a deployed stack.
 */

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

const ops = opsAgainst(() => pipeline);

async function fulfilledOrder() {
  const order = await pipeline.storefront.checkoutScene();
  const event = stripeEvent(
    'checkout.session.completed',
    checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, email: 'ops-buyer@example.com' }),
  );
  const execution = await pipeline.deliver(event);
  expect(execution.status).toBe('SUCCEEDED');
  return { order, event };
}

describe('ops order', () => {
  it("shows the order, its ledger entry, its email and its execution's states with outcome and timing", async () => {
    const { order, event } = await fulfilledOrder();
    const { code, json } = await ops('order', order.orderId, '--json');
    expect(code).toBe(0);
    expect(json.order).toMatchObject({ orderId: order.orderId, status: 'in_production', printifyOrderId: expect.any(String) });
    expect(json.ledger).toEqual([expect.objectContaining({ type: 'purchase_bonus', amount: Math.floor(order.amountTotal / 100) })]);
    expect(json.petalBalance).toBe(Math.floor(order.amountTotal / 100));
    expect(json.emails).toEqual([expect.objectContaining({ sk: 'EMAIL#order-confirmation', status: 'sent' })]);
    expect(json.executions).toHaveLength(1);
    const [execution] = json.executions;
    expect(execution).toMatchObject({
      eventId: event.id,
      eventType: 'checkout.session.completed',
      workflow: 'fulfilment',
      name: event.id,
      status: 'SUCCEEDED',
    });
    expect(execution.durationMs).toBeGreaterThanOrEqual(0);
    const step = (name: string) => execution.steps.find((s: { name: string }) => s.name === name);
    for (const name of [
      'Record payment',
      'Paid by this event?',
      'Fulfil',
      'Create Printify order',
      'Send confirmation email',
      'Award petals',
      'Clear cart',
      'Fulfil: done',
    ]) {
      expect({ name, status: step(name)?.status }).toEqual({ name, status: 'succeeded' });
    }
    expect(step('Record payment')).toMatchObject({
      type: 'Task',
      attempts: 1,
      durationMs: expect.any(Number),
      enteredAt: expect.any(String),
    });
    expect(step('Fulfil')).toMatchObject({ type: 'Parallel', depth: 0 });
    expect(step('Create Printify order')).toMatchObject({ depth: 1 });
  });

  it('prints the same as text, lists its execution with the event type and the order, and says clearly when there is no such order', async () => {
    const { order, event } = await fulfilledOrder();
    const text = await ops('order', order.orderId);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`order ${order.orderId}  in_production`);
    expect(text.out).toMatch(/Create Printify order\s+succeeded/);
    expect(text.out).not.toContain('ops-buyer@example.com');

    const listed = await ops('executions', '--since', '1h', '--json');
    const mine = (listed.json as { name: string }[]).find((e) => e.name === event.id);
    expect(mine).toMatchObject({ eventId: event.id, eventType: 'checkout.session.completed', orderId: order.orderId });
    const listedText = await ops('executions', '--since', '1h');
    expect(listedText.out).toMatch(new RegExp(`checkout\\.session\\.completed\\s+order ${order.orderId}\\s+${event.id}`));

    const missing = await ops('order', 'ord_missing', '--json');
    expect(missing).toMatchObject({ code: 1, json: { error: expect.stringContaining('no order ord_missing') } });
  });
});

describe('ops executions of refund and dispute events', () => {
  it('shows the order holding the payment intent, else the payment intent, never "?"', async () => {
    const order = await pipeline.storefront.checkoutScene();
    const paymentIntentId = stripeId('pi');
    const paid = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, paymentIntentId }),
    );
    expect((await pipeline.deliver(paid)).status).toBe('SUCCEEDED');
    const failed = stripeEvent('refund.failed', refund({ paymentIntentId, amount: 100, status: 'failed' }));
    await pipeline.deliver(failed);
    const strangerIntent = stripeId('pi');
    const stranger = stripeEvent('refund.failed', refund({ paymentIntentId: strangerIntent, amount: 100, status: 'failed' }));
    await pipeline.deliver(stranger);

    const listed = (await ops('executions', '--since', '1h', '--json')).json as Record<string, unknown>[];
    expect(listed.find((e) => e.name === failed.id)).toMatchObject({ eventType: 'refund.failed', orderId: order.orderId, paymentIntentId });
    expect(listed.find((e) => e.name === stranger.id)).toMatchObject({ eventType: 'refund.failed', paymentIntentId: strangerIntent });
    expect(listed.find((e) => e.name === stranger.id)).not.toHaveProperty('orderId');
    const text = (await ops('executions', '--since', '1h')).out;
    expect(text).toMatch(new RegExp(`refund\\.failed\\s+order ${order.orderId}\\s+${failed.id}`));
    expect(text).toMatch(new RegExp(`refund\\.failed\\s+payment ${strangerIntent}\\s+${stranger.id}`));
    expect(text).not.toMatch(/order \?/);
  });
});

describe('ops order after Printify shipped and delivered it', () => {
  it('shows the address, items, Printify order, tracking, delivery and Printify events, as text and as data', async () => {
    const { order } = await fulfilledOrder();
    const printifyId = (await pipeline.order(order.orderId))!.printifyOrderId!;
    const printify = pipeline.stack.printify;
    await printify.emit(printifyId, { topic: 'order:sent-to-production' });
    const shipped = await printify.emit(printifyId, {
      topic: 'order:shipment:created',
      carrier: 'USPS',
      trackingNumber: '9400110200828911663274',
      trackingUrl: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
    });
    await printify.deliver(shipped.event); // delivered twice, recorded once
    await printify.emit(printifyId, { topic: 'order:shipment:delivered' });

    const { code, json } = await ops('order', order.orderId, '--json');
    expect(code).toBe(0);
    expect(json.address).toMatchObject({ name: 'Sakura Haruno', country: expect.any(String) });
    expect(json.items).toEqual(order.items.map((i: object) => expect.objectContaining(i)));
    expect(json.amounts).toEqual({ currency: order.currency, total: order.amountTotal, refunded: 0 });
    expect(json.printify).toMatchObject({ orderId: printifyId, sentToProductionAt: expect.any(String) });
    expect(json.tracking).toEqual({
      carrier: 'USPS',
      number: '9400110200828911663274',
      url: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
      shippedAt: expect.any(String),
    });
    expect(json.delivery).toEqual({ deliveredAt: expect.any(String) });
    expect(json.printifyEvents.map((e: { topic: string }) => e.topic)).toEqual([
      'order:sent-to-production',
      'order:shipment:created',
      'order:shipment:delivered',
    ]);
    expect(json.printifyEvents[1]).toMatchObject({ eventId: shipped.event.id, kind: 'shipped', orderStatus: 'shipped' });
    const history = json.history as { at?: string; what: string }[];
    expect(history.map((m) => m.what)).toEqual(expect.arrayContaining(['created (pending)', 'paid', 'shipped', 'delivered']));
    // by time, then the current status last, with no time of its own
    // (to the second: Printify's times are whole seconds, ours have milliseconds; within one
    // second the lifecycle order stands)
    const seconds = history.slice(0, -1).map((m) => Math.floor(Date.parse(m.at!) / 1000));
    expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
    const whats = history.map((m) => m.what);
    expect(whats.indexOf('created (pending)')).toBeLessThan(whats.indexOf('shipped'));
    expect(whats.indexOf('shipped')).toBeLessThan(whats.indexOf('delivered'));
    expect(history.at(-1)).toEqual({ what: 'now shipped (delivered)' });
    // Printify sent no order:updated: its status is what its latest event said
    expect(json.printify).toMatchObject({ status: 'delivered', statusFrom: 'order:shipment:delivered' });

    const text = await ops('order', order.orderId);
    expect(text.out).toMatch(/ship to: Sakura Haruno, /);
    expect(text.out).toMatch(/items: \d+\n\s+\d+ × /);
    expect(text.out).toContain(`printify: order ${printifyId}`);
    expect(text.out).toContain('tracking: USPS 9400110200828911663274  https://tools.usps.com/');
    expect(text.out).toMatch(/delivery: delivered \d{4}-/);
    expect(text.out).toMatch(/printify webhook events: 3\n.*order:sent-to-production/);
    expect(text.out).toMatch(/history:\n.*created \(pending\)/);
    expect(text.out).toMatch(/\n {24}now shipped \(delivered\)\n/);
    expect(text.out).toContain('status delivered (order:shipment:delivered) at');
    expect(text.out).not.toContain('(none reported)');
  });
});

describe('ops redrive', () => {
  it('continues a failed execution from the failed state once the cause is fixed, without running what succeeded', async () => {
    const userId = `user_${stripeId('x').slice(2, 10)}`;
    // the cause: a corrupt balance item that no ledger transaction can add to
    await pipeline.db.send(
      new PutCommand({ TableName: pipeline.stack.tableName, Item: { ...keys.petalBalance(userId), balance: 'corrupt' } }),
    );
    const event = stripeEvent('invoice.payment_succeeded', paidInvoice({ userId, amountPaid: 1200 }));
    const failed = await pipeline.deliver(event);
    expect(failed.status).toBe('FAILED');

    const listed = await ops('executions', '--status', 'failed', '--workflow', 'subscriptionPayment', '--since', '1h', '--json');
    expect(listed.code).toBe(0);
    expect(listed.json).toContainEqual(
      expect.objectContaining({ name: event.id, status: 'FAILED', workflow: 'subscriptionPayment', redriveCount: 0 }),
    );

    // the fix, then the redrive
    await pipeline.db.send(new PutCommand({ TableName: pipeline.stack.tableName, Item: { ...keys.petalBalance(userId), balance: 0 } }));
    const redriven = await ops('redrive', event.id, '--json');
    expect(redriven.code).toBe(0);
    expect(redriven.json).toMatchObject({ name: event.id, status: 'SUCCEEDED', redriveCount: 1 });
    const award = redriven.json.steps.filter((s: { name: string }) => s.name === 'Award subscription petals');
    expect(award.map((s: { status: string; redrive?: number }) => [s.status, s.redrive ?? 0])).toEqual([
      ['failed', 0],
      ['succeeded', 1],
    ]);
    expect(await pipeline.balance(userId)).toBe(12);
    expect(await pipeline.ledger(userId)).toHaveLength(1);
    // the AWS SDK sees what an operator's tooling would
    const described = await pipeline.describeExecution('subscriptionPayment', event.id);
    expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveStatus: 'NOT_REDRIVABLE' });

    const again = await ops('redrive', event.id, '--json');
    expect(again).toMatchObject({ code: 1, json: { error: expect.stringContaining('nothing to redrive') } });
  });
});

describe('ops redrive of a Fail state', () => {
  it('refuses an execution that ended in "Fulfil: some steps failed" and points to replay, which completes the order', async () => {
    const order = await pipeline.storefront.checkoutScene();
    pipeline.stack.printify.fail({ status: 422, times: 1 }); // Printify refuses the order once
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    const failed = await pipeline.deliver(event);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'FulfilmentIncomplete' });
    expect((await pipeline.order(order.orderId))?.status).toBe('fulfillment_failed');

    const timeline = await ops('order', order.orderId, '--json');
    const steps = timeline.json.executions[0].steps as { name: string; status: string; error?: string }[];
    expect(steps.find((s) => s.name === 'Create Printify order')).toMatchObject({ status: 'caught', error: 'PrintifyRejected' });
    expect(steps.find((s) => s.name === 'Fulfil: some steps failed')).toMatchObject({ status: 'failed', error: 'FulfilmentIncomplete' });

    const refused = await ops('redrive', event.id, '--json');
    expect(refused).toMatchObject({
      code: 1,
      json: { error: expect.stringMatching(/Fail state "Fulfil: some steps failed".*ops replay/) },
    });

    const replayed = await ops('replay', event.id, '--json');
    expect(replayed.json).toMatchObject({ status: 'SUCCEEDED' });
    expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  });
});

describe('ops replay', () => {
  it('runs a recorded event again as a new execution that changes nothing a second time', async () => {
    const { order, event } = await fulfilledOrder();
    const snapshot = async () =>
      (await pipeline.allItems())
        .filter((i) => i.pk !== keys.stripeEvent(event.id).pk)
        // the pacer's next free slot moves with time whatever runs: bookkeeping, not an effect
        .filter((i) => !String(i.pk).startsWith('QUOTA#'))
        .map(({ updatedAt: _u, ...rest }) => rest)
        .sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
    const before = await snapshot();
    const printifyBefore = pipeline.stack.printify.orders().length;
    const mailBefore = (await pipeline.stack.ses.sentEmails()).length;

    const replayed = await ops('replay', event.id, '--json');
    expect(replayed.code).toBe(0);
    expect(replayed.json).toMatchObject({ name: `${event.id}-replay-1`, workflow: 'fulfilment', status: 'SUCCEEDED' });
    const second = await ops('replay', event.id, '--json');
    expect(second.json).toMatchObject({ name: `${event.id}-replay-2`, status: 'SUCCEEDED' });

    expect(await snapshot()).toEqual(before);
    expect(pipeline.stack.printify.orders().length).toBe(printifyBefore);
    expect((await pipeline.stack.ses.sentEmails()).length).toBe(mailBefore);
    // the order's timeline shows the original execution and both replays
    const timeline = await ops('order', order.orderId, '--json');
    expect(timeline.json.executions.map((e: { name: string }) => e.name)).toEqual([
      event.id,
      `${event.id}-replay-1`,
      `${event.id}-replay-2`,
    ]);
  });

  it('says clearly when the event was never recorded', async () => {
    const result = await ops('replay', 'evt_never_seen', '--json');
    expect(result).toMatchObject({ code: 1, json: { error: expect.stringContaining('no recorded Stripe event evt_never_seen') } });
  });
});

describe('ops retry-mapping', () => {
  it('creates the Printify order of an order that waited for a mapping, once the mapping exists', async () => {
    const productId = `prod_${stripeId('p').slice(2, 12)}`;
    const order = await pipeline.storefront.checkoutScene({
      items: [{ productId, variantId: 'L', quantity: 1, unitAmount: 2500 }],
      mapped: false,
    });
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    await pipeline.deliver(event);
    expect((await pipeline.order(order.orderId))?.status).toBe('pending_mapping');

    const still = await ops('retry-mapping', order.orderId, '--json', '--printify-url', pipeline.stack.urls.printify);
    expect(still.json).toMatchObject({ orderId: order.orderId, after: 'pending_mapping', missing: [`${productId}/L`] });
    expect(still.code).toBe(1); // printed, and still not fulfilled

    await pipeline.storefront.putMapping({
      productId,
      variantId: 'L',
      printifyProductId: '5d39b159e7c48c000728c89f',
      printifyVariantId: 32918,
    });
    const printify = ['--printify-url', pipeline.stack.urls.printify];
    const retried = await ops('retry-mapping', order.orderId, ...printify);
    expect(retried.err).toBe('');
    expect(retried.code).toBe(0);
    expect(retried.out).toMatch(new RegExp(`order ${order.orderId}: pending_mapping -> in_production \\(created\\): Printify order \\S+`));
    expect(pipeline.stack.printify.orders().filter((o) => o.external_id === order.orderId)).toHaveLength(1);

    const again = await ops('retry-mapping', order.orderId, '--json', ...printify);
    expect(again).toMatchObject({ code: 1, json: { error: expect.stringContaining('in_production') } });
    expect(await ops('retry-mapping', 'ord_nope', '--json', ...printify)).toMatchObject({
      code: 1,
      json: { error: 'order ord_nope not found' },
    });
  });
});

describe('webhook limits', () => {
  it('refuses a body over 256 KiB with 413 before verifying or writing anything', async () => {
    const event = stripeEvent('checkout.session.completed', checkoutSession({ orderId: 'ord_too_big', userId: 'u', amountTotal: 100 }));
    const itemsBefore = (await pipeline.allItems()).length;
    const response = await pipeline.send(event, { body: JSON.stringify({ ...event, padding: 'x'.repeat(300 * 1024) }) });
    expect(response).toEqual({ status: 413, body: { error: 'request body too large' } });
    expect((await pipeline.allItems()).length).toBe(itemsBefore);
  });

  it('refuses the same of a Printify webhook', async () => {
    const itemsBefore = (await pipeline.allItems()).length;
    const response = await fetch(pipeline.stack.urls.printifyWebhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pfy-signature': 'sha256=00' },
      body: JSON.stringify({ id: 'e', type: 'order:updated', padding: 'x'.repeat(300 * 1024) }),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 413, body: { error: 'request body too large' } });
    expect((await pipeline.allItems()).length).toBe(itemsBefore);
  });
});

describe('ops command line', () => {
  it('has --help for itself and for each command, and refuses unknown commands and flags', async () => {
    for (const command of ['order', 'executions', 'redrive', 'replay', 'retry-mapping']) {
      const help = await ops(command, '--help');
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.out).toContain(`npm run ops -- ${command}`);
    }
    expect((await ops('--help')).out).toMatch(/Commands:[\s\S]*order[\s\S]*executions[\s\S]*redrive[\s\S]*replay[\s\S]*retry-mapping/);
    expect(await ops('frobnicate')).toMatchObject({ code: 2 });
    expect(await ops('executions', '--colour', 'red')).toMatchObject({ code: 2 });
    expect(await ops('executions', '--status', 'SLEEPING', '--json')).toMatchObject({
      code: 2,
      json: { error: expect.stringContaining('--status SLEEPING') },
    });
  });

  it('runs as `npm run ops` does (tsx scripts/ops.ts), and explains an unreachable stack', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, ['scripts/ops.ts', 'executions', '--limit', '5', '--json', ...opsTarget(pipeline)], {
      cwd: root,
    });
    expect(Array.isArray(JSON.parse(stdout))).toBe(true);
    const down = await promisify(execFile)(tsx, ['scripts/ops.ts', 'executions', '--sfn-endpoint', 'http://127.0.0.1:9'], {
      cwd: root,
    }).catch((e) => e);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the local Step Functions API at http:\/\/127\.0\.0\.1:9.*npm start/);
  });
});

describe('mapping and printify-webhooks on the local stack, through the same framework', () => {
  const run = async (entry: typeof runMapping, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    let out = '';
    let err = '';
    const code = await entry(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) }, { env });
    return { code, out, err };
  };

  it('mapping set and list, and mapping retry: the very command ops retry-mapping is, exit 1 until the order has its Printify order', async () => {
    const productId = `prod_${stripeId('p').slice(2, 12)}`;
    const order = await pipeline.storefront.checkoutScene({
      items: [{ productId, variantId: 'XL', quantity: 1, unitAmount: 1900 }],
      mapped: false,
    });
    await pipeline.deliver(
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
      ),
    );
    const target = [...opsTarget(pipeline), '--printify-url', pipeline.stack.urls.printify];
    const still = await run(runMapping, ['retry', order.orderId, ...target]);
    expect(still).toMatchObject({ code: 1, err: '' });
    expect(still.out).toContain(
      `order ${order.orderId}: pending_mapping -> pending_mapping (pending_mapping): still missing a mapping for ${productId}/XL`,
    );

    const set = await run(runMapping, ['set', productId, 'XL', '5d39b159e7c48c000728c89f', '32918', ...opsTarget(pipeline)]);
    expect(set).toMatchObject({ code: 0, out: `set: ${productId} / XL  ->  Printify product 5d39b159e7c48c000728c89f, variant 32918\n` });
    const listed = await run(runMapping, ['list', '--product', productId, '--json', ...opsTarget(pipeline)]);
    expect(JSON.parse(listed.out).mappings).toEqual([
      { productId, variantId: 'XL', printifyProductId: '5d39b159e7c48c000728c89f', printifyVariantId: 32918 },
    ]);
    const bad = await run(runMapping, ['set', productId, 'XL', 'p', 'not-a-number', ...opsTarget(pipeline)]);
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/^error: set: printifyVariantId must be a whole number/) });

    const retried = await run(runMapping, ['retry', order.orderId, '--json', ...target]);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.out)).toMatchObject({
      orderId: order.orderId,
      before: 'pending_mapping',
      after: 'in_production',
      outcome: 'created',
    });
  });

  it('printify-webhooks registers, lists and removes the local webhooks at the stand-in', async () => {
    const env = {
      ...process.env,
      PRINTIFY_API_URL: pipeline.stack.urls.printify,
      PRINTIFY_SHOP_ID: pipeline.stack.printify.shopId,
      PORT: new URL(pipeline.stack.urls.api).port,
    };
    const url = pipeline.stack.urls.printifyWebhook;
    const registered = await run(runPrintifyWebhooks, ['register', '--json'], env);
    expect(registered.code).toBe(0);
    expect(JSON.parse(registered.out).map((c: { action: string; webhook: { url: string } }) => [c.action, c.webhook.url])).toEqual(
      WEBHOOK_TOPICS.map(() => ['created', url]),
    );
    const again = await run(runPrintifyWebhooks, ['register'], env);
    expect(again.out.trim().split('\n')).toEqual(
      WEBHOOK_TOPICS.map((topic) => expect.stringMatching(new RegExp(`^kept .* ${topic} +${url}$`))),
    );
    const listed = await run(runPrintifyWebhooks, ['list', '--json'], env);
    expect(JSON.parse(listed.out)).toHaveLength(WEBHOOK_TOPICS.length);
    const removed = await run(runPrintifyWebhooks, ['unregister'], env);
    expect(removed.out.match(/^removed /gm)).toHaveLength(WEBHOOK_TOPICS.length);
    expect(await run(runPrintifyWebhooks, ['list'], env)).toMatchObject({ code: 0, out: 'no webhooks\n' });
  });
});
