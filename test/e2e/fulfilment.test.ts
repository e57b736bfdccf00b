import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { OrderItem } from '../../lambdas/domain/order';
import { DEMO_ITEMS, DEMO_MAPPINGS } from '../fixtures/storefront';
import { checkoutSession, DEMO_ADDRESS, paymentIntent, stripeEvent, stripeId, type DemoAddress } from '../fixtures/stripe-events';
import type { LocalExecution } from '../../local/step-functions-service';
import { ExecutionHold } from '../../scripts/bench/hold';
import { LocalPipeline } from '../support/local-pipeline';
import { eventually } from '../support/eventually';

/**
 * The fulfilment workflow end to end: Stripe's payment events -> webhook -> Step Functions ->
 * fulfilment, petals, email and cart Lambdas -> DynamoDB Local, local SES, Printify stand-in.
 */

// The Printify client gives up on a request after this long (the handler's PRINTIFY_TIMEOUT_MS,
// 10 s by default): short here so that the "accepted, then timed out" case runs in seconds.
const PRINTIFY_TIMEOUT_MS = 1500;

let pipeline: LocalPipeline;
beforeAll(async () => {
  // retries 100x faster than in AWS, but slow enough that an event sent next arrives between them
  pipeline = await LocalPipeline.start({ environment: { PRINTIFY_TIMEOUT_MS: String(PRINTIFY_TIMEOUT_MS) }, retryDelayScale: 0.01 });
}, 120_000);
afterAll(async () => pipeline?.stop());

const uniqueEmail = () => `buyer_${randomBytes(5).toString('hex')}@example.com`;

/** A storefront checkout (pending order, its cart lines and mappings) and Stripe's events for it. */
async function checkout(options: { items?: OrderItem[]; address?: DemoAddress; paymentStatus?: 'paid' | 'unpaid' } = {}) {
  const order = await pipeline.storefront.checkoutScene(options.items ? { items: options.items } : {});
  const email = uniqueEmail();
  const sessionId = stripeId('cs_test');
  const paymentIntentId = stripeId('pi');
  const address = options.address ?? DEMO_ADDRESS;
  const sessionCompleted = () =>
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        orderId: order.orderId,
        userId: order.userId,
        amountTotal: order.amountTotal,
        email,
        address,
        sessionId,
        paymentIntentId,
        ...(options.paymentStatus ? { paymentStatus: options.paymentStatus } : {}),
      }),
    );
  const intentSucceeded = () =>
    stripeEvent(
      'payment_intent.succeeded',
      paymentIntent(
        { orderId: order.orderId, userId: order.userId, paymentIntentId, amount: order.amountTotal, email, address },
        'succeeded',
      ),
    );
  return { order, email, sessionId, paymentIntentId, address, sessionCompleted, intentSucceeded };
}

const printifyOrdersFor = (orderId: string) => pipeline.stack.printify.orders().filter((o) => o.external_id === orderId);
const printifyCreatesFor = (orderId: string) =>
  pipeline.stack.printify
    .requests()
    .filter(
      (r) =>
        r.method === 'POST' && /\/orders\.json$/.test(r.path) && (r.body as { external_id?: string } | undefined)?.external_id === orderId,
    );
const tasksExited = (execution: LocalExecution) => execution.history.filter((h) => h.type === 'TaskStateExited').map((h) => h.name);
const statesEntered = (execution: LocalExecution) => execution.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => h.name);
const FULFILMENT_TASKS = ['Record payment', 'Create Printify order', 'Send confirmation email', 'Award petals', 'Clear cart'];

/** The effects that must happen once per paid order, whatever Stripe sends. */
async function expectFulfilledOnce(order: { orderId: string; userId: string }, email: string) {
  expect(printifyOrdersFor(order.orderId)).toHaveLength(1);
  const ledger = await pipeline.ledger(order.userId);
  expect(ledger).toHaveLength(1);
  expect(ledger[0]).toMatchObject({ sk: `LEDGER#purchase#${order.orderId}`, amount: 49 });
  expect(await pipeline.balance(order.userId)).toBe(49);
  expect(await pipeline.emailsTo(email)).toHaveLength(1);
  const stored = await pipeline.order(order.orderId);
  expect(stored?.status).toBe('in_production');
  expect(stored?.printifyOrderId).toBe(printifyOrdersFor(order.orderId)[0]?.id);
}

describe('checkout.session.completed, paid, every product mapped', () => {
  test('the order goes to production once: Printify order, petals, confirmation email, purchased cart lines cleared', async () => {
    const address: DemoAddress = {
      name: 'Mary Jane Watson',
      line1: '20 Ingram Street',
      line2: 'Floor 2',
      city: 'Forest Hills',
      state: 'NY',
      postalCode: '11375',
      country: 'US',
      phone: '+17185550123',
    };
    const { order, email, sessionId, paymentIntentId, sessionCompleted } = await checkout({ address });
    expect(order.amountTotal).toBe(4999);
    // After checkout the customer changed the quantity of a purchased line and added another product.
    const afterCheckout = new Date(Date.parse(order.createdAt) + 1000);
    await pipeline.storefront.putCartLine(order.userId, {
      productId: 'prod_kitsune_sticker',
      variantId: 'std',
      quantity: 5,
      updatedAt: afterCheckout,
    });
    await pipeline.storefront.putCartLine(order.userId, {
      productId: 'prod_ramen_mug',
      variantId: 'std',
      quantity: 1,
      updatedAt: afterCheckout,
    });

    const event = sessionCompleted();
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(expect.arrayContaining(FULFILMENT_TASKS));

    // The order: in production, with what the session told us.
    const stored = await pipeline.order(order.orderId);
    expect(stored).toMatchObject({
      status: 'in_production',
      email,
      stripeSessionId: sessionId,
      paymentIntentId,
      amountTotal: 4999,
      currency: 'usd',
      shippingAddress: {
        name: 'Mary Jane Watson',
        line1: '20 Ingram Street',
        line2: 'Floor 2',
        city: 'Forest Hills',
        state: 'NY',
        postalCode: '11375',
        country: 'US',
      },
    });
    expect(typeof stored?.printifyOrderId).toBe('string');

    // Printify: exactly one order, built from the order's items, mappings and the session's address.
    const created = printifyOrdersFor(order.orderId);
    expect(created).toHaveLength(1);
    expect(stored?.printifyOrderId).toBe(created[0]!.id);
    const creates = printifyCreatesFor(order.orderId);
    expect(creates).toHaveLength(1);
    const body = creates[0]!.body as Record<string, unknown>;
    expect(body.external_id).toBe(order.orderId);
    const [hoodie, sticker] = DEMO_MAPPINGS;
    expect(body.line_items).toEqual([
      { product_id: hoodie!.printifyProductId, variant_id: hoodie!.printifyVariantId, quantity: 1 },
      { product_id: sticker!.printifyProductId, variant_id: sticker!.printifyVariantId, quantity: 2 },
    ]);
    expect(body.address_to).toMatchObject({
      first_name: 'Mary Jane',
      last_name: 'Watson',
      address1: '20 Ingram Street',
      address2: 'Floor 2',
      city: 'Forest Hills',
      region: 'NY',
      zip: '11375',
      country: 'US',
    });

    // Petals: one purchase bonus of 49 for $49.99, written with the balance.
    const ledger = await pipeline.ledger(order.userId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      pk: `USER#${order.userId}`,
      sk: `LEDGER#purchase#${order.orderId}`,
      type: 'purchase_bonus',
      amount: 49,
      reason: 'Purchase bonus',
      source: 'purchase',
      description: `Purchase bonus for order ${order.orderId}`,
      metadata: expect.objectContaining({ orderId: order.orderId, stripeSessionId: sessionId, amountCents: 4999 }),
    });
    expect(await pipeline.balance(order.userId)).toBe(49);

    // One confirmation email, HTML and text, to the address the customer gave Stripe.
    const emails = await pipeline.emailsTo(email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toContain(order.orderId);
    expect(emails[0]!.html).toContain(order.orderId);
    expect(emails[0]!.text).toContain(order.orderId);
    expect(emails[0]!.text).toContain('49 petals');

    // The cart: the unchanged purchased line is gone; the changed one and the new one stay.
    const cart = await pipeline.cart(order.userId);
    expect(cart.map((line) => line.sk).sort()).toEqual([`CART#prod_kitsune_sticker#std`, `CART#prod_ramen_mug#std`].sort());
    expect(cart.find((line) => line.productId === 'prod_kitsune_sticker')?.quantity).toBe(5);
  });

  test('the same event delivered again after completion: 200 duplicate, no second effect', async () => {
    const { order, email, sessionCompleted } = await checkout();
    const event = sessionCompleted();
    expect((await pipeline.deliver(event)).status).toBe('SUCCEEDED');

    const again = await pipeline.send(event);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', eventId: event.id });
    await pipeline.stack.stepFunctions.idle();
    const executions = pipeline.stack.stepFunctions.listExecutions().filter((e) => e.name === event.id);
    expect(executions).toHaveLength(1);
    await expectFulfilledOnce(order, email);
    expect(printifyCreatesFor(order.orderId)).toHaveLength(1);
  });
});

describe('addresses as the world writes them', () => {
  test('a Hong Kong address without postal code or city is recorded and the Printify order is created with it', async () => {
    const address: DemoAddress = { name: 'Chan Tai Man', line1: "Flat 12, 3/F, 88 Queen's Road Central", state: 'Central', country: 'HK' };
    const { order, email, sessionCompleted } = await checkout({ address });
    const execution = await pipeline.deliver(sessionCompleted());
    expect(execution.status).toBe('SUCCEEDED');

    const stored = await pipeline.order(order.orderId);
    expect(stored).toMatchObject({
      status: 'in_production',
      shippingAddress: { name: 'Chan Tai Man', line1: address.line1, state: 'Central', country: 'HK' },
    });
    expect(stored?.shippingAddress).not.toHaveProperty('postalCode');
    const [printifyOrder] = printifyOrdersFor(order.orderId);
    expect(printifyOrder?.address_to).toMatchObject({ address1: address.line1, region: 'Central', country: 'HK' });
    expect(printifyOrder?.address_to).not.toHaveProperty('zip');
    await expectFulfilledOnce(order, email);
  });
});

describe('items written by the documented data model alone (docs/data-model.md)', () => {
  test('an order, its cart line and its product mapping with only the listed attributes: fulfilled', async () => {
    const suffix = randomBytes(4).toString('hex');
    const orderId = `ord_model_${suffix}`;
    const userId = `user_model_${suffix}`;
    const productId = `prod_model_${suffix}`;
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    const put = (Item: Record<string, unknown>) => pipeline.db.send(new PutCommand({ TableName: pipeline.stack.tableName, Item }));
    // Exactly the attributes docs/data-model.md lists as required; ids only in the keys.
    await put({
      pk: `ORDER#${orderId}`,
      sk: 'ORDER',
      userId,
      status: 'pending',
      currency: 'usd',
      amountTotal: 2500,
      items: [{ productId, variantId: 'L', quantity: 1, unitAmount: 2500 }],
      createdAt,
    });
    await put({ pk: `USER#${userId}`, sk: `CART#${productId}#L`, quantity: 1 });
    await put({ pk: `PRODUCT#${productId}`, sk: 'VARIANT#L', printifyProductId: '5d39b159e7c48c000728c89f', printifyVariantId: 32918 });

    const email = uniqueEmail();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId, userId, amountTotal: 2500, email, address: DEMO_ADDRESS }),
    );
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');

    expect(await pipeline.order(orderId)).toMatchObject({ status: 'in_production', email });
    const [printifyOrder] = printifyOrdersFor(orderId);
    expect(printifyOrder?.line_items).toEqual([
      expect.objectContaining({ product_id: '5d39b159e7c48c000728c89f', variant_id: 32918, quantity: 1 }),
    ]);
    expect(await pipeline.ledger(userId)).toEqual([expect.objectContaining({ sk: `LEDGER#purchase#${orderId}`, amount: 25 })]);
    expect(await pipeline.cart(userId)).toEqual([]);
    expect(await pipeline.emailsTo(email)).toHaveLength(1);
  });
});

describe('customer email addresses', () => {
  test.each([
    ['a header injection', 'someone@example.com\r\nBcc: other@example.net'],
    ['a list', 'a, b'],
    ['not an address', 'not-an-email'],
  ])('%s never reaches SES, and fulfilment goes on', async (_what, badEmail) => {
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        orderId: order.orderId,
        userId: order.userId,
        amountTotal: order.amountTotal,
        email: badEmail,
        address: DEMO_ADDRESS,
      }),
    );
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'in_production' });
    expect(printifyOrdersFor(order.orderId)).toHaveLength(1);
    expect(printifyOrdersFor(order.orderId)[0]?.address_to).not.toHaveProperty('email');
    const sent = await pipeline.stack.ses.sentEmails();
    expect(
      sent.filter((e) => e.to.some((to: string) => to.includes('other@example.net') || to === 'a' || to.includes('not-an-email'))),
    ).toEqual([]);
  });

  test('a Unicode domain is sent to its punycode form', async () => {
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        orderId: order.orderId,
        userId: order.userId,
        amountTotal: order.amountTotal,
        email: 'user@bücher.example',
        address: DEMO_ADDRESS,
      }),
    );
    expect((await pipeline.deliver(event)).status).toBe('SUCCEEDED');
    expect(await pipeline.emailsTo('user@xn--bcher-kva.example')).toHaveLength(1);
  });
});

describe('two events pay the same order', () => {
  test('payment_intent.succeeded after checkout.session.completed: its execution succeeds and does nothing', async () => {
    const { order, email, sessionCompleted, intentSucceeded } = await checkout();
    expect((await pipeline.deliver(sessionCompleted())).status).toBe('SUCCEEDED');

    const late = await pipeline.deliver(intentSucceeded());
    expect(late.status).toBe('SUCCEEDED');
    expect(tasksExited(late)).toEqual(['Record payment']);
    expect(statesEntered(late)).toContain('Nothing to fulfil');
    expect(statesEntered(late)).not.toContain('Fulfil');

    await expectFulfilledOnce(order, email);
    expect(printifyCreatesFor(order.orderId)).toHaveLength(1);
  });

  test('a late payment_intent.succeeded does not rewrite an order already in production', async () => {
    // Stripe reports the same payment twice: the session's shipping details carry no phone, the
    // payment intent's do. The order was sent to Printify with the session's; a late event must not
    // make the record disagree with what Printify has.
    const { order, sessionCompleted, intentSucceeded } = await checkout();
    expect((await pipeline.deliver(sessionCompleted())).status).toBe('SUCCEEDED');
    const { updatedAt: _before, ...inProduction } = (await pipeline.order(order.orderId))!;
    expect(inProduction.status).toBe('in_production');

    expect((await pipeline.deliver(intentSucceeded())).status).toBe('SUCCEEDED');
    const { updatedAt: _after, ...afterwards } = (await pipeline.order(order.orderId))!;
    expect(afterwards).toEqual(inProduction);
  });

  test('payment_intent.succeeded first (shipping, receipt email), then checkout.session.completed: fulfilled exactly once', async () => {
    const { order, email, sessionId, paymentIntentId, sessionCompleted, intentSucceeded } = await checkout();
    const first = await pipeline.deliver(intentSucceeded());
    expect(first.status).toBe('SUCCEEDED');
    expect(tasksExited(first)).toEqual(expect.arrayContaining(FULFILMENT_TASKS));
    // The intent alone carries enough to fulfil: its shipping address and receipt email.
    const [create] = printifyCreatesFor(order.orderId);
    expect((create?.body as { address_to?: unknown } | undefined)?.address_to).toMatchObject({
      first_name: 'Sakura',
      last_name: 'Haruno',
      address1: DEMO_ADDRESS.line1,
      city: DEMO_ADDRESS.city,
      region: DEMO_ADDRESS.state,
      zip: DEMO_ADDRESS.postalCode,
      country: DEMO_ADDRESS.country,
    });

    const second = await pipeline.deliver(sessionCompleted());
    expect(second.status).toBe('SUCCEEDED');
    expect(statesEntered(second)).toContain('Nothing to fulfil');

    await expectFulfilledOnce(order, email);
    expect(printifyCreatesFor(order.orderId)).toHaveLength(1);
    // The session's details are still recorded on the order.
    expect(await pipeline.order(order.orderId)).toMatchObject({ stripeSessionId: sessionId, paymentIntentId, email });
    // The petals name the payment that earned them (no session was known yet).
    const [entry] = await pipeline.ledger(order.userId);
    expect(entry?.metadata).toEqual({ orderId: order.orderId, paymentIntentId, amountCents: order.amountTotal, currency: 'usd' });
  });

  test("payment_intent.succeeded without shipping first: the Printify order waits for the session's address", async () => {
    const { order, email, sessionCompleted } = await checkout();
    const intent = stripeEvent(
      'payment_intent.succeeded',
      paymentIntent(
        { orderId: order.orderId, userId: order.userId, paymentIntentId: stripeId('pi'), amount: order.amountTotal, email, address: null },
        'succeeded',
      ),
    );
    expect((await pipeline.send(intent)).status).toBe(200);
    // Wait until the intent's Printify step is waiting for an address (retrying), then send the session.
    const waiting = pipeline.stack.stepFunctions.describeExecution(pipeline.executionArn('fulfilment', intent.id));
    await eventually(
      'a retry of "Create Printify order"',
      () => waiting.history.some((h) => h.type === 'StateRetried' && h.name === 'Create Printify order'),
      {
        check: () => expect(waiting.status).toBe('RUNNING'),
      },
    );
    const session = sessionCompleted();
    expect((await pipeline.send(session)).status).toBe(200);
    const [first, second] = await Promise.all([pipeline.execution('fulfilment', intent.id), pipeline.execution('fulfilment', session.id)]);
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    await expectFulfilledOnce(order, email);
    expect((printifyCreatesFor(order.orderId)[0]?.body as { address_to?: unknown } | undefined)?.address_to).toMatchObject({
      address1: DEMO_ADDRESS.line1,
      zip: DEMO_ADDRESS.postalCode,
    });
  });

  test('both at the same moment: one Printify order, one email, one ledger entry', async () => {
    const { order, email, sessionCompleted, intentSucceeded } = await checkout();
    const executions = await Promise.all([pipeline.deliver(sessionCompleted()), pipeline.deliver(intentSucceeded())]);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // Exactly one of them fulfilled.
    expect(executions.filter((e) => statesEntered(e).includes('Fulfil'))).toHaveLength(1);
    await expectFulfilledOnce(order, email);
    expect(printifyCreatesFor(order.orderId)).toHaveLength(1);
  });
});

describe('orders that cannot (yet) go to Printify', () => {
  test('an item without a Printify mapping: pending_mapping, no Printify request, petals and email all the same', async () => {
    const unmapped: OrderItem = {
      productId: `prod_unmapped_${randomBytes(3).toString('hex')}`,
      variantId: 'L',
      quantity: 1,
      unitAmount: 2500,
      title: 'Unmapped Tee',
    };
    const items = [DEMO_ITEMS[0]!, unmapped];
    const { order, email, sessionCompleted } = await checkout({ items });
    expect(order.amountTotal).toBe(6499);

    const execution = await pipeline.deliver(sessionCompleted());
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(expect.arrayContaining(FULFILMENT_TASKS));

    const stored = await pipeline.order(order.orderId);
    expect(stored?.status).toBe('pending_mapping');
    expect(stored?.missingMappings).toEqual([`${unmapped.productId}/L`]);
    expect(stored?.printifyOrderId).toBeUndefined();
    expect(printifyCreatesFor(order.orderId)).toHaveLength(0);
    expect(printifyOrdersFor(order.orderId)).toHaveLength(0);

    const ledger = await pipeline.ledger(order.userId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ sk: `LEDGER#purchase#${order.orderId}`, type: 'purchase_bonus', amount: 64 });
    expect(await pipeline.balance(order.userId)).toBe(64);
    expect(await pipeline.emailsTo(email)).toHaveLength(1);
  });

  test('Printify refusing the order for good: fulfillment_failed, execution FAILED, yet petals and email', async () => {
    const { order, email, sessionCompleted } = await checkout();
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ status: 400, times: 10 });
    try {
      const event = sessionCompleted();
      const execution = await pipeline.deliver(event);
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('FulfilmentIncomplete');
      expect((await pipeline.describeExecution('fulfilment', event.id)).status).toBe('FAILED');
      expect(tasksExited(execution)).toEqual(
        expect.arrayContaining(['Record payment', 'Mark fulfillment failed', 'Send confirmation email', 'Award petals', 'Clear cart']),
      );

      const stored = await pipeline.order(order.orderId);
      expect(stored?.status).toBe('fulfillment_failed');
      expect(stored?.failureReason).toMatch(/Printify/);
      expect(stored?.printifyOrderId).toBeUndefined();
      // A refusal (4xx) is not retried: one request, no order.
      expect(printifyCreatesFor(order.orderId)).toHaveLength(1);
      expect(printifyOrdersFor(order.orderId)).toHaveLength(0);

      expect(await pipeline.ledger(order.userId)).toEqual([
        expect.objectContaining({ sk: `LEDGER#purchase#${order.orderId}`, amount: 49 }),
      ]);
      expect(await pipeline.balance(order.userId)).toBe(49);
      expect(await pipeline.emailsTo(email)).toHaveLength(1);
    } finally {
      pipeline.stack.printify.reset(); // the unused faults must not reach the next test
    }
  });

  test('Printify answering 429 once: retried, in_production, exactly one Printify order', async () => {
    const { order, email, sessionCompleted } = await checkout();
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ status: 429, times: 1 });

    const execution = await pipeline.deliver(sessionCompleted());
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history.filter((h) => h.type === 'StateRetried' && h.name === 'Create Printify order')).toHaveLength(1);
    expect(printifyCreatesFor(order.orderId)).toHaveLength(2);
    await expectFulfilledOnce(order, email);
  });

  test(`Printify accepting the order, then answering after the client's ${PRINTIFY_TIMEOUT_MS} ms timeout: the retry finds it, no second order`, async () => {
    const { order, email, sessionCompleted } = await checkout();
    await pipeline.stack.stepFunctions.idle();
    pipeline.stack.printify.fail({ acceptThenDelayMs: PRINTIFY_TIMEOUT_MS * 3 });
    const listRequests = () => pipeline.stack.printify.requests().filter((r) => r.method === 'GET' && /\/orders\.json/.test(r.path)).length;
    const listsBefore = listRequests();

    const execution = await pipeline.deliver(sessionCompleted());
    expect(execution.status).toBe('SUCCEEDED');
    // The first attempt really timed out and was retried...
    expect(execution.history.filter((h) => h.type === 'StateRetried' && h.name === 'Create Printify order')).toHaveLength(1);
    // ...and the retry looked the order up by its external id instead of creating another.
    expect(printifyCreatesFor(order.orderId)).toHaveLength(1);
    expect(listRequests()).toBeGreaterThan(listsBefore);
    await expectFulfilledOnce(order, email);
  });

  test('an unpaid session (delayed payment): pending, details recorded, nothing fulfilled', async () => {
    const { order, email, sessionId, paymentIntentId, sessionCompleted } = await checkout({ paymentStatus: 'unpaid' });
    const execution = await pipeline.deliver(sessionCompleted());
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(['Record payment']);

    expect(await pipeline.order(order.orderId)).toMatchObject({
      status: 'pending',
      email,
      stripeSessionId: sessionId,
      paymentIntentId,
      amountTotal: 4999,
      currency: 'usd',
      shippingAddress: {
        name: DEMO_ADDRESS.name,
        line1: DEMO_ADDRESS.line1,
        city: DEMO_ADDRESS.city,
        postalCode: DEMO_ADDRESS.postalCode,
        country: 'US',
      },
    });
    expect(await pipeline.ledger(order.userId)).toEqual([]);
    expect(await pipeline.balance(order.userId)).toBeUndefined();
    expect(await pipeline.emailsTo(email)).toEqual([]);
    expect(printifyCreatesFor(order.orderId)).toHaveLength(0);
    // The purchased lines stay in the cart until the payment clears.
    expect(await pipeline.cart(order.userId)).toHaveLength(2);
  });
});

describe('the webhook answers before the workflow runs', () => {
  test('with executions held (as the bench measures the webhook alone), the event is recorded and answered; released, the order is fulfilled', async () => {
    const { order, email, sessionCompleted } = await checkout();
    const event = sessionCompleted();
    const hold = new ExecutionHold(pipeline.stack.stepFunctions);
    hold.hold();
    let answer: Awaited<ReturnType<LocalPipeline['send']>>;
    try {
      answer = await pipeline.send(event);
      expect(answer).toMatchObject({ status: 200, body: { outcome: 'started', orderId: order.orderId } });
      const held = pipeline.stack.stepFunctions.describeExecution(pipeline.executionArn('fulfilment', event.id));
      expect({ status: held.status, history: held.history }).toEqual({ status: 'RUNNING', history: [] });
      expect((await pipeline.order(order.orderId))?.status).toBe('pending');
      expect(hold.held).toBe(1);
    } finally {
      await hold.release();
    }
    expect((await pipeline.execution('fulfilment', event.id)).status).toBe('SUCCEEDED');
    await expectFulfilledOnce(order, email);
  });
});
