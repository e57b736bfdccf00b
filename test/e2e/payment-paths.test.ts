import { randomBytes } from 'node:crypto';
import { checkoutSession, dispute, paidInvoice, paymentIntent, refundedCharge, stripeEvent, stripeId } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';
import { eventually } from '../support/eventually';

/** Every Stripe payment path of the shop, end to end through HTTP on the local runtime. */
let pipeline: LocalPipeline;
beforeAll(async () => {
  // retries 100x faster than in AWS, but slow enough for an event sent next to arrive between them
  pipeline = await LocalPipeline.start({ environment: { PETAL_RATES: '{"jpy":0.01}' }, retryDelayScale: 0.01 });
}, 120_000);
afterAll(async () => pipeline?.stop());

async function scene(
  options: {
    currency?: string;
    items?: Parameters<LocalPipeline['storefront']['checkoutScene']>[0] extends infer O
      ? O extends { items?: infer I }
        ? I
        : never
      : never;
  } = {},
) {
  const email = `buyer_${randomBytes(5).toString('hex')}@example.com`;
  const order = await pipeline.storefront.checkoutScene({
    ...(options.items ? { items: options.items } : {}),
    ...(options.currency ? { currency: options.currency } : {}),
  });
  const paymentIntentId = stripeId('pi');
  const sessionId = stripeId('cs_test');
  const session = (type: string, paymentStatus: 'paid' | 'unpaid' = 'paid', mode: 'payment' | 'subscription' = 'payment') =>
    stripeEvent(
      type,
      checkoutSession({
        orderId: order.orderId,
        userId: order.userId,
        amountTotal: order.amountTotal,
        currency: order.currency,
        email,
        paymentIntentId,
        sessionId,
        paymentStatus,
        mode,
      }),
    );
  const refund = (amountRefunded: number, withOrderId = false) =>
    stripeEvent(
      'charge.refunded',
      refundedCharge({
        paymentIntentId,
        amount: order.amountTotal,
        amountRefunded,
        currency: order.currency,
        ...(withOrderId ? { orderId: order.orderId } : {}),
      }),
    );
  return { order, email, paymentIntentId, session, refund };
}

const statusOf = async (orderId: string) => (await pipeline.order(orderId))?.status;

describe('delayed payment methods', () => {
  test('completed but unpaid waits; async_payment_succeeded then fulfils', async () => {
    const { order, email, session } = await scene();
    expect((await pipeline.deliver(session('checkout.session.completed', 'unpaid'))).status).toBe('SUCCEEDED');
    expect(await statusOf(order.orderId)).toBe('pending');
    expect(await pipeline.ledger(order.userId)).toEqual([]);
    expect(await pipeline.emailsTo(email)).toEqual([]);

    expect((await pipeline.deliver(session('checkout.session.async_payment_succeeded'))).status).toBe('SUCCEEDED');
    expect(await statusOf(order.orderId)).toBe('in_production');
    expect(await pipeline.balance(order.userId)).toBe(49);
    expect(await pipeline.emailsTo(email)).toHaveLength(1);
  });

  test('async_payment_failed: failed, with the payment-failed email', async () => {
    const { order, email, session } = await scene();
    await pipeline.deliver(session('checkout.session.completed', 'unpaid'));
    expect((await pipeline.deliver(session('checkout.session.async_payment_failed', 'unpaid'))).status).toBe('SUCCEEDED');
    const stored = await pipeline.order(order.orderId);
    expect(stored).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/delayed payment/) });
    const mails = await pipeline.emailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/failed/);
  });
});

describe('expired sessions', () => {
  test('a pending order becomes cancelled; a paid one is left alone', async () => {
    const unpaid = await scene();
    expect((await pipeline.deliver(unpaid.session('checkout.session.expired', 'unpaid'))).status).toBe('SUCCEEDED');
    expect(await statusOf(unpaid.order.orderId)).toBe('cancelled');

    const paid = await scene();
    await pipeline.deliver(paid.session('checkout.session.completed'));
    await pipeline.deliver(paid.session('checkout.session.expired', 'unpaid'));
    expect(await statusOf(paid.order.orderId)).toBe('in_production');
  });
});

describe('refunds that overtake their payment', () => {
  test('a full refund naming the order, first: it waits for the payment (nothing written), then applies — refunded, petals net zero', async () => {
    const { order, email, session, refund } = await scene();
    const early = refund(order.amountTotal, true);
    expect((await pipeline.send(early)).status).toBe(200);
    const waiting = pipeline.stack.stepFunctions.describeExecution(pipeline.executionArn('refund', early.id));
    await eventually(
      'a retry of "Record refund"',
      () => waiting.history.some((h) => h.type === 'StateRetried' && h.name === 'Record refund'),
      {
        check: () => expect(waiting.status).toBe('RUNNING'),
      },
    );
    // metadata.orderId is a claim: nothing is written on the order until its payment proves it
    expect((await pipeline.order(order.orderId))?.amountRefunded).toBeUndefined();
    expect((await pipeline.deliver(session('checkout.session.completed'))).status).toBe('SUCCEEDED');
    expect((await pipeline.execution('refund', early.id)).status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', amountRefunded: order.amountTotal });
    await pipeline.stack.stepFunctions.idle();
    expect((await pipeline.balance(order.userId)) ?? 0).toBe(0);
    const mails = (await pipeline.stack.ses.sentEmails()).filter((m) => m.subject.includes(order.orderId));
    expect(mails.filter((m) => /refund/.test(m.subject))).toHaveLength(1);
    expect(email).toBeDefined();
  });

  test('a partial refund of our charge (Stripe copied our metadata to it), first: it waits for the payment; the order keeps the petals of what was not refunded', async () => {
    const { order, session, refund } = await scene();
    // a charge with none of our marks and an unknown payment intent is not waited for: charges-not-orders.test.ts
    const early = refund(1000, true);
    expect((await pipeline.send(early)).status).toBe(200);
    const waiting = pipeline.stack.stepFunctions.describeExecution(pipeline.executionArn('refund', early.id));
    await eventually(
      'a retry of "Record refund"',
      () => waiting.history.some((h) => h.type === 'StateRetried' && h.name === 'Record refund'),
      {
        check: () => expect(waiting.status).toBe('RUNNING'),
      },
    );
    await pipeline.deliver(session('checkout.session.completed'));
    expect((await pipeline.execution('refund', early.id)).status).toBe('SUCCEEDED');
    // Settled by the fulfilment's petals step: 49 awarded, floor(49 × 1000 / 4999) = 9 deducted.
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'in_production', petalsAwarded: 49, petalsDeducted: 9 });
    expect(await pipeline.balance(order.userId)).toBe(40);
  });
});

describe('disputes', () => {
  test('created holds the petals and flags the order; won gives them back', async () => {
    const { order, paymentIntentId, session } = await scene();
    await pipeline.deliver(session('checkout.session.completed'));
    const disputeId = stripeId('dp');
    const opened = stripeEvent(
      'charge.dispute.created',
      dispute({ disputeId, paymentIntentId, amount: order.amountTotal, reason: 'product_not_received' }),
    );
    expect((await pipeline.deliver(opened)).status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({
      disputeId,
      disputeStatus: 'open',
      disputeReason: 'product_not_received',
      disputeAmount: order.amountTotal,
    });
    expect(await pipeline.balance(order.userId)).toBe(0);

    await pipeline.deliver(
      stripeEvent('charge.dispute.closed', dispute({ disputeId, paymentIntentId, amount: order.amountTotal, status: 'won' })),
    );
    expect((await pipeline.order(order.orderId))?.disputeStatus).toBe('won');
    expect(await pipeline.balance(order.userId)).toBe(49);
    const ledger = await pipeline.ledger(order.userId);
    expect(ledger.map((e) => e.amount).sort((a, b) => Number(a) - Number(b))).toEqual([-49, 49, 49]);
  });

  test('lost keeps them held; a "created" delivered after the close does not reopen it', async () => {
    const { order, paymentIntentId, session } = await scene();
    await pipeline.deliver(session('checkout.session.completed'));
    const disputeId = stripeId('dp');
    await pipeline.deliver(
      stripeEvent('charge.dispute.closed', dispute({ disputeId, paymentIntentId, amount: order.amountTotal, status: 'lost' })),
    );
    await pipeline.deliver(stripeEvent('charge.dispute.created', dispute({ disputeId, paymentIntentId, amount: order.amountTotal })));
    expect((await pipeline.order(order.orderId))?.disputeStatus).toBe('lost');
    expect(await pipeline.balance(order.userId)).toBe(0);
  });
});

describe('subscriptions', () => {
  test('a subscription-mode checkout and its first invoice award petals once', async () => {
    const { order, session } = await scene();
    const response = await pipeline.send(session('checkout.session.completed', 'paid', 'subscription'));
    expect(response.body).toMatchObject({ outcome: 'ignored' });
    const invoiceId = stripeId('in');
    await pipeline.deliver(stripeEvent('invoice.payment_succeeded', paidInvoice({ invoiceId, userId: order.userId, amountPaid: 1999 })));
    await pipeline.deliver(stripeEvent('invoice.payment_succeeded', paidInvoice({ invoiceId, userId: order.userId, amountPaid: 1999 })));
    expect((await pipeline.ledger(order.userId)).map((e) => e.sk)).toEqual([`LEDGER#invoice#${invoiceId}`]);
    expect(await pipeline.balance(order.userId)).toBe(19);
  });
});

describe('currencies', () => {
  test('a zero-decimal currency stays in its minor unit and earns petals at its configured rate', async () => {
    const items = [{ productId: 'prod_sakura_hoodie', variantId: 'M', quantity: 2, unitAmount: 2500, title: 'Sakura Spirit Hoodie' }];
    const { order, email, session } = await scene({ currency: 'jpy', items });
    expect(order.amountTotal).toBe(5000);
    await pipeline.deliver(session('checkout.session.completed'));
    expect(await pipeline.order(order.orderId)).toMatchObject({
      status: 'in_production',
      currency: 'jpy',
      amountTotal: 5000,
      petalsAwarded: 50,
    });
    const [mail] = await pipeline.emailsTo(email);
    expect(mail?.text).toContain('¥5,000');
  });
});

describe('events that are not ours, and the wrong mode', () => {
  test('a payment intent without our order id: 200, ignored, nothing written', async () => {
    await pipeline.stack.stepFunctions.idle();
    const before = await pipeline.allItems();
    const response = await pipeline.send(stripeEvent('payment_intent.succeeded', paymentIntent({ amount: 1000 }, 'succeeded')));
    expect(response).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    expect(await pipeline.allItems()).toEqual(before);
  });

  test('a live-mode event at this test-mode deployment: rejected, nothing written', async () => {
    const { session } = await scene();
    await pipeline.stack.stepFunctions.idle();
    const before = await pipeline.allItems();
    const event = { ...session('checkout.session.completed'), livemode: true };
    const response = await pipeline.send(event);
    expect(response.status).toBe(400);
    expect(String(response.body.error)).toMatch(/livemode/);
    expect(await pipeline.allItems()).toEqual(before);
  });
});
