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
 *   GET|POST /v1/shops/{shop_id}/webhooks.json, DELETE /v1/shops/{shop_id}/webhooks/{id}.json
 * Every API call needs `Authorization: Bearer <token>` and a `User-Agent` header. Errors use
 * Printify's body `{"status":"error","code":8150,"message":"Validation failed.",
 * "errors":{"reason":"…","code":8150}}`. Over the rate limit (Printify's 600 requests a minute
 * unless configured) the answer is 429 with `Retry-After` in seconds.
 *
 * Webhooks: `emit` (or POST /__stand-in/orders/{id}/events) moves an order on as Printify would
 * (sent to production, a shipment, its delivery, a status change) and POSTs the event, shaped as
 * Printify documents it, to every webhook registered for its topic and to the configured local
 * target, signed `X-Pfy-Signature: sha256=<hex HMAC-SHA256 of the body>` with the webhook's secret.
 *
 * Control routes (no auth) for out-of-process use: POST /__stand-in/faults (a PrintifyFault),
 * GET /__stand-in/orders, GET /__stand-in/requests, GET /__stand-in/stats (PrintifyTrafficStats),
 * POST /__stand-in/reset, POST /__stand-in/orders/{id}/events (a StandInOrderEvent),
 * GET /__stand-in/deliveries.
 *
 * Deliberately NOT modelled: deduplication by external_id (Printify documents none, so a second
 * create with the same external_id makes a second order — duplicates stay visible to tests).
 *
 * The parts: orders.ts (the store and the order lifecycle), webhooks.ts (subscriptions and signed
 * deliveries), faults.ts (injected failures), quota.ts (the rate limit and the counts), server.ts
 * (HTTP routing); the wire types are the client's (lambdas/adapters/printify-api-types.ts).
 */
import type { PrintifyWebhookEvent } from '../../lambdas/adapters/printify-api-types';
import type { RunningService } from '../dynamodb-local';
import type { RateLimitOptions } from '../rate-limit';
import { FaultInjector, type PrintifyFault } from './faults';
import { OrderStore, type StandInOrder, type StandInOrderEvent } from './orders';
import { PrintifyQuota, type PrintifyTrafficStats } from './quota';
import { serve, type RecordedRequest, type StandInParts } from './server';
import { WebhookHub, type StandInWebhook, type WebhookDelivery } from './webhooks';

export type { PrintifyWebhookEvent } from '../../lambdas/adapters/printify-api-types';
export type { RateLimitOptions } from '../rate-limit';
export type { PrintifyFault } from './faults';
export { validateCreateOrder, type StandInAddress, type StandInLineItem, type StandInOrder, type StandInOrderEvent } from './orders';
export { PRINTIFY_RATE_LIMIT, PRINTIFY_RATE_WINDOW_MS, printifyRateLimitFromEnv, type PrintifyTrafficStats } from './quota';
export { printifyError } from './replies';
export type { RecordedRequest } from './server';
export { signWebhookBody, type StandInWebhook, type WebhookDelivery } from './webhooks';

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
  /** Forget orders, requests, faults, webhooks, deliveries, the rate limit's window and the counts. */
  reset(): void;
  /**
   * Requests, 429s, 4xx, 5xx, the error rate and the peak requests per window since the start or
   * the last reset (a copy). Printify's rules to hold them against: at most 600 a minute, errors
   * under 5 % of responses.
   */
  stats(): PrintifyTrafficStats;
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
  /**
   * The API's rate limit: default Printify's 600 requests per 60 000 ms window. A simulation
   * scales time down with a lower limit or a shorter window; tests inject `now`.
   */
  rateLimit?: RateLimitOptions;
}

/**
 * Starts the stand-in on `host` (default 127.0.0.1):`port`. Rejects when the port is taken or the
 * rate limit is not a positive integer per a positive window.
 */
export async function startPrintifyStandIn(options: PrintifyStandInOptions): Promise<PrintifyStandIn> {
  const { port, token, shopId } = options;
  const host = options.host ?? '127.0.0.1';
  const orders = new OrderStore();
  const faults = new FaultInjector();
  const webhooks = new WebhookHub(shopId, orders, options.webhookTarget);
  const quota = new PrintifyQuota(options.rateLimit);
  const parts: StandInParts = {
    token,
    shopId,
    orders,
    faults,
    webhooks,
    quota,
    requests: [],
    reset: () => {
      faults.reset();
      orders.reset();
      parts.requests.length = 0;
      webhooks.reset();
      quota.reset();
    },
  };
  const server = await serve(parts, { port, host });

  return {
    url: server.baseUrl,
    baseUrl: server.baseUrl,
    shopId,
    orders: () => structuredClone(orders.all()),
    requests: () => structuredClone(parts.requests),
    fail: (fault) => faults.fail(fault),
    reset: parts.reset,
    stats: () => quota.stats(),
    stop: server.stop,
    configureWebhookTarget: (target) => {
      webhooks.target = target;
    },
    webhooks: () => structuredClone(webhooks.webhooks()),
    emit: (printifyOrderId, event) => webhooks.emit(printifyOrderId, event),
    deliver: (event) => webhooks.deliver(event),
    deliveries: () => structuredClone(webhooks.deliveries()),
  };
}
