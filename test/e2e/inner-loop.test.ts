import { checkoutSession, stripeEvent } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

/** Issue 16.4 on the whole stack: the functions' log lines reach npm start's log view; the watcher runs. */
describe("npm start's inner loop on the local stack", () => {
  let pipeline: LocalPipeline;
  const lines: { line: string; entry: string }[] = [];
  beforeAll(async () => {
    pipeline = await LocalPipeline.start({
      logLevel: 'INFO',
      onLambdaLog: (line, fn) => lines.push({ line, entry: fn.entry }),
      watch: true,
    });
  }, 120_000);
  afterAll(async () => pipeline?.stop());

  test("every function's lines go to onLambdaLog, with the function; a watcher watches lambdas/", async () => {
    const order = await pipeline.storefront.checkoutScene();
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ orderId: order.orderId, userId: order.userId, amountTotal: order.amountTotal }),
    );
    const execution = await pipeline.deliver(event);
    expect(execution.status).toBe('SUCCEEDED');
    const logged = lines
      .map(({ line, entry }) => ({ entry, json: JSON.parse(line) as Record<string, unknown> }))
      .filter(({ json }) => json.orderId === order.orderId);
    expect(logged.find(({ json }) => json.message === 'webhook started')?.entry).toBe('lambdas/webhook/handler.ts');
    expect(new Set(logged.map(({ entry }) => entry))).toEqual(
      new Set([
        'lambdas/webhook/handler.ts',
        'lambdas/fulfilment/handler.ts',
        'lambdas/fulfilment/printify-handler.ts',
        'lambdas/cart/handler.ts',
        'lambdas/petals/handler.ts',
        'lambdas/email/handler.ts',
      ]),
    );
    expect(logged.every(({ json }) => json.eventId === event.id)).toBe(true);
    expect(pipeline.stack.watcher).toBeDefined();
  });
});
