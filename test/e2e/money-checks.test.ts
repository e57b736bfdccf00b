import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrderItem } from '../../lambdas/domain/order';
import { checkoutSession, paymentIntent, stripeEvent, stripeId } from '../fixtures/stripe-events';
import type { LocalExecution } from '../../local/step-functions-service';
import { LocalPipeline } from '../support/local-pipeline';
import { opsAgainst } from '../support/ops';

/**
 * Issue 11 items 1 and 3 end to end through HTTP: a payment fulfils only what its order owes (else
 * the order is held, and an operator accepts or refunds it), and a payment for an order whose first
 * Checkout session expired is fulfilled.
 */

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

const ops = opsAgainst(() => pipeline);
const statesEntered = (execution: LocalExecution) => execution.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => h.name);
const printifyOrdersFor = (orderId: string) => pipeline.stack.printify.orders().filter((o) => o.external_id === orderId);
const hoodie = (unitAmount: number): OrderItem[] => [
  { productId: 'prod_sakura_hoodie', variantId: 'M', quantity: 1, unitAmount, title: 'Sakura Spirit Hoodie' },
];

async function scene(unitAmount: number) {
  const email = `held_${randomBytes(5).toString('hex')}@example.com`;
  const order = await pipeline.storefront.checkoutScene({ items: hoodie(unitAmount) });
  const paymentIntentId = stripeId('pi');
  const paid = (amountTotal: number, currency = 'usd', sessionId = stripeId('cs_test')) =>
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal, currency, email, paymentIntentId, sessionId }),
    );
  return { order, email, paymentIntentId, paid };
}

/** Nothing printed, no petals, no email: the held order as the data model and the SES store show it. */
async function expectHeld(s: Awaited<ReturnType<typeof scene>>) {
  expect(printifyOrdersFor(s.order.orderId)).toHaveLength(0);
  expect(await pipeline.ledger(s.order.userId)).toEqual([]);
  expect((await pipeline.balance(s.order.userId)) ?? 0).toBe(0);
  expect(await pipeline.emailsTo(s.email)).toEqual([]);
}

describe('a payment that is not what the order owes holds the order', () => {
  test('10000 usd paid 100: held, amountTotal stays 10000, 0 petals; ops shows it and hold accept fulfils it', async () => {
    const s = await scene(10000);
    const event = s.paid(100);
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');
    expect(statesEntered(execution)).toEqual(['Record payment', 'Paid by this event?', 'Nothing to fulfil']);
    expect(await pipeline.order(s.order.orderId)).toMatchObject({
      status: 'payment_mismatch',
      amountTotal: 10000,
      currency: 'usd',
      heldPayment: { eventId: event.id, amountTotal: 100, currency: 'usd', reason: 'underpaid', paymentIntentId: s.paymentIntentId },
    });
    await expectHeld(s);

    // the pair event of the same payment changes nothing
    const pair = stripeEvent(
      'payment_intent.succeeded',
      paymentIntent({ orderId: s.order.orderId, userId: s.order.userId, paymentIntentId: s.paymentIntentId, amount: 100 }, 'succeeded'),
    );
    expect((await pipeline.deliver(pair)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(s.order.orderId))?.status).toBe('payment_mismatch');
    await expectHeld(s);

    const shown = await ops('order', s.order.orderId);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('held payment: underpaid');
    expect(shown.out).toContain(`npm run ops -- hold accept ${s.order.orderId}`);
    const held = await ops('held', '--json');
    expect(held.json).toEqual(expect.arrayContaining([expect.objectContaining({ orderId: s.order.orderId, status: 'payment_mismatch' })]));

    const accepted = await ops('hold', 'accept', s.order.orderId, '--json');
    expect(accepted.code).toBe(0);
    expect(accepted.json).toMatchObject({
      accepted: { before: 'payment_mismatch', after: 'paid', eventId: event.id },
      execution: { status: 'SUCCEEDED' },
    });
    expect(await pipeline.order(s.order.orderId)).toMatchObject({ status: 'in_production', amountTotal: 10000, petalsAwarded: 1 });
    expect(printifyOrdersFor(s.order.orderId)).toHaveLength(1);
    expect(await pipeline.balance(s.order.userId)).toBe(1); // what was paid, 100 cents: 1 petal
    expect(await pipeline.emailsTo(s.email)).toHaveLength(1);
  });

  test("a 4999 usd order paid in jpy: held, currency stays usd; hold refund refunds it through Stripe's API", async () => {
    const s = await scene(4999);
    expect((await pipeline.deliver(s.paid(4999, 'jpy'))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({
      status: 'payment_mismatch',
      amountTotal: 4999,
      currency: 'usd',
      heldPayment: { reason: 'currency', currency: 'jpy' },
    });
    await expectHeld(s);

    // away from the local stand-in (STRIPE_API_URL), a key is needed
    const withoutKey = await withStripeEnv({ STRIPE_API_URL: 'http://127.0.0.1:9' }, () => ops('hold', 'refund', s.order.orderId));
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.err).toContain('STRIPE_SECRET_KEY');

    const requests: { auth?: string; idempotencyKey?: string; body: string }[] = [];
    const stripe = await stripeStandIn(requests);
    try {
      const refunded = await withStripeEnv({ STRIPE_API_URL: stripe.url, STRIPE_SECRET_KEY: 'sk_test_local' }, () =>
        ops('hold', 'refund', s.order.orderId, '--json'),
      );
      expect(refunded.code).toBe(0);
      expect(refunded.json).toMatchObject({
        before: 'payment_mismatch',
        after: 'refunded',
        refundId: 're_local_1',
        amount: 4999,
        currency: 'jpy',
      });
    } finally {
      await stripe.close();
    }
    expect(requests).toEqual([
      {
        auth: 'Bearer sk_test_local',
        idempotencyKey: expect.stringContaining(s.order.orderId),
        body: expect.stringContaining(`payment_intent=${s.paymentIntentId}`),
      },
    ]);
    expect(await pipeline.order(s.order.orderId)).toMatchObject({
      status: 'refunded',
      holdResolution: { action: 'refunded', refundId: 're_local_1' },
    });
    await expectHeld(s);
  });
});

describe('hold refund against the local stack', () => {
  test("refunds through the Stripe stand-in, which then sends Stripe's signed charge.refunded and refund.created", async () => {
    const s = await scene(4999);
    expect((await pipeline.deliver(s.paid(4999, 'jpy'))).status).toBe('SUCCEEDED');
    const port = new URL(pipeline.stack.urls.stripeApi).port;
    const refunded = await withStripeEnv({ STRIPE_API_PORT: port }, () => ops('hold', 'refund', s.order.orderId, '--json'));
    expect(refunded.code).toBe(0);
    expect(refunded.json).toMatchObject({ before: 'payment_mismatch', after: 'refunded', amount: 4999, currency: 'jpy' });
    const refundId = refunded.json.refundId as string;
    expect(refundId).toMatch(/^re_/);

    // as Stripe: the refund's events, held (listed by GET /v1/events) and delivered to the webhook
    let held: { type: string; data: { object: Record<string, unknown> } }[] = [];
    for (let i = 0; i < 100 && held.length < 2; i++) {
      held = (pipeline.stack.stripeApi.events() as unknown as typeof held).filter(
        (e) => e.data.object.payment_intent === s.paymentIntentId && e.type !== 'checkout.session.completed',
      );
      if (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(held.map((e) => e.type).sort()).toEqual(['charge.refunded', 'refund.created']);
    expect(held.find((e) => e.type === 'charge.refunded')!.data.object).toMatchObject({ amount_refunded: 4999, refunded: true });
    expect(held.find((e) => e.type === 'refund.created')!.data.object).toMatchObject({ id: refundId, amount: 4999, status: 'succeeded' });
    // the webhook recorded the charge.refunded it was sent (its refund workflow finds the order refunded)
    let types: string[] = [];
    for (let i = 0; i < 100 && !types.includes('charge.refunded'); i++) {
      types = ((await ops('order', s.order.orderId, '--json')).json.events as { type: string }[]).map((e) => e.type);
      if (!types.includes('charge.refunded')) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(types).toContain('charge.refunded');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({ status: 'refunded', holdResolution: { action: 'refunded', refundId } });
    await expectHeld(s);

    // run again: the same Idempotency-Key gets the same refund, and no new events
    const again = await withStripeEnv({ STRIPE_API_PORT: port }, () => ops('hold', 'refund', s.order.orderId, '--json'));
    expect(again.code).toBe(0);
    expect(again.json).toMatchObject({ refundId });
    const events = pipeline.stack.stripeApi.events().filter((e) => JSON.stringify(e).includes(refundId) || e.type === 'charge.refunded');
    expect(events.filter((e) => JSON.stringify(e).includes(s.paymentIntentId))).toHaveLength(2);
  });
});

describe("Adaptive Pricing: the comparison is in the integration's currency", () => {
  test('a pre-2025-03-31 session in eur whose currency_conversion says 4999 usd fulfils a 4999 usd order', async () => {
    const s = await scene(4999);
    const session = {
      ...checkoutSession({
        orderId: s.order.orderId,
        userId: s.order.userId,
        amountTotal: 4650,
        currency: 'eur',
        email: s.email,
        paymentIntentId: s.paymentIntentId,
      }),
      currency_conversion: { amount_subtotal: 4999, amount_total: 4999, fx_rate: '0.93', source_currency: 'usd' },
    };
    expect((await pipeline.deliver(stripeEvent('checkout.session.completed', session))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({
      status: 'in_production',
      amountTotal: 4999,
      currency: 'usd',
      petalsAwarded: 49,
    });
  });
});

describe('money taken is never silently ignored', () => {
  test('checkout.session.expired (cs_A), then checkout.session.completed (cs_B, paid, same order): fulfilled once', async () => {
    const s = await scene(4999);
    const csA = stripeId('cs_test');
    const csB = stripeId('cs_test');
    const expired = stripeEvent(
      'checkout.session.expired',
      checkoutSession({
        orderId: s.order.orderId,
        userId: s.order.userId,
        amountTotal: 4999,
        sessionId: csA,
        paymentStatus: 'unpaid',
        paymentIntentId: stripeId('pi'),
      }),
    );
    expect((await pipeline.deliver(expired)).status).toBe('SUCCEEDED');
    expect((await pipeline.order(s.order.orderId))?.status).toBe('cancelled');

    const completed = s.paid(4999, 'usd', csB);
    const execution = await pipeline.deliver(completed);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({
      status: 'in_production',
      stripeSessionId: csB,
      paymentIntentId: s.paymentIntentId,
      petalsAwarded: 49,
    });
    expect(printifyOrdersFor(s.order.orderId)).toHaveLength(1);
    expect(await pipeline.balance(s.order.userId)).toBe(49);
    expect(await pipeline.emailsTo(s.email)).toHaveLength(1);

    // cs_A's expiry delivered again (a replay) after the payment changes nothing
    expect((await ops('replay', expired.id)).code).toBe(0);
    expect((await pipeline.order(s.order.orderId))?.status).toBe('in_production');
  });
});

describe('a second payment of an order already paid', () => {
  test('is not fulfilled again, and ops held lists it with its payment intent', async () => {
    const s = await scene(4999);
    await pipeline.deliver(s.paid(4999));
    const secondIntent = stripeId('pi');
    const second = stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        orderId: s.order.orderId,
        userId: s.order.userId,
        amountTotal: 4999,
        email: s.email,
        paymentIntentId: secondIntent,
      }),
    );
    expect((await pipeline.deliver(second)).status).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({
      status: 'in_production',
      paymentIntentId: s.paymentIntentId,
      unfulfilledPayments: { [secondIntent]: { eventId: second.id, paymentIntentId: secondIntent } },
    });
    expect(printifyOrdersFor(s.order.orderId)).toHaveLength(1);
    expect(await pipeline.balance(s.order.userId)).toBe(49);
    const held = await ops('held');
    expect(held.out).toContain(s.order.orderId);
    expect(held.out).toContain(`hold refund ${s.order.orderId} ${secondIntent}`);
  });
});

/** Runs `run` with the STRIPE_ variables set to `env` (and unset otherwise), then restores them. */
async function withStripeEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const names = ['STRIPE_API_URL', 'STRIPE_SECRET_KEY', 'STRIPE_API_PORT'];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  for (const n of names) {
    if (env[n] === undefined) delete process.env[n];
    else process.env[n] = env[n];
  }
  try {
    return await run();
  } finally {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  }
}

/** A stand-in for Stripe's POST /v1/refunds: refunds 4999 jpy as re_local_1, recording each request. */
async function stripeStandIn(
  requests: { auth?: string; idempotencyKey?: string; body: string }[],
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ auth: req.headers.authorization, idempotencyKey: req.headers['idempotency-key'] as string | undefined, body });
      res.writeHead(req.method === 'POST' && req.url === '/v1/refunds' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 're_local_1', object: 'refund', status: 'succeeded', amount: 4999, currency: 'jpy' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
