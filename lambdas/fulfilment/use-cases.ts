import { OrderNotFoundError, OrderNotReadyError, PrintifyRejectedError, TransientError } from '../domain/errors';
import type { Order } from '../domain/order';
import type { OrderRepository } from '../adapters/order-repository';
import type { ProductMappings } from '../adapters/product-mappings';
import type { CreatePrintifyOrderRequest, PrintifyAddress, PrintifyClient } from '../adapters/printify-client';
import { PrintifyApiError } from '../adapters/printify-client';
import type { PaymentFailedInput, PaymentInput, RefundInput, ShippingAddress } from '../domain/workflow-input';

export interface FulfilmentDeps {
  orders: OrderRepository;
  mappings: ProductMappings;
  printify: Pick<PrintifyClient, 'createOrder' | 'findOrderByExternalId'>;
  shippingMethod: number;
  now?: () => Date;
}

const nowIso = (deps: FulfilmentDeps) => (deps.now ?? (() => new Date()))().toISOString();

export interface PaymentRecorded {
  orderId: string;
  status: Order['status'];
  /** true only for the execution whose event moved the order to paid: it, and only it, fulfils */
  fulfil: boolean;
}

/**
 * Records what Stripe told us about the payment on the order and, if the money is in, moves it to
 * paid. Of several events that pay the same order (session completed, payment intent succeeded,
 * duplicates), exactly one wins the conditional transition; a retry of the winner still fulfils.
 */
export async function recordPayment(deps: FulfilmentDeps, input: PaymentInput): Promise<PaymentRecorded> {
  const before = await deps.orders.require(input.orderId);
  const details = {
    stripeSessionId: input.stripeSessionId,
    paymentIntentId: input.paymentIntentId,
    amountTotal: input.amountTotal,
    currency: input.currency,
    email: input.email,
    customerName: input.customerName,
    shippingAddress: input.shippingAddress,
  };
  if (before.status === 'pending' || before.status === 'failed') {
    await deps.orders.update(input.orderId, details);
  } else {
    // Already paid (by the other event of the pair, in either order): what was fulfilled stays as
    // it was sent to Printify; a late event only fills in what is still missing.
    await deps.orders.fillMissing(input.orderId, details);
  }
  if (!input.paid) {
    const order = await deps.orders.require(input.orderId);
    return { orderId: input.orderId, status: order.status, fulfil: false };
  }
  const { transitioned, order } = await deps.orders.transition(input.orderId, 'paid', {
    paidByEventId: input.eventId,
    paidAt: nowIso(deps),
  });
  return { orderId: input.orderId, status: order.status, fulfil: transitioned || order.paidByEventId === input.eventId };
}

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

/** A failed payment marks only a pending order failed; a stale failure after success changes nothing. */
export async function markPaymentFailed(
  deps: FulfilmentDeps,
  input: PaymentFailedInput,
): Promise<{ status: Order['status']; notify: boolean }> {
  const { transitioned, order } = await deps.orders.transition(input.orderId, 'failed', {
    failureReason: input.reason,
    failedByEventId: input.eventId,
    paymentIntentId: input.paymentIntentId,
  });
  const current = order as Order & { failedByEventId?: string };
  return { status: order.status, notify: transitioned || (order.status === 'failed' && current.failedByEventId === input.eventId) };
}

export interface RefundRecorded {
  orderId: string;
  amountRefunded: number;
  fullyRefunded: boolean;
  status: Order['status'];
}

/**
 * Records a cumulative refund. Stripe's amount_refunded only grows, so the order keeps the largest
 * seen: a late, smaller one changes nothing. A refund for an order not yet known to be paid waits
 * (OrderNotReady is retried with backoff by the workflow).
 */
export async function recordRefund(deps: FulfilmentDeps, input: RefundInput): Promise<RefundRecorded> {
  const orderId =
    input.orderId ?? (input.paymentIntentId ? await deps.orders.findOrderIdByPaymentIntent(input.paymentIntentId) : undefined);
  if (!orderId) throw new OrderNotFoundError(`for payment intent ${input.paymentIntentId ?? '(none)'}`);
  const order = await deps.orders.require(orderId);
  if (order.status === 'pending' || order.status === 'failed') {
    throw new OrderNotReadyError(`order ${orderId} is ${order.status}; the refund waits for its payment to be recorded`);
  }
  await deps.orders.update(
    orderId,
    { amountRefunded: input.amountRefunded },
    { expression: 'attribute_not_exists(amountRefunded) OR amountRefunded < :refunded', values: { ':refunded': input.amountRefunded } },
  );
  let current = await deps.orders.require(orderId);
  const amountRefunded = current.amountRefunded ?? 0;
  const fullyRefunded = amountRefunded >= current.amountTotal;
  if (fullyRefunded && current.status !== 'refunded') {
    current = (await deps.orders.transition(orderId, 'refunded', { refundedAt: nowIso(deps) })).order;
  }
  return { orderId, amountRefunded, fullyRefunded, status: current.status };
}
