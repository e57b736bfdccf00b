import { OrderNotReadyError, PrintifyRejectedError, TransientError } from '../domain/errors';
import type { Order } from '../domain/order';
import type { CreatePrintifyOrderRequest, PrintifyAddress } from '../adapters/printify-client';
import { PrintifyApiError } from '../adapters/printify-client';
import type { ShippingAddress } from '../domain/workflow-input';
import { nowIso, type FulfilmentDeps } from './deps';

export type PrintifyOutcome =
  | { outcome: 'created' | 'already-created'; printifyOrderId: string; status: Order['status'] }
  | { outcome: 'pending_mapping'; missing: string[]; status: Order['status'] }
  | { outcome: 'skipped'; reason: string; status: Order['status'] };

const FULFILLABLE: readonly Order['status'][] = ['paid', 'pending_mapping', 'fulfillment_failed'];

function splitName(name: string): { first_name: string; last_name: string } {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { first_name: 'Customer', last_name: '-' };
  if (parts.length === 1) return { first_name: parts[0]!, last_name: '-' };
  return { first_name: parts.slice(0, -1).join(' '), last_name: parts[parts.length - 1]! };
}

export function toPrintifyAddress(address: ShippingAddress, email?: string): PrintifyAddress {
  return {
    ...splitName(address.name),
    ...(email ? { email } : {}),
    ...(address.phone ? { phone: address.phone } : {}),
    country: address.country,
    ...(address.state ? { region: address.state } : {}),
    address1: address.line1,
    ...(address.line2 ? { address2: address.line2 } : {}),
    city: address.city,
    zip: address.postalCode,
  };
}

/**
 * Creates the Printify order, at most once per order: the attempt is recorded before the call, and
 * a retry after an attempt first asks Printify whether it already has an order with our external id.
 */
export async function createPrintifyOrder(deps: FulfilmentDeps, orderId: string): Promise<PrintifyOutcome> {
  const order = await deps.orders.require(orderId);
  if (order.printifyOrderId) return { outcome: 'already-created', printifyOrderId: order.printifyOrderId, status: order.status };
  if (!FULFILLABLE.includes(order.status)) return { outcome: 'skipped', reason: `order is ${order.status}`, status: order.status };

  const mappings = await deps.mappings.find(order.items);
  const missing = order.items
    .filter((item) => !mappings.has(`${item.productId}#${item.variantId}`))
    .map((item) => `${item.productId}/${item.variantId}`);
  if (missing.length > 0) {
    const { order: after } = await deps.orders.transition(orderId, 'pending_mapping', { missingMappings: missing });
    return { outcome: 'pending_mapping', missing, status: after.status };
  }
  if (!order.shippingAddress) {
    // Paid by a payment intent that carried no shipping: the Checkout session with the address is
    // on its way (Stripe does not order events). Waiting is retried; giving up records the failure.
    throw new OrderNotReadyError(`order ${orderId} has no shipping address yet`);
  }

  if (order.printifyAttemptedAt) {
    // A previous attempt may have reached Printify even though we never saw its answer.
    const existing = await deps.printify.findOrderByExternalId(orderId);
    if (existing) return recordPrintifyOrder(deps, orderId, existing.id, 'already-created');
  }
  await deps.orders.update(orderId, { printifyAttemptedAt: nowIso(deps) });

  const request: CreatePrintifyOrderRequest = {
    external_id: orderId,
    label: orderId,
    line_items: order.items.map((item) => {
      const mapping = mappings.get(`${item.productId}#${item.variantId}`)!;
      return { product_id: mapping.printifyProductId, variant_id: mapping.printifyVariantId, quantity: item.quantity };
    }),
    shipping_method: deps.shippingMethod,
    send_shipping_notification: false,
    address_to: toPrintifyAddress(order.shippingAddress, order.email),
  };
  let created: { id: string };
  try {
    created = await deps.printify.createOrder(request);
  } catch (error) {
    if (error instanceof PrintifyApiError) {
      if (error.retryable) throw new TransientError(`Printify: ${error.message}`, { cause: error });
      throw new PrintifyRejectedError(`Printify rejected the order: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return recordPrintifyOrder(deps, orderId, created.id, 'created');
}

async function recordPrintifyOrder(
  deps: FulfilmentDeps,
  orderId: string,
  printifyOrderId: string,
  outcome: 'created' | 'already-created',
): Promise<PrintifyOutcome> {
  const { order } = await deps.orders.transition(orderId, 'in_production', {
    printifyOrderId,
    missingMappings: null,
    failureReason: null,
  });
  if (order.printifyOrderId !== printifyOrderId) {
    // The order moved on (refunded or cancelled meanwhile): keep the Printify id for the operator.
    await deps.orders.update(orderId, { printifyOrderId });
  }
  return { outcome, printifyOrderId, status: order.status };
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

export async function markFulfillmentFailed(
  deps: FulfilmentDeps,
  orderId: string,
  reason: string,
): Promise<{ status: Order['status']; transitioned: boolean }> {
  const { transitioned, order } = await deps.orders.transition(orderId, 'fulfillment_failed', { failureReason: reason });
  return { status: order.status, transitioned };
}

