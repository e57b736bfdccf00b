import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { InvoiceRepository } from '../adapters/invoice-repository';
import { OrderRepository } from '../adapters/order-repository';
import { PetalLedger } from '../adapters/petal-ledger';
import { parsePetalRates } from '../domain/petals';
import { invoicePaymentInputSchema, invoicePaymentLinkInputSchema, workflowInputSchema } from '../domain/workflow-input';
import { loadConfig, tableName } from '../shared/config';
import { taskHandler } from '../shared/task-handler';
import {
  awardInvoicePetals,
  type InvoicePetalsDeps,
  recordInvoicePaymentLink,
  settleInvoicePetals,
  settleOrderPetals,
  type PetalsDeps,
} from './use-cases';

const config = loadConfig(z.object({ TABLE_NAME: tableName, PETAL_RATES: z.string().optional() }));
const db = createDocumentClient();
const deps: PetalsDeps & InvoicePetalsDeps = {
  orders: new OrderRepository(db, config.TABLE_NAME),
  invoices: new InvoiceRepository(db, config.TABLE_NAME),
  ledger: new PetalLedger(db, config.TABLE_NAME),
  rates: parsePetalRates(config.PETAL_RATES),
};

const payload = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('settleOrder'),
    orderId: z.string().min(1),
    executionName: z.string().optional(),
    input: workflowInputSchema.optional(),
  }),
  z.object({ action: z.literal('awardInvoice'), executionName: z.string().optional(), input: invoicePaymentInputSchema }),
  z.object({ action: z.literal('linkInvoicePayment'), executionName: z.string().optional(), input: invoicePaymentLinkInputSchema }),
  z.object({
    action: z.literal('settleInvoice'),
    invoiceId: z.string().min(1),
    executionName: z.string().optional(),
    input: workflowInputSchema.optional(),
  }),
]);

/** The petal ledger: purchase bonuses, refund deductions, subscription bonuses (and the invoice records they need). */
export const handler = taskHandler(payload, async (task) => {
  switch (task.action) {
    case 'settleOrder':
      return settleOrderPetals(deps, task.orderId);
    case 'awardInvoice':
      return awardInvoicePetals(deps, task.input);
    case 'linkInvoicePayment':
      return recordInvoicePaymentLink(deps, task.input);
    case 'settleInvoice':
      return settleInvoicePetals(deps, task.invoiceId);
  }
});
