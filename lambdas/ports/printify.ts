import type { CreatePrintifyOrderRequest, PrintifyOrder } from '../adapters/printify-client';
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

/**
 * Printify's Orders API (https://developers.printify.com/#orders), as the fulfilment uses it. Every
 * method throws PrintifyApiError: `retryable` for 429, 5xx, timeouts and network errors, not for a
 * refusal (4xx, with Printify's per-field messages in `fieldErrors`).
 */
export interface PrintifyApi {
  /** POST /shops/{shop_id}/orders.json: creates the order (on hold); returns Printify's order id. */
  createOrder(request: CreatePrintifyOrderRequest): Promise<{ id: string }>;
  /** The shop's order with this external_id created since `createdSince` (ISO), if any. */
  findOrderByExternalId(externalId: string, options?: { createdSince?: string }): Promise<PrintifyOrder | undefined>;
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
