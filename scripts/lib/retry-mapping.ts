// Fulfils an order that waited for a product mapping (pending_mapping), or whose fulfilment failed
// (fulfillment_failed), once the cause is fixed: the same use case as the workflow's "Create
// Printify order" step, run by an operator against the local stack or a deployed one.
// `npm run mapping -- retry <order id>` and `npm run ops -- retry-mapping <order id>` call it.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb';
import { OrderRepository } from '../../lambdas/adapters/order-repository';
import { PrintifyClient } from '../../lambdas/adapters/printify-client';
import { PrintifyOrderIndex } from '../../lambdas/adapters/printify-order-index';
import { ProductMappings } from '../../lambdas/adapters/product-mappings';
import { PrintifyRejectedError } from '../../lambdas/domain/errors';
import type { Order } from '../../lambdas/domain/order';
import { createPrintifyOrder, markFulfillmentFailed, type PrintifyOrderDeps, type PrintifyOutcome } from '../../lambdas/fulfilment/printify-order';
import { resolveSecret } from '../../lambdas/shared/secrets';

export interface RetryMappingOptions {
  tableName: string;
  /** DynamoDB (Local) endpoint; omitted: AWS, with the environment's region and credentials */
  dynamodbEndpoint?: string;
  region?: string;
  credentials?: DynamoDBClientConfig['credentials'];
  /** or a document client of your own (tests) */
  db?: DynamoDBDocumentClient;
  printify: {
    /** default https://api.printify.com */
    baseUrl?: string;
    shopId: string;
    /** the token itself (local), or the Secrets Manager secret holding it (deployed) */
    token?: string;
    tokenSecretArn?: string;
    userAgent?: string;
    timeoutMs?: number;
  };
  /** Printify shipping method (default 1, standard) */
  shippingMethod?: number;
  /** send_to_production after creating (default true, as the deployed pipeline does by default) */
  sendToProduction?: boolean;
}

export type RetryMappingResult =
  | { orderId: string; before: Order['status']; after: Order['status']; outcome: PrintifyOutcome['outcome']; printifyOrderId?: string; missing?: string[] }
  | { orderId: string; before: Order['status']; after: Order['status']; outcome: 'failed'; reason: string };

/** Statuses an operator may retry: waiting for a mapping, or failed (Printify refused, or kept failing). */
export const RETRYABLE_STATUSES: readonly Order['status'][] = ['pending_mapping', 'fulfillment_failed'];

/**
 * Creates the order's Printify order now that its mappings exist (at most once: the same record
 * and reconciliation as the workflow), sends it to production, and reports the outcome. An order
 * whose products still lack a mapping stays pending_mapping (`missing` names them); a refusal by
 * Printify is recorded on the order as fulfillment_failed with Printify's field messages.
 */
export async function retryMapping(orderId: string, options: RetryMappingOptions): Promise<RetryMappingResult> {
  const ownDb = !options.db;
  const db =
    options.db ??
    createDocumentClient(
      new DynamoDBClient({
        ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
      }),
    );
  try {
    const orders = new OrderRepository(db, options.tableName);
    const before = (await orders.require(orderId)).status;
    if (!RETRYABLE_STATUSES.includes(before)) {
      throw new Error(`order ${orderId} is ${before}: only ${RETRYABLE_STATUSES.join(' or ')} orders are retried`);
    }
    const token = await resolveSecret('PRINTIFY_API_TOKEN', options.printify.token, options.printify.tokenSecretArn);
    const deps: PrintifyOrderDeps = {
      orders,
      mappings: new ProductMappings(db, options.tableName),
      index: new PrintifyOrderIndex(db, options.tableName),
      printify: new PrintifyClient({
        baseUrl: options.printify.baseUrl ?? 'https://api.printify.com',
        token,
        shopId: options.printify.shopId,
        userAgent: options.printify.userAgent ?? 'Otaku-mori order pipeline (operator)',
        ...(options.printify.timeoutMs ? { timeoutMs: options.printify.timeoutMs } : {}),
      }),
      shippingMethod: options.shippingMethod ?? 1,
      sendToProduction: options.sendToProduction ?? true,
    };
    try {
      const outcome = await createPrintifyOrder(deps, orderId);
      return {
        orderId,
        before,
        after: outcome.status,
        outcome: outcome.outcome,
        ...('printifyOrderId' in outcome ? { printifyOrderId: outcome.printifyOrderId } : {}),
        ...('missing' in outcome ? { missing: outcome.missing } : {}),
      };
    } catch (error) {
      if (!(error instanceof PrintifyRejectedError)) throw error; // Printify unavailable: try again later
      const marked = await markFulfillmentFailed(deps, orderId, `${error.name}: ${error.message}`);
      return { orderId, before, after: marked.status, outcome: 'failed', reason: error.message };
    }
  } finally {
    if (ownDb) db.destroy();
  }
}
