import { randomBytes } from 'node:crypto';
import { RETRY_POLICIES } from '../../lambdas/domain/retry-policy';
import { DEMO_ITEMS, DEMO_MAPPINGS, newUserId, type Storefront } from '../fixtures/storefront';
import { checkoutSession, paidInvoice, paymentIntent, refundedCharge, stripeEvent, stripeId } from '../fixtures/stripe-events';
import type { LocalExecution } from '../../local/step-functions-service';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * The payment-failed, refund and subscription-payment workflows end to end, and a payment event
 * for an order that does not exist.
 */

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

const uniqueEmail = () => `customer_${randomBytes(5).toString('hex')}@example.com`;
const tasksExited = (execution: LocalExecution) => execution.history.filter((h) => h.type === 'TaskStateExited').map((h) => h.name);
const statesEntered = (execution: LocalExecution) => execution.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => h.name);
const sum = (entries: Record<string, unknown>[]) => entries.reduce((total, e) => total + (e.amount as number), 0);

/** A pending order as the storefront writes it, with its own customer email address. */
async function pendingOrder(storefront: Storefront) {
  const userId = newUserId();
  const email = uniqueEmail();
  for (const mapping of DEMO_MAPPINGS) await storefront.putMapping(mapping);
  for (const item of DEMO_ITEMS) await storefront.putCartLine(userId, { ...item, updatedAt: new Date(Date.now() - 60_000) });
  const order = await storefront.createPendingOrder({ userId, email });
  return { order, email, paymentIntentId: stripeId('pi'), chargeId: stripeId('ch') };
}

/** A paid order, fulfilled through checkout.session.completed: in_production, 49 petals, 1 email. */
async function fulfilledOrder() {
  const scene = await pendingOrder(pipeline.storefront);
  const { order, email, paymentIntentId } = scene;
  const execution = await pipeline.deliver(
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, email, paymentIntentId }),
    ),
  );
  expect(execution.status).toBe('SUCCEEDED');
  expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
  expect(await pipeline.balance(order.userId)).toBe(49);
  return scene;
}

const refundEvent = (
  scene: { order: { orderId: string; amountTotal: number }; paymentIntentId: string; chargeId: string },
  amountRefunded: number,
  withOrderId = true,
  options: { created?: number } = {},
) =>
  stripeEvent(
    'charge.refunded',
    refundedCharge({
      paymentIntentId: scene.paymentIntentId,
      chargeId: scene.chargeId,
      amount: scene.order.amountTotal,
      amountRefunded,
      ...(withOrderId ? { orderId: scene.order.orderId } : {}),
    }),
    options,
  );

describe('payment_intent.payment_failed', () => {
  test("a pending order: failed with Stripe's reason, one payment-failed email; the same event again sends nothing", async () => {
    const { order, email, paymentIntentId } = await pendingOrder(pipeline.storefront);
    const reason = `Your card was declined (${randomBytes(3).toString('hex')}).`;
    const event = stripeEvent(
      'payment_intent.payment_failed',
      paymentIntent(
        { orderId: order.orderId, userId: order.userId, paymentIntentId, amount: order.amountTotal, failureMessage: reason },
        'requires_payment_method',
      ),
    );
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(['Mark payment failed', 'Send payment failed email']);

    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'failed', failureReason: reason, paymentIntentId });
    const emails = await pipeline.emailsTo(email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toContain(order.orderId);
    expect(emails[0]!.text).toContain(reason);
    expect(emails[0]!.html).toContain('Your card was declined');

    const again = await pipeline.send(event);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', eventId: event.id });
    await pipeline.stack.stepFunctions.idle();
    expect(await pipeline.emailsTo(email)).toHaveLength(1);
    expect((await pipeline.order(order.orderId))?.status).toBe('failed');
    expect(await pipeline.ledger(order.userId)).toEqual([]);
  });

  test('an order already paid and in production: status unchanged, no email', async () => {
    const { order, email, paymentIntentId } = await fulfilledOrder();
    const execution = await pipeline.deliver(
      stripeEvent(
        'payment_intent.payment_failed',
        paymentIntent(
          { orderId: order.orderId, userId: order.userId, paymentIntentId, amount: order.amountTotal, failureMessage: 'Stale failure.' },
          'requires_payment_method',
        ),
      ),
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(['Mark payment failed']);
    expect(statesEntered(execution)).toContain('Nothing to tell');

    const stored = await pipeline.order(order.orderId);
    expect(stored?.status).toBe('in_production');
    expect(stored?.failureReason).toBeUndefined();
    const emails = await pipeline.emailsTo(email);
    expect(emails).toHaveLength(1); // the order confirmation only
    expect(emails[0]!.subject).not.toMatch(/failed/i);
    expect(await pipeline.balance(order.userId)).toBe(49);
  });
});

describe('charge.refunded', () => {
  test('a full refund after fulfilment: refunded, all 49 petals taken back, refund email', async () => {
    const scene = await fulfilledOrder();
    const { order, email } = scene;
    const execution = await pipeline.deliver(refundEvent(scene, 4999));
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(expect.arrayContaining(['Record refund', 'Deduct petals', 'Send refund email']));

    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', amountRefunded: 4999 });
    const ledger = await pipeline.ledger(order.userId);
    expect(ledger).toHaveLength(2);
    const deduction = ledger.find((e) => e.type === 'adjust');
    expect(deduction).toMatchObject({
      sk: expect.stringMatching(/^LEDGER#refund#/),
      type: 'adjust',
      amount: -49,
      reason: 'Refund deduction',
      source: 'refund',
    });
    expect(await pipeline.balance(order.userId)).toBe(0);

    const emails = await pipeline.emailsTo(email);
    expect(emails).toHaveLength(2);
    const refundMail = emails.find((e) => /refund/i.test(e.subject));
    expect(refundMail?.subject).toContain(order.orderId);
    expect(refundMail?.text).toContain('fully refunded');
    expect(refundMail?.text).toContain('$49.99');
  });

  test('partial refunds, cumulative 1000, 2500, 4999: petals taken back in proportion, refunded only at the end', async () => {
    const scene = await fulfilledOrder();
    const { order, email } = scene;
    const deducted = async () => -sum((await pipeline.ledger(order.userId)).filter((e) => e.type === 'adjust'));

    // 1000 of 4999: floor(49 × 1000 / 4999) = 9
    expect((await pipeline.deliver(refundEvent(scene, 1000))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'in_production', amountRefunded: 1000 });
    expect(await deducted()).toBe(9);
    expect(await pipeline.balance(order.userId)).toBe(40);

    // 2500 of 4999: floor(49 × 2500 / 4999) = 24 in all, so 15 more
    const secondPartial = refundEvent(scene, 2500);
    expect((await pipeline.deliver(secondPartial)).status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'in_production', amountRefunded: 2500 });
    expect(await deducted()).toBe(24);
    expect(await pipeline.balance(order.userId)).toBe(25);

    // The same partial refund again: redelivered, and as another event with the same cumulative amount.
    expect((await pipeline.send(secondPartial)).body).toMatchObject({ outcome: 'duplicate' });
    expect((await pipeline.deliver(refundEvent(scene, 2500))).status).toBe('SUCCEEDED');
    await pipeline.stack.stepFunctions.idle();
    expect(await deducted()).toBe(24);
    expect(await pipeline.balance(order.userId)).toBe(25);

    // The rest: everything taken back, refunded.
    expect((await pipeline.deliver(refundEvent(scene, 4999))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', amountRefunded: 4999 });
    expect(await deducted()).toBe(49);
    expect(await pipeline.balance(order.userId)).toBe(0);
    let ledger = await pipeline.ledger(order.userId);
    expect(sum(ledger)).toBe(0);
    expect(
      ledger
        .filter((e) => e.type === 'adjust')
        .map((e) => e.amount)
        .sort(),
    ).toEqual([-15, -25, -9].sort());

    // A smaller cumulative refund arriving late (an event Stripe created earlier) changes nothing.
    const earlier = Math.floor(Date.now() / 1000) - 600;
    expect((await pipeline.deliver(refundEvent(scene, 1000, true, { created: earlier }))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', amountRefunded: 4999 });
    ledger = await pipeline.ledger(order.userId);
    expect(ledger).toHaveLength(4);
    expect(sum(ledger)).toBe(0);
    expect(await pipeline.balance(order.userId)).toBe(0);

    // One email per refunded amount (1000, 2500, 4999) besides the confirmation.
    const emails = await pipeline.emailsTo(email);
    expect(emails.filter((e) => /refund/i.test(e.subject))).toHaveLength(3);
    expect(emails).toHaveLength(4);
  });

  test('a charge without metadata.orderId finds its order through the payment intent', async () => {
    const scene = await fulfilledOrder();
    const { order } = scene;
    const event = refundEvent(scene, 4999, false);
    expect((event.data.object as { metadata: Record<string, string> }).metadata).toEqual({});
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', amountRefunded: 4999 });
    expect(await pipeline.balance(order.userId)).toBe(0);
    expect((await pipeline.ledger(order.userId)).find((e) => e.type === 'adjust')).toMatchObject({ amount: -49, source: 'refund' });
  });
});

describe('invoice.payment_succeeded', () => {
  test('petals for the whole dollars paid, once per invoice', async () => {
    const userId = newUserId();
    const invoiceId = stripeId('in');
    const invoice = paidInvoice({ invoiceId, userId, amountPaid: 1999 });
    const execution = await pipeline.deliver(stripeEvent('invoice.payment_succeeded', invoice));
    expect(execution.status).toBe('SUCCEEDED');
    expect(tasksExited(execution)).toEqual(['Award subscription petals']);

    const ledger = await pipeline.ledger(userId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ sk: `LEDGER#invoice#${invoiceId}`, type: 'purchase_bonus', amount: 19, source: 'subscription' });
    expect(await pipeline.balance(userId)).toBe(19);

    // Stripe sends the same invoice again in another event: no second award.
    const again = await pipeline.deliver(stripeEvent('invoice.payment_succeeded', invoice));
    expect(again.status).toBe('SUCCEEDED');
    expect(await pipeline.ledger(userId)).toHaveLength(1);
    expect(await pipeline.balance(userId)).toBe(19);
  });

  test('an invoice naming no user: 200 ignored, nothing written', async () => {
    const invoice = paidInvoice({ userId: 'nobody', amountPaid: 1999 }) as {
      parent: { subscription_details: { metadata: Record<string, string> } };
    };
    invoice.parent.subscription_details.metadata = {};
    const event = stripeEvent('invoice.payment_succeeded', invoice as unknown as Record<string, unknown>);
    await pipeline.stack.stepFunctions.idle();
    const before = await pipeline.allItems();
    const response = await pipeline.send(event);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'ignored', eventId: event.id });
    expect(await pipeline.allItems()).toEqual(before);
    expect(pipeline.stack.stepFunctions.listExecutions().filter((e) => e.name === event.id)).toEqual([]);
  });
});

describe('an event for an order that does not exist', () => {
  test('checkout.session.completed: recorded and answered 200; the execution ends FAILED with OrderNotFound after its retries', async () => {
    const orderId = `ord_missing_${randomBytes(4).toString('hex')}`;
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId, userId: newUserId(), amountTotal: 4999, email: uniqueEmail() }),
    );
    const response = await pipeline.send(event);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outcome: 'started', workflow: 'fulfilment' });
    expect(await pipeline.stripeEventRecord(event.id)).toMatchObject({ type: 'checkout.session.completed', orderId });

    const execution = await pipeline.execution('fulfilment', event.id);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('OrderNotFound');
    // It was retried (the storefront's write may lag) before giving up.
    expect(execution.history.filter((h) => h.type === 'StateRetried' && h.name === 'Record payment')).toHaveLength(
      RETRY_POLICIES.OrderNotFound.maxAttempts,
    );
    expect(
      execution.history.filter((h) => h.type === 'TaskFailed' && h.name === 'Record payment' && h.error === 'OrderNotFound'),
    ).toHaveLength(RETRY_POLICIES.OrderNotFound.maxAttempts + 1);
    expect((await pipeline.describeExecution('fulfilment', event.id)).error).toBe('OrderNotFound');
    // No stub order was written.
    expect(await pipeline.order(orderId)).toBeUndefined();
  });
});
