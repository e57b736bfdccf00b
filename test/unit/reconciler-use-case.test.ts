import type { ReconcilerCheckpoint } from '../../lambdas/adapters/reconciler-checkpoint';
import type { ListedStripeEvent, StripeEventQuery, StripeEventSource } from '../../lambdas/adapters/stripe-events-api';
import { HANDLED_EVENT_TYPES, type WorkflowName } from '../../lambdas/domain/stripe-events';
import { reconcileStripeEvents, type ReconcilerDeps } from '../../lambdas/reconciler/use-case';
import { acceptStripeEvent } from '../../lambdas/webhook/use-case';
import { checkoutSession, stripeEvent } from '../fixtures/stripe-events';
import { InMemoryInbox, RecordingStarter } from '../support/webhook-fakes';

const ARNS = Object.fromEntries(
  ['fulfilment', 'paymentFailed', 'refund', 'subscriptionPayment', 'checkoutExpired', 'dispute'].map((w) => [
    w,
    `arn:aws:states:us-east-1:111122223333:stateMachine:${w}`,
  ]),
) as Record<WorkflowName, string>;

const NOW = new Date('2026-11-29T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;

/** Stripe's List events, in memory: filters by created and type as the API does, records each query. */
class FakeStripe implements StripeEventSource {
  readonly events: ListedStripeEvent[] = [];
  readonly queries: StripeEventQuery[] = [];
  failure?: Error;
  async list(query: StripeEventQuery): Promise<ListedStripeEvent[]> {
    this.queries.push(query);
    if (this.failure) throw this.failure;
    return this.events
      .filter((e) => e.created >= query.createdGte && e.created <= query.createdLte && query.types.includes(e.type))
      .reverse();
  }
}

class FakeCheckpoint implements ReconcilerCheckpoint {
  value?: number;
  async read() {
    return this.value;
  }
  async advance(createdGte: number) {
    if (this.value === undefined || this.value <= createdGte) this.value = createdGte;
  }
}

function setup() {
  const inbox = new InMemoryInbox();
  const starter = new RecordingStarter();
  const stripe = new FakeStripe();
  const checkpoint = new FakeCheckpoint();
  const deps: ReconcilerDeps = { source: stripe, checkpoint, accept: { inbox, starter, stateMachineArns: ARNS }, now: () => NOW };
  return { inbox, starter, stripe, checkpoint, deps };
}

const paid = (created: number, orderId = `ord_${created}`) =>
  stripeEvent('checkout.session.completed', checkoutSession({ orderId, userId: 'user_1', amountTotal: 4999 }), {
    created,
  }) as unknown as ListedStripeEvent;

describe('reconcileStripeEvents', () => {
  it('lists the handled types from the checkpoint to now minus the grace, and delivers the events the inbox lacks, oldest first', async () => {
    const { inbox, starter, stripe, checkpoint, deps } = setup();
    checkpoint.value = nowSeconds - 3600;
    const delivered = paid(nowSeconds - 3000);
    await acceptStripeEvent(deps.accept, delivered); // the webhook got this one
    const missedOld = paid(nowSeconds - 2000);
    const missedNew = paid(nowSeconds - 1000);
    const tooYoung = paid(nowSeconds - 60); // Stripe may still be delivering it
    const beforeCheckpoint = paid(nowSeconds - 4000);
    stripe.events.push(beforeCheckpoint, delivered, missedOld, missedNew, tooYoung);
    starter.starts.length = 0;

    const result = await reconcileStripeEvents(deps);

    expect(stripe.queries).toEqual([{ createdGte: nowSeconds - 3600, createdLte: nowSeconds - 300, types: HANDLED_EVENT_TYPES }]);
    expect(result).toMatchObject({
      window: { from: nowSeconds - 3600, to: nowSeconds - 300 },
      listed: 3,
      known: 1,
      ignored: 0,
      rejected: [],
      failed: [],
    });
    expect(result.missed.map((m) => m.eventId)).toEqual([missedOld.id, missedNew.id]);
    expect(result.missed[0]!.executionArn).toBe(`arn:aws:states:us-east-1:111122223333:execution:fulfilment:${missedOld.id}`);
    expect([...inbox.items.keys()].sort()).toEqual([delivered.id, missedOld.id, missedNew.id].sort());
    expect(starter.executions.size).toBe(3);
    // the next window starts right after this one (both bounds inclusive)
    expect(checkpoint.value).toBe(nowSeconds - 299);
    expect(result.checkpoint).toBe(nowSeconds - 299);
  });

  it('does nothing new on a second run over the same events', async () => {
    const { inbox, starter, stripe, deps } = setup();
    stripe.events.push(paid(nowSeconds - 1000), paid(nowSeconds - 900));
    const first = await reconcileStripeEvents(deps, { since: nowSeconds - 3600 });
    expect(first.missed).toHaveLength(2);
    const items = structuredClone([...inbox.items]);

    const second = await reconcileStripeEvents(deps, { since: nowSeconds - 3600 });

    expect(second).toMatchObject({ missed: [], known: 2, failed: [] });
    expect([...inbox.items]).toEqual(items);
    expect(starter.executions.size).toBe(2);
  });

  it('starts an inbox event whose execution never started (a webhook that died between put and start), without counting it missed', async () => {
    const { inbox, starter, stripe, deps } = setup();
    const halfDone = paid(nowSeconds - 1000);
    starter.failures.push(new Error('died'));
    inbox.failForget = new Error('died');
    await expect(acceptStripeEvent(deps.accept, halfDone)).rejects.toThrow('died');
    inbox.failForget = undefined;
    stripe.events.push(halfDone);

    const result = await reconcileStripeEvents(deps, { since: nowSeconds - 3600 });

    expect(result).toMatchObject({ missed: [], known: 1 });
    expect([...starter.executions.keys()]).toEqual([`arn:aws:states:us-east-1:111122223333:execution:fulfilment:${halfDone.id}`]);
  });

  it('a run by hand (since) lists from that second and leaves the checkpoint alone', async () => {
    const { stripe, checkpoint, deps } = setup();
    checkpoint.value = nowSeconds - 600;
    await reconcileStripeEvents(deps, { since: nowSeconds - 3 * 86_400 });
    expect(stripe.queries[0]!.createdGte).toBe(nowSeconds - 3 * 86_400);
    expect(checkpoint.value).toBe(nowSeconds - 600);
  });

  it('never looks further back than Stripe keeps events (30 days)', async () => {
    const { stripe, deps } = setup();
    await reconcileStripeEvents(deps, { since: nowSeconds - 90 * 86_400 });
    expect(stripe.queries[0]!.createdGte).toBe(nowSeconds - 30 * 86_400);
  });

  it('without a checkpoint, looks back the initial lookback (default two hours)', async () => {
    const { stripe, deps } = setup();
    await reconcileStripeEvents(deps);
    expect(stripe.queries[0]!.createdGte).toBe(nowSeconds - 300 - 7200);
  });

  it('keeps the checkpoint when an event could not be delivered, so that the next run tries it again', async () => {
    const { starter, stripe, checkpoint, deps } = setup();
    checkpoint.value = nowSeconds - 3600;
    stripe.events.push(paid(nowSeconds - 1000), paid(nowSeconds - 900));
    starter.failures.push(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const result = await reconcileStripeEvents(deps);

    expect(result.failed).toEqual([expect.objectContaining({ error: 'ThrottlingException: Rate exceeded' })]);
    expect(result.missed).toHaveLength(1);
    expect(checkpoint.value).toBe(nowSeconds - 3600);
    expect(result.checkpoint).toBeUndefined();

    const retry = await reconcileStripeEvents(deps);
    expect(retry.missed).toHaveLength(1);
    expect(retry.failed).toEqual([]);
    expect(checkpoint.value).toBe(nowSeconds - 299);
  });

  it('rejects what the webhook would reject (another livemode), and counts what it would ignore', async () => {
    const { stripe, deps } = setup();
    const live = stripeEvent('checkout.session.completed', checkoutSession({ orderId: 'ord_live', userId: 'u', amountTotal: 100 }), {
      created: nowSeconds - 1000,
      livemode: true,
    });
    const foreign = stripeEvent(
      'checkout.session.completed',
      { ...checkoutSession({ orderId: 'x', userId: 'u', amountTotal: 100 }), client_reference_id: null, metadata: {} },
      { created: nowSeconds - 900 },
    );
    stripe.events.push(live as unknown as ListedStripeEvent, foreign as unknown as ListedStripeEvent);

    const result = await reconcileStripeEvents({ ...deps, accept: { ...deps.accept, livemode: false } }, { since: nowSeconds - 3600 });

    expect(result.rejected).toEqual([expect.objectContaining({ eventId: live.id, reason: expect.stringMatching(/livemode mismatch/) })]);
    expect(result.ignored).toBe(1);
    expect(result.missed).toEqual([]);
  });

  it("lets a failure of Stripe's API propagate, leaving the checkpoint", async () => {
    const { stripe, checkpoint, deps } = setup();
    checkpoint.value = nowSeconds - 3600;
    stripe.failure = new Error('Stripe GET /v1/events answered 401: Invalid API Key provided.');
    await expect(reconcileStripeEvents(deps)).rejects.toThrow(/401/);
    expect(checkpoint.value).toBe(nowSeconds - 3600);
  });
});
