import Stripe from 'stripe';
import { StripeSignatureVerifier } from '../../lambdas/adapters/stripe-signature';
import { InMemoryInbox, RecordingStarter } from '../support/webhook-fakes';
import type { WorkflowName } from '../../lambdas/domain/stripe-events';
import { receiveStripeWebhook, type WebhookDeps } from '../../lambdas/webhook/use-case';

const SECRET = 'whsec_test_0123456789abcdef0123456789abcdef';

const STATE_MACHINE_ARNS: Record<WorkflowName, string> = {
  fulfilment: 'arn:aws:states:us-east-1:111122223333:stateMachine:Fulfilment',
  paymentFailed: 'arn:aws:states:us-east-1:111122223333:stateMachine:PaymentFailed',
  refund: 'arn:aws:states:us-east-1:111122223333:stateMachine:Refund',
  checkoutExpired: 'arn:aws:states:us-east-1:123456789012:stateMachine:CheckoutExpired',
  dispute: 'arn:aws:states:us-east-1:123456789012:stateMachine:Dispute',
  subscriptionPayment: 'arn:aws:states:us-east-1:111122223333:stateMachine:SubscriptionPayment',
};

function setup() {
  const inbox = new InMemoryInbox();
  const starter = new RecordingStarter();
  const deps: WebhookDeps = {
    verifier: new StripeSignatureVerifier(SECRET),
    inbox,
    starter,
    stateMachineArns: STATE_MACHINE_ARNS,
  };
  return { inbox, starter, deps };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function signed(payload: string, options: { secret?: string; timestamp?: number } = {}) {
  return {
    body: Buffer.from(payload, 'utf8'),
    signature: Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? SECRET,
      timestamp: options.timestamp ?? nowSeconds(),
    }),
  };
}

function stripeEvent(id: string, type: string, object: Record<string, unknown>) {
  return {
    id,
    object: 'event',
    api_version: '2026-10-28',
    created: 1_793_000_000,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

const sessionCompleted = (id = 'evt_session_1') =>
  stripeEvent(id, 'checkout.session.completed', {
    id: 'cs_test_1',
    object: 'checkout.session',
    client_reference_id: 'ord_123',
    metadata: { orderId: 'ord_123', userId: 'user_42' },
    payment_status: 'paid',
    payment_intent: 'pi_1',
    amount_total: 4999,
    currency: 'usd',
    customer_details: { email: 'aiko@example.com', name: 'Aiko Tanaka' },
    collected_information: {
      shipping_details: { name: 'Aiko Tanaka', address: { line1: '1 Sakura Way', city: 'Portland', postal_code: '97201', country: 'US' } },
    },
  });

/** Stripe sends pretty-printed JSON; the signature covers exactly these bytes. */
const body = (event: unknown) => JSON.stringify(event, null, 2);

describe('receiveStripeWebhook: a valid event', () => {
  it('records the event with its execution ARN, starts its workflow named after the event id and answers 200: two calls', async () => {
    const { inbox, starter, deps } = setup();
    const { body: raw, signature } = signed(body(sessionCompleted()));

    const outcome = await receiveStripeWebhook(deps, raw, signature);

    const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:Fulfilment:evt_session_1';
    expect(outcome).toEqual({
      status: 200,
      outcome: 'started',
      eventId: 'evt_session_1',
      eventType: 'checkout.session.completed',
      workflow: 'fulfilment',
      orderId: 'ord_123',
      executionArn,
    });
    const expectedInput = {
      eventId: 'evt_session_1',
      eventType: 'checkout.session.completed',
      created: 1_793_000_000,
      livemode: false,
      kind: 'payment',
      orderId: 'ord_123',
      paid: true,
      stripeSessionId: 'cs_test_1',
      paymentIntentId: 'pi_1',
      amountTotal: 4999,
      currency: 'usd',
      chargedAmount: 4999,
      chargedCurrency: 'usd',
      email: 'aiko@example.com',
      customerName: 'Aiko Tanaka',
      shippingAddress: { name: 'Aiko Tanaka', line1: '1 Sakura Way', city: 'Portland', postalCode: '97201', country: 'US' },
    };
    expect(starter.starts).toEqual([{ stateMachineArn: STATE_MACHINE_ARNS.fulfilment, name: 'evt_session_1', input: expectedInput }]);
    expect(inbox.calls).toEqual(['record evt_session_1']);
    expect(inbox.items.get('evt_session_1')).toEqual({
      eventId: 'evt_session_1',
      type: 'checkout.session.completed',
      livemode: false,
      workflow: 'fulfilment',
      orderId: 'ord_123',
      input: expectedInput,
      executionArn,
    });
  });

  it.each([
    [
      'payment_intent.payment_failed',
      'paymentFailed',
      { id: 'pi_1', metadata: { orderId: 'ord_123' }, amount: 4999, currency: 'usd', last_payment_error: { message: 'Declined' } },
      'ord_123',
    ],
    [
      'charge.refunded',
      'refund',
      { id: 'ch_1', metadata: {}, payment_intent: 'pi_1', amount: 4999, amount_refunded: 4999, currency: 'usd' },
      undefined,
    ],
    [
      'invoice.payment_succeeded',
      'subscriptionPayment',
      { id: 'in_1', metadata: { userId: 'user_42' }, amount_paid: 999, currency: 'usd', parent: null },
      undefined,
    ],
  ] as const)('starts %s on the %s state machine', async (type, workflow, object, orderId) => {
    const { inbox, starter, deps } = setup();
    const { body: raw, signature } = signed(body(stripeEvent('evt_x', type, object)));

    const outcome = await receiveStripeWebhook(deps, raw, signature);

    expect(outcome).toMatchObject({ status: 200, outcome: 'started', workflow });
    expect(starter.starts).toHaveLength(1);
    expect(starter.starts[0]).toMatchObject({ stateMachineArn: STATE_MACHINE_ARNS[workflow], name: 'evt_x', input: { eventId: 'evt_x' } });
    expect(inbox.items.get('evt_x')?.orderId).toBe(orderId);
  });

  it('accepts a signature made four minutes ago (inside the five-minute tolerance)', async () => {
    const { starter, deps } = setup();
    const { body: raw, signature } = signed(body(sessionCompleted()), { timestamp: nowSeconds() - 240 });
    expect(await receiveStripeWebhook(deps, raw, signature)).toMatchObject({ status: 200, outcome: 'started' });
    expect(starter.starts).toHaveLength(1);
  });
  it('accepts a signature dated a minute ahead (clock skew)', async () => {
    const { starter, deps } = setup();
    const { body: raw, signature } = signed(body(sessionCompleted()), { timestamp: nowSeconds() + 60 });
    expect(await receiveStripeWebhook(deps, raw, signature)).toMatchObject({ status: 200, outcome: 'started' });
    expect(starter.starts).toHaveLength(1);
  });
});

describe('receiveStripeWebhook: redelivery (an honest duplicate)', () => {
  const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:Fulfilment:evt_session_1';

  it('answers a duplicate of a started event with 200 "duplicate" once Step Functions confirms its execution, starting nothing new', async () => {
    const { inbox, starter, deps } = setup();
    const first = signed(body(sessionCompleted()));
    await receiveStripeWebhook(deps, first.body, first.signature);

    const again = signed(body(sessionCompleted())); // Stripe re-signs each delivery
    const outcome = await receiveStripeWebhook(deps, again.body, again.signature);

    expect(outcome).toEqual({
      status: 200,
      outcome: 'duplicate',
      eventId: 'evt_session_1',
      eventType: 'checkout.session.completed',
      workflow: 'fulfilment',
      orderId: 'ord_123',
      executionArn,
    });
    expect(inbox.calls).toEqual(['record evt_session_1', 'record evt_session_1']);
    // the duplicate asked with an idempotent StartExecution (same name, same input): one execution
    expect(starter.starts.map((s) => s.name)).toEqual(['evt_session_1', 'evt_session_1']);
    expect(starter.starts[1].input).toEqual(starter.starts[0].input);
    expect([...starter.executions.keys()]).toEqual([executionArn]);
  });

  it('completes an event recorded by a delivery that crashed before StartExecution, and only then answers "duplicate"', async () => {
    const { inbox, starter, deps } = setup();
    const event = sessionCompleted();
    // what a crash between the put and StartExecution leaves: an item whose execution does not exist
    const first = signed(body(event));
    starter.failures.push(new Error('the process died'));
    inbox.failForget = new Error('the process died');
    await expect(receiveStripeWebhook(deps, first.body, first.signature)).rejects.toThrow('the process died');
    expect(inbox.items.get('evt_session_1')?.executionArn).toBe(executionArn);
    expect(starter.executions.size).toBe(0);
    inbox.failForget = undefined;

    const again = signed(body(event));
    const outcome = await receiveStripeWebhook(deps, again.body, again.signature);

    expect(outcome).toMatchObject({ status: 200, outcome: 'duplicate', eventId: 'evt_session_1', workflow: 'fulfilment', executionArn });
    expect([...starter.executions.keys()]).toEqual([executionArn]);
  });

  it('answers 5xx (throws), not "duplicate", when Step Functions cannot confirm the execution of a known event', async () => {
    const { starter, deps } = setup();
    const first = signed(body(sessionCompleted()));
    await receiveStripeWebhook(deps, first.body, first.signature);
    starter.failures.push(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const again = signed(body(sessionCompleted()));
    await expect(receiveStripeWebhook(deps, again.body, again.signature)).rejects.toThrow('Rate exceeded');
  });

  it('of 60 concurrent copies of one event, exactly one answers "started", 59 "duplicate", and one execution exists', async () => {
    const { inbox, starter, deps } = setup();
    const copies = Array.from({ length: 60 }, () => signed(body(sessionCompleted())));

    const outcomes = await Promise.all(copies.map((c) => receiveStripeWebhook(deps, c.body, c.signature)));

    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
    expect(counts).toEqual({ started: 1, duplicate: 59 });
    expect(outcomes.every((o) => o.status === 200 && 'executionArn' in o && o.executionArn === executionArn)).toBe(true);
    expect(inbox.items.size).toBe(1);
    expect([...starter.executions.keys()]).toEqual([executionArn]);
  });
});

describe('receiveStripeWebhook: failures that must make Stripe retry', () => {
  it('lets a starter failure propagate (the handler answers 500) and forgets the new record', async () => {
    const { inbox, starter, deps } = setup();
    const failure = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    starter.failures.push(failure);
    const { body: raw, signature } = signed(body(sessionCompleted()));

    await expect(receiveStripeWebhook(deps, raw, signature)).rejects.toBe(failure);

    expect(starter.starts).toHaveLength(1);
    expect(inbox.items.has('evt_session_1')).toBe(false);
    expect(inbox.calls).toEqual(['record evt_session_1', 'forget evt_session_1']);

    // Stripe's retry then goes through as a new event
    const retry = signed(body(sessionCompleted()));
    expect(await receiveStripeWebhook(deps, retry.body, retry.signature)).toMatchObject({ status: 200, outcome: 'started' });
    expect(starter.starts).toHaveLength(2);
  });

  it('propagates the starter failure, not a failure to forget', async () => {
    const { inbox, starter, deps } = setup();
    const failure = new Error('ServiceUnavailable');
    starter.failures.push(failure);
    inbox.failForget = new Error('forget failed too');
    const { body: raw, signature } = signed(body(sessionCompleted()));

    await expect(receiveStripeWebhook(deps, raw, signature)).rejects.toBe(failure);
  });

  it('keeps the record of an event that was already recorded when its retry fails to start again', async () => {
    const { inbox, starter, deps } = setup();
    starter.failures.push(new Error('first'));
    inbox.failForget = new Error('no');
    const first = signed(body(sessionCompleted()));
    await expect(receiveStripeWebhook(deps, first.body, first.signature)).rejects.toThrow('first');
    inbox.failForget = undefined;
    inbox.calls.length = 0;

    starter.failures.push(new Error('second'));
    const again = signed(body(sessionCompleted()));
    await expect(receiveStripeWebhook(deps, again.body, again.signature)).rejects.toThrow('second');
    expect(inbox.calls).toEqual(['record evt_session_1']);
    expect(inbox.items.has('evt_session_1')).toBe(true);
  });

  it('lets an inbox failure propagate without starting anything', async () => {
    const { inbox, starter, deps } = setup();
    inbox.failRecord = new Error('DynamoDB unavailable');
    const { body: raw, signature } = signed(body(sessionCompleted()));

    await expect(receiveStripeWebhook(deps, raw, signature)).rejects.toThrow('DynamoDB unavailable');
    expect(starter.starts).toHaveLength(0);
  });
});

describe('receiveStripeWebhook: requests that can never succeed get 400 and leave no trace', () => {
  const payload = body(sessionCompleted());

  const cases: [string, () => { raw: Buffer; signature: string | undefined }, RegExp][] = [
    ['no Stripe-Signature header', () => ({ raw: Buffer.from(payload), signature: undefined }), /missing Stripe-Signature/],
    ['an empty Stripe-Signature header', () => ({ raw: Buffer.from(payload), signature: '' }), /missing Stripe-Signature/],
    ['a malformed header', () => ({ raw: Buffer.from(payload), signature: 'not-a-signature' }), /timestamp/i],
    ['a header without a v1 signature', () => ({ raw: Buffer.from(payload), signature: `t=${nowSeconds()},v0=abc` }), /signatures/i],
    [
      'a signature made with another secret',
      () => {
        const s = signed(payload, { secret: 'whsec_someone_else' });
        return { raw: s.body, signature: s.signature };
      },
      /No signatures found matching/,
    ],
    [
      'a body changed after signing',
      () => {
        const s = signed(payload);
        return { raw: Buffer.from(payload.replace('4999', '1')), signature: s.signature };
      },
      /No signatures found matching/,
    ],
    [
      'a signature older than five minutes (replay)',
      () => {
        const s = signed(payload, { timestamp: nowSeconds() - 301 });
        return { raw: s.body, signature: s.signature };
      },
      /tolerance/,
    ],
    [
      'a signature dated more than five minutes in the future',
      () => {
        const s = signed(payload, { timestamp: nowSeconds() + 301 });
        return { raw: s.body, signature: s.signature };
      },
      /tolerance/,
    ],
    [
      'a correctly signed body that is not JSON',
      () => {
        const s = signed('id=evt_1&type=checkout.session.completed');
        return { raw: s.body, signature: s.signature };
      },
      /not JSON/,
    ],
    [
      'a correctly signed JSON body that is not an event',
      () => {
        const s = signed('{"hello":"world"}');
        return { raw: s.body, signature: s.signature };
      },
      /not a Stripe event/,
    ],
    [
      'a correctly signed event of a handled type with a malformed object',
      () => {
        const event = sessionCompleted();
        (event.data.object as Record<string, unknown>).payment_status = 42;
        const s = signed(body(event));
        return { raw: s.body, signature: s.signature };
      },
      /checkout\.session\.completed evt_session_1: payment_status/,
    ],
  ];

  it.each(cases)('%s', async (_what, request, reason) => {
    const { inbox, starter, deps } = setup();
    const { raw, signature } = request();

    const outcome = await receiveStripeWebhook(deps, raw, signature);

    expect(outcome).toEqual({ status: 400, outcome: 'rejected', reason: expect.stringMatching(reason) });
    expect(inbox.calls).toEqual([]);
    expect(starter.starts).toEqual([]);
  });

  it('never echoes the secret in a rejection reason', async () => {
    const { deps } = setup();
    const s = signed(payload, { secret: 'whsec_someone_else' });
    const outcome = await receiveStripeWebhook(deps, s.body, s.signature);
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
    expect(JSON.stringify(outcome)).not.toContain('whsec_someone_else');
  });
});

describe('receiveStripeWebhook: events the pipeline does not act on', () => {
  it('acknowledges an unhandled type with 200 "ignored" and records nothing', async () => {
    const { inbox, starter, deps } = setup();
    const { body: raw, signature } = signed(body(stripeEvent('evt_cust', 'customer.created', { id: 'cus_1', object: 'customer' })));

    const outcome = await receiveStripeWebhook(deps, raw, signature);

    expect(outcome).toEqual({
      status: 200,
      outcome: 'ignored',
      eventId: 'evt_cust',
      eventType: 'customer.created',
      reason: expect.stringContaining('customer.created'),
    });
    expect(inbox.calls).toEqual([]);
    expect(starter.starts).toEqual([]);
  });

  it('acknowledges a handled type that is not the shop\'s (no order id) with 200 "ignored" and records nothing', async () => {
    const { inbox, starter, deps } = setup();
    const event = sessionCompleted('evt_foreign');
    Object.assign(event.data.object, { client_reference_id: null, metadata: {} });
    const { body: raw, signature } = signed(body(event));

    expect(await receiveStripeWebhook(deps, raw, signature)).toMatchObject({ status: 200, outcome: 'ignored', eventId: 'evt_foreign' });
    expect(inbox.calls).toEqual([]);
    expect(starter.starts).toEqual([]);
  });
});

describe('receiveStripeWebhook: livemode', () => {
  it('refuses a test-mode event at a live-mode deployment with 400, recording nothing', async () => {
    const { inbox, starter, deps } = setup();
    const { body: raw, signature } = signed(body(sessionCompleted('evt_mode_1')));
    const outcome = await receiveStripeWebhook({ ...deps, livemode: true }, raw, signature);
    expect(outcome).toMatchObject({ status: 400, outcome: 'rejected', reason: expect.stringMatching(/livemode mismatch/) });
    expect(starter.starts).toHaveLength(0);
    expect(
      await inbox.record({ eventId: 'evt_mode_1', type: 'x', livemode: false, workflow: 'fulfilment', input: {}, executionArn: 'arn' }),
    ).toBe('new');
  });

  it("accepts an event of the deployment's own mode", async () => {
    const { starter, deps } = setup();
    const { body: raw, signature } = signed(body(sessionCompleted('evt_mode_2')));
    expect(await receiveStripeWebhook({ ...deps, livemode: false }, raw, signature)).toMatchObject({ status: 200, outcome: 'started' });
    expect(starter.starts).toHaveLength(1);
  });
});
