/**
 * The stand-in's orders: the store, and the part of Printify's documented order contract the
 * pipeline relies on (https://developers.printify.com/, Orders):
 *
 * - create (POST …/orders.json): validated as Printify reports it, the new order is `on-hold`;
 *   Printify does not deduplicate by `external_id`, and neither does this (a second create makes
 *   a second order, so duplicates stay visible to tests);
 * - list (GET …/orders.json?page=&limit=&status=): newest first, a Laravel-style page of at most
 *   10 orders;
 * - send to production: only from `on-hold` (to `sending-to-production`); cancel: only from
 *   `on-hold` or `payment-not-received`;
 * - what happens later at Printify (production, shipment, delivery, a status change), which the
 *   webhooks module then reports.
 *
 * Every method answers a Reply shaped as Printify answers; none throws for a bad request.
 */
import { randomBytes } from 'node:crypto';
import type { PrintifyAddress, PrintifyOrder, PrintifyOrderLineItem, PrintifyShipment } from '../../lambdas/adapters/printify-api-types';
import { isRecord, OPERATION_FAILED_CODE, printifyError, validationFailed, type Json, type Reply } from './replies';

/** An order's address as the stand-in keeps it: exactly what the create request gave. */
export type StandInAddress = PrintifyAddress;

/** A line of a stand-in order: Printify's line item with the fields the stand-in always fills. */
export interface StandInLineItem extends PrintifyOrderLineItem {
  print_provider_id: number;
  cost: number;
  shipping_cost: number;
  status: string;
  metadata: { title: string; price: number; variant_label: string; sku: string; country: string };
}

/** An order as the stand-in keeps and returns it: Printify's order with every field filled. */
export interface StandInOrder extends PrintifyOrder {
  external_id: string;
  address_to: StandInAddress;
  line_items: StandInLineItem[];
  metadata: { order_type: string; shop_order_id: string; shop_order_label: string; shop_fulfilled_at?: string };
  total_price: number;
  total_shipping: number;
  total_tax: number;
  shipping_method: number;
  is_printify_express: boolean;
  is_economy_shipping: boolean;
  send_shipping_notification: boolean;
  shipments: PrintifyShipment[];
}

/** What happens to an order at Printify, and the webhook topic that tells about it. */
export type StandInOrderEvent =
  | { topic: 'order:created' }
  | { topic: 'order:sent-to-production' }
  | { topic: 'order:shipment:created'; carrier?: string; trackingNumber?: string; trackingUrl?: string }
  | { topic: 'order:shipment:delivered' }
  | { topic: 'order:updated'; status: string };

/** The topics a StandInOrderEvent may name. */
export const STAND_IN_ORDER_TOPICS: readonly StandInOrderEvent['topic'][] = [
  'order:created',
  'order:sent-to-production',
  'order:shipment:created',
  'order:shipment:delivered',
  'order:updated',
];

/** Printify's list endpoints page at most this many orders. */
const MAX_PAGE_LIMIT = 10;
const UNIT_COST = 1250;
const FIRST_ITEM_SHIPPING = 400;
const ADDITIONAL_ITEM_SHIPPING = 200;

/** Printify's timestamp format: "2019-12-09 10:46:53+00:00". */
export function printifyTime(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}

/** A 24-hex-char id, Mongo ObjectId-like (4 bytes of seconds, then random), as Printify's ids are. */
export function newPrintifyId(): string {
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `${seconds}${randomBytes(8).toString('hex')}`;
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/**
 * Countries and territories without postal codes (a sample of the ones Stripe Checkout ships to:
 * Hong Kong, Macau, the UAE, Qatar, Ireland's addresses before Eircode, …), for which the stand-in,
 * like a carrier, accepts an address without `zip`.
 */
const COUNTRIES_WITHOUT_POSTAL_CODES = new Set([
  'HK',
  'MO',
  'AE',
  'QA',
  'AO',
  'AG',
  'BS',
  'BZ',
  'BJ',
  'BO',
  'FJ',
  'GH',
  'JM',
  'KI',
  'PA',
  'RW',
  'TG',
  'TO',
  'TV',
  'UG',
  'YE',
  'ZW',
]);
/** Territories that are a single city: an address there may leave `city` out. */
const CITY_STATES = new Set(['HK', 'MO', 'SG', 'MC', 'VA', 'GI']);

/** Validates a create-order body the way Printify reports it ("field: The field …."). */
export function validateCreateOrder(body: unknown): string[] {
  const errors: string[] = [];
  const required = (field: string): void => {
    errors.push(`${field}: The ${field} field is required.`);
  };
  if (!isRecord(body)) return ['body: The request body must be a JSON object.'];

  if (body.external_id === undefined || body.external_id === null || body.external_id === '') required('external_id');
  else if (typeof body.external_id !== 'string') errors.push('external_id: The external_id must be a string.');
  if (!isOptionalString(body.label)) errors.push('label: The label must be a string.');

  if (body.line_items === undefined || body.line_items === null) required('line_items');
  else if (!Array.isArray(body.line_items)) errors.push('line_items: The line_items must be an array.');
  else if (body.line_items.length === 0) required('line_items');
  else {
    body.line_items.forEach((item: unknown, i: number) => {
      const at = `line_items.${i}`;
      if (!isRecord(item)) {
        errors.push(`${at}: The ${at} must be an object.`);
        return;
      }
      if (item.product_id === undefined || item.product_id === null || item.product_id === '') required(`${at}.product_id`);
      else if (typeof item.product_id !== 'string') errors.push(`${at}.product_id: The ${at}.product_id must be a string.`);
      if (item.variant_id === undefined || item.variant_id === null) required(`${at}.variant_id`);
      else if (!Number.isInteger(item.variant_id)) errors.push(`${at}.variant_id: The ${at}.variant_id must be an integer.`);
      if (item.quantity === undefined || item.quantity === null) required(`${at}.quantity`);
      else if (!Number.isInteger(item.quantity)) errors.push(`${at}.quantity: The ${at}.quantity must be an integer.`);
      else if ((item.quantity as number) < 1) errors.push(`${at}.quantity: The ${at}.quantity must be at least 1.`);
    });
  }

  if (body.shipping_method === undefined || body.shipping_method === null) required('shipping_method');
  else if (!Number.isInteger(body.shipping_method)) errors.push('shipping_method: The shipping_method must be an integer.');
  else if (![1, 2, 3, 4].includes(body.shipping_method as number)) {
    errors.push('shipping_method: The selected shipping_method is invalid.');
  }
  if (body.send_shipping_notification !== undefined && typeof body.send_shipping_notification !== 'boolean') {
    errors.push('send_shipping_notification: The send_shipping_notification field must be true or false.');
  }

  const address = body.address_to;
  if (address === undefined || address === null) required('address_to');
  else if (!isRecord(address)) errors.push('address_to: The address_to must be an object.');
  else {
    const country = typeof address.country === 'string' ? address.country : '';
    const needed = ['first_name', 'last_name', 'address1', 'country'];
    // Postal codes only where the country has them, a city only where it is not the whole territory.
    if (!COUNTRIES_WITHOUT_POSTAL_CODES.has(country)) needed.push('zip');
    if (!CITY_STATES.has(country)) needed.push('city');
    for (const field of needed) {
      const value = address[field];
      if (value === undefined || value === null || value === '') required(`address_to.${field}`);
      else if (typeof value !== 'string') errors.push(`address_to.${field}: The address_to.${field} must be a string.`);
    }
    for (const field of ['zip', 'city']) {
      if (!isOptionalString(address[field])) errors.push(`address_to.${field}: The address_to.${field} must be a string.`);
    }
    if (typeof address.country === 'string' && address.country !== '' && !/^[A-Z]{2}$/.test(address.country)) {
      errors.push('address_to.country: The address_to.country must be a 2-letter ISO country code.');
    }
    for (const field of ['email', 'phone', 'region', 'address2', 'company']) {
      if (!isOptionalString(address[field])) {
        errors.push(`address_to.${field}: The address_to.${field} must be a string.`);
      }
    }
    if (typeof address.email === 'string' && address.email !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address.email)) {
      errors.push('address_to.email: The address_to.email must be a valid email address.');
    }
  }
  return errors;
}

function buildOrder(body: Json): StandInOrder {
  const address = body.address_to as Json;
  const addressTo: StandInAddress = {
    first_name: address.first_name as string,
    last_name: address.last_name as string,
    country: address.country as string,
    address1: address.address1 as string,
  };
  for (const field of ['email', 'phone', 'region', 'address2', 'city', 'zip'] as const) {
    if (typeof address[field] === 'string') addressTo[field] = address[field] as string;
  }
  const lineItems: StandInLineItem[] = (body.line_items as Json[]).map((item) => ({
    product_id: item.product_id as string,
    variant_id: item.variant_id as number,
    quantity: item.quantity as number,
    print_provider_id: 99,
    cost: UNIT_COST,
    shipping_cost: FIRST_ITEM_SHIPPING,
    status: 'on-hold',
    metadata: {
      title: `Product ${String(item.product_id)}`,
      price: UNIT_COST * 2,
      variant_label: `Variant ${String(item.variant_id)}`,
      sku: `${String(item.product_id).slice(-6)}-${String(item.variant_id)}`,
      country: addressTo.country ?? '',
    },
  }));
  const units = lineItems.reduce((sum, item) => sum + item.quantity, 0);
  const externalId = body.external_id as string;
  const label = typeof body.label === 'string' ? body.label : undefined;
  const order: StandInOrder = {
    id: newPrintifyId(),
    external_id: externalId,
    address_to: addressTo,
    line_items: lineItems,
    metadata: { order_type: 'api', shop_order_id: externalId, shop_order_label: label ?? externalId },
    total_price: lineItems.reduce((sum, item) => sum + item.cost * item.quantity, 0),
    total_shipping: FIRST_ITEM_SHIPPING + ADDITIONAL_ITEM_SHIPPING * Math.max(0, units - 1),
    total_tax: 0,
    status: 'on-hold',
    shipping_method: body.shipping_method as number,
    is_printify_express: body.shipping_method === 3,
    is_economy_shipping: body.shipping_method === 4,
    send_shipping_notification: body.send_shipping_notification === true,
    shipments: [],
    created_at: printifyTime(),
  };
  if (label !== undefined) order.label = label;
  return order;
}

function parsePositiveInt(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 ? n : undefined;
}

/**
 * The shop's orders, oldest first, and what Printify's order endpoints do to them. The caller
 * (the server) has already checked the token, the shop and the injected faults.
 */
export class OrderStore {
  #orders: StandInOrder[] = [];

  /** The live orders, oldest first (the caller copies before handing them out). */
  all(): StandInOrder[] {
    return this.#orders;
  }

  /** The live order with Printify id `id`, or undefined. */
  find(id: string): StandInOrder | undefined {
    return this.#orders.find((o) => o.id === id);
  }

  /** Forgets every order. */
  reset(): void {
    this.#orders = [];
  }

  /** POST …/orders.json: 200 `{"id"}` with the new on-hold order, or 400 naming every bad field. */
  create(body: unknown): Reply {
    const errors = validateCreateOrder(body);
    if (errors.length > 0) return validationFailed(errors);
    const order = buildOrder(body as Json);
    this.#orders.push(order);
    return { status: 200, body: { id: order.id } };
  }

  /** GET …/orders.json?page=&limit=&status=: newest first, a Laravel-style page (limit 1–10, default 10). */
  list(query: URLSearchParams): Reply {
    const page = parsePositiveInt(query.get('page'), 1);
    const limit = parsePositiveInt(query.get('limit'), MAX_PAGE_LIMIT);
    if (page === undefined) return validationFailed(['page: The page must be an integer of at least 1.']);
    if (limit === undefined || limit > MAX_PAGE_LIMIT) {
      return validationFailed([`limit: The limit must be between 1 and ${MAX_PAGE_LIMIT}.`]);
    }
    const status = query.get('status');
    const newestFirst = [...this.#orders].reverse().filter((o) => status === null || o.status === status);
    const total = newestFirst.length;
    const lastPage = Math.max(1, Math.ceil(total / limit));
    const from = (page - 1) * limit;
    const data = newestFirst.slice(from, from + limit);
    const pageUrl = (p: number): string => `/?page=${p}`;
    return {
      status: 200,
      body: {
        current_page: page,
        data,
        first_page_url: pageUrl(1),
        from: data.length > 0 ? from + 1 : null,
        last_page: lastPage,
        last_page_url: pageUrl(lastPage),
        next_page_url: page < lastPage ? pageUrl(page + 1) : null,
        path: '/',
        per_page: limit,
        prev_page_url: page > 1 ? pageUrl(page - 1) : null,
        to: data.length > 0 ? from + data.length : null,
        total,
      },
    };
  }

  /** POST …/orders/{id}/send_to_production.json: on-hold -> sending-to-production, else 400 (8502). */
  sendToProduction(order: StandInOrder): Reply {
    if (order.status !== 'on-hold') {
      return {
        status: 400,
        body: printifyError(
          OPERATION_FAILED_CODE,
          'Operation failed.',
          `Not allowed to send order to production with status ${order.status}.`,
        ),
      };
    }
    const now = printifyTime();
    order.status = 'sending-to-production';
    order.sent_to_production_at = now;
    for (const item of order.line_items) {
      item.status = 'sending-to-production';
      item.sent_to_production_at = now;
    }
    return { status: 200, body: order };
  }

  /** POST …/orders/{id}/cancel.json: on-hold / payment-not-received -> canceled, else 400 (8502). */
  cancel(order: StandInOrder): Reply {
    if (order.status !== 'on-hold' && order.status !== 'payment-not-received') {
      return {
        status: 400,
        body: printifyError(OPERATION_FAILED_CODE, 'Operation failed.', `Order with status ${order.status} can not be canceled.`),
      };
    }
    order.status = 'canceled';
    for (const item of order.line_items) item.status = 'canceled';
    return { status: 200, body: order };
  }

  /**
   * Moves the order on as Printify would for `change`, and returns the `resource.data` fields of
   * the webhook event that tells about it. Throws when the change is impossible (no order; a
   * delivery without a shipment).
   */
  advance(printifyOrderId: string, change: StandInOrderEvent, shopId: string, now: string): Record<string, unknown> {
    const order = this.find(printifyOrderId);
    if (!order) throw new Error(`Printify stand-in has no order ${printifyOrderId}`);
    const data: Record<string, unknown> = { shop_id: /^\d+$/.test(shopId) ? Number(shopId) : shopId };
    const setStatus = (status: string) => {
      order.status = status;
      for (const item of order.line_items) item.status = status;
    };
    switch (change.topic) {
      case 'order:created':
        break;
      case 'order:sent-to-production':
        setStatus('in-production');
        order.sent_to_production_at ??= now;
        break;
      case 'order:shipment:created': {
        const number = change.trackingNumber ?? `9400${randomBytes(9).readBigUInt64BE().toString().padStart(18, '0')}`;
        const carrier = change.carrier ?? 'USPS';
        const url = change.trackingUrl ?? `https://tools.usps.com/go/TrackConfirmAction?tLabels=${number}`;
        order.shipments.push({ carrier, number, url });
        setStatus('fulfilled');
        order.fulfilled_at = now;
        for (const item of order.line_items) item.fulfilled_at = now;
        Object.assign(data, {
          shipped_at: now,
          carrier: { code: carrier, tracking_number: number, tracking_url: url },
          skus: order.line_items.map((i) => i.metadata.sku),
        });
        break;
      }
      case 'order:shipment:delivered': {
        const shipment = order.shipments[order.shipments.length - 1];
        if (!shipment) throw new Error(`order ${printifyOrderId} has no shipment to deliver`);
        shipment.delivered_at = now;
        Object.assign(data, {
          delivered_at: now,
          carrier: { code: shipment.carrier, tracking_number: shipment.number, tracking_url: shipment.url },
          skus: order.line_items.map((i) => i.metadata.sku),
        });
        break;
      }
      case 'order:updated':
        setStatus(change.status);
        data.status = change.status;
        break;
    }
    return data;
  }
}
