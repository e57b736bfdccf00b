import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { OrderRepository } from '../adapters/order-repository';
import { PrintifyClient } from '../adapters/printify-client';
import { PrintifyOrderIndex } from '../adapters/printify-order-index';
import { printifyWithRotatingToken } from '../adapters/printify-token';
import { ProductMappings } from '../adapters/product-mappings';
import { DynamoRateSlots } from '../adapters/rate-slots';
import { PRINTIFY_QUOTA } from '../domain/rate-slots';
import { paymentInputSchema } from '../domain/workflow-input';
import { loadConfig, tableName } from '../shared/config';
import { gatedFetch, quotaFromEnv } from '../shared/pacing';
import { RotatingSecret } from '../shared/secrets';
import { taskHandler } from '../shared/task-handler';
import { pacedPrintifyOrder } from './pacing';
import { cancelRefundedPrint } from './printify-cancel';
import { describeCaughtError, markFulfillmentFailed } from './printify-order';

const config = loadConfig(
  z.object({
    TABLE_NAME: tableName,
    PRINTIFY_API_URL: z.url().default('https://api.printify.com'),
    PRINTIFY_SHOP_ID: z.string().min(1),
    PRINTIFY_API_TOKEN: z.string().optional(),
    PRINTIFY_API_TOKEN_ARN: z.string().optional(),
    PRINTIFY_USER_AGENT: z.string().min(1).default('Otaku-mori order pipeline'),
    PRINTIFY_SHIPPING_METHOD: z.coerce.number().int().positive().default(1),
    PRINTIFY_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** "false": leave new Printify orders on hold for the shop's own approval setting */
    PRINTIFY_SEND_TO_PRODUCTION: z.enum(['true', 'false']).default('true'),
  }),
);
const db = createDocumentClient();
const orders = new OrderRepository(db, config.TABLE_NAME);

// The token is cached for SECRET_TTL_SECONDS; a 401 from Printify reads it once more (rotated?).
const printify = printifyWithRotatingToken(
  new RotatingSecret('PRINTIFY_API_TOKEN', config.PRINTIFY_API_TOKEN, config.PRINTIFY_API_TOKEN_ARN),
  (token) =>
    new PrintifyClient({
      baseUrl: config.PRINTIFY_API_URL,
      token,
      shopId: config.PRINTIFY_SHOP_ID,
      userAgent: config.PRINTIFY_USER_AGENT,
      timeoutMs: config.PRINTIFY_TIMEOUT_MS,
      // every request inside a paced task spends one of its reserved slots (lambdas/fulfilment/pacing.ts)
      fetchImpl: gatedFetch(),
    }),
);

const printifyDeps: Parameters<typeof pacedPrintifyOrder>[0] = {
  orders,
  mappings: new ProductMappings(db, config.TABLE_NAME),
  printify,
  index: new PrintifyOrderIndex(db, config.TABLE_NAME),
  shippingMethod: config.PRINTIFY_SHIPPING_METHOD,
  sendToProduction: config.PRINTIFY_SEND_TO_PRODUCTION === 'true',
  // the shared pacer's Printify quota, from the stage (PRINTIFY_PACE_*)
  rateSlots: new DynamoRateSlots(db, config.TABLE_NAME),
  quotas: { printify: quotaFromEnv(PRINTIFY_QUOTA, 'PRINTIFY_PACE') },
};

const caughtError = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

const payload = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('createPrintifyOrder'),
    executionName: z.string().optional(),
    input: paymentInputSchema,
    /** the reserved slot (ISO), from Record payment's pace (or a SlotMissed's fresh one) */
    notBefore: z.string().optional(),
    /** how many calls were reserved from notBefore on */
    slots: z.number().int().positive().optional(),
  }),
  z.object({
    action: z.literal('markFulfillmentFailed'),
    executionName: z.string().optional(),
    input: paymentInputSchema,
    error: caughtError.optional(),
  }),
  z.object({ action: z.literal('cancelRefundedPrint'), executionName: z.string().optional(), orderId: z.string().min(1) }),
]);

/**
 * The Printify side of fulfilment: creates a paid order's Printify order within its reserved slots
 * (and sends it to production), records why one could not be created, and cancels a refunded
 * order's print. A function of its own, in the fulfilment service (its metrics and alarms are the
 * fulfilment function's): its calls wait on Printify for up to PRINTIFY_TIMEOUT_MS, so they never
 * hold the environments that record payments, it alone reads the Printify token, and its
 * concurrency can be capped on its own (docs/scaling.md).
 */
export const handler = taskHandler(payload, async (task) => {
  switch (task.action) {
    case 'createPrintifyOrder':
      return pacedPrintifyOrder(printifyDeps, task.input.orderId, { notBefore: task.notBefore, slots: task.slots });
    case 'markFulfillmentFailed':
      return markFulfillmentFailed({ orders }, task.input.orderId, describeCaughtError(task.error));
    case 'cancelRefundedPrint':
      return cancelRefundedPrint({ orders, printify }, task.orderId);
  }
});
