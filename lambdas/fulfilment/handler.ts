import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { InvoiceRepository } from '../adapters/invoice-repository';
import { OrderRepository } from '../adapters/order-repository';
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
import { quotaFromEnv } from '../shared/pacing';
import { taskHandler } from '../shared/task-handler';
import type { FulfilmentDeps } from './deps';
import { recordDispute } from './disputes';
import { withFulfilmentSlots, type FulfilmentQuotas } from './pacing';
import { cancelExpiredCheckout, markPaymentFailed, recordPayment } from './payments';
import { recordRefund } from './refunds';

const config = loadConfig(
  z.object({
    TABLE_NAME: tableName,
    /** "false": the shop's auto-approval sends orders to production: one Printify slot an order, not two */
    PRINTIFY_SEND_TO_PRODUCTION: z.enum(['true', 'false']).default('true'),
  }),
);
const db = createDocumentClient();
const orders = new OrderRepository(db, config.TABLE_NAME);
const invoices = new InvoiceRepository(db, config.TABLE_NAME);

const deps = (): FulfilmentDeps => ({ orders });

// The shared pacer: Printify's and SES's quotas from the stage (PRINTIFY_PACE_*, SES_PACE_*).
const rateSlots = new DynamoRateSlots(db, config.TABLE_NAME);
const quotas: FulfilmentQuotas = { printify: quotaFromEnv(PRINTIFY_QUOTA, 'PRINTIFY_PACE'), ses: quotaFromEnv(SES_QUOTA, 'SES_PACE') };
const sendToProduction = config.PRINTIFY_SEND_TO_PRODUCTION === 'true';

const payload = z.discriminatedUnion('action', [
  z.object({ action: z.literal('recordPayment'), executionName: z.string().optional(), input: paymentInputSchema }),
  z.object({ action: z.literal('markPaymentFailed'), executionName: z.string().optional(), input: paymentFailedInputSchema }),
  z.object({ action: z.literal('recordRefund'), executionName: z.string().optional(), input: refundInputSchema }),
  z.object({ action: z.literal('cancelExpiredCheckout'), executionName: z.string().optional(), input: checkoutExpiredInputSchema }),
  z.object({ action: z.literal('recordDispute'), executionName: z.string().optional(), input: disputeInputSchema }),
]);

/**
 * The payment side of fulfilment: what Stripe's events do to an order (paid, failed, refunded,
 * disputed, expired), and the Printify and SES slots a paid order reserves. Calls to Printify are
 * the Printify function's (printify-handler.ts).
 */
export const handler = taskHandler(payload, async (task) => {
  switch (task.action) {
    case 'recordPayment':
      return withFulfilmentSlots(
        { rateSlots, quotas, sendToProduction, orders },
        await recordPayment(deps(), task.input),
        task.executionName,
      );
    case 'markPaymentFailed':
      return markPaymentFailed(deps(), task.input);
    case 'recordRefund':
      return recordRefund({ ...deps(), invoices }, task.input);
    case 'cancelExpiredCheckout':
      return cancelExpiredCheckout(deps(), task.input);
    case 'recordDispute':
      return recordDispute({ ...deps(), invoices }, task.input);
  }
});
