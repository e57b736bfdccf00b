/**
 * Printify's webhooks, played by the stand-in: the subscriptions API
 * (GET|POST /v1/shops/{shop_id}/webhooks.json, DELETE /v1/shops/{shop_id}/webhooks/{id}.json) and
 * the deliveries. As Printify documents it, an event is POSTed as JSON to every webhook registered
 * for its topic, signed `X-Pfy-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with that
 * webhook's secret. Locally it also goes to one configured target (the pipeline's
 * POST /webhooks/printify), which is how `npm start` receives them without registering.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { PrintifyWebhookEvent } from '../../lambdas/adapters/printify-api-types';
import { newPrintifyId, printifyTime, type OrderStore, type StandInOrderEvent } from './orders';
import { isRecord, methodNotAllowed, notFound, validationFailed, type Reply } from './replies';

/** A webhook registered through the API (its secret is never listed back over the API). */
export interface StandInWebhook {
  id: string;
  topic: string;
  url: string;
  shop_id: string;
  secret?: string;
}

/** One POST of an event to one target, and what the target answered. */
export interface WebhookDelivery {
  url: string;
  eventId: string;
  topic: string;
  /** the HTTP status our endpoint answered, or 0 when it could not be reached */
  status: number;
  body: string;
}

/** Where events go besides the registered webhooks, and the secret that signs them. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Printify's webhook signature: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The registered webhooks, the deliveries made, and the order events that cause them. */
export class WebhookHub {
  #webhooks: StandInWebhook[] = [];
  #deliveries: WebhookDelivery[] = [];
  /** Deliveries in flight: stop() aborts them. */
  readonly #inFlight = new Set<AbortController>();

  constructor(
    private readonly shopId: string,
    private readonly orders: OrderStore,
    /** see configureWebhookTarget */
    public target: WebhookTarget | undefined,
  ) {}

  /** The registered webhooks, oldest first (live: the caller copies). */
  webhooks(): StandInWebhook[] {
    return this.#webhooks;
  }

  /** Every delivery so far, oldest first (live: the caller copies). */
  deliveries(): WebhookDelivery[] {
    return this.#deliveries;
  }

  /** Forgets the webhooks and the deliveries. */
  reset(): void {
    this.#webhooks = [];
    this.#deliveries = [];
  }

  /** Aborts the deliveries in flight (each is then recorded with status 0). */
  stop(): void {
    for (const controller of this.#inFlight) controller.abort();
  }

  /** The subscriptions API: `id` is the webhook id in the path, if any. */
  handleApi(method: string, id: string | undefined, body: unknown, bodyOk: boolean): Reply {
    const visible = (w: StandInWebhook) => ({ id: w.id, topic: w.topic, url: w.url, shop_id: w.shop_id });
    if (id === undefined && method === 'GET') return { status: 200, body: this.#webhooks.map(visible) };
    if (id === undefined && method === 'POST') {
      const errors: string[] = [];
      if (!bodyOk || !isRecord(body)) errors.push('body: The request body must be a JSON object.');
      const fields = isRecord(body) ? body : {};
      if (typeof fields.topic !== 'string' || fields.topic === '') errors.push('topic: The topic field is required.');
      if (typeof fields.url !== 'string' || !/^https?:\/\//.test(fields.url)) errors.push('url: The url must be a valid URL.');
      if (fields.secret !== undefined && typeof fields.secret !== 'string') errors.push('secret: The secret must be a string.');
      if (errors.length > 0) return validationFailed(errors);
      const webhook: StandInWebhook = {
        id: newPrintifyId(),
        topic: fields.topic as string,
        url: fields.url as string,
        shop_id: this.shopId,
        ...(typeof fields.secret === 'string' ? { secret: fields.secret } : {}),
      };
      this.#webhooks.push(webhook);
      return { status: 200, body: visible(webhook) };
    }
    if (id !== undefined && method === 'DELETE') {
      const before = this.#webhooks.length;
      this.#webhooks = this.#webhooks.filter((w) => w.id !== decodeURIComponent(id));
      return this.#webhooks.length < before ? { status: 200, body: { id: decodeURIComponent(id) } } : notFound('Webhook not found.');
    }
    return methodNotAllowed(method);
  }

  /**
   * POSTs the event, signed, to every webhook registered for its topic and to the target, one
   * after another; resolves with each delivery (status 0: not reachable). Never throws.
   */
  async deliver(event: PrintifyWebhookEvent): Promise<WebhookDelivery[]> {
    const body = JSON.stringify(event);
    const targets = this.#webhooks.filter((w) => w.topic === event.type).map((w) => ({ url: w.url, secret: w.secret }));
    const extra = this.target;
    if (extra && !targets.some((t) => t.url === extra.url)) targets.push(extra);
    const results: WebhookDelivery[] = [];
    for (const target of targets) {
      const controller = new AbortController();
      this.#inFlight.add(controller);
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
        delivery = {
          url: target.url,
          eventId: event.id,
          topic: event.type,
          status: 0,
          body: error instanceof Error ? error.message : String(error),
        };
      } finally {
        this.#inFlight.delete(controller);
      }
      this.#deliveries.push(delivery);
      results.push(delivery);
    }
    return results;
  }

  /**
   * Moves the order on as Printify would, then delivers the event that tells about it. Throws
   * when the order does not exist or the change is impossible (see OrderStore.advance).
   */
  async emit(printifyOrderId: string, change: StandInOrderEvent): Promise<{ event: PrintifyWebhookEvent; deliveries: WebhookDelivery[] }> {
    const now = printifyTime();
    const data = this.orders.advance(printifyOrderId, change, this.shopId, now);
    const event: PrintifyWebhookEvent = {
      id: randomUUID(),
      type: change.topic,
      created_at: now,
      resource: { id: printifyOrderId, type: 'order', data },
    };
    return { event, deliveries: await this.deliver(event) };
  }
}
