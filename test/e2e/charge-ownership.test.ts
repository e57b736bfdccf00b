import { randomBytes } from 'node:crypto';
import { checkoutSession, dispute, refundedCharge, stripeEvent, stripeId } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * Issue 11's "Today" examples for refunds and disputes, end to end through HTTP on the local
 * runtime: a refund or dispute touches only the order whose payment intent it reverses, refunds
 * can fail after they succeeded, and dispute events arrive in any order.
 */
let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start({ retryDelayScale: 0.01 });
}, 120_000);
afterAll(async () => pipeline?.stop());

/** A pending order with its own customer address and payment intent; `pay()` fulfils it (49 petals). */
async function scene() {
  const email = `buyer_${randomBytes(5).toString('hex')}@example.com`;
  const order = await pipeline.storefront.checkoutScene();
  const paymentIntentId = stripeId('pi');
  const chargeId = stripeId('ch');
  const pay = async () => {
    const execution = await pipeline.deliver(
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, email, paymentIntentId }),
      ),
    );
    expect(execution.status).toBe('SUCCEEDED');
  };
  return { order, email, paymentIntentId, chargeId, pay };
}

describe('a refund or dispute belongs to the order whose payment it reverses', () => {
  test("charge.refunded for A's payment intent with metadata.orderId B: B not refunded, B keeps its petals, no email to B", async () => {
    const a = await scene();
    const b = await scene();
    await a.pay();
    await b.pay();
    const refund = stripeEvent(
      'charge.refunded',
      refundedCharge({
        paymentIntentId: a.paymentIntentId,
        chargeId: a.chargeId,
        amount: a.order.amountTotal,
        amountRefunded: a.order.amountTotal,
        orderId: b.order.orderId,
      }),
    );
    const execution = await pipeline.deliver(refund);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await pipeline.order(b.order.orderId)).toMatchObject({ status: 'in_production' });
    expect((await pipeline.order(b.order.orderId))?.amountRefunded).toBeUndefined();
    expect(await pipeline.balance(b.order.userId)).toBe(49);
    expect((await pipeline.emailsTo(b.email)).filter((m) => /refund/i.test(m.subject))).toEqual([]);
    // and A, whose payment it is, was not touched on B's behalf either
    expect((await pipeline.order(a.order.orderId))?.amountRefunded).toBeUndefined();
  });

  test("a dispute of A's payment intent naming B opens no dispute on B and holds none of B's petals", async () => {
    const a = await scene();
    const b = await scene();
    await a.pay();
    await b.pay();
    const opened = dispute({ paymentIntentId: a.paymentIntentId, amount: a.order.amountTotal });
    const execution = await pipeline.deliver(stripeEvent('charge.dispute.created', { ...opened, metadata: { orderId: b.order.orderId } }));
    expect(execution.status).toBe('SUCCEEDED');
    expect((await pipeline.order(b.order.orderId))?.disputeStatus).toBeUndefined();
    expect(await pipeline.balance(b.order.userId)).toBe(49);
    expect((await pipeline.order(a.order.orderId))?.disputeStatus).toBeUndefined();
  });

  test("a refund of A's payment naming still-pending C does not send C to refunded when C is paid", async () => {
    const a = await scene();
    const c = await scene();
    await a.pay();
    const refund = stripeEvent(
      'charge.refunded',
      refundedCharge({
        paymentIntentId: a.paymentIntentId,
        amount: c.order.amountTotal,
        amountRefunded: c.order.amountTotal,
        orderId: c.order.orderId,
      }),
    );
    expect((await pipeline.deliver(refund)).status).toBe('SUCCEEDED');
    await c.pay();
    expect(await pipeline.order(c.order.orderId)).toMatchObject({ status: 'in_production' });
    expect(await pipeline.balance(c.order.userId)).toBe(49);
    expect(pipeline.stack.printify.orders().filter((o) => o.external_id === c.order.orderId)).toHaveLength(1);
  });
});

describe("a refund's whole lifecycle", () => {
  test('a full refund that then fails: the order returns to in_production, petals restored, the customer told', async () => {
    const s = await scene();
    await s.pay();
    const refundId = stripeId('re');
    const refund = (status: string, created: number) => ({
      id: refundId,
      object: 'refund',
      amount: s.order.amountTotal,
      charge: s.chargeId,
      created,
      currency: 'usd',
      metadata: {},
      payment_intent: s.paymentIntentId,
      reason: 'requested_by_customer',
      status,
    });
    const now = Math.floor(Date.now() / 1000);
    expect(
      (await pipeline.deliver(stripeEvent('charge.refund.updated', refund('succeeded', now - 120), { created: now - 120 }))).status,
    ).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({ status: 'refunded', amountRefunded: s.order.amountTotal });
    expect(await pipeline.balance(s.order.userId)).toBe(0);

    expect((await pipeline.deliver(stripeEvent('refund.failed', refund('failed', now - 60), { created: now - 60 }))).status).toBe(
      'SUCCEEDED',
    );
    expect(await pipeline.order(s.order.orderId)).toMatchObject({ status: 'in_production', amountRefunded: 0 });
    expect(await pipeline.balance(s.order.userId)).toBe(49);
    const subjects = (await pipeline.emailsTo(s.email)).map((m) => m.subject);
    expect(subjects.filter((t) => /refund for order .* failed/.test(t))).toHaveLength(1);

    // a later, smaller refund is applied
    const later = { ...refund('succeeded', now), id: stripeId('re'), amount: 1000 };
    expect((await pipeline.deliver(stripeEvent('charge.refund.updated', later, { created: now }))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({ status: 'in_production', amountRefunded: 1000 });
    expect(await pipeline.balance(s.order.userId)).toBe(40);
  });
});

describe('disputes in any order', () => {
  test('created, closed won (newer), then an older closed lost delivered last: won, petals back, every execution succeeded', async () => {
    const s = await scene();
    await s.pay();
    const disputeId = stripeId('dp');
    const now = Math.floor(Date.now() / 1000);
    const of = (status: 'needs_response' | 'won' | 'lost') =>
      dispute({ disputeId, paymentIntentId: s.paymentIntentId, amount: s.order.amountTotal, status });
    expect((await pipeline.deliver(stripeEvent('charge.dispute.created', of('needs_response'), { created: now - 300 }))).status).toBe(
      'SUCCEEDED',
    );
    expect(await pipeline.balance(s.order.userId)).toBe(0);
    expect((await pipeline.deliver(stripeEvent('charge.dispute.closed', of('won'), { created: now - 60 }))).status).toBe('SUCCEEDED');
    expect(await pipeline.balance(s.order.userId)).toBe(49);
    expect((await pipeline.deliver(stripeEvent('charge.dispute.closed', of('lost'), { created: now - 120 }))).status).toBe('SUCCEEDED');
    expect(await pipeline.order(s.order.orderId)).toMatchObject({ disputeStatus: 'won', disputeStripeStatus: 'won' });
    expect(await pipeline.balance(s.order.userId)).toBe(49);
  });
});
