import { randomBytes } from 'node:crypto';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../../local/dynamodb-local';
import { LOCAL_REGION } from '../../local/stack-template';
import { retryMapping } from '../../scripts/lib/retry-mapping';
import { checkoutSession, refund, refundedCharge, stripeEvent, stripeId } from '../fixtures/stripe-events';
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
  const chargeRefunded = (amountRefunded: number) =>
    stripeEvent('charge.refunded', refundedCharge({ paymentIntentId, amount: order.amountTotal, amountRefunded }));
  const print = () => pipeline.stack.printify.orders().find((o) => o.external_id === order.orderId);
  return { order, paymentIntentId, chargeRefunded, print };
}

test('a full refund of an order whose print is still on hold cancels it at Printify', async () => {
  const { order, chargeRefunded, print } = await paidOrder();
  expect(print()?.status).toBe('on-hold');
  expect((await pipeline.deliver(chargeRefunded(order.amountTotal))).status).toBe('SUCCEEDED');
  expect(print()?.status).toBe('canceled');
  expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'refunded', printifyCanceledAt: expect.any(String) });
});

test('a partial refund leaves the print alone', async () => {
  const { order, chargeRefunded, print } = await paidOrder();
  expect((await pipeline.deliver(chargeRefunded(1000))).status).toBe('SUCCEEDED');
  expect(print()?.status).toBe('on-hold');
  expect((await pipeline.order(order.orderId))?.status).toBe('in_production');
});

test("a refund that fails after its print was canceled: the operator's retry makes a new Printify order, not the canceled one", async () => {
  const { order, paymentIntentId, chargeRefunded } = await paidOrder();
  expect((await pipeline.deliver(chargeRefunded(order.amountTotal))).status).toBe('SUCCEEDED');
  const now = Math.floor(Date.now() / 1000);
  const failed = refund({ paymentIntentId, amount: order.amountTotal, status: 'failed' });
  expect((await pipeline.deliver(stripeEvent('refund.failed', failed, { created: now + 1 }))).status).toBe('SUCCEEDED');
  expect(await pipeline.order(order.orderId)).toMatchObject({ status: 'fulfillment_failed', amountRefunded: 0 });

  const result = await retryMapping(order.orderId, {
    tableName: pipeline.stack.tableName,
    dynamodbEndpoint: pipeline.stack.urls.dynamodb,
    region: LOCAL_REGION,
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
    printify: { baseUrl: pipeline.stack.urls.printify, shopId: pipeline.stack.printify.shopId, token: 'otakumori-local-printify-token' },
  });
  expect(result).toMatchObject({ outcome: 'created', before: 'fulfillment_failed', after: 'in_production' });
  const prints = pipeline.stack.printify.orders().filter((o) => o.external_id === order.orderId);
  // the canceled print stays canceled; the new one is sent to production by the operator's tool
  expect(prints.map((p) => p.status)).toEqual(['canceled', 'sending-to-production']);
  expect(await pipeline.order(order.orderId)).toMatchObject({
    status: 'in_production',
    printifyOrderId: prints[1]!.id,
    canceledPrintifyOrderIds: [prints[0]!.id],
  });
});
