import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeSignatureVerifier } from '../lambdas/adapters/stripe-signature';
import type { ListedStripeEvent } from '../lambdas/adapters/stripe-events-api';

/** The restricted key the local reconciler uses (documented; never valid outside this machine). */
export const LOCAL_STRIPE_API_KEY = 'rk_test_otakumori_local_read_events';

export interface StripeApiStandIn {
  /** base URL, e.g. http://127.0.0.1:8086 (the reconciler's STRIPE_API_URL) */
  url: string;
  apiKey: string;
  /** Holds an event as Stripe would once it created it (whether or not it is ever delivered). */
  add(event: ListedStripeEvent): void;
  /**
   * Holds the event of a webhook request if its Stripe-Signature verifies with `secret` (what
   * Stripe signs, Stripe created); anything else is ignored. Never throws. The check is deferred to
   * the next listing, so that it adds nothing to the webhook's request path (`npm run bench`).
   */
  recordDelivery(rawBody: Buffer, signature: string | undefined): void;
  /** every event held, newest first */
  events(): ListedStripeEvent[];
  stop(): Promise<void>;
}

export interface StripeApiStandInOptions {
  /** 0: any free port */
  port: number;
  /** the webhook signing secret of the local stack, to tell Stripe's events from forgeries */
  webhookSecret: string;
  /** @default LOCAL_STRIPE_API_KEY */
  apiKey?: string;
}

const stripeError = (res: http.ServerResponse, status: number, type: string, message: string, param?: string) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { type, message, ...(param ? { param } : {}) } }));
};

/**
 * Stripe's List events API on this machine (https://docs.stripe.com/api/events/list), enough for
 * the reconciler: `GET /v1/events` with `created[gte|gt|lte|lt]` (Unix seconds), `type` or
 * `types[]` (at most 20), `limit` (1–100, default 10), `starting_after`; the list shape
 * `{object: 'list', data, has_more, url}`, newest first; 401 without `Authorization: Bearer <key>`.
 * `GET /__stand-in/events` lists what it holds, `POST /__stand-in/events` adds one (a JSON event).
 */
export async function startStripeApiStandIn(options: StripeApiStandInOptions): Promise<StripeApiStandIn> {
  const apiKey = options.apiKey ?? LOCAL_STRIPE_API_KEY;
  const verifier = new StripeSignatureVerifier(options.webhookSecret, Number.MAX_SAFE_INTEGER);
  const held = new Map<string, { event: ListedStripeEvent; seq: number }>();
  let seq = 0;
  let deliveries: { rawBody: Buffer; signature: string | undefined }[] = [];
  const verifyDeliveries = () => {
    for (const { rawBody, signature } of deliveries.splice(0)) {
      try {
        const event = verifier.verify(rawBody, signature) as ListedStripeEvent;
        if (typeof event?.id === 'string' && typeof event.type === 'string' && typeof event.created === 'number') add(event);
      } catch {
        // not Stripe's: the webhook answers it 400, and Stripe never created it
      }
    }
  };
  const add = (event: ListedStripeEvent) => {
    if (!held.has(event.id)) held.set(event.id, { event: structuredClone(event), seq: seq++ });
  };
  // newest first; events of the same second in reverse order of creation
  const newestFirst = () => {
    verifyDeliveries();
    return [...held.values()].sort((a, b) => b.event.created - a.event.created || b.seq - a.seq).map((h) => h.event);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/__stand-in/events') {
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          try {
            const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ListedStripeEvent;
            if (typeof event?.id !== 'string' || typeof event.created !== 'number') throw new Error('not an event');
            add(event);
            res.writeHead(204).end();
          } catch {
            stripeError(res, 400, 'invalid_request_error', 'body is not a Stripe event');
          }
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(newestFirst()));
      return;
    }
    if (req.method !== 'GET' || url.pathname !== '/v1/events') {
      stripeError(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname}).`);
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided.');
      return;
    }
    const q = url.searchParams;
    const bound = (name: string) => (q.has(`created[${name}]`) ? Number(q.get(`created[${name}]`)) : undefined);
    const [gte, gt, lte, lt] = ['gte', 'gt', 'lte', 'lt'].map(bound);
    const types = q.getAll('types[]');
    if (types.length > 20) return stripeError(res, 400, 'invalid_request_error', 'types: at most 20 event types', 'types');
    if (types.length && q.has('type'))
      return stripeError(res, 400, 'invalid_request_error', 'You may pass either type or types, but not both.', 'types');
    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return stripeError(res, 400, 'invalid_request_error', 'limit must be between 1 and 100', 'limit');
    const typeMatches = (type: string) => {
      const wanted = q.has('type') ? [q.get('type')!] : types;
      return wanted.length === 0 || wanted.some((w) => (w.endsWith('.*') ? type.startsWith(w.slice(0, -1)) : w === type));
    };
    let matching = newestFirst().filter(
      (e) =>
        (gte === undefined || e.created >= gte) &&
        (gt === undefined || e.created > gt) &&
        (lte === undefined || e.created <= lte) &&
        (lt === undefined || e.created < lt) &&
        typeMatches(e.type),
    );
    const after = q.get('starting_after');
    if (after) {
      const index = matching.findIndex((e) => e.id === after);
      if (index < 0 && !held.has(after))
        return stripeError(res, 400, 'invalid_request_error', `No such event: '${after}'`, 'starting_after');
      matching = index < 0 ? [] : matching.slice(index + 1);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: matching.slice(0, limit), has_more: matching.length > limit, url: '/v1/events' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    add,
    recordDelivery(rawBody, signature) {
      deliveries.push({ rawBody, signature });
    },
    events: newestFirst,
    async stop() {
      deliveries = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
