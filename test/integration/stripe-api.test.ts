import { StripeEventsApi, type ListedStripeEvent } from '../../lambdas/adapters/stripe-events-api';
import { startStripeApiStandIn, type StripeApiStandIn } from '../../local/stripe-api';

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
