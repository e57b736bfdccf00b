// Fulfils an order that waited for a product mapping (pending_mapping), or whose fulfilment failed
// (fulfillment_failed), once the cause is fixed: the same use case as the workflow's "Create
// Printify order" step, run by an operator against the local stack or a deployed one.
// `npm run ops -- retry-mapping <order id>` (scripts/ops/cli.ts; also `npm run mapping -- retry`) calls it.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb';
import { OrderRepository } from '../../lambdas/adapters/order-repository';
import { PrintifyClient } from '../../lambdas/adapters/printify-client';
import { PrintifyOrderIndex } from '../../lambdas/adapters/printify-order-index';
import { ProductMappings } from '../../lambdas/adapters/product-mappings';
import { PrintifyRejectedError } from '../../lambdas/domain/errors';
import type { Order } from '../../lambdas/domain/order';
import { isOperatorRetryable, OPERATOR_RETRYABLE_STATUSES } from '../../lambdas/domain/order-status';
import type { PrintifyApi } from '../../lambdas/ports/printify';
import {
  createPrintifyOrder,
  markFulfillmentFailed,
  type PrintifyOrderDeps,
  type PrintifyOutcome,
} from '../../lambdas/fulfilment/printify-order';
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
  | {
      orderId: string;
      before: Order['status'];
      after: Order['status'];
      outcome: PrintifyOutcome['outcome'];
      printifyOrderId?: string;
      missing?: string[];
    }
  | { orderId: string; before: Order['status']; after: Order['status']; outcome: 'failed'; reason: string };

/** Statuses an operator may retry (the domain's OPERATOR_RETRYABLE_STATUSES, under the name the ops CLI imports). */
export const RETRYABLE_STATUSES = OPERATOR_RETRYABLE_STATUSES;

/**
 * createPrintifyOrder's deps, with Printify's API connected only once the order may be retried
 * (resolving its token may fail, and an order that may not be retried needs none).
 */
export interface RetryPrintifyOrderDeps extends Omit<PrintifyOrderDeps, 'printify'> {
  connectPrintify: () => Promise<PrintifyApi>;
}

/**
 * The operator's retry of an order's Printify order, once the cause is fixed (a mapping added, an
 * address corrected): the same use case as the workflow's "Create Printify order" step, at most
 * once (the same record and reconciliation), and the same recording of a refusal.
 *
 * - Only a pending_mapping or fulfillment_failed order is retried (OPERATOR_RETRYABLE_STATUSES);
 *   any other throws an Error naming its status (nothing is called at Printify).
 * - `created`/`already-created` with Printify's id; `pending_mapping` with the pairs still missing
 *   (`missing`, `<productId>/<variantId>`).
 * - `failed`: Printify refused (PrintifyRejectedError); the order is fulfillment_failed with the reason.
 * - Throws PrintifyUnavailableError (Printify did not answer usefully: try again later) and the
 *   store's errors.
 */
export async function retryPrintifyOrder(deps: RetryPrintifyOrderDeps, orderId: string): Promise<RetryMappingResult> {
  const before = (await deps.orders.require(orderId)).status;
  if (!isOperatorRetryable(before)) {
    throw new Error(`order ${orderId} is ${before}: only ${RETRYABLE_STATUSES.join(' or ')} orders are retried`);
  }
  const { connectPrintify, ...rest } = deps;
  const printifyDeps: PrintifyOrderDeps = { ...rest, printify: await connectPrintify() };
  try {
    const outcome = await createPrintifyOrder(printifyDeps, orderId);
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
    const marked = await markFulfillmentFailed(printifyDeps, orderId, `${error.name}: ${error.message}`);
    return { orderId, before, after: marked.status, outcome: 'failed', reason: error.message };
  }
}

/**
 * The composition root of retryPrintifyOrder for `npm run mapping -- retry` and `ops
 * retry-mapping`: the DynamoDB adapters on the given table and the Printify client.
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
  const connectPrintify = async () =>
    new PrintifyClient({
      baseUrl: options.printify.baseUrl ?? 'https://api.printify.com',
      token: await resolveSecret('PRINTIFY_API_TOKEN', options.printify.token, options.printify.tokenSecretArn),
      shopId: options.printify.shopId,
      userAgent: options.printify.userAgent ?? 'Otaku-mori order pipeline (operator)',
      ...(options.printify.timeoutMs ? { timeoutMs: options.printify.timeoutMs } : {}),
    });
  try {
    return await retryPrintifyOrder(
      {
        orders: new OrderRepository(db, options.tableName),
        mappings: new ProductMappings(db, options.tableName),
        index: new PrintifyOrderIndex(db, options.tableName),
        connectPrintify,
        shippingMethod: options.shippingMethod ?? 1,
        sendToProduction: options.sendToProduction ?? true,
      },
      orderId,
    );
  } finally {
    if (ownDb) db.destroy();
  }
}
