/**
 * A local stand-in for the part of Printify's REST API v1 that the pipeline uses.
 *
 * Printify has no local or sandbox edition, so this follows its documented contract
 * (https://developers.printify.com/, orders section):
 *   POST /v1/shops/{shop_id}/orders.json                          -> 200 {"id": "<24 hex>"}
 *   GET  /v1/shops/{shop_id}/orders/{order_id}.json               -> the order
 *   GET  /v1/shops/{shop_id}/orders.json?page=&limit=             -> Laravel-style page, newest first
 *   POST /v1/shops/{shop_id}/orders/{order_id}/send_to_production.json  (on-hold -> sending-to-production)
 *   POST /v1/shops/{shop_id}/orders/{order_id}/cancel.json        (on-hold / payment-not-received -> canceled)
 * Every API call needs `Authorization: Bearer <token>` and a `User-Agent` header. Errors use
 * Printify's body `{"status":"error","code":8150,"message":"Validation failed.",
 * "errors":{"reason":"…","code":8150}}`.
 *
 *   GET|POST /v1/shops/{shop_id}/webhooks.json, DELETE /v1/shops/{shop_id}/webhooks/{id}.json
 *
 * Webhooks: `emit` (or POST /__stand-in/orders/{id}/events) moves an order on as Printify would
 * (sent to production, a shipment, its delivery, a status change) and POSTs the event, shaped as
 * Printify documents it, to every webhook registered for its topic and to the configured local
 * target, signed `X-Pfy-Signature: sha256=<hex HMAC-SHA256 of the body>` with the webhook's secret.
 *
 * Control routes (no auth) for out-of-process use: POST /__stand-in/faults (a PrintifyFault),
 * GET /__stand-in/orders, GET /__stand-in/requests, POST /__stand-in/reset,
 * POST /__stand-in/orders/{id}/events (a StandInOrderEvent), GET /__stand-in/deliveries.
 *
 * Deliberately NOT modelled: deduplication by external_id (Printify documents none, so a second
 * create with the same external_id makes a second order — duplicates stay visible to tests).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { RunningService } from './dynamodb-local';

export interface PrintifyFault {
  /** Which call the fault applies to. Default: creating an order. */
  operation?: 'create' | 'send_to_production';
  /** Answer this HTTP status (with `body`) instead of processing the create-order request. */
  status?: number;
  /** Body for `status`; defaults to Printify's error shape for that status. */
  body?: unknown;
  /** Wait this long before answering (or before processing, when `status` is not set). */
  delayMs?: number;
  /** Create the order for real, then wait this long before answering 200 (client-timeout-after-acceptance). */
  acceptThenDelayMs?: number;
  /** How many requests of that operation this fault applies to. Default 1. */
  times?: number;
}

export interface StandInAddress {
  first_name: string;
  last_name: string;
  email?: string;
  phone?: string;
  country: string;
  region?: string;
  address1: string;
  address2?: string;
  city: string;
  zip: string;
}

export interface StandInLineItem {
  product_id: string;
  variant_id: number;
  quantity: number;
  print_provider_id: number;
  cost: number;
  shipping_cost: number;
  status: string;
  metadata: { title: string; price: number; variant_label: string; sku: string; country: string };
  sent_to_production_at?: string;
  fulfilled_at?: string;
}

export interface StandInOrder {
  id: string;
  external_id: string;
  label?: string;
  address_to: StandInAddress;
  line_items: StandInLineItem[];
  metadata: { order_type: string; shop_order_id: string; shop_order_label: string; shop_fulfilled_at?: string };
  total_price: number;
  total_shipping: number;
  total_tax: number;
  status: string;
  shipping_method: number;
  is_printify_express: boolean;
  is_economy_shipping: boolean;
  send_shipping_notification: boolean;
  shipments: Array<{ carrier: string; number: string; url: string; delivered_at?: string }>;
  created_at: string;
  sent_to_production_at?: string;
  fulfilled_at?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** What happens to an order at Printify, and the webhook topic that tells about it. */
export type StandInOrderEvent =
  | { topic: 'order:created' }
  | { topic: 'order:sent-to-production' }
  | { topic: 'order:shipment:created'; carrier?: string; trackingNumber?: string; trackingUrl?: string }
  | { topic: 'order:shipment:delivered' }
  | { topic: 'order:updated'; status: string };

export interface PrintifyWebhookEvent {
  id: string;
  type: string;
  created_at: string;
  resource: { id: string; type: 'order'; data: Record<string, unknown> };
}

export interface WebhookDelivery {
  url: string;
  eventId: string;
  topic: string;
  /** the HTTP status our endpoint answered, or 0 when it could not be reached */
  status: number;
  body: string;
}

export interface StandInWebhook {
  id: string;
  topic: string;
  url: string;
  shop_id: string;
  secret?: string;
}

export interface PrintifyStandIn extends RunningService {
  /** e.g. http://127.0.0.1:8085 — use as the client's baseUrl. */
  readonly baseUrl: string;
  readonly shopId: string;
  /** Every order created, oldest first (copies). */
  orders(): StandInOrder[];
  /** Every /v1 API request received, oldest first (copies). */
  requests(): RecordedRequest[];
  /** Queue a fault for the next `times` create-order requests. */
  fail(fault: PrintifyFault): void;
  /** Forget orders, requests and faults. */
  reset(): void;
  /** Where events go besides the registered webhooks (the local API's POST /webhooks/printify). */
  configureWebhookTarget(target: { url: string; secret: string } | undefined): void;
  /** Webhooks registered through the API (copies; secrets included). */
  webhooks(): StandInWebhook[];
  /** Moves the order on as Printify would and delivers the signed event; resolves with each delivery. */
  emit(printifyOrderId: string, event: StandInOrderEvent): Promise<{ event: PrintifyWebhookEvent; deliveries: WebhookDelivery[] }>;
  /** Delivers an event as given (a duplicate, an old one) to the same targets. */
  deliver(event: PrintifyWebhookEvent): Promise<WebhookDelivery[]>;
  /** Every delivery so far, oldest first. */
  deliveries(): WebhookDelivery[];
}

export interface PrintifyStandInOptions {
  port: number;
  token: string;
  shopId: string;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** see configureWebhookTarget */
  webhookTarget?: { url: string; secret: string };
}

/** Printify's list endpoints page at most this many orders. */
const MAX_PAGE_LIMIT = 10;
const VALIDATION_CODE = 8150;
const OPERATION_FAILED_CODE = 8502;
const UNIT_COST = 1250;
const FIRST_ITEM_SHIPPING = 400;
const ADDITIONAL_ITEM_SHIPPING = 200;

type Json = Record<string, unknown>;

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface QueuedFault extends PrintifyFault {
  remaining: number;
}

/** Printify's webhook signature: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Printify's error body. */
export function printifyError(code: number, message: string, reason: string): Json {
  return { status: 'error', code, message, errors: { reason, code } };
}

function defaultFaultBody(status: number): unknown {
  if (status === 429) return printifyError(429, 'Too Many Requests.', 'Rate limit exceeded. Retry later.');
  if (status >= 500) return printifyError(status, 'Internal Server Error.', 'Something went wrong on our side.');
  if (status === 401) return printifyError(401, 'Unauthenticated.', 'Invalid or missing access token.');
  if (status === 404) return printifyError(404, 'Not found.', 'The requested resource was not found.');
  return printifyError(VALIDATION_CODE, 'Validation failed.', `Simulated failure with HTTP ${status}.`);
}

/** Printify's timestamp format: "2019-12-09 10:46:53+00:00". */
function printifyTime(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}

/** A 24-hex-char id, Mongo ObjectId-like (4 bytes of seconds, then random). */
function newOrderId(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `${seconds}${randomBytes(8).toString('hex')}`;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

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
    for (const field of ['first_name', 'last_name', 'address1', 'city', 'zip', 'country']) {
      const value = address[field];
      if (value === undefined || value === null || value === '') required(`address_to.${field}`);
      else if (typeof value !== 'string') errors.push(`address_to.${field}: The address_to.${field} must be a string.`);
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
    city: address.city as string,
    zip: address.zip as string,
  };
  for (const field of ['email', 'phone', 'region', 'address2'] as const) {
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
      country: addressTo.country,
    },
  }));
  const units = lineItems.reduce((sum, item) => sum + item.quantity, 0);
  const externalId = body.external_id as string;
  const label = typeof body.label === 'string' ? body.label : undefined;
  const order: StandInOrder = {
    id: newOrderId(),
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

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

function parsePositiveInt(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 ? n : undefined;
}

function validateFault(value: unknown): PrintifyFault | string {
  if (!isRecord(value)) return 'a fault must be a JSON object';
  const fault: PrintifyFault = {};
  for (const key of ['status', 'delayMs', 'acceptThenDelayMs', 'times'] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `${key} must be a non-negative integer`;
    fault[key] = v;
  }
  if (fault.status !== undefined && (fault.status < 100 || fault.status > 599)) return 'status must be an HTTP status';
  if (fault.status !== undefined && fault.acceptThenDelayMs !== undefined) {
    return 'status and acceptThenDelayMs cannot be combined';
  }
  if ('body' in value) fault.body = value.body;
  if (value.operation !== undefined) {
    if (value.operation !== 'create' && value.operation !== 'send_to_production') return 'operation must be "create" or "send_to_production"';
    fault.operation = value.operation;
  }
  return fault;
}

/** Starts the stand-in on `host` (default 127.0.0.1):`port`. */
export async function startPrintifyStandIn(options: PrintifyStandInOptions): Promise<PrintifyStandIn> {
  const { port, token, shopId } = options;
  const host = options.host ?? '127.0.0.1';
  let orders: StandInOrder[] = [];
  let requests: RecordedRequest[] = [];
  let faults: QueuedFault[] = [];
  let webhooks: StandInWebhook[] = [];
  let deliveries: WebhookDelivery[] = [];
  let webhookTarget = options.webhookTarget;
  /** incremented by reset(): requests from before it are dropped */
  let generation = 0;
  const inFlight = new Set<AbortController>();
  /** Pending fault delays: on stop they are cleared and released (the answer is then dropped). */
  const timers = new Map<NodeJS.Timeout, () => void>();
  const sockets = new Set<Socket>();
  let stopped = false;

  const delay = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || stopped) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.set(timer, resolve);
    });

  const fail = (fault: PrintifyFault): void => {
    const checked = validateFault(fault);
    if (typeof checked === 'string') throw new Error(`Invalid Printify fault: ${checked}`);
    const times = checked.times ?? 1;
    if (times > 0) faults.push({ ...checked, remaining: times });
  };

  const takeFault = (operation: NonNullable<PrintifyFault['operation']>): PrintifyFault | undefined => {
    const index = faults.findIndex((f) => (f.operation ?? 'create') === operation);
    const head = faults[index];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) faults.splice(index, 1);
    return head;
  };

  /** A fault's delay, then its answer (undefined: process the request as usual). */
  const applyFault = async (fault: PrintifyFault | undefined): Promise<Reply | undefined> => {
    const before = generation;
    if (fault?.delayMs) await delay(fault.delayMs);
    if (stopped) return { status: 503, body: {} }; // released by stop(): the answer is dropped
    // A request still waiting when the stand-in was reset belongs to a finished test: drop it
    // rather than let it create an order among the next test's.
    if (generation !== before) return { status: 503, body: printifyError(503, 'Service Unavailable.', 'The stand-in was reset.') };
    if (fault?.status === undefined) return undefined;
    const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': '1' } : {};
    return { status: fault.status, body: fault.body ?? defaultFaultBody(fault.status), headers };
  };

  const reset = (): void => {
    generation += 1;
    orders = [];
    requests = [];
    faults = [];
    webhooks = [];
    deliveries = [];
  };

  const findOrder = (id: string): StandInOrder | undefined => orders.find((o) => o.id === id);
  const notFound = (what = 'Not found'): Reply => ({
    status: 404,
    body: printifyError(404, 'Not found.', what),
  });

  const createOrder = async (body: unknown): Promise<Reply> => {
    const fault = takeFault('create');
    const faulted = await applyFault(fault);
    if (faulted) return faulted;
    const errors = validateCreateOrder(body);
    if (errors.length > 0) {
      return {
        status: 400,
        body: printifyError(VALIDATION_CODE, 'Validation failed.', errors.join(' ')),
      };
    }
    const order = buildOrder(body as Json);
    orders.push(order);
    if (fault?.acceptThenDelayMs) await delay(fault.acceptThenDelayMs);
    return { status: 200, body: { id: order.id } };
  };

  const listOrders = (query: URLSearchParams): Reply => {
    const page = parsePositiveInt(query.get('page'), 1);
    const limit = parsePositiveInt(query.get('limit'), MAX_PAGE_LIMIT);
    if (page === undefined) {
      return { status: 400, body: printifyError(VALIDATION_CODE, 'Validation failed.', 'page: The page must be an integer of at least 1.') };
    }
    if (limit === undefined || limit > MAX_PAGE_LIMIT) {
      return {
        status: 400,
        body: printifyError(VALIDATION_CODE, 'Validation failed.', `limit: The limit must be between 1 and ${MAX_PAGE_LIMIT}.`),
      };
    }
    const status = query.get('status');
    const newestFirst = [...orders].reverse().filter((o) => status === null || o.status === status);
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
  };

  const sendToProduction = async (order: StandInOrder): Promise<Reply> => {
    const faulted = await applyFault(takeFault('send_to_production'));
    if (faulted) return faulted;
    if (order.status !== 'on-hold') {
      return {
        status: 400,
        body: printifyError(OPERATION_FAILED_CODE, 'Operation failed.', `Not allowed to send order to production with status ${order.status}.`),
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
  };

  const cancel = (order: StandInOrder): Reply => {
    if (order.status !== 'on-hold' && order.status !== 'payment-not-received') {
      return {
        status: 400,
        body: printifyError(OPERATION_FAILED_CODE, 'Operation failed.', `Order with status ${order.status} can not be canceled.`),
      };
    }
    order.status = 'canceled';
    for (const item of order.line_items) item.status = 'canceled';
    return { status: 200, body: order };
  };

  const handleWebhooks = (method: string, id: string | undefined, body: unknown, bodyOk: boolean): Reply => {
    const visible = (w: StandInWebhook) => ({ id: w.id, topic: w.topic, url: w.url, shop_id: w.shop_id });
    if (id === undefined && method === 'GET') return { status: 200, body: webhooks.map(visible) };
    if (id === undefined && method === 'POST') {
      const errors: string[] = [];
      if (!bodyOk || !isRecord(body)) errors.push('body: The request body must be a JSON object.');
      const fields = isRecord(body) ? body : {};
      if (typeof fields.topic !== 'string' || fields.topic === '') errors.push('topic: The topic field is required.');
      if (typeof fields.url !== 'string' || !/^https?:\/\//.test(fields.url)) errors.push('url: The url must be a valid URL.');
      if (fields.secret !== undefined && typeof fields.secret !== 'string') errors.push('secret: The secret must be a string.');
      if (errors.length > 0) return { status: 400, body: printifyError(VALIDATION_CODE, 'Validation failed.', errors.join(' ')) };
      const webhook: StandInWebhook = {
        id: newOrderId(),
        topic: fields.topic as string,
        url: fields.url as string,
        shop_id: shopId,
        ...(typeof fields.secret === 'string' ? { secret: fields.secret } : {}),
      };
      webhooks.push(webhook);
      return { status: 200, body: visible(webhook) };
    }
    if (id !== undefined && method === 'DELETE') {
      const before = webhooks.length;
      webhooks = webhooks.filter((w) => w.id !== decodeURIComponent(id));
      return webhooks.length < before ? { status: 200, body: { id: decodeURIComponent(id) } } : notFound('Webhook not found.');
    }
    return { status: 405, body: printifyError(405, 'Method not allowed.', `${method} is not allowed here.`) };
  };

  const deliver = async (event: PrintifyWebhookEvent): Promise<WebhookDelivery[]> => {
    const body = JSON.stringify(event);
    const targets = webhooks.filter((w) => w.topic === event.type).map((w) => ({ url: w.url, secret: w.secret }));
    if (webhookTarget && !targets.some((t) => t.url === webhookTarget!.url)) targets.push(webhookTarget);
    const results: WebhookDelivery[] = [];
    for (const target of targets) {
      const controller = new AbortController();
      inFlight.add(controller);
      let delivery: WebhookDelivery;
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Printify-Webhooks (stand-in)',
            ...(target.secret ? { 'x-pfy-signature': signWebhookBody(body, target.secret) } : {}),
          },
          body,
          signal: controller.signal,
        });
        delivery = { url: target.url, eventId: event.id, topic: event.type, status: response.status, body: await response.text() };
      } catch (error) {
        delivery = { url: target.url, eventId: event.id, topic: event.type, status: 0, body: error instanceof Error ? error.message : String(error) };
      } finally {
        inFlight.delete(controller);
      }
      deliveries.push(delivery);
      results.push(delivery);
    }
    return results;
  };

  /** Moves the order on as Printify would, then delivers the event that tells about it. */
  const emit = async (printifyOrderId: string, change: StandInOrderEvent) => {
    const order = findOrder(printifyOrderId);
    if (!order) throw new Error(`Printify stand-in has no order ${printifyOrderId}`);
    const now = printifyTime();
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
        Object.assign(data, { shipped_at: now, carrier: { code: carrier, tracking_number: number, tracking_url: url }, skus: order.line_items.map((i) => i.metadata.sku) });
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
    const event: PrintifyWebhookEvent = { id: randomUUID(), type: change.topic, created_at: now, resource: { id: order.id, type: 'order', data } };
    return { event, deliveries: await deliver(event) };
  };

  const handleApi = async (req: http.IncomingMessage, url: URL, body: unknown, bodyOk: boolean): Promise<Reply> => {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${token}`) {
      return { status: 401, body: printifyError(401, 'Unauthenticated.', 'Invalid or missing access token.') };
    }
    const userAgent = req.headers['user-agent'];
    if (typeof userAgent !== 'string' || userAgent.trim() === '') {
      return {
        status: 400,
        body: printifyError(VALIDATION_CODE, 'Validation failed.', 'User-Agent: A User-Agent header is required.'),
      };
    }
    const match = /^\/v1\/shops\/([^/]+)\/orders(?:\/([^/]+?))?(?:\/(send_to_production|cancel))?\.json$/.exec(url.pathname);
    const shopMatch = /^\/v1\/shops\/([^/]+)\//.exec(url.pathname);
    if (shopMatch && decodeURIComponent(shopMatch[1] as string) !== shopId) return notFound('Shop not found.');
    const webhookMatch = /^\/v1\/shops\/[^/]+\/webhooks(?:\/([^/]+?))?\.json$/.exec(url.pathname);
    if (webhookMatch) return handleWebhooks(req.method ?? 'GET', webhookMatch[1], body, bodyOk);
    if (!match) return notFound();
    const [, , orderId, action] = match;
    const method = req.method ?? 'GET';

    if (orderId === undefined) {
      if (method === 'POST') {
        if (!bodyOk) {
          return { status: 400, body: printifyError(VALIDATION_CODE, 'Validation failed.', 'The request body is not valid JSON.') };
        }
        return createOrder(body);
      }
      if (method === 'GET') return listOrders(url.searchParams);
      return { status: 405, body: printifyError(405, 'Method not allowed.', `${method} is not allowed here.`) };
    }
    const order = findOrder(decodeURIComponent(orderId));
    if (action === undefined) {
      if (method !== 'GET') return { status: 405, body: printifyError(405, 'Method not allowed.', `${method} is not allowed here.`) };
      return order ? { status: 200, body: order } : notFound('Order not found.');
    }
    if (method !== 'POST') return { status: 405, body: printifyError(405, 'Method not allowed.', `${method} is not allowed here.`) };
    if (!order) return notFound('Order not found.');
    return action === 'send_to_production' ? sendToProduction(order) : cancel(order);
  };

  const handleControl = async (req: http.IncomingMessage, url: URL, body: unknown, bodyOk: boolean): Promise<Reply> => {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const eventRoute = /^POST \/__stand-in\/orders\/([^/]+)\/events$/.exec(route);
    if (eventRoute) {
      const change = body as StandInOrderEvent;
      const topics = ['order:created', 'order:sent-to-production', 'order:shipment:created', 'order:shipment:delivered', 'order:updated'];
      if (!bodyOk || !isRecord(body) || !topics.includes(String(body.topic))) {
        return { status: 400, body: { error: `body must be {"topic": one of ${topics.join(', ')}}` } };
      }
      if (change.topic === 'order:updated' && typeof change.status !== 'string') return { status: 400, body: { error: 'order:updated needs a status' } };
      const id = decodeURIComponent(eventRoute[1]!);
      if (!findOrder(id)) return { status: 404, body: { error: `no order ${id}` } };
      try {
        return { status: 200, body: await emit(id, change) };
      } catch (error) {
        return { status: 409, body: { error: error instanceof Error ? error.message : String(error) } };
      }
    }
    switch (route) {
      case 'GET /__stand-in/deliveries':
        return { status: 200, body: deliveries };
      case 'POST /__stand-in/faults': {
        const checked = bodyOk ? validateFault(body) : 'body is not valid JSON';
        if (typeof checked === 'string') return { status: 400, body: { error: checked } };
        fail(checked);
        return { status: 200, body: { queued: faults.length } };
      }
      case 'GET /__stand-in/orders':
        return { status: 200, body: orders };
      case 'GET /__stand-in/requests':
        return {
          status: 200,
          body: requests.map((r) => ({
            ...r,
            headers: { ...r.headers, ...(r.headers.authorization ? { authorization: '[redacted]' } : {}) },
          })),
        };
      case 'POST /__stand-in/reset':
        reset();
        return { status: 200, body: { reset: true } };
      default:
        return { status: 404, body: { error: `No stand-in control route ${route}` } };
    }
  };

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://stand-in.local');
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = parseBody(raw);
        const body = parsed.ok ? parsed.value : raw;
        let reply: Reply;
        try {
          if (url.pathname.startsWith('/__stand-in/')) {
            reply = await handleControl(req, url, body, parsed.ok);
          } else if (url.pathname.startsWith('/v1/')) {
            requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: headerRecord(req.headers), body });
            reply = await handleApi(req, url, body, parsed.ok);
          } else {
            reply = notFound();
          }
        } catch (err) {
          reply = { status: 500, body: printifyError(500, 'Internal Server Error.', (err as Error).message) };
        }
        if (res.destroyed || res.writableEnded || stopped) return;
        const payload = JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...reply.headers,
        });
        res.end(payload);
      })();
    });
  });
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Printify stand-in could not start: port ${port} is already in use.`
            : `Printify stand-in could not start on port ${port}: ${err.message}`,
        ),
      );
    };
    httpServer.once('error', onError);
    httpServer.listen(port, host, () => {
      httpServer.removeListener('error', onError);
      resolve();
    });
  });

  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      stopped = true;
      for (const controller of inFlight) controller.abort();
      for (const [timer, release] of timers) {
        clearTimeout(timer);
        release();
      }
      timers.clear();
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
    return stopping;
  };

  return {
    url: baseUrl,
    baseUrl,
    shopId,
    orders: () => structuredClone(orders),
    requests: () => structuredClone(requests),
    fail,
    reset,
    stop,
    configureWebhookTarget: (target) => {
      webhookTarget = target;
    },
    webhooks: () => structuredClone(webhooks),
    emit,
    deliver,
    deliveries: () => structuredClone(deliveries),
  };
}
