import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { InvoiceRepository } from '../adapters/invoice-repository';
import { OrderRepository } from '../adapters/order-repository';
import { PrintifyClient } from '../adapters/printify-client';
import { PrintifyOrderIndex } from '../adapters/printify-order-index';
import { printifyWithRotatingToken } from '../adapters/printify-token';
import { ProductMappings } from '../adapters/product-mappings';
import { DynamoRateSlots } from '../adapters/rate-slots';
import { PRINTIFY_QUOTA, SES_QUOTA } from '../domain/rate-slots';
import {
  checkoutExpiredInputSchema,
  disputeInputSchema,
  paymentFailedInputSchema,
  paymentInputSchema,
  refundInputSchema,
} from '../domain/workflow-input';
import { loadConfig, tableName } from '../shared/config';
import { gatedFetch, quotaFromEnv } from '../shared/pacing';
import { RotatingSecret } from '../shared/secrets';
import { taskHandler } from '../shared/task-handler';
import type { FulfilmentDeps } from './deps';
import { recordDispute } from './disputes';
import { pacedPrintifyOrder, withFulfilmentSlots, type FulfilmentQuotas } from './pacing';
import { cancelExpiredCheckout, markPaymentFailed, recordPayment } from './payments';
import { cancelRefundedPrint } from './printify-cancel';
import { describeCaughtError, markFulfillmentFailed, type PrintifyOrderDeps } from './printify-order';
import { recordRefund } from './refunds';

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
const invoices = new InvoiceRepository(db, config.TABLE_NAME);
const mappings = new ProductMappings(db, config.TABLE_NAME);

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

const deps = (): FulfilmentDeps => ({ orders });

// The shared pacer: Printify's and SES's quotas from the stage (PRINTIFY_PACE_*, SES_PACE_*).
const rateSlots = new DynamoRateSlots(db, config.TABLE_NAME);
const quotas: FulfilmentQuotas = { printify: quotaFromEnv(PRINTIFY_QUOTA, 'PRINTIFY_PACE'), ses: quotaFromEnv(SES_QUOTA, 'SES_PACE') };
const sendToProduction = config.PRINTIFY_SEND_TO_PRODUCTION === 'true';

const printifyDeps: PrintifyOrderDeps & Parameters<typeof pacedPrintifyOrder>[0] = {
  orders,
  mappings,
  printify,
  index: new PrintifyOrderIndex(db, config.TABLE_NAME),
  shippingMethod: config.PRINTIFY_SHIPPING_METHOD,
  sendToProduction,
  rateSlots,
  quotas,
};

const caughtError = z.object({ Error: z.string().optional(), Cause: z.string().optional() });

const payload = z.discriminatedUnion('action', [
  z.object({ action: z.literal('recordPayment'), executionName: z.string().optional(), input: paymentInputSchema }),
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
  z.object({ action: z.literal('markPaymentFailed'), executionName: z.string().optional(), input: paymentFailedInputSchema }),
  z.object({ action: z.literal('recordRefund'), executionName: z.string().optional(), input: refundInputSchema }),
  z.object({ action: z.literal('cancelExpiredCheckout'), executionName: z.string().optional(), input: checkoutExpiredInputSchema }),
  z.object({ action: z.literal('recordDispute'), executionName: z.string().optional(), input: disputeInputSchema }),
  z.object({ action: z.literal('cancelRefundedPrint'), executionName: z.string().optional(), orderId: z.string().min(1) }),
]);

/** Order state changes and the Printify order: the steps that move an order along. */
export const handler = taskHandler(payload, async (task) => {
  switch (task.action) {
    case 'recordPayment':
      return withFulfilmentSlots(
        { rateSlots, quotas, sendToProduction, orders },
        await recordPayment(deps(), task.input),
        task.executionName,
      );
    case 'createPrintifyOrder':
      return pacedPrintifyOrder(printifyDeps, task.input.orderId, { notBefore: task.notBefore, slots: task.slots });
    case 'markFulfillmentFailed':
      return markFulfillmentFailed(deps(), task.input.orderId, describeCaughtError(task.error));
    case 'markPaymentFailed':
      return markPaymentFailed(deps(), task.input);
    case 'recordRefund':
      return recordRefund({ ...deps(), invoices }, task.input);
    case 'cancelExpiredCheckout':
      return cancelExpiredCheckout(deps(), task.input);
    case 'recordDispute':
      return recordDispute({ ...deps(), invoices }, task.input);
    case 'cancelRefundedPrint':
      return cancelRefundedPrint({ orders, printify }, task.orderId);
  }
});
