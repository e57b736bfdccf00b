// The operator's side of held payments (issue 11): list the orders whose money was taken and not
// fulfilled, show how to resolve one, and resolve it (accept: fulfil; refund: through Stripe).
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { OrderRepository } from '../../lambdas/adapters/order-repository';
import { StripeApiClient, StripeApiError } from '../../lambdas/adapters/stripe-api-client';
import { type Order, openUnfulfilledPayments, type UnfulfilledPayment, unfulfilledPaymentsOf } from '../../lambdas/domain/order';
import {
  acceptHeldPayment,
  acceptUnfulfilledPayment,
  refundUnfulfilledPayment,
  type UnfulfilledResolved,
  HoldNotResolvableError,
  refundHeldPayment,
  type HoldAccepted,
  type HoldRefunded,
} from '../../lambdas/fulfilment/hold';
import { replay, type ExecutionReport } from './commands';
import { OpsError, type Target } from '../cli/target';

/** One order an operator must decide about: held (payment_mismatch) or with a paid event not fulfilled. */
export interface HeldOrder {
  orderId: string;
  status: string;
  /** what the order owes, minor units of `currency` */
  amountTotal: number;
  currency: string;
  heldPayment?: Order['heldPayment'];
  /** every payment of the order not fulfilled and not yet resolved, by payment intent (else `event:<eventId>`) */
  unfulfilledPayments?: Record<string, UnfulfilledPayment>;
  /** the commands that resolve it */
  resolve: string[];
}

/** The commands that resolve an order's hold or unfulfilled payments (none when there is nothing to decide). */
export function resolveCommands(order: Pick<Order, 'orderId' | 'status' | 'unfulfilledPayment' | 'unfulfilledPayments'>): string[] {
  const commands: string[] = [];
  if (order.status === 'payment_mismatch') {
    commands.push(
      `npm run ops -- hold accept ${order.orderId}   # fulfil it as paid`,
      `npm run ops -- hold refund ${order.orderId}   # give the payment back (on a stage: STRIPE_SECRET_KEY)`,
    );
  }
  for (const [key, payment] of Object.entries(openUnfulfilledPayments(order))) {
    if (payment.paymentIntentId) {
      commands.push(
        `npm run ops -- hold refund ${order.orderId} ${key}   # give this extra payment back (on a stage: STRIPE_SECRET_KEY)`,
        `npm run ops -- hold accept ${order.orderId} ${key}   # keep it (fulfilled by hand)`,
      );
    } else {
      commands.push(
        `refund the payment of event ${payment.eventId} in the Stripe Dashboard, then: npm run ops -- hold accept ${order.orderId} ${key}`,
      );
    }
  }
  return commands;
}

/** The lines `ops order` shows for a held order or unfulfilled payments, with the commands that resolve them. */
export function holdLines(order: Record<string, unknown>): string[] {
  const o = order as unknown as Order;
  const lines: string[] = [];
  if (o.heldPayment) {
    const h = o.heldPayment;
    lines.push(
      `  held payment: ${h.reason}: ${h.detail} (event ${h.eventId}${h.paymentIntentId ? `, ${h.paymentIntentId}` : ''}, held ${h.heldAt})`,
    );
  }
  if (o.holdResolution)
    lines.push(
      `  hold resolved: ${o.holdResolution.action} at ${o.holdResolution.at}${o.holdResolution.refundId ? ` (${o.holdResolution.refundId})` : ''}`,
    );
  for (const [key, u] of Object.entries(unfulfilledPaymentsOf(o))) {
    const resolved = u.resolution
      ? ` [${u.resolution.action} ${u.resolution.at}${u.resolution.refundId ? ` ${u.resolution.refundId}` : ''}]`
      : '';
    lines.push(`  paid, not fulfilled: ${key} (event ${u.eventId}) ${u.amountTotal ?? '?'} ${u.currency ?? ''}: ${u.reason}${resolved}`);
  }
  const commands = resolveCommands(o);
  if (commands.length > 0) lines.push('  to resolve:', ...commands.map((c) => `    ${c}`));
  return lines;
}

/**
 * Every order whose money was taken and not fulfilled: held (payment_mismatch) or with an
 * `unfulfilledPayment`, by scanning the table (a full scan: an operator's command, not a hot path).
 */
export async function heldOrders(target: Target): Promise<HeldOrder[]> {
  const found: HeldOrder[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await target.db.send(
      new ScanCommand({
        TableName: target.tableName,
        FilterExpression:
          'begins_with(pk, :prefix) AND (#status = :held OR attribute_exists(unfulfilledPayment) OR attribute_exists(unfulfilledPayments))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':prefix': 'ORDER#', ':held': 'payment_mismatch' },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of (page.Items ?? []) as Order[]) {
      const open = openUnfulfilledPayments(item);
      if (item.status !== 'payment_mismatch' && Object.keys(open).length === 0) continue; // every extra payment resolved
      found.push({
        orderId: item.orderId,
        status: item.status,
        amountTotal: item.amountTotal,
        currency: item.currency,
        ...(item.heldPayment ? { heldPayment: item.heldPayment } : {}),
        ...(Object.keys(open).length > 0 ? { unfulfilledPayments: open } : {}),
        resolve: resolveCommands(item),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found.sort((a, b) => a.orderId.localeCompare(b.orderId));
}

/** `ops hold accept`: the order accepted, and the replayed fulfilment execution of its held event. */
export interface HoldAcceptReport {
  accepted: HoldAccepted;
  execution: ExecutionReport;
}

/** Runs a hold use case, turning its refusals into an OpsError (the message is all the operator needs). */
async function asOps<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HoldNotResolvableError || (error instanceof Error && error.name === 'OrderNotFound'))
      throw new OpsError(error.message);
    if (error instanceof StripeApiError)
      throw new OpsError(`${error.message}${error.retryable ? ' (run it again: the same refund is never made twice)' : ''}`);
    throw error;
  }
}

/**
 * Accepts a held payment (acceptHeldPayment) and starts its fulfilment the way the workflow would:
 * a replay of the held event's fulfilment execution (`ops replay`), which now fulfils the order.
 */
export async function acceptHold(
  target: Target,
  orderId: string,
  wait: { wait: boolean; waitMs: number },
  paymentKey?: string,
): Promise<HoldAcceptReport | UnfulfilledResolved> {
  if (paymentKey && !(await isHeldPayment(target, orderId, paymentKey)))
    return asOps(() => acceptUnfulfilledPayment({ orders: new OrderRepository(target.db, target.tableName) }, orderId, paymentKey));
  const accepted = await asOps(() => acceptHeldPayment({ orders: new OrderRepository(target.db, target.tableName) }, orderId));
  return { accepted, execution: await replay(target, accepted.eventId, wait) };
}

/** Where Stripe's API is and its key, for `ops hold refund`: STRIPE_API_URL (default https://api.stripe.com), STRIPE_SECRET_KEY. */
export interface StripeApiSettings {
  baseUrl?: string;
  secretKey?: string;
}

/** Refunds a held payment through Stripe (refundHeldPayment); needs STRIPE_SECRET_KEY. */
export async function refundHold(
  target: Target,
  orderId: string,
  stripe: StripeApiSettings,
  paymentKey?: string,
): Promise<HoldRefunded | UnfulfilledResolved> {
  if (!stripe.secretKey)
    throw new OpsError(
      'hold refund needs STRIPE_SECRET_KEY (a secret or restricted key that may write refunds), and STRIPE_API_URL for anything but https://api.stripe.com',
    );
  const client = new StripeApiClient({ secretKey: stripe.secretKey, ...(stripe.baseUrl ? { baseUrl: stripe.baseUrl } : {}) });
  const deps = { orders: new OrderRepository(target.db, target.tableName), stripe: client };
  if (paymentKey && !(await isHeldPayment(target, orderId, paymentKey)))
    return asOps(() => refundUnfulfilledPayment(deps, orderId, paymentKey));
  return asOps(() => refundHeldPayment(deps, orderId));
}

/** Whether a payment named on `ops hold` is the order's held payment (else it is one of its unfulfilled payments). */
async function isHeldPayment(target: Target, orderId: string, paymentKey: string): Promise<boolean> {
  const order = await new OrderRepository(target.db, target.tableName).get(orderId);
  const held = order?.heldPayment;
  return held !== undefined && (held.paymentIntentId === paymentKey || held.eventId === paymentKey);
}
