import { checkoutSession, stripeEvent } from '../../lib/local/demo/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

test('smoke', async () => {
  const order = await pipeline.storefront.checkoutScene();
  const event = stripeEvent('checkout.session.completed', checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }));
  const response = await pipeline.send(event);
  console.log(response);
  const execution = await pipeline.execution('fulfilment', event.id);
  console.log(execution.status, execution.error, execution.cause, execution.history.map((h) => `${h.type} ${h.name ?? ''} ${h.error ?? ''} ${h.cause ?? ''}`).join('\n'));
  console.log(await pipeline.order(order.orderId), await pipeline.ledger(order.userId), await pipeline.cart(order.userId), await pipeline.stack.ses.sentEmails());
});
