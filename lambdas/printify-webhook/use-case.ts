import { classifyError, StoreRejectedError } from '../domain/errors';
import { isKeyId } from '../domain/keys';
import type { Order } from '../domain/order';
import { isBeforeProduction } from '../domain/order-status';
import type { Signal } from '../domain/signals';
import type { EmailOutcome, EmailRequest } from '../email/use-cases';
import { markFulfillmentFailed } from '../fulfilment/printify-order';
import type { OrdersPort } from '../ports/orders';
import type { PrintifyEventLogPort, PrintifyOrderIndexPort } from '../ports/printify';
import { decidePrintifyEvent, MalformedPrintifyEventError, type PrintifyEventDecision, type Shipment } from './events';
import { isValidPrintifySignature } from './signature';

export interface PrintifyWebhookDeps {
  secret: string;
  index: Pick<PrintifyOrderIndexPort, 'orderIdOf'>;
  orders: Pick<OrdersPort, 'require' | 'transition' | 'fillMissing' | 'recordPrintifyStatusIfNewer' | 'showNewerParcel'>;
  sendEmail: (request: EmailRequest) => Promise<EmailOutcome>;
  /**
   * Reports what happened as it happens (printify-order-shipped, -delivered, -failed with its
   * reason, printify-webhook-unknown-order): an effect made before a later step fails still
   * counts, since Printify's redelivery will not make it again. The handler maps them to metrics
   * (metricsOfSignals).
   */
  signal: (signal: Signal) => void;
  /** records each applied event on the order, for operators (`ops order`); omitted: not recorded */
  events?: PrintifyEventLogPort;
}

/** What Printify's webhooks add to the order item. */
export interface ShipmentFields {
  carrier?: string;
  trackingNumber?: string;
  trackingUrl?: string;
  shippedAt?: string;
  deliveredAt?: string;
  printifySentToProductionAt?: string;
  /** Printify's own status of the order, from order:updated, and the event time it is from */
  printifyStatus?: string;
  printifyStatusAt?: string;
}

export type PrintifyWebhookOutcome =
  | {
      status: 200;
      outcome: 'applied';
      kind: PrintifyEventDecision['kind'];
      orderId: string;
      orderStatus: Order['status'];
      email?: EmailOutcome['outcome'];
      /** why the event's time was not believed (over a day ahead of receipt), for the handler's log */
      note?: string;
    }
  | { status: 200; outcome: 'ignored'; reason: string }
  | { status: 401; outcome: 'rejected'; reason: string }
  | { status: 400; outcome: 'rejected'; reason: string };

/**
 * Verify, decide, apply. Every effect converges whatever the order and number of deliveries:
 * status changes go through the transition table (a shipped order never goes back), timestamps are
 * filled once, the shipping email is claimed in the outbox per tracking number. A delivery that
 * can never be applied (an id that cannot be a key, a write DynamoDB refuses for good) is answered
 * 200 `ignored` with the signal printify-webhook-unappliable. Anything else that fails throws: the
 * handler answers 5xx and Printify delivers again.
 */
export async function receivePrintifyWebhook(
  deps: PrintifyWebhookDeps,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<PrintifyWebhookOutcome> {
  if (!isValidPrintifySignature(rawBody, signature, deps.secret)) {
    return { status: 401, outcome: 'rejected', reason: signature ? 'invalid X-Pfy-Signature' : 'missing X-Pfy-Signature' };
  }
  let decision: PrintifyEventDecision;
  let envelope: { id?: unknown; type?: unknown };
  try {
    envelope = JSON.parse(rawBody.toString('utf8')) as { id?: unknown; type?: unknown };
    decision = decidePrintifyEvent(envelope);
  } catch (error) {
    if (error instanceof SyntaxError) return { status: 400, outcome: 'rejected', reason: 'body is not JSON' };
    if (error instanceof MalformedPrintifyEventError) return { status: 400, outcome: 'rejected', reason: error.message };
    throw error;
  }
  if (decision.kind === 'ignore') return { status: 200, outcome: 'ignored', reason: decision.reason };
  if (decision.kind === 'unappliable') {
    // No retry could ever record it (an id too long for a key): acknowledged, so that Printify does
    // not redeliver it until it disables the webhook, and counted for an operator.
    deps.signal({ kind: 'printify-webhook-unappliable' });
    return { status: 200, outcome: 'ignored', reason: decision.reason };
  }

  const orderId = await deps.index.orderIdOf(decision.printifyOrderId);
  if (!orderId) {
    // Not an order of this pipeline (created by hand in Printify, or by another integration).
    // Acknowledged: Printify blocks a webhook that keeps failing.
    deps.signal({ kind: 'printify-webhook-unknown-order' });
    return { status: 200, outcome: 'ignored', reason: `no order for Printify order ${decision.printifyOrderId}` };
  }
  let applied: Awaited<ReturnType<typeof apply>>;
  try {
    applied = await apply(deps, orderId, decision);
    // after the effect: a failure here answers 5xx, and the redelivery converges and records it
    const eventId = String(envelope.id);
    if (deps.events && isKeyId(eventId)) {
      await deps.events.record(orderId, {
        eventId,
        topic: String(envelope.type),
        at: decision.at,
        kind: decision.kind,
        orderStatus: applied.orderStatus,
      });
    }
  } catch (error) {
    // The store refused a write for good (DynamoDB ValidationException: an item or key too large):
    // a redelivery would fail the same way until Printify disabled the webhook. Acknowledged and
    // counted for an operator; anything else answers 5xx, so Printify delivers again.
    const typed = classifyError(error);
    if (!(typed instanceof StoreRejectedError)) throw error;
    deps.signal({ kind: 'printify-webhook-unappliable' });
    return { status: 200, outcome: 'ignored', reason: `${decision.kind} for order ${orderId} cannot be recorded: ${typed.message}` };
  }
  const note = decision.clampedFrom
    ? `event dated ${decision.clampedFrom}, over a day ahead of its receipt: taken as ${decision.at}`
    : undefined;
  return { status: 200, outcome: 'applied', kind: decision.kind, orderId, ...applied, ...(note ? { note } : {}) };
}

async function apply(
  deps: PrintifyWebhookDeps,
  orderId: string,
  decision: Exclude<PrintifyEventDecision, { kind: 'ignore' | 'unappliable' }>,
): Promise<{ orderStatus: Order['status']; email?: EmailOutcome['outcome'] }> {
  switch (decision.kind) {
    case 'sent-to-production': {
      // A failure recorded before stays for the operator (this event may be older than it).
      let order = await deps.orders.require(orderId);
      if (order.status === 'paid' || order.status === 'pending_mapping')
        order = (await deps.orders.transition(orderId, 'in_production')).order;
      await deps.orders.fillMissing(orderId, { printifySentToProductionAt: decision.at });
      return { orderStatus: order.status };
    }
    case 'shipped': {
      const order = await ship(deps, orderId, decision.shipment);
      const email = await notifyShipped(deps, order, decision.shipment);
      return { orderStatus: order.status, ...(email ? { email } : {}) };
    }
    case 'delivered': {
      // A delivery that overtook its shipment event still ships the order, with what it says of
      // the parcel (the shipment event, when it comes, fills shippedAt and sends the email).
      const order = await ship(deps, orderId, decision.shipment ?? {});
      await deps.orders.fillMissing(orderId, { deliveredAt: decision.deliveredAt });
      deps.signal({ kind: 'printify-order-delivered' });
      return { orderStatus: order.status };
    }
    case 'failed': {
      // Only the newest Printify status fails the order, and only if no operator retried it after
      // the event's time: a redelivered, older has-issues must leave printifyStatus and status
      // agreeing with what happened since (a shipment is kept by the transition table).
      const newest = await deps.orders.recordPrintifyStatusIfNewer(orderId, decision.printifyStatus, decision.at);
      if (!newest) return { orderStatus: (await deps.orders.require(orderId)).status };
      const { status, transitioned } = await markFulfillmentFailed(deps, orderId, decision.reason, { notRetriedAfter: decision.at });
      if (transitioned) {
        // The same alarm as a Printify order that could not be created, and which case it was.
        deps.signal({ kind: 'printify-order-failed' });
        deps.signal({ kind: /^cancel/.test(decision.printifyStatus) ? 'printify-order-canceled' : 'printify-order-has-issues' });
      }
      return { orderStatus: status };
    }
    case 'status': {
      // Keeps the newest order:updated status only (events arrive in any order).
      await deps.orders.recordPrintifyStatusIfNewer(orderId, decision.printifyStatus, decision.at);
      return { orderStatus: (await deps.orders.require(orderId)).status };
    }
  }
}

/** Statuses in which a Printify shipment is recorded for the operator but the status stays. */
const ENDED_WITHOUT_SHIPPING: readonly Order['status'][] = ['refunded', 'cancelled'];

/**
 * in_production -> shipped with the parcel's tracking; from before production through in_production.
 * An order already shipped fills what it lacks (a delivery that overtook its shipment left no
 * shippedAt) and shows the newest parcel. A refunded (or cancelled) order keeps its status and its
 * refund: the parcel is recorded on it for the operator (signal printify-shipment-after-refund),
 * and no shipping email goes out (notifyShipped sends only for a shipped order).
 */
async function ship(deps: PrintifyWebhookDeps, orderId: string, shipment: Partial<Shipment>): Promise<Order & ShipmentFields> {
  const fields = {
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    trackingUrl: shipment.trackingUrl,
    shippedAt: shipment.shippedAt,
  };
  let order = (await deps.orders.require(orderId)) as Order & ShipmentFields;
  if (isBeforeProduction(order.status)) order = (await deps.orders.transition(orderId, 'in_production')).order;
  const result = await deps.orders.transition(orderId, 'shipped', fields);
  order = result.order as Order & ShipmentFields;
  if (result.transitioned) {
    deps.signal({ kind: 'printify-order-shipped' });
    return order;
  }
  if (ENDED_WITHOUT_SHIPPING.includes(order.status)) deps.signal({ kind: 'printify-shipment-after-refund' });
  if (shipment.trackingNumber && order.trackingNumber !== shipment.trackingNumber) {
    // Another parcel of a shipped (or refunded) order: the order shows the newest one, whatever
    // order the events arrive in (each parcel still gets its own shipping email).
    order = ((await deps.orders.showNewerParcel(orderId, fields)) ?? order) as Order & ShipmentFields;
  } else {
    // The same parcel again, or one a delivery event announced first: fill what is missing.
    await deps.orders.fillMissing(orderId, fields);
    order = (await deps.orders.require(orderId)) as Order & ShipmentFields;
  }
  return order;
}

async function notifyShipped(deps: PrintifyWebhookDeps, order: Order, shipment: Shipment): Promise<EmailOutcome['outcome'] | undefined> {
  if (order.status !== 'shipped' || !shipment.trackingNumber) return undefined;
  const sent = await deps.sendEmail({
    template: 'shipping',
    orderId: order.orderId,
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    ...(shipment.trackingUrl ? { trackingUrl: shipment.trackingUrl } : {}),
  });
  // The email's own signals (email-sent, email-undeliverable) count as the email Lambda's do.
  for (const signal of sent.signals) deps.signal(signal);
  return sent.outcome;
}
