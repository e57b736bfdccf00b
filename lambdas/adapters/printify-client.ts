/**
 * Printify REST API v1 client used by the fulfilment Lambda (global fetch, Node 20).
 *
 * Self-contained on purpose (bundled into a Lambda): imports nothing from lib/.
 *
 * Errors are PrintifyApiError. `retryable` is true for 408, 429, 5xx, timeouts, network errors and
 * unreadable success bodies; false for other 4xx (validation, auth, not found …), whose Printify
 * reason is kept in the message and the whole body in `details`. The token never appears in an
 * error or its message, and is held in a private field so it does not show when the client is
 * logged.
 *
 * A create that times out may still have been accepted by Printify: look it up with
 * findOrderByExternalId before creating again.
 */

import type {
  CreatePrintifyOrderRequest,
  PrintifyOrder,
  PrintifyOrderPage,
  PrintifyWebhook,
  CreatePrintifyWebhookRequest,
} from './printify-api-types';
import { PrintifyLookupPaused } from '../ports/printify';

// The wire types live in their own module (shared with the local Printify stand-in); re-exported
// here so that existing imports keep working.
export { PRINTIFY_ORDER_TOPICS } from './printify-api-types';
export type {
  PrintifyAddress,
  PrintifyLineItem,
  CreatePrintifyOrderRequest,
  PrintifyOrderLineItem,
  PrintifyOrderAddress,
  PrintifyShipment,
  PrintifyOrder,
  PrintifyOrderPage,
  PrintifyOrderTopic,
  PrintifyWebhook,
  CreatePrintifyWebhookRequest,
  PrintifyWebhookEvent,
  PrintifyErrorBody,
} from './printify-api-types';

export interface PrintifyClientOptions {
  /** https://api.printify.com (a trailing "/v1" is tolerated). */
  baseUrl: string;
  token: string;
  shopId: string;
  /** Printify requires a User-Agent on every request. */
  userAgent: string;
  /** Per request, including reading the body. Default 10 000 ms. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export type PrintifyErrorKind = 'http' | 'timeout' | 'network' | 'invalid_response' | 'lookup_incomplete';

export class PrintifyApiError extends Error {
  override readonly name = 'PrintifyApiError';
  readonly kind: PrintifyErrorKind;
  /** HTTP status, when Printify answered. */
  readonly status?: number;
  /** Printify's error code (e.g. 8150 validation failed), when the body had one. */
  readonly code?: number;
  readonly retryable: boolean;
  /** Printify's error body (parsed JSON, or text), for operators. */
  readonly details?: unknown;
  /** From a Retry-After header (429/503), in seconds. */
  readonly retryAfterSeconds?: number;
  /**
   * Printify's per-field messages ("address_to.zip: The address_to.zip field is required."), for
   * the operator: empty when the body named no field.
   */
  readonly fieldErrors: string[];
  readonly method: string;
  readonly path: string;

  constructor(init: {
    message: string;
    kind: PrintifyErrorKind;
    method: string;
    path: string;
    retryable: boolean;
    status?: number;
    code?: number;
    details?: unknown;
    retryAfterSeconds?: number;
    fieldErrors?: string[];
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.method = init.method;
    this.path = init.path;
    this.retryable = init.retryable;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    if (init.details !== undefined) this.details = init.details;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
    this.fieldErrors = init.fieldErrors ?? [];
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Printify serves at most 10 orders per page. */
const LIST_PAGE_LIMIT = 10;
/** Printify's clock and ours may differ: look this much further back than our first attempt. */
const CLOCK_SKEW_MS = 10 * 60_000;
/** 50,000 orders: a lookup that must go further stops and says so rather than guess. */
const MAX_LOOKUP_PAGES = 5_000;

/** Printify writes "2019-09-10 13:32:49+00:00"; an unreadable time counts as "now" (keep walking). */
function parsePrintifyTime(value: string | undefined): number {
  const time = typeof value === 'string' ? Date.parse(value.replace(' ', 'T')) : Number.NaN;
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}
const MAX_TEXT = 2_000;

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function stripPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

function truncate(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** Reads Printify's error body: {status:"error", code, message, errors:{reason, code}} or {error, …}. */
function describeErrorBody(body: unknown): { code?: number; message?: string; reason?: string } {
  if (!isRecord(body)) return {};
  const errors = body.errors;
  let code = typeof body.code === 'number' ? body.code : undefined;
  let reason: string | undefined;
  if (isRecord(errors)) {
    if (code === undefined && typeof errors.code === 'number') code = errors.code;
    if (typeof errors.reason === 'string') reason = nonBlank(errors.reason);
    else if (errors.reason !== undefined) reason = JSON.stringify(errors.reason);
    if (reason === undefined) {
      const { code: _ignored, ...fields } = errors;
      if (Object.keys(fields).length > 0) reason = JSON.stringify(fields);
    }
  } else if (Array.isArray(errors) && errors.length > 0) {
    reason = JSON.stringify(errors);
  }
  const message = nonBlank(body.message) ?? nonBlank(body.error);
  const result: { code?: number; message?: string; reason?: string } = {};
  if (code !== undefined) result.code = code;
  if (message !== undefined) result.message = message;
  if (reason !== undefined) result.reason = reason;
  return result;
}

const FIELD_MESSAGE = /^[A-Za-z_][\w.-]*: /;

/**
 * Printify's field messages, whichever way the body carries them: `errors.reason` as one string
 * of "field: message." sentences, or Laravel's `errors: {field: [messages]}`.
 */
export function fieldErrorsOf(body: unknown): string[] {
  if (!isRecord(body)) return [];
  const errors = body.errors;
  const messages: string[] = [];
  if (isRecord(errors)) {
    if (typeof errors.reason === 'string') {
      // "a.b: The a.b field is required. c: The c must be a string." -> one entry per field
      const parts = errors.reason
        .split(/(?<=\.)\s+(?=[A-Za-z_][\w.-]*: )/)
        .map((p) => p.trim())
        .filter(Boolean);
      messages.push(...parts.filter((p) => FIELD_MESSAGE.test(p)));
    }
    for (const [field, value] of Object.entries(errors)) {
      if (field === 'code' || field === 'reason') continue;
      const texts = Array.isArray(value) ? value : [value];
      for (const text of texts) if (typeof text === 'string' && text.trim()) messages.push(`${field}: ${text.trim()}`);
    }
  } else if (Array.isArray(errors)) {
    for (const entry of errors) if (typeof entry === 'string' && entry.trim()) messages.push(entry.trim());
  }
  return messages;
}

/** The innermost system error code (ECONNREFUSED, ENOTFOUND …) in an error's cause chain. */
function systemErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  let found: string | undefined;
  for (let depth = 0; depth < 5 && isRecord(current); depth += 1) {
    if (typeof current.code === 'string') found = current.code;
    current = current.cause;
  }
  return found;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export class PrintifyClient {
  readonly #token: string;
  readonly #baseUrl: string;
  readonly #shopId: string;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: PrintifyClientOptions) {
    if (!nonBlank(options.token)) throw new Error('PrintifyClient: token is required');
    if (!nonBlank(options.shopId)) throw new Error('PrintifyClient: shopId is required');
    if (!nonBlank(options.userAgent)) throw new Error('PrintifyClient: userAgent is required (Printify rejects requests without one)');
    this.#token = options.token;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.#shopId = options.shopId;
    this.#userAgent = options.userAgent;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
  }

  /** POST /v1/shops/{shop_id}/orders.json → Printify's order id. */
  async createOrder(req: CreatePrintifyOrderRequest): Promise<{ id: string }> {
    const path = `${this.#shopPath()}/orders.json`;
    const body = await this.#request('POST', path, req);
    if (!isRecord(body) || !nonBlank(body.id)) {
      throw this.#invalidResponse('POST', path, 200, 'a create-order answer without an order id', body);
    }
    return { id: body.id as string };
  }

  /** GET /v1/shops/{shop_id}/orders/{order_id}.json */
  async getOrder(id: string): Promise<PrintifyOrder> {
    const path = `${this.#shopPath()}/orders/${encodeURIComponent(id)}.json`;
    const body = await this.#request('GET', path);
    if (!isRecord(body) || !nonBlank(body.id)) {
      throw this.#invalidResponse('GET', path, 200, 'an order without an id', body);
    }
    return body as PrintifyOrder;
  }

  /** GET /v1/shops/{shop_id}/orders.json?page=&limit= (newest first). */
  async listOrders(page = 1, limit = LIST_PAGE_LIMIT): Promise<PrintifyOrderPage> {
    const path = `${this.#shopPath()}/orders.json?page=${page}&limit=${limit}`;
    const body = await this.#request('GET', path);
    if (!isRecord(body) || !Array.isArray(body.data)) {
      throw this.#invalidResponse('GET', path, 200, 'an order list without data', body);
    }
    return body as PrintifyOrderPage;
  }

  /**
   * Walks the order list newest first for the order whose external_id (or metadata.shop_order_id,
   * where Printify also reports it) equals `externalId`. Undefined when it is not there.
   *
   * With `createdSince` (when we first tried to create it) the walk goes on until it reaches orders
   * created before then, however many pages a busy shop has filled since: stopping early would let
   * a retry create a second print order. A walk that cannot get that far within `maxPages` throws
   * (kind lookup_incomplete) instead of answering "not there". Without `createdSince` it reads at
   * most `maxPages` (default 5) pages.
   */
  async findOrderByExternalId(
    externalId: string,
    options: { createdSince?: Date | string; maxPages?: number; fromPage?: number; deadline?: number } = {},
  ): Promise<PrintifyOrder | undefined> {
    const since = options.createdSince === undefined ? undefined : new Date(options.createdSince).getTime() - CLOCK_SKEW_MS;
    const maxPages = options.maxPages ?? (since === undefined ? 5 : MAX_LOOKUP_PAGES);
    const fromPage = Math.max(1, Math.floor(options.fromPage ?? 1));
    for (let page = fromPage; page <= maxPages; page += 1) {
      // A page takes up to the request timeout: stop before the invocation's own time runs out,
      // and let the caller continue from here on its next attempt.
      if (options.deadline !== undefined && page > fromPage && Date.now() >= options.deadline) throw new PrintifyLookupPaused(page);
      const result = await this.listOrders(page);
      const found = result.data.find(
        (order) =>
          order.external_id === externalId ||
          (order.metadata?.shop_order_id !== undefined && String(order.metadata.shop_order_id) === externalId),
      );
      if (found) return found;
      const lastPage = typeof result.last_page === 'number' ? result.last_page : undefined;
      if (result.data.length === 0 || (lastPage !== undefined && page >= lastPage)) return undefined;
      if (lastPage === undefined && result.data.length < LIST_PAGE_LIMIT) return undefined;
      if (since !== undefined && result.data.some((order) => parsePrintifyTime(order.created_at) < since)) return undefined;
    }
    if (since === undefined) return undefined;
    // Not retryable: a later walk would only be further behind. The operator checks Printify.
    throw new PrintifyApiError({
      message: `order ${externalId} not found in the ${maxPages} newest pages, which do not reach back to its first attempt; check Printify before retrying`,
      kind: 'lookup_incomplete',
      method: 'GET',
      path: `${this.#shopPath()}/orders.json`,
      retryable: false,
    });
  }

  /** POST /v1/shops/{shop_id}/orders/{order_id}/send_to_production.json */
  async sendToProduction(id: string): Promise<void> {
    await this.#request('POST', `${this.#shopPath()}/orders/${encodeURIComponent(id)}/send_to_production.json`);
  }

  /** POST /v1/shops/{shop_id}/orders/{order_id}/cancel.json (only on-hold / payment-not-received orders). */
  async cancelOrder(id: string): Promise<void> {
    await this.#request('POST', `${this.#shopPath()}/orders/${encodeURIComponent(id)}/cancel.json`);
  }

  /** GET /v1/shops/{shop_id}/webhooks.json */
  async listWebhooks(): Promise<PrintifyWebhook[]> {
    const path = `${this.#shopPath()}/webhooks.json`;
    const body = await this.#request('GET', path);
    if (!Array.isArray(body)) throw this.#invalidResponse('GET', path, 200, 'a webhook list that is not an array', body);
    return body as PrintifyWebhook[];
  }

  /** POST /v1/shops/{shop_id}/webhooks.json */
  async createWebhook(req: CreatePrintifyWebhookRequest): Promise<PrintifyWebhook> {
    const path = `${this.#shopPath()}/webhooks.json`;
    const body = await this.#request('POST', path, req);
    if (!isRecord(body) || !nonBlank(body.id)) throw this.#invalidResponse('POST', path, 200, 'a webhook without an id', body);
    return body as PrintifyWebhook;
  }

  /** DELETE /v1/shops/{shop_id}/webhooks/{webhook_id}.json?host=<the webhook URL's host> */
  async deleteWebhook(id: string, host?: string): Promise<void> {
    const query = host ? `?host=${encodeURIComponent(host)}` : '';
    await this.#request('DELETE', `${this.#shopPath()}/webhooks/${encodeURIComponent(id)}.json${query}`);
  }

  #shopPath(): string {
    return `/v1/shops/${encodeURIComponent(this.#shopId)}`;
  }

  /** Removes the token from any text that could end up in an error. */
  #redact(text: string): string {
    return text.split(this.#token).join('[redacted]');
  }

  #redactValue(value: unknown): unknown {
    if (value === undefined) return undefined;
    const json = JSON.stringify(value);
    if (json === undefined || !json.includes(this.#token)) return value;
    return JSON.parse(this.#redact(json)) as unknown;
  }

  #invalidResponse(method: string, path: string, status: number, what: string, body: unknown): PrintifyApiError {
    return new PrintifyApiError({
      message: `Printify ${method} ${path} returned HTTP ${status} with ${what}`,
      kind: 'invalid_response',
      method,
      path,
      status,
      retryable: true,
      details: this.#redactValue(body),
    });
  }

  async #request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const url = `${this.#baseUrl}${path}`;
    let status: number | undefined;
    let text: string;
    let retryAfter: string | null = null;
    try {
      const res = await this.#fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          'User-Agent': this.#userAgent,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      const name = isRecord(err) || err instanceof Error ? (err as { name?: unknown }).name : undefined;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new PrintifyApiError({
          message:
            `Printify ${method} ${path} timed out after ${this.#timeoutMs} ms` +
            (method === 'POST' ? ' (Printify may still have processed it)' : ''),
          kind: 'timeout',
          method,
          path,
          retryable: true,
          ...(status === undefined ? {} : { status }),
        });
      }
      const code = systemErrorCode(err);
      throw new PrintifyApiError({
        message: `Printify ${method} ${path} failed: could not reach Printify${code ? ` (${code})` : ''}`,
        kind: 'network',
        method,
        path,
        retryable: true,
        cause: err,
      });
    }

    let parsed: unknown;
    let isJson = false;
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
        isJson = true;
      } catch {
        parsed = undefined;
      }
    }

    if (status >= 200 && status < 300) {
      if (text !== '' && !isJson) {
        throw this.#invalidResponse(method, path, status, 'a body that is not JSON', truncate(this.#redact(text)));
      }
      return parsed;
    }

    const described = describeErrorBody(parsed);
    let message = `Printify ${method} ${path} failed with HTTP ${status}`;
    if (described.code !== undefined) message += ` (code ${described.code})`;
    const explanation: string[] = [];
    if (described.message !== undefined) explanation.push(`${stripPeriod(described.message)}.`);
    if (described.reason !== undefined) explanation.push(`Reason: ${stripPeriod(described.reason)}.`);
    if (!isJson && text.trim() !== '') explanation.push(`Body: ${text.trim()}`);
    if (explanation.length > 0) message += `: ${explanation.join(' ')}`;
    const retryAfterSeconds = parseRetryAfter(retryAfter);
    const fieldErrors = isJson ? fieldErrorsOf(this.#redactValue(parsed)).map((m) => truncate(m)) : [];
    throw new PrintifyApiError({
      message: truncate(this.#redact(message)),
      kind: 'http',
      method,
      path,
      status,
      retryable: isRetryableStatus(status),
      ...(described.code === undefined ? {} : { code: described.code }),
      details: this.#redactValue(isJson ? parsed : text === '' ? undefined : truncate(text)),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      fieldErrors,
    });
  }
}
