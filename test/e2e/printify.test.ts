import { createHmac, randomBytes } from 'node:crypto';
import type { Order, OrderItem } from '../../lambdas/domain/order';
import { DEMO_ITEMS, DEMO_MAPPINGS } from '../fixtures/storefront';
import { checkoutSession, stripeEvent } from '../fixtures/stripe-events';
import { retryMapping } from '../../scripts/lib/retry-mapping';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../../local/dynamodb-local';
import { LOCAL_REGION } from '../../local/stack-template';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * Printify end to end on the local stack: the order Printify receives, mappings added later,
 * Printify's failures (429, timeouts after acceptance, refusals), and Printify's signed webhooks
 * walking the order to shipped, with the customer's shipping email.
 */

const PRINTIFY_TIMEOUT_MS = 1000;
let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start({ environment: { PRINTIFY_TIMEOUT_MS: String(PRINTIFY_TIMEOUT_MS) } });
}, 120_000);
afterAll(async () => pipeline?.stop());
afterEach(() => pipeline.stack.printify.reset()); // unused faults must not reach the next test

type Stored = Order & Record<string, unknown>;
const stored = async (orderId: string) => (await pipeline.order(orderId)) as Stored;
const standInOrders = (orderId: string) => pipeline.stack.printify.orders().filter((o) => o.external_id === orderId);
const creates = (orderId: string) =>
  pipeline.stack.printify
    .requests()
    .filter((r) => r.method === 'POST' && /\/orders\.json$/.test(r.path) && (r.body as { external_id?: string }).external_id === orderId);
const retries = (execution: { history: { type: string; name?: string }[] }) =>
  execution.history.filter((h) => h.type === 'StateRetried' && h.name === 'Create Printify order').length;

/** A paid checkout of `items`, delivered through the Stripe webhook; waits for its execution. */
async function paidOrder(items: OrderItem[] = DEMO_ITEMS) {
  const order = await pipeline.storefront.checkoutScene({ items });
  const email = `buyer_${randomBytes(5).toString('hex')}@example.com`;
  const event = stripeEvent(
    'checkout.session.completed',
    checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, email }),
  );
  const execution = await pipeline.deliver(event);
  return { order, email, execution };
}

/** POSTs a Printify event to /webhooks/printify, signed exactly as Printify signs (or with `signature`). */
async function postPrintifyEvent(event: unknown, signature?: string) {
  const body = JSON.stringify(event);
  const header = signature ?? `sha256=${createHmac('sha256', pipeline.stack.printifyWebhookSecret).update(body).digest('hex')}`;
  const response = await fetch(pipeline.stack.urls.printifyWebhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pfy-signature': header },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** What the operator's `mapping retry` acts on: the local stack's table and Printify stand-in. */
const operatorTarget = () => ({
  tableName: pipeline.stack.tableName,
  dynamodbEndpoint: pipeline.stack.urls.dynamodb,
  region: LOCAL_REGION,
  credentials: DYNAMODB_LOCAL_CREDENTIALS,
  printify: { baseUrl: pipeline.stack.urls.printify, shopId: pipeline.stack.printify.shopId, token: 'otakumori-local-printify-token' },
});

const printifyEvent = (
  type: string,
  printifyOrderId: string,
  data: Record<string, unknown> = {},
  createdAt = '2026-11-26 10:00:00+00:00',
) => ({
  id: randomBytes(16).toString('hex'),
  type,
  created_at: createdAt,
  resource: { id: printifyOrderId, type: 'order', data: { shop_id: 'local-shop', ...data } },
});

describe('the Printify order', () => {
  test('a mapped order: one Printify order with our address, line items and external id, sent to production', async () => {
    const { order, execution } = await paidOrder();
    expect(execution.status).toBe('SUCCEEDED');

    const [created] = standInOrders(order.orderId);
    expect(standInOrders(order.orderId)).toHaveLength(1);
    const body = creates(order.orderId)[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      external_id: order.orderId,
      line_items: DEMO_ITEMS.map((item) => {
        const mapping = DEMO_MAPPINGS.find((m) => m.productId === item.productId && m.variantId === item.variantId)!;
        return { product_id: mapping.printifyProductId, variant_id: mapping.printifyVariantId, quantity: item.quantity };
      }),
      address_to: {
        first_name: 'Sakura',
        last_name: 'Haruno',
        address1: '1-2-3 Shibuya',
        address2: 'Apt 4',
        city: 'Portland',
        region: 'OR',
        zip: '97201',
        country: 'US',
      },
      send_shipping_notification: false,
    });
    // Printify requires a User-Agent and the bearer token on every call.
    const headers = creates(order.orderId)[0]!.headers;
    expect(headers['user-agent']).toBeTruthy();
    expect(headers.authorization).toMatch(/^Bearer /);

    // Sent to production once, and recorded.
    expect(created!.status).toBe('sending-to-production');
    const sends = pipeline.stack.printify.requests().filter((r) => r.path.endsWith(`/orders/${created!.id}/send_to_production.json`));
    expect(sends).toHaveLength(1);
    expect(await stored(order.orderId)).toMatchObject({
      status: 'in_production',
      printifyOrderId: created!.id,
      printifySentToProductionAt: expect.any(String),
    });
  });

  test("an unmapped product: pending_mapping; once the mapping exists, the operator's retry fulfils it once", async () => {
    const productId = `prod_new_${randomBytes(3).toString('hex')}`;
    const { order, execution } = await paidOrder([
      DEMO_ITEMS[0]!,
      { productId, variantId: 'XL', quantity: 3, unitAmount: 2000, title: 'New Tee' },
    ]);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await stored(order.orderId)).toMatchObject({ status: 'pending_mapping', missingMappings: [`${productId}/XL`] });
    expect(creates(order.orderId)).toHaveLength(0);

    const target = operatorTarget();
    // Retried before the mapping exists: still waiting, nothing sent, the missing product named.
    expect(await retryMapping(order.orderId, target)).toMatchObject({
      outcome: 'pending_mapping',
      after: 'pending_mapping',
      missing: [`${productId}/XL`],
    });
    expect(creates(order.orderId)).toHaveLength(0);

    await pipeline.storefront.putMapping({
      productId,
      variantId: 'XL',
      printifyProductId: '5d39b159e7c48c000728c8aa',
      printifyVariantId: 12345,
    });
    const result = await retryMapping(order.orderId, target);
    expect(result).toMatchObject({ outcome: 'created', before: 'pending_mapping', after: 'in_production' });
    expect((creates(order.orderId)[0]!.body as { line_items: unknown[] }).line_items).toContainEqual({
      product_id: '5d39b159e7c48c000728c8aa',
      variant_id: 12345,
      quantity: 3,
    });
    expect(await stored(order.orderId)).toMatchObject({ status: 'in_production', printifyOrderId: standInOrders(order.orderId)[0]!.id });
    expect((await stored(order.orderId)).missingMappings).toBeUndefined();

    // A second retry is refused (the order is no longer waiting): still one Printify order.
    await expect(retryMapping(order.orderId, target)).rejects.toThrow(/in_production/);
    expect(standInOrders(order.orderId)).toHaveLength(1);
  });

  test('Printify answering 429 and then 503: retried with backoff, one Printify order', async () => {
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ status: 429, times: 1 });
    pipeline.stack.printify.fail({ status: 503, times: 1 });
    const { order, execution } = await paidOrder();
    expect(execution.status).toBe('SUCCEEDED');
    expect(retries(execution)).toBe(2);
    expect(creates(order.orderId)).toHaveLength(3);
    expect(standInOrders(order.orderId)).toHaveLength(1);
    expect((await stored(order.orderId)).status).toBe('in_production');
  });

  test('accepted by Printify but answered after the client gave up: the retry finds it, one Printify order, sent to production once', async () => {
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ acceptThenDelayMs: PRINTIFY_TIMEOUT_MS * 3 });
    const { order, execution } = await paidOrder();
    expect(execution.status).toBe('SUCCEEDED');
    expect(retries(execution)).toBeGreaterThanOrEqual(1);
    expect(creates(order.orderId)).toHaveLength(1);
    expect(standInOrders(order.orderId)).toHaveLength(1);
    expect(standInOrders(order.orderId)[0]!.status).toBe('sending-to-production');
    expect((await stored(order.orderId)).printifyOrderId).toBe(standInOrders(order.orderId)[0]!.id);
  });

  test('send_to_production failing once (502): retried without a second Printify order', async () => {
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ operation: 'send_to_production', status: 502, times: 1 });
    const { order, execution } = await paidOrder();
    expect(execution.status).toBe('SUCCEEDED');
    expect(retries(execution)).toBe(1);
    expect(creates(order.orderId)).toHaveLength(1);
    expect(standInOrders(order.orderId)[0]!.status).toBe('sending-to-production');
  });

  test("a permanent 422: not retried, fulfillment_failed with Printify's message and field errors on the order", async () => {
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({
      status: 422,
      body: {
        status: 'error',
        code: 8150,
        message: 'Validation failed.',
        errors: {
          reason: 'address_to.zip: The address_to.zip is not valid for US. line_items.0.variant_id: The variant is out of stock.',
          code: 8150,
        },
      },
    });
    const { order, execution } = await paidOrder();
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('FulfilmentIncomplete');
    expect(retries(execution)).toBe(0);
    expect(creates(order.orderId)).toHaveLength(1);
    const failed = await stored(order.orderId);
    expect(failed.status).toBe('fulfillment_failed');
    expect(failed.failureReason).toMatch(/PrintifyRejected.*HTTP 422.*Validation failed/);
    expect(failed.printifyErrors).toEqual([
      'address_to.zip: The address_to.zip is not valid for US.',
      'line_items.0.variant_id: The variant is out of stock.',
    ]);
  });

  test('Printify down for good: retried with backoff a bounded number of times, then fulfillment_failed with the reason', async () => {
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ status: 503, times: 50 });
    const { order, execution } = await paidOrder();
    expect(execution.status).toBe('FAILED');
    const attempts = creates(order.orderId).length + pipeline.stack.printify.requests().filter((r) => r.method === 'GET').length;
    expect(retries(execution)).toBe(8);
    expect(attempts).toBeGreaterThan(8);
    const failed = await stored(order.orderId);
    expect(failed.status).toBe('fulfillment_failed');
    expect(failed.failureReason).toMatch(/PrintifyUnavailable.*HTTP 503/);
  });
});

describe('Printify webhooks', () => {
  test('the stand-in walks an order to shipped: in_production, shipped with tracking, one shipping email with the link, delivered', async () => {
    const { order, email } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;

    const produced = await pipeline.stack.printify.emit(printifyId, { topic: 'order:sent-to-production' });
    expect(produced.deliveries.map((d) => d.status)).toEqual([200]);
    expect((await stored(order.orderId)).status).toBe('in_production');

    const shipped = await pipeline.stack.printify.emit(printifyId, {
      topic: 'order:shipment:created',
      carrier: 'USPS',
      trackingNumber: '9400110200828911663274',
      trackingUrl: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
    });
    expect(shipped.deliveries[0]).toMatchObject({ status: 200 });
    expect(await stored(order.orderId)).toMatchObject({
      status: 'shipped',
      carrier: 'USPS',
      trackingNumber: '9400110200828911663274',
      trackingUrl: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274',
      shippedAt: expect.any(String),
    });
    const shippingEmails = async () => (await pipeline.emailsTo(email)).filter((m) => /has shipped/.test(m.subject));
    const [mail] = await shippingEmails();
    expect(mail!.subject).toContain(order.orderId);
    expect(mail!.html).toContain('href="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400110200828911663274"');
    expect(mail!.text).toContain('9400110200828911663274');

    // Printify delivering the same event again: no second email, nothing changes.
    const again = await pipeline.stack.printify.deliver(shipped.event);
    expect(again[0]).toMatchObject({ status: 200 });
    expect(await shippingEmails()).toHaveLength(1);

    await pipeline.stack.printify.emit(printifyId, { topic: 'order:shipment:delivered' });
    expect(await stored(order.orderId)).toMatchObject({ status: 'shipped', deliveredAt: expect.any(String) });
  });

  test('a shipment signed as Printify signs it, posted directly: shipped and emailed', async () => {
    const { order, email } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    const answer = await postPrintifyEvent(
      printifyEvent('order:shipment:created', printifyId, {
        shipped_at: '2026-11-26 10:00:00+00:00',
        carrier: {
          code: 'DHL',
          tracking_number: 'JD014600006281230702',
          tracking_url: 'https://www.dhl.com/track?id=JD014600006281230702',
        },
        skus: ['SKU-1'],
      }),
    );
    expect(answer).toMatchObject({ status: 200, body: { received: true, outcome: 'applied', orderStatus: 'shipped', email: 'sent' } });
    expect(await stored(order.orderId)).toMatchObject({ status: 'shipped', carrier: 'DHL', trackingNumber: 'JD014600006281230702' });
    expect(
      (await pipeline.emailsTo(email)).filter((m) => m.text?.includes('https://www.dhl.com/track?id=JD014600006281230702')),
    ).toHaveLength(1);
  });

  test('a bad or missing signature: 401, nothing written', async () => {
    const { order } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    await pipeline.stack.stepFunctions.idle();
    const before = await pipeline.allItems();
    const event = printifyEvent('order:shipment:created', printifyId, {
      carrier: { code: 'USPS', tracking_number: '1', tracking_url: 'https://x.example/1' },
    });
    const wrongSecret = `sha256=${createHmac('sha256', 'not-the-secret').update(JSON.stringify(event)).digest('hex')}`;
    expect((await postPrintifyEvent(event, wrongSecret)).status).toBe(401);
    expect((await postPrintifyEvent(event, 'sha256=deadbeef')).status).toBe(401);
    const unsigned = await fetch(pipeline.stack.urls.printifyWebhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(unsigned.status).toBe(401);
    expect(await pipeline.allItems()).toEqual(before);
  });

  test('out of order and duplicated: a late sent-to-production or cancellation never moves a shipped order back', async () => {
    const { order } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    const shipment = printifyEvent(
      'order:shipment:created',
      printifyId,
      { carrier: { code: 'UPS', tracking_number: '1Z999', tracking_url: 'https://ups.example/1Z999' } },
      '2026-11-26 12:00:00+00:00',
    );
    expect((await postPrintifyEvent(shipment)).status).toBe(200);
    expect((await postPrintifyEvent(printifyEvent('order:sent-to-production', printifyId, {}, '2026-11-26 09:00:00+00:00'))).status).toBe(
      200,
    );
    expect(
      (await postPrintifyEvent(printifyEvent('order:updated', printifyId, { status: 'canceled' }, '2026-11-26 08:00:00+00:00'))).status,
    ).toBe(200);
    expect((await postPrintifyEvent(shipment)).status).toBe(200);
    expect(await stored(order.orderId)).toMatchObject({ status: 'shipped', trackingNumber: '1Z999' });
  });

  test('two parcels, the newer reported first: the order shows the newer parcel, and each parcel gets its email', async () => {
    const { order, email } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    const parcel = (tracking: string, shippedAt: string) =>
      printifyEvent(
        'order:shipment:created',
        printifyId,
        { shipped_at: shippedAt, carrier: { code: 'USPS', tracking_number: tracking, tracking_url: `https://usps.example/${tracking}` } },
        shippedAt,
      );
    expect((await postPrintifyEvent(parcel('NEWER-2', '2026-11-26 12:00:00+00:00'))).status).toBe(200);
    expect((await postPrintifyEvent(parcel('OLDER-1', '2026-11-26 10:00:00+00:00'))).status).toBe(200);
    expect(await stored(order.orderId)).toMatchObject({
      status: 'shipped',
      trackingNumber: 'NEWER-2',
      trackingUrl: 'https://usps.example/NEWER-2',
    });
    const shippingEmails = (await pipeline.emailsTo(email)).filter((m) => /has shipped/.test(m.subject));
    expect(
      shippingEmails.map((m) => (m.text?.includes('NEWER-2') ? 'NEWER-2' : m.text?.includes('OLDER-1') ? 'OLDER-1' : '?')).sort(),
    ).toEqual(['NEWER-2', 'OLDER-1']);
  });

  test('a delivery that overtakes its shipment event: shipped and delivered at once; the late shipment event sends the email', async () => {
    const { order, email } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    const carrier = {
      code: 'USPS',
      tracking_number: '9205590164917312751089',
      tracking_url: 'https://usps.example/9205590164917312751089',
    };
    const delivered = await postPrintifyEvent(
      printifyEvent('order:shipment:delivered', printifyId, { delivered_at: '2026-11-28 09:30:00+00:00', carrier }),
    );
    expect(delivered).toMatchObject({ status: 200, body: { orderStatus: 'shipped' } });
    expect(await stored(order.orderId)).toMatchObject({
      status: 'shipped',
      deliveredAt: '2026-11-28T09:30:00.000Z',
      trackingNumber: '9205590164917312751089',
    });
    expect((await pipeline.emailsTo(email)).filter((m) => /has shipped/.test(m.subject))).toHaveLength(0);

    expect((await postPrintifyEvent(printifyEvent('order:shipment:created', printifyId, { carrier }))).body).toMatchObject({
      email: 'sent',
    });
    expect((await pipeline.emailsTo(email)).filter((m) => /has shipped/.test(m.subject))).toHaveLength(1);
    expect((await stored(order.orderId)).deliveredAt).toBe('2026-11-28T09:30:00.000Z');
  });

  test('order:updated to canceled or has-issues: fulfillment_failed with the reason', async () => {
    const canceled = await paidOrder();
    const issues = await paidOrder();
    for (const [{ order }, status] of [
      [canceled, 'canceled'],
      [issues, 'has-issues'],
    ] as const) {
      const printifyId = (await stored(order.orderId)).printifyOrderId!;
      const answer = await postPrintifyEvent(printifyEvent('order:updated', printifyId, { status }));
      expect(answer).toMatchObject({ status: 200, body: { outcome: 'applied', orderStatus: 'fulfillment_failed' } });
      expect(await stored(order.orderId)).toMatchObject({
        status: 'fulfillment_failed',
        failureReason: `Printify reported the order ${status}`,
        printifyStatus: status,
      });
    }
  });

  test('events for unknown orders or other topics are acknowledged and ignored; a malformed body is 400', async () => {
    expect(
      await postPrintifyEvent(
        printifyEvent('order:shipment:created', 'ffffffffffffffffffffffff', { carrier: { code: 'USPS', tracking_number: '2' } }),
      ),
    ).toMatchObject({
      status: 200,
      body: { outcome: 'ignored' },
    });
    expect(
      await postPrintifyEvent({ id: 'e1', type: 'product:publish:started', resource: { id: 'p1', type: 'product', data: {} } }),
    ).toMatchObject({
      status: 200,
      body: { outcome: 'ignored' },
    });
    expect((await postPrintifyEvent({ hello: 'world' })).status).toBe(400);
  });

  test('a 1,100-character tracking number: 200 and ignored on every redelivery, nothing written', async () => {
    const { order, email } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    const before = await stored(order.orderId);
    const event = printifyEvent('order:shipment:created', printifyId, { carrier: { code: 'USPS', tracking_number: '9'.repeat(1100) } });
    for (let delivery = 0; delivery < 2; delivery++) {
      const answer = await postPrintifyEvent(event);
      expect(answer).toMatchObject({
        status: 200,
        body: { outcome: 'ignored', reason: expect.stringMatching(/tracking number of 1100 characters/) },
      });
    }
    expect(await stored(order.orderId)).toEqual(before);
    expect((await pipeline.emailsTo(email)).filter((m) => /has shipped/.test(m.subject))).toHaveLength(0);
  });

  test('a redelivered old has-issues does not fail again an order the operator retried after it', async () => {
    const { order } = await paidOrder();
    const printifyId = (await stored(order.orderId)).printifyOrderId!;
    const issues = printifyEvent('order:updated', printifyId, { status: 'has-issues' }, new Date(Date.now() - 60_000).toISOString());
    expect(await postPrintifyEvent(issues)).toMatchObject({ status: 200, body: { orderStatus: 'fulfillment_failed' } });

    const target = operatorTarget();
    expect(await retryMapping(order.orderId, target)).toMatchObject({ after: 'in_production' });

    expect(await postPrintifyEvent(issues)).toMatchObject({ status: 200, body: { orderStatus: 'in_production' } });
    const after = await stored(order.orderId);
    expect(after).toMatchObject({ status: 'in_production', printifyStatus: 'has-issues' });
    expect(after.failureReason).toBeUndefined();
    expect(standInOrders(order.orderId)).toHaveLength(1);
  });
});
