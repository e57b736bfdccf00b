import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_WEBHOOK_BODY_BYTES } from '../../../lambdas/shared/webhook-limits';
import { checkoutSession, signedRequest, stripeEvent } from '../../fixtures/stripe-events';
import type { ReliabilityEnv } from '../support';

/**
 * Malformed and hostile requests to POST /webhooks/stripe, each answered as designed (400 when it
 * can never succeed, 413 over the size limits, 200 "ignored" for what is not ours, 404/405 off the
 * route) and none of them writing anything or starting an execution.
 */
let secret: string;

const now = () => Math.floor(Date.now() / 1000);
const hmac = (key: string, payload: string | Buffer) => createHmac('sha256', key).update(payload).digest('hex');

/** Signs exactly these bytes as Stripe does: t=<ts>,v1=HMAC("<ts>.<body>"). */
function sign(body: string | Buffer, options: { secret?: string; t?: number | string; scheme?: string } = {}): string {
  const t = options.t ?? now();
  const payload = Buffer.concat([Buffer.from(`${t}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  return `t=${t},${options.scheme ?? 'v1'}=${hmac(options.secret ?? secret, payload)}`;
}

const paidSession = () =>
  stripeEvent('checkout.session.completed', checkoutSession({ orderId: 'ord_badinput', userId: 'user_badinput', amountTotal: 4999 }));
/** A handled event whose object is changed by `change` (then signed correctly). */
const sessionWith = (change: (object: Record<string, unknown>) => void) => {
  const event = paidSession();
  change(event.data.object as Record<string, unknown>);
  return JSON.stringify(event);
};
const envelopeWith = (change: (event: Record<string, unknown>) => void) => {
  const event = paidSession() as unknown as Record<string, unknown>;
  change(event);
  return JSON.stringify(event);
};

interface Case {
  name: string;
  build: () => { body: string | Buffer; headers: Record<string, string>; method?: string; path?: string };
  /** the statuses the design gives this request */
  expect: number[];
  /** what the answer says, for 200s */
  outcome?: string;
}

const json = { 'content-type': 'application/json' };
const signed = (body: string | Buffer, extra: Record<string, string> = {}) => ({
  body,
  headers: { ...json, 'stripe-signature': sign(body), ...extra },
});

const CASES: Case[] = [
  // signatures
  { name: 'no Stripe-Signature header', build: () => ({ body: JSON.stringify(paidSession()), headers: json }), expect: [400] },
  {
    name: 'an empty Stripe-Signature header',
    build: () => ({ body: JSON.stringify(paidSession()), headers: { ...json, 'stripe-signature': '' } }),
    expect: [400],
  },
  {
    name: 'a signature header that is garbage',
    build: () => ({ body: JSON.stringify(paidSession()), headers: { ...json, 'stripe-signature': 'garbage' } }),
    expect: [400],
  },
  {
    name: 'a timestamp but no v1 signature',
    build: () => ({ body: JSON.stringify(paidSession()), headers: { ...json, 'stripe-signature': `t=${now()}` } }),
    expect: [400],
  },
  {
    name: 'a v1 signature but no timestamp',
    build: () => {
      const body = JSON.stringify(paidSession());
      return { body, headers: { ...json, 'stripe-signature': `v1=${hmac(secret, body)}` } };
    },
    expect: [400],
  },
  { name: 'signed with another secret', build: () => signedRequest(paidSession(), 'whsec_someone_else'), expect: [400] },
  {
    name: 'only a v0 (test scheme) signature',
    build: () => {
      const body = JSON.stringify(paidSession());
      return { body, headers: { ...json, 'stripe-signature': sign(body, { scheme: 'v0' }) } };
    },
    expect: [400],
  },
  {
    name: 'a v1 signature cut short',
    build: () => {
      const body = JSON.stringify(paidSession());
      return { body, headers: { ...json, 'stripe-signature': sign(body).slice(0, -10) } };
    },
    expect: [400],
  },
  {
    name: 'the body changed after signing',
    build: () => {
      const r = signedRequest(paidSession(), secret);
      return { body: r.body.replace('"amount_total": 4999', '"amount_total": 1'), headers: r.headers };
    },
    expect: [400],
  },
  // timestamps
  { name: 'a timestamp older than five minutes', build: () => signedRequest(paidSession(), secret, now() - 301), expect: [400] },
  { name: 'a timestamp more than five minutes ahead', build: () => signedRequest(paidSession(), secret, now() + 301), expect: [400] },
  {
    name: 'a timestamp that is not a number',
    build: () => {
      const body = JSON.stringify(paidSession());
      return { body, headers: { ...json, 'stripe-signature': sign(body, { t: 'yesterday' }) } };
    },
    expect: [400],
  },
  {
    name: 'a timestamp of zero (1970)',
    build: () => {
      const body = JSON.stringify(paidSession());
      return { body, headers: { ...json, 'stripe-signature': sign(body, { t: 0 }) } };
    },
    expect: [400],
  },
  // bodies
  { name: 'an empty body, signed', build: () => signed(''), expect: [400] },
  { name: 'a body that is not JSON, signed', build: () => signed('event=checkout.session.completed&id=evt_1'), expect: [400] },
  { name: 'a JSON array, signed', build: () => signed('[]'), expect: [400] },
  { name: 'JSON null, signed', build: () => signed('null'), expect: [400] },
  { name: 'an event without an id', build: () => signed(envelopeWith((e) => delete e.id)), expect: [400] },
  { name: 'an event whose id is a number', build: () => signed(envelopeWith((e) => (e.id = 12345))), expect: [400] },
  { name: 'an event whose id is empty', build: () => signed(envelopeWith((e) => (e.id = ''))), expect: [400] },
  { name: 'an event without a type', build: () => signed(envelopeWith((e) => delete e.type)), expect: [400] },
  { name: 'a handled event without data.object', build: () => signed(envelopeWith((e) => (e.data = {}))), expect: [400] },
  // types of the fields this pipeline reads
  { name: 'livemode as a string', build: () => signed(envelopeWith((e) => (e.livemode = 'false'))), expect: [400] },
  { name: 'created as a string', build: () => signed(envelopeWith((e) => (e.created = '1700000000'))), expect: [400] },
  { name: 'payment_status as a number', build: () => signed(sessionWith((o) => (o.payment_status = 42))), expect: [400] },
  { name: 'amount_total as a string', build: () => signed(sessionWith((o) => (o.amount_total = '4999'))), expect: [400] },
  { name: 'a negative amount_total', build: () => signed(sessionWith((o) => (o.amount_total = -4999))), expect: [400] },
  { name: 'a fractional amount_total', build: () => signed(sessionWith((o) => (o.amount_total = 49.99))), expect: [400] },
  { name: 'metadata that is not string to string', build: () => signed(sessionWith((o) => (o.metadata = { orderId: 7 }))), expect: [400] },
  // encodings
  {
    name: 'the JSON sent as UTF-16, signed over its UTF-8',
    build: () => {
      const text = JSON.stringify(paidSession());
      return { body: Buffer.from(text, 'utf16le'), headers: { ...json, 'stripe-signature': sign(text) } };
    },
    expect: [400],
  },
  {
    name: 'the JSON with a byte-order mark, signed over those bytes',
    build: () => signed(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(paidSession()))])),
    expect: [400],
  },
  {
    name: 'a gzip-compressed body, signed over the JSON',
    build: () => {
      const text = JSON.stringify(paidSession());
      return { body: gzipSync(text), headers: { ...json, 'content-encoding': 'gzip', 'stripe-signature': sign(text) } };
    },
    expect: [400],
  },
  {
    name: 'a binary body (base64-encoded by the API) signed over its base64 text',
    build: () => {
      const bytes = Buffer.from(JSON.stringify(paidSession()));
      return { body: bytes, headers: { 'content-type': 'application/octet-stream', 'stripe-signature': sign(bytes.toString('base64')) } };
    },
    expect: [400],
  },
  // ids
  {
    name: 'an event id that cannot name an execution (spaces, slash, #)',
    build: () => signed(envelopeWith((e) => (e.id = 'evt bad/id#1'))),
    // Step Functions would refuse it as an execution name: retrying (a 5xx) could never help
    expect: [400],
  },
  {
    name: 'an event id longer than an execution name may be',
    build: () => signed(envelopeWith((e) => (e.id = `evt_${'x'.repeat(120)}`))),
    expect: [400],
  },
  // what is not ours: acknowledged, not processed
  {
    name: 'a client_reference_id of 3,000 characters (no key can hold it)',
    build: () => signed(sessionWith((o) => (o.client_reference_id = 'o'.repeat(3000)))),
    expect: [400],
  },
  {
    name: 'an order id in metadata with CR/LF',
    build: () =>
      signed(
        sessionWith((o) => {
          o.client_reference_id = null;
          o.metadata = { orderId: 'ord\r\nx' };
        }),
      ),
    expect: [400],
  },
  {
    name: 'a thin event (v2.core.event from an Event Destination)',
    build: () =>
      signed(
        JSON.stringify({
          id: 'evt_test_65R9Ijk8gHQ2ajsu2Oq16SVM5sK3F9DyJH0cRxq2cY3Z',
          object: 'v2.core.event',
          type: 'v1.billing.meter.error_report_triggered',
          livemode: false,
          created: new Date().toISOString(),
          related_object: {
            id: 'mtr_test_61R9IeFOSsj5TdEz041JZQ8y5sK3FCR',
            type: 'billing.meter',
            url: '/v1/billing/meters/mtr_test_61R9IeFOSsj5TdEz041JZQ8y5sK3FCR',
          },
        }),
      ),
    expect: [200],
    outcome: 'ignored',
  },
  {
    name: 'an event type this shop does not handle',
    build: () => signed(JSON.stringify(stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }))),
    expect: [200],
    outcome: 'ignored',
  },
  {
    name: 'a checkout session without an order id (a payment link)',
    build: () =>
      signed(
        sessionWith((o) => {
          o.client_reference_id = null;
          o.metadata = {};
        }),
      ),
    expect: [200],
    outcome: 'ignored',
  },
  // sizes: the webhook's own limit, then the API's
  {
    name: "an event just under the webhook's body limit, of a type not handled",
    build: () =>
      signed(
        JSON.stringify(
          stripeEvent('product.updated', { id: 'prod_1', object: 'product', description: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES - 2048) }),
        ),
      ),
    expect: [200],
    outcome: 'ignored',
  },
  {
    name: "a signed event over the webhook's body limit",
    build: () =>
      signed(JSON.stringify(stripeEvent('checkout.session.completed', { id: 'cs_1', description: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) }))),
    expect: [413],
  },
  { name: "a body over the API's 10 MB limit", build: () => signed(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20)), expect: [413] },
  // the route itself
  { name: 'GET instead of POST', build: () => ({ body: '', headers: {}, method: 'GET' }), expect: [404, 405] },
  { name: 'another path', build: () => ({ ...signed(JSON.stringify(paidSession())), path: '/webhooks/stripe/v2' }), expect: [404] },
];

/** Registers the bad-input cases on the shared pipeline; run them first, on an almost empty table. */
export function badInputCases(env: () => ReliabilityEnv): void {
  describe('bad input: malformed requests, answered as designed, nothing written', () => {
    beforeAll(() => {
      secret = env().pipeline.stack.stripeWebhookSecret;
    });
    test('the table has at least 25 malformed requests', () => {
      expect(CASES.filter((c) => c.expect.every((s) => s !== 200)).length).toBeGreaterThanOrEqual(25);
    });

    test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const { pipeline } = env();
      await pipeline.stack.stepFunctions.idle();
      const itemsBefore = await pipeline.allItems();
      const executionsBefore = pipeline.stack.stepFunctions.listExecutions().length;
      const request = c.build();
      const url = new URL(request.path ?? '/webhooks/stripe', pipeline.stack.urls.api);
      const response = await fetch(url, {
        method: request.method ?? 'POST',
        headers: request.headers,
        ...(request.method === 'GET' ? {} : { body: request.body }),
      });
      const text = await response.text();
      // (compared as an object so that a failure shows the answer's body)
      expect({ status: response.status, body: text.slice(0, 200) }).toEqual({
        status: c.expect.includes(response.status) ? response.status : c.expect[0],
        body: expect.any(String),
      });
      if (response.status === 400) expect(typeof (JSON.parse(text) as { error?: unknown }).error).toBe('string');
      if (c.outcome) expect(JSON.parse(text)).toMatchObject({ received: true, outcome: c.outcome });
      await pipeline.stack.stepFunctions.idle();
      expect(await pipeline.allItems()).toEqual(itemsBefore);
      expect(pipeline.stack.stepFunctions.listExecutions()).toHaveLength(executionsBefore);
    });
  });
}
