import { randomBytes } from 'node:crypto';
import { checkoutSession, refundedCharge, stripeEvent, stripeId } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * Issue 11 item 7 end to end: with the shop's own approval (PRINTIFY_SEND_TO_PRODUCTION=false)
 * the Printify order stays on hold, so a full refund cancels it at the Printify stand-in; a
 * partial refund leaves it alone.
 */
let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start({ environment: { PRINTIFY_SEND_TO_PRODUCTION: 'false' }, retryDelayScale: 0.01 });
}, 120_000);
afterAll(async () => pipeline?.stop());

async function paidOrder() {
  const email = `buyer_${randomBytes(5).toString('hex')}@example.com`;
  const order = await pipeline.storefront.checkoutScene();
  const paymentIntentId = stripeId('pi');
  const paid = await pipeline.deliver(
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal, email, paymentIntentId }),
    ),
  );
  expect(paid.status).toBe('SUCCEEDED');
  const refund = (amountRefunded: number) =>
    stripeEvent('charge.refunded', refundedCharge({ paymentIntentId, amount: order.amountTotal, amountRefunded }));
  const print = () => pipeline.stack.printify.orders().find((o) => o.external_id === order.orderId);
  return { order, refund, print };
}

test('a full refund of an order whose print is still on hold cancels it at Printify', async () => {
  const { order, refund, print } = await paidOrder();
  expect(print()?.status).toBe('on-hold');
  expect((await pipeline.deliver(refund(order.amountTotal))).status).toBe('SUCCEEDED');
  expect(print()?.status).toBe('canceled');
  expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', printifyCanceledAt: expect.any(String) });
});

test('a partial refund leaves the print alone', async () => {
  const { order, refund, print } = await paidOrder();
  expect((await pipeline.deliver(refund(1000))).status).toBe('SUCCEEDED');
  expect(print()?.status).toBe('on-hold');
  expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
});
