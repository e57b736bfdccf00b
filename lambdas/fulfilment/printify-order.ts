import type { CreatePrintifyOrderRequest, PrintifyAddress } from '../adapters/printify-client';
import { PrintifyApiError } from '../adapters/printify-client';
import { toSendableAddress } from '../domain/email-address';
import { OrderNotReadyError, PrintifyLookupContinuesError, PrintifyRejectedError } from '../domain/errors';
import type { Order } from '../domain/order';
import { isBeforeProduction } from '../domain/order-status';
import type { Signal } from '../domain/signals';
import type { ShippingAddress } from '../domain/workflow-input';
import type { OrdersPort, TransitionGuard } from '../ports/orders';
import { PrintifyLookupPaused, type PrintifyApi, type PrintifyOrderIndexPort, type ProductMappingsPort } from '../ports/printify';
import { nowIso, type FulfilmentDeps } from './deps';
import { PrintifyUnavailableError } from './printify-errors';

export { PrintifyUnavailableError };

/** What createPrintifyOrder depends on: the orders, the product mappings, Printify's API and the index of its order ids. */
export interface PrintifyOrderDeps extends FulfilmentDeps {
  mappings: ProductMappingsPort;
  printify: PrintifyApi;
  index: Pick<PrintifyOrderIndexPort, 'record'>;
  /** Printify's shipping method id (1 standard, 2 priority, 3 express, 4 economy) */
  shippingMethod: number;
  /** send_to_production right after creating; false leaves the order to the shop's approval setting */
  sendToProduction: boolean;
}

/** What this module adds to the order item. */
export interface PrintifyOrderFields {
  /** Printify's per-field messages of a refused order, for the operator */
  printifyErrors?: string[];
  printifySentToProductionAt?: string;
  /** when Printify last refused a first attempt with 429: its retry reserves afresh */
  printifyRateLimitedAt?: string;
  /** when the refund workflow canceled the order's print (cancelRefundedPrint, printify-cancel.ts) */
  printifyCanceledAt?: string;
  /** the Printify orders canceled for a refund that later failed, replaced by a new one (oldest first) */
  canceledPrintifyOrderIds?: string[];
}

/**
 * - `created`: this call created the Printify order (signal printify-order-created);
 *   `already-created`: an earlier attempt did (found on the order or at Printify). Either way the
 *   order is in_production (unless it moved on meanwhile) and `sentToProduction` says whether
 *   Printify was asked to produce it.
 * - `pending_mapping`: products without a Printify mapping (`missing`, `<productId>/<variantId>`);
 *   the order waits (signal printify-mapping-missing).
 * - `skipped`: the order is not before production (pending, refunded, cancelled, …): nothing done.
 */
export type PrintifyOutcome = (
  | { outcome: 'created' | 'already-created'; printifyOrderId: string; status: Order['status']; sentToProduction: boolean }
  | { outcome: 'pending_mapping'; missing: string[]; status: Order['status'] }
  | { outcome: 'skipped'; reason: string; status: Order['status'] }
) & { signals: Signal[] };

function splitName(name: string): { first_name: string; last_name: string } {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { first_name: 'Customer', last_name: '-' };
  if (parts.length === 1) return { first_name: parts[0]!, last_name: '-' };
  return { first_name: parts.slice(0, -1).join(' '), last_name: parts[parts.length - 1]! };
}

/**
 * Printify's `address_to` of an order's shipping address: the name split into first and last, and
 * only the fields the address has (no `zip` for Hong Kong, no `region` where there are no states).
 * Whether that is enough to deliver is Printify's to decide: a refusal comes back as a 400 with
 * per-field messages, which the caller keeps on the order (printifyErrors).
 */
export function toPrintifyAddress(address: ShippingAddress, email?: string): PrintifyAddress {
  return {
    ...splitName(address.name),
    ...(email ? { email } : {}),
    ...(address.phone ? { phone: address.phone } : {}),
    ...(address.country ? { country: address.country } : {}),
    ...(address.state ? { region: address.state } : {}),
    ...(address.line1 ? { address1: address.line1 } : {}),
    ...(address.line2 ? { address2: address.line2 } : {}),
    ...(address.city ? { city: address.city } : {}),
    ...(address.postalCode ? { zip: address.postalCode } : {}),
  };
}

/**
 * Creates the Printify order, at most once per order: the attempt is recorded before the call, and
 * a retry after an attempt first asks Printify whether it already has an order with our external id.
 * Then, if configured, sends it to production (also once: recorded, and reconciled on a refusal).
 *
 * Throws OrderNotFoundError (unknown order) and OrderNotReadyError (paid, but the shipping address
 * has not arrived yet): retried; PrintifyUnavailableError (429, 5xx, timeout): retried with
 * Printify's backoff; PrintifyRejectedError (Printify refused the order or its production, its
 * field messages kept on the order as printifyErrors): not retried, the workflow records
 * fulfillment_failed.
 */
export async function createPrintifyOrder(deps: PrintifyOrderDeps, orderId: string): Promise<PrintifyOutcome> {
  let order = (await deps.orders.require(orderId)) as Order & PrintifyOrderFields;
  // An operator's retry of a failed fulfilment is stamped (retriedAt): a Printify failure event
  // dated before it, redelivered later, does not fail the order again.
  const retry = order.status === 'fulfillment_failed';
  if (order.printifyOrderId && order.printifyCanceledAt && retry) {
    // Its print was canceled for a refund that then failed (recordRefund: fulfillment_failed, "create
    // it again"): Printify never prints a canceled order, so the retry makes a new one. The attempt
    // starts afresh, so that a lookup searches back only to it, past nothing older.
    order = (await deps.orders.set(orderId, {
      canceledPrintifyOrderIds: [...(order.canceledPrintifyOrderIds ?? []), order.printifyOrderId],
      printifyOrderId: null,
      printifyCanceledAt: null,
      printifyStatus: null,
      printifySentToProductionAt: null,
      printifyAttemptedAt: null,
      printifyLookupPage: null,
    })) as Order & PrintifyOrderFields;
  }
  if (order.printifyOrderId) {
    // Created before (a retried task, or an operator's retry of a failed fulfilment).
    if (isBeforeProduction(order.status)) return recordPrintifyOrder(deps, orderId, order.printifyOrderId, 'already-created', retry);
    return finish(deps, order, order.printifyOrderId, 'already-created');
  }
  if (!isBeforeProduction(order.status))
    return { outcome: 'skipped', reason: `order is ${order.status}`, status: order.status, signals: [] };

  const mappings = await deps.mappings.find(order.items);
  const missing = order.items
    .filter((item) => !mappings.has(`${item.productId}#${item.variantId}`))
    .map((item) => `${item.productId}/${item.variantId}`);
  if (missing.length > 0) {
    const { order: after } = await deps.orders.transition(orderId, 'pending_mapping', { missingMappings: missing });
    return { outcome: 'pending_mapping', missing, status: after.status, signals: [{ kind: 'printify-mapping-missing' }] };
  }
  if (!order.shippingAddress) {
    // No address at all: paid by a payment intent that carried no shipping, and the Checkout
    // session with the address is on its way (Stripe does not order events). Waiting is retried;
    // giving up records the failure. An address with only some fields is sent as it is.
    throw new OrderNotReadyError(`order ${orderId} has no shipping address yet`);
  }

  if (order.printifyAttemptedAt) {
    // A previous attempt may have reached Printify even though we never saw its answer: search
    // back to the first attempt, however many orders the shop has taken since.
    const since = order.printifyAttemptedAt;
    const existing = await lookUpEarlierAttempt(deps, order, since);
    if (existing) return recordPrintifyOrder(deps, orderId, existing.id, 'already-created', retry);
  } else {
    // Recorded once, before the first call: later attempts search back to this moment.
    await deps.orders.set(orderId, { printifyAttemptedAt: nowIso(deps) });
  }

  const request: CreatePrintifyOrderRequest = {
    external_id: orderId,
    label: orderId,
    line_items: order.items.map((item) => {
      const mapping = mappings.get(`${item.productId}#${item.variantId}`)!;
      return { product_id: mapping.printifyProductId, variant_id: mapping.printifyVariantId, quantity: item.quantity };
    }),
    shipping_method: deps.shippingMethod,
    send_shipping_notification: false,
    // Only an address mail can reach (punycode domain): a bad one must not get the order refused.
    address_to: toPrintifyAddress(order.shippingAddress, sendableEmail(order.email)),
  };
  let created: { id: string };
  try {
    created = await deps.printify.createOrder(request);
  } catch (error) {
    if (error instanceof PrintifyApiError && !error.retryable) {
      // Kept on the order for the operator: what Printify said about which field. Printify holds
      // no order for it (the search before this attempt found none, and this one was refused), so
      // the operator's retry after a fix starts afresh instead of searching back to this attempt.
      await deps.orders.set(orderId, {
        printifyErrors: error.fieldErrors.length > 0 ? error.fieldErrors : [error.message],
        printifyAttemptedAt: null,
      });
      throw new PrintifyRejectedError(`Printify rejected the order: ${error.message}`, { cause: error });
    }
    if (error instanceof PrintifyApiError && error.status === 429 && !order.printifyAttemptedAt) {
      // Refused for the rate, so Printify holds no order for this first attempt: the retry need
      // not page back through the sale's orders looking for it (a lookup costs a request a page).
      // printifyRateLimitedAt keeps the retry paced (lambdas/fulfilment/pacing.ts).
      await deps.orders.set(orderId, { printifyAttemptedAt: null, printifyRateLimitedAt: nowIso(deps) });
    }
    throw unavailable(error);
  }
  return recordPrintifyOrder(deps, orderId, created.id, 'created', retry);
}

/** The customer's address in the form mail takes, or undefined when none could ever be sent to. */
function sendableEmail(email: string | undefined): string | undefined {
  if (!email) return undefined;
  const checked = toSendableAddress(email);
  return checked.ok ? checked.address : undefined;
}

/** How long one attempt walks Printify's order list before it saves its place (seconds). */
export const LOOKUP_BUDGET_SECONDS = 15;

/**
 * Looks for the Printify order an earlier attempt may have created, continuing from the page the
 * previous attempt reached (`printifyLookupPage`). Bounded in time: a page can take up to the
 * client's timeout (10 s), so an attempt starts no new page after LOOKUP_BUDGET_SECONDS and the
 * whole call fits the function's 30 s. When the walk must go on, the page is saved on the order and
 * PrintifyLookupContinuesError (retried at once, RETRY_POLICIES) makes the next attempt continue.
 * A finished walk clears the saved page, so the next lookup (after another lost create) starts
 * from the newest orders again.
 *
 * @throws PrintifyLookupContinuesError to continue on the next attempt; PrintifyUnavailable or
 *   PrintifyRejected as callPrintify maps Printify's answers.
 */
async function lookUpEarlierAttempt(deps: PrintifyOrderDeps, order: Order, since: string): Promise<{ id: string } | undefined> {
  const fromPage = order.printifyLookupPage;
  const deadline = (deps.now ?? (() => new Date()))().getTime() + LOOKUP_BUDGET_SECONDS * 1000;
  let existing: { id: string } | undefined;
  try {
    existing = await callPrintify(() =>
      deps.printify.findOrderByExternalId(order.orderId, { createdSince: since, deadline, ...(fromPage ? { fromPage } : {}) }),
    );
  } catch (error) {
    if (!(error instanceof PrintifyLookupPaused)) throw error;
    await deps.orders.set(order.orderId, { printifyLookupPage: error.nextPage });
    throw new PrintifyLookupContinuesError(`Printify order of ${order.orderId}: ${error.message}`);
  }
  if (fromPage !== undefined) await deps.orders.set(order.orderId, { printifyLookupPage: null });
  return existing;
}

/** Printify's retryable failures become PrintifyUnavailable; its refusals PrintifyRejected. */
function unavailable(error: unknown): unknown {
  if (error instanceof PrintifyApiError) {
    if (error.retryable) return new PrintifyUnavailableError(`Printify: ${error.message}`, { cause: error });
    return new PrintifyRejectedError(`Printify: ${error.message}`, { cause: error });
  }
  return error;
}

async function callPrintify<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable(error);
  }
}

async function recordPrintifyOrder(
  deps: PrintifyOrderDeps,
  orderId: string,
  printifyOrderId: string,
  outcome: 'created' | 'already-created',
  retry: boolean,
): Promise<PrintifyOutcome> {
  // The index first: once the order names its Printify order, a webhook must be able to find it.
  await deps.index.record(printifyOrderId, orderId);
  const { order } = await deps.orders.transition(orderId, 'in_production', {
    printifyOrderId,
    missingMappings: null,
    failureReason: null,
    printifyErrors: null,
    ...(retry ? { retriedAt: nowIso(deps) } : {}),
  });
  if (order.printifyOrderId !== printifyOrderId) {
    // The order moved on (refunded or cancelled meanwhile): keep the Printify id for the operator.
    await deps.orders.set(orderId, { printifyOrderId });
  }
  return finish(deps, order as Order & PrintifyOrderFields, printifyOrderId, outcome);
}

async function finish(
  deps: PrintifyOrderDeps,
  order: Order & PrintifyOrderFields,
  printifyOrderId: string,
  outcome: 'created' | 'already-created',
): Promise<PrintifyOutcome> {
  const sentToProduction = order.status === 'in_production' && (await ensureSentToProduction(deps, order, printifyOrderId));
  return {
    outcome,
    printifyOrderId,
    status: order.status,
    sentToProduction,
    signals: outcome === 'created' ? [{ kind: 'printify-order-created' }] : [],
  };
}

/**
 * POST send_to_production once: skipped when recorded; a refusal (Printify answers 400 for an order
 * no longer on hold, e.g. when our first call went through unseen) is reconciled with the order's
 * status at Printify before it counts as a failure.
 */
async function ensureSentToProduction(
  deps: PrintifyOrderDeps,
  order: Order & PrintifyOrderFields,
  printifyOrderId: string,
): Promise<boolean> {
  if (!deps.sendToProduction) return false;
  if (order.printifySentToProductionAt) return true;
  try {
    await deps.printify.sendToProduction(printifyOrderId);
  } catch (error) {
    if (!(error instanceof PrintifyApiError) || error.retryable) throw unavailable(error);
    const current = await callPrintify(() => deps.printify.getOrder(printifyOrderId));
    if (current.status === 'on-hold' || /^cancel/.test(current.status)) {
      // still on hold, or canceled (by us for a refund, or by the shop): nothing will be printed
      throw new PrintifyRejectedError(
        `Printify would not send order ${printifyOrderId} (${current.status}) to production: ${error.message}`,
        { cause: error },
      );
    }
    // Already past on-hold (sent by our earlier attempt, or by the shop): nothing left to do.
  }
  await deps.orders.set(order.orderId, { printifySentToProductionAt: nowIso(deps) });
  return true;
}

/** Step Functions hands a caught error over as {Error, Cause}; in AWS, Cause is Lambda's JSON. */
export function describeCaughtError(caught: { Error?: string; Cause?: string } | undefined): string {
  if (!caught) return 'unknown error';
  let message = caught.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // not JSON: a plain message
  }
  const type = caught.Error ?? 'Error';
  return (message ? `${type}: ${message}` : type).slice(0, 2000);
}

/**
 * Records why fulfilment failed for good (the workflow's catch after Printify's retries, or an
 * operator's retry that Printify refused): the order becomes fulfillment_failed with `reason`,
 * unless it has moved past that (shipped, refunded). The signal printify-order-failed is reported
 * on every call, as the task's PrintifyOrderFailed count always has been. `guard.notRetriedAfter`
 * (ISO, a Printify event's time): only if no operator retried the order after it.
 */
export async function markFulfillmentFailed(
  deps: { orders: Pick<OrdersPort, 'transition'> },
  orderId: string,
  reason: string,
  guard?: TransitionGuard,
): Promise<{ status: Order['status']; transitioned: boolean; signals: Signal[] }> {
  const { transitioned, order } = await deps.orders.transition(orderId, 'fulfillment_failed', { failureReason: reason }, guard);
  return { status: order.status, transitioned, signals: [{ kind: 'printify-order-failed' }] };
}
