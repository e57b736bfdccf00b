import { StripeEventsApi, type ListedStripeEvent } from '../../lambdas/adapters/stripe-events-api';
import { LOCAL_STRIPE_SECRET_KEY, startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api';

/** The reconciler's Stripe client against the local stand-in of Stripe's List events API. */
describe('StripeEventsApi against the Stripe API stand-in', () => {
  let stripe: StripeApiStandIn;
  beforeAll(async () => {
    stripe = await startStripeApiStandIn({ port: 0, webhookSecret: 'whsec_test_local' });
    // 250 events over 250 seconds, of two types, plus one of a type nobody asked for
    for (let i = 0; i < 250; i++) {
      stripe.add({
        id: `evt_${String(i).padStart(3, '0')}`,
        object: 'event',
        type: i % 2 ? 'charge.refunded' : 'checkout.session.completed',
        created: 1_800_000_000 + i,
        livemode: false,
      });
    }
    stripe.add({ id: 'evt_other', object: 'event', type: 'customer.created', created: 1_800_000_100, livemode: false });
  });
  afterAll(async () => stripe?.stop());

  const api = (key = stripe.apiKey) => new StripeEventsApi(async () => key, stripe.url);

  it('pages through every event of the given types and window (limit 100, starting_after), each once', async () => {
    const events = await api().list({
      createdGte: 1_800_000_000,
      createdLte: 1_800_000_249,
      types: ['checkout.session.completed', 'charge.refunded'],
    });
    expect(events).toHaveLength(250);
    expect(new Set(events.map((e) => e.id)).size).toBe(250);
    expect(events[0]!.id).toBe('evt_249'); // newest first, as Stripe lists
  });

  it('filters by created (both bounds inclusive) and by type', async () => {
    const events = await api().list({ createdGte: 1_800_000_010, createdLte: 1_800_000_019, types: ['charge.refunded'] });
    expect(events.map((e: ListedStripeEvent) => e.id).sort()).toEqual(['evt_011', 'evt_013', 'evt_015', 'evt_017', 'evt_019']);
  });

  it("splits more than 20 types into several requests (Stripe's limit per request)", async () => {
    const types = [...Array.from({ length: 25 }, (_, i) => `made.up_${i}`), 'customer.created'];
    const events = await api().list({ createdGte: 1_800_000_000, createdLte: 1_800_000_249, types });
    expect(events.map((e) => e.id)).toEqual(['evt_other']);
  });

  it('fails with 401 when the key is wrong, as Stripe does', async () => {
    await expect(api('rk_test_wrong').list({ createdGte: 0, createdLte: 2_000_000_000, types: ['charge.refunded'] })).rejects.toMatchObject(
      {
        name: 'StripeApiError',
        status: 401,
      },
    );
    const raw = await fetch(`${stripe.url}/v1/events`);
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('answers the documented list shape, and refuses more than 20 types', async () => {
    const headers = { authorization: `Bearer ${stripe.apiKey}` };
    const page = (await (await fetch(`${stripe.url}/v1/events?limit=3`, { headers })).json()) as { data: unknown[] };
    expect(page).toMatchObject({ object: 'list', has_more: true, url: '/v1/events' });
    expect(page.data).toHaveLength(3);
    const tooMany = new URLSearchParams(Array.from({ length: 21 }, (_, i): [string, string] => ['types[]', `t${i}`]));
    expect((await fetch(`${stripe.url}/v1/events?${tooMany.toString()}`, { headers })).status).toBe(400);
  });
});

/** Stripe's Create a refund on the stand-in: what `ops hold refund` uses against the local stack. */
describe('POST /v1/refunds on the Stripe API stand-in', () => {
  let stripe: StripeApiStandIn;
  beforeAll(async () => {
    stripe = await startStripeApiStandIn({ port: 0, webhookSecret: 'whsec_test_local' });
    stripe.add({
      id: 'evt_paid',
      object: 'event',
      type: 'checkout.session.completed',
      created: 1_800_000_000,
      livemode: false,
      data: {
        object: { payment_intent: 'pi_known', payment_status: 'paid', amount_total: 3000, currency: 'usd', metadata: { orderId: 'o1' } },
      },
    });
  });
  afterAll(async () => stripe?.stop());

  const refund = (form: Record<string, string>, key = LOCAL_STRIPE_SECRET_KEY, idempotencyKey?: string) =>
    fetch(`${stripe.url}/v1/refunds`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: new URLSearchParams(form).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  it('refunds a known payment intent (default what is left), once per idempotency key, and holds its events', async () => {
    expect((await refund({ payment_intent: 'pi_known' }, stripe.apiKey)).status).toBe(401);
    expect(await refund({ payment_intent: 'pi_unknown' })).toMatchObject({ status: 404, body: { error: { code: 'resource_missing' } } });
    expect(await refund({})).toMatchObject({ status: 400, body: { error: { param: 'payment_intent' } } });
    expect(await refund({ payment_intent: 'pi_known', amount: '5000' })).toMatchObject({
      status: 400,
      body: { error: { code: 'amount_too_large' } },
    });

    const first = await refund({ payment_intent: 'pi_known', amount: '1000', 'metadata[orderId]': 'o1' }, undefined, 'k1');
    expect(first).toMatchObject({
      status: 200,
      body: {
        object: 'refund',
        amount: 1000,
        currency: 'usd',
        status: 'succeeded',
        payment_intent: 'pi_known',
        metadata: { orderId: 'o1' },
      },
    });
    expect(await refund({ payment_intent: 'pi_known', amount: '1000' }, undefined, 'k1')).toEqual(first);
    const rest = await refund({ payment_intent: 'pi_known' }, undefined, 'k2');
    expect(rest).toMatchObject({ status: 200, body: { amount: 2000, charge: first.body.charge } });
    expect(await refund({ payment_intent: 'pi_known' }, undefined, 'k3')).toMatchObject({
      status: 400,
      body: { error: { code: 'charge_already_refunded' } },
    });

    const refunded = stripe
      .events()
      .filter((e) => e.type === 'charge.refunded')
      .map((e) => (e.data as { object: Record<string, unknown> }).object);
    expect(refunded.map((c) => c.amount_refunded).sort()).toEqual([1000, 3000]);
    expect(new Set(refunded.map((c) => c.id))).toEqual(new Set([first.body.charge]));
    expect(stripe.events().filter((e) => e.type === 'refund.created')).toHaveLength(2);
  });
});
