import * as z from 'zod';
import { CartRepository } from '../adapters/cart-repository';
import { createDocumentClient } from '../adapters/dynamodb';
import { OrderRepository } from '../adapters/order-repository';
import { workflowInputSchema } from '../domain/workflow-input';
import { loadConfig, tableName } from '../shared/config';
import { taskHandler } from '../shared/task-handler';
import { clearPurchasedLines, type CartDeps } from './use-cases';

const config = loadConfig(z.object({ TABLE_NAME: tableName }));
const db = createDocumentClient();
const deps: CartDeps = { orders: new OrderRepository(db, config.TABLE_NAME), carts: new CartRepository(db, config.TABLE_NAME) };

const payload = z.object({
  action: z.literal('clearPurchased'),
  orderId: z.string().min(1),
  executionName: z.string().optional(),
  input: workflowInputSchema.optional(),
});

/** Removes what was bought from the customer's cart. */
export const handler = taskHandler(payload, async (task) => clearPurchasedLines(deps, task.orderId));
