import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { EmailOutbox } from '../adapters/email-outbox';
import { OrderRepository } from '../adapters/order-repository';
import { DynamoRateSlots } from '../adapters/rate-slots';
import { SesMailer } from '../adapters/ses-mailer';
import { parsePetalRates } from '../domain/petals';
import { SES_QUOTA } from '../domain/rate-slots';
import { workflowInputSchema } from '../domain/workflow-input';
import { loadConfig, tableName } from '../shared/config';
import { quotaFromEnv } from '../shared/pacing';
import { taskHandler } from '../shared/task-handler';
import { pacedOrderEmail, type EmailDeps } from './use-cases';

const config = loadConfig(z.object({ TABLE_NAME: tableName, EMAIL_FROM: z.string().min(3), PETAL_RATES: z.string().optional() }));
const db = createDocumentClient();
const deps: EmailDeps & Parameters<typeof pacedOrderEmail>[0] = {
  orders: new OrderRepository(db, config.TABLE_NAME),
  outbox: new EmailOutbox(db, config.TABLE_NAME),
  mailer: new SesMailer(config.EMAIL_FROM),
  rates: parsePetalRates(config.PETAL_RATES),
  // SES's sending rate, shared with every other sender (SES_PACE_*)
  rateSlots: new DynamoRateSlots(db, config.TABLE_NAME),
  quota: quotaFromEnv(SES_QUOTA, 'SES_PACE'),
};

const common = {
  executionName: z.string().optional(),
  input: workflowInputSchema.optional(),
  orderId: z.string().min(1),
  /** the slot (ISO) the workflow reserved and waited for; none: the task reserves its own */
  notBefore: z.string().optional(),
};
const payload = z.discriminatedUnion('template', [
  z.object({ template: z.literal('order-confirmation'), ...common }),
  z.object({ template: z.literal('payment-failed'), ...common, eventId: z.string().min(1), reason: z.string() }),
  z.object({
    template: z.literal('refund'),
    ...common,
    amountRefunded: z.number().int().nonnegative(),
    emailKey: z.string().min(1).optional(),
  }),
  z.object({
    template: z.literal('refund-failed'),
    ...common,
    amountRefunded: z.number().int().nonnegative(),
    refundedBefore: z.number().int().nonnegative(),
    emailKey: z.string().min(1),
  }),
  z.object({
    template: z.literal('shipping'),
    ...common,
    carrier: z.string(),
    trackingNumber: z.string().min(1),
    trackingUrl: z.string().optional(),
  }),
]);

/** Customer emails through SES, each claimed in the outbox first. */
export const handler = taskHandler(payload, async ({ executionName: _e, input: _i, notBefore, ...request }) =>
  pacedOrderEmail(deps, request, notBefore),
);
