/**
 * Printify's REST API v1 wire types: the JSON bodies the API takes and returns, as Printify
 * documents them (https://developers.printify.com/, sections Orders and Webhooks).
 *
 * Types only (plus the documented list of order webhook topics), so that both sides of the wire
 * share one declaration: the client the Lambdas use (printify-client.ts, which re-exports all of
 * this) and the local Printify stand-in (local/printify/). Fields Printify may leave out of an
 * answer are optional here; a stand-in that always sends them narrows them itself.
 */

/**
 * `address_to` of a create-order request; `country` is a 2-letter ISO code. The address lines are
 * optional on the wire: an address is sent with the fields the customer has (a Hong Kong address
 * has no `zip`, many have no `region`), and Printify answers a missing field it needs for that
 * country with a 400 validation error naming it ("address_to.zip: …").
 */
export interface PrintifyAddress {
  first_name: string;
  last_name: string;
  email?: string;
  phone?: string;
  country?: string;
  region?: string;
  address1?: string;
  address2?: string;
  city?: string;
  zip?: string;
}

/** One line of a create-order request: a Printify product id (24 hex) and its numeric variant id. */
export interface PrintifyLineItem {
  product_id: string;
  variant_id: number;
  quantity: number;
}

/**
 * POST /v1/shops/{shop_id}/orders.json. `shipping_method`: 1 standard, 2 priority, 3 Printify
 * Express, 4 economy. Printify does not deduplicate by `external_id`.
 */
export interface CreatePrintifyOrderRequest {
  external_id: string;
  label?: string;
  line_items: PrintifyLineItem[];
  shipping_method: number;
  send_shipping_notification: boolean;
  address_to: PrintifyAddress;
}

/** A line of an order as Printify returns it; amounts in cents of the shop's currency. */
export interface PrintifyOrderLineItem extends PrintifyLineItem {
  print_provider_id?: number;
  cost?: number;
  shipping_cost?: number;
  status?: string;
  metadata?: { title?: string; price?: number; variant_label?: string; sku?: string; country?: string };
  sent_to_production_at?: string;
  fulfilled_at?: string | null;
}

/** The address as Printify returns it (it may spell the country out, e.g. "United States"). */
export type PrintifyOrderAddress = Partial<PrintifyAddress> & { company?: string };

/** One shipment of an order (`shipments[]`), with the carrier's tracking number and URL. */
export interface PrintifyShipment {
  carrier: string;
  number: string;
  url: string;
  delivered_at?: string | null;
}

/** An order as GET /v1/shops/{shop_id}/orders/{order_id}.json (and the list) return it. */
export interface PrintifyOrder {
  id: string;
  external_id?: string;
  label?: string;
  /** on-hold, pending, sending-to-production, in-production, fulfilled, partially-fulfilled, canceled, … */
  status: string;
  line_items: PrintifyOrderLineItem[];
  address_to: PrintifyOrderAddress;
  metadata?: {
    order_type?: string;
    shop_order_id?: string | number;
    shop_order_label?: string;
    shop_fulfilled_at?: string;
  };
  total_price?: number;
  total_shipping?: number;
  total_tax?: number;
  shipping_method?: number;
  is_printify_express?: boolean;
  is_economy_shipping?: boolean;
  shipments?: PrintifyShipment[];
  created_at: string;
  sent_to_production_at?: string;
  fulfilled_at?: string;
  [key: string]: unknown;
}

/** One page of GET /v1/shops/{shop_id}/orders.json (Laravel-style paginator). */
export interface PrintifyOrderPage {
  current_page: number;
  data: PrintifyOrder[];
  last_page?: number;
  per_page?: number;
  total?: number;
  next_page_url?: string | null;
  [key: string]: unknown;
}

/** The order topics Printify sends webhooks for (and the shop/product ones this pipeline ignores). */
export const PRINTIFY_ORDER_TOPICS = [
  'order:created',
  'order:updated',
  'order:sent-to-production',
  'order:shipment:created',
  'order:shipment:delivered',
] as const;
export type PrintifyOrderTopic = (typeof PRINTIFY_ORDER_TOPICS)[number];

/** A webhook subscription, as GET/POST /v1/shops/{shop_id}/webhooks.json return it. */
export interface PrintifyWebhook {
  id: string;
  topic: string;
  url: string;
  shop_id?: string | number;
  [key: string]: unknown;
}

/** POST /v1/shops/{shop_id}/webhooks.json */
export interface CreatePrintifyWebhookRequest {
  topic: string;
  url: string;
  /** Printify signs each delivery with it: X-Pfy-Signature: sha256=<hex HMAC-SHA256 of the body>. */
  secret?: string;
}

/**
 * The body Printify POSTs to a webhook's URL, signed `X-Pfy-Signature: sha256=<hex HMAC-SHA256 of
 * the raw body with the webhook's secret>`. `type` is the topic (e.g. "order:sent-to-production");
 * `resource.data` carries the topic's fields (shop_id; status for order:updated; carrier and
 * skus for the shipment topics).
 */
export interface PrintifyWebhookEvent {
  id: string;
  type: string;
  /** Printify's time format, e.g. "2019-12-09 10:46:53+00:00". */
  created_at: string;
  resource: { id: string; type: 'order'; data: Record<string, unknown> };
}

/**
 * Printify's error body, e.g. `{"status":"error","code":8150,"message":"Validation failed.",
 * "errors":{"reason":"address_to.zip: The address_to.zip field is required.","code":8150}}`.
 */
export interface PrintifyErrorBody {
  status: 'error';
  code: number;
  message: string;
  errors: { reason: string; code: number };
}
