import type { CreatePrintifyOrderRequest, PrintifyOrder } from '../adapters/printify-api-types';
import type { ProductMapping } from '../domain/order';

/**
 * Our product/variant -> Printify's product/variant (pk PRODUCT#<productId>, sk VARIANT#<variantId>),
 * written by operators (`npm run mapping`).
 */
export interface ProductMappingsPort {
  /** The mappings that exist of these pairs, keyed `<productId>#<variantId>`; missing pairs are absent. */
  find(pairs: { productId: string; variantId: string }[]): Promise<Map<string, ProductMapping>>;
}

/**
 * Printify's order id -> our order id (pk PRINTIFY_ORDER#<printifyOrderId>), so that a Printify
 * webhook, which names only Printify's order, finds ours. Recording twice is harmless.
 */
export interface PrintifyOrderIndexPort {
  record(printifyOrderId: string, orderId: string): Promise<void>;
  /** Our order id, or undefined for an order this pipeline did not create. */
  orderIdOf(printifyOrderId: string): Promise<string | undefined>;
}

/** One Printify webhook event as it was applied to our order. */
export interface PrintifyEventRecord {
  /** Printify's event id and topic (order:shipment:created, …) */
  eventId: string;
  topic: string;
  /** the event's time (Printify's created_at, clamped when not believable) */
  at: string;
  /** what it meant for the order (shipped, delivered, status, failed, sent-to-production) and the order's status after it */
  kind: string;
  orderStatus: string;
}

/**
 * The Printify webhook events applied to an order (pk ORDER#<orderId>, sk PRINTIFY_EVENT#<eventId>),
 * so that an operator sees what Printify said and when (`ops order`). Recording again is harmless.
 */
export interface PrintifyEventLogPort {
  record(orderId: string, event: PrintifyEventRecord): Promise<void>;
}

/**
 * Printify's Orders API (https://developers.printify.com/#orders), as the fulfilment uses it. Every
 * method throws PrintifyApiError: `retryable` for 429, 5xx, timeouts and network errors, not for a
 * refusal (4xx, with Printify's per-field messages in `fieldErrors`).
 */
export interface PrintifyApi {
  /** POST /shops/{shop_id}/orders.json: creates the order (on hold); returns Printify's order id. */
  createOrder(request: CreatePrintifyOrderRequest): Promise<{ id: string }>;
  /**
   * The shop's order with this external_id created since `createdSince` (ISO), if any, walking the
   * newest-first order list from page `fromPage` (default 1). With `deadline` (epoch ms) it stops
   * starting new pages once the deadline has passed and throws PrintifyLookupPaused naming the page
   * to continue from: the caller saves it and continues on its next attempt.
   */
  findOrderByExternalId(
    externalId: string,
    options?: { createdSince?: string; fromPage?: number; deadline?: number },
  ): Promise<PrintifyOrder | undefined>;
  /** POST /shops/{shop_id}/orders/{order_id}/send_to_production.json; Printify answers 400 for an order no longer on hold. */
  sendToProduction(printifyOrderId: string): Promise<void>;
  /**
   * POST /shops/{shop_id}/orders/{order_id}/cancel.json: Printify cancels only an order that is
   * `on-hold` or `payment-not-received`, and answers 400 (code 8502) for any other.
   */
  cancelOrder(printifyOrderId: string): Promise<void>;
  /** GET /shops/{shop_id}/orders/{order_id}.json. */
  getOrder(printifyOrderId: string): Promise<PrintifyOrder>;
}

/**
 * A lookup by external_id stopped at its deadline before it reached back far enough: nothing was
 * found in pages up to `nextPage - 1`. Newer orders only push older ones to later pages of the
 * newest-first list, so continuing from `nextPage` can see an order twice but never skip one.
 */
export class PrintifyLookupPaused extends Error {
  override readonly name = 'PrintifyLookupPaused';
  constructor(readonly nextPage: number) {
    super(`not found in the ${nextPage - 1} newest pages yet; continue from page ${nextPage}`);
  }
}
