import { createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeSignatureVerifier } from '../lambdas/adapters/stripe-signature';
import type { ListedStripeEvent } from '../lambdas/adapters/stripe-events-api';

/** The restricted key the local reconciler uses (documented; never valid outside this machine). */
export const LOCAL_STRIPE_API_KEY = 'rk_test_otakumori_local_read_events';
/** The secret key `ops hold refund` uses against the stand-in (it may create refunds; never valid outside this machine). */
export const LOCAL_STRIPE_SECRET_KEY = 'sk_test_otakumori_local_refunds';

/** The API version the stand-in's own events are rendered at (Stripe's at the time of writing). */
const STAND_IN_API_VERSION = '2025-08-27.basil';

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
  /** Where the events of its refunds go (the local webhook), signed with the webhook secret. */
  deliverTo(webhookUrl: string): void;
  stop(): Promise<void>;
}

export interface StripeApiStandInOptions {
  /** 0: any free port */
  port: number;
  /** the webhook signing secret of the local stack, to tell Stripe's events from forgeries */
  webhookSecret: string;
  /** @default LOCAL_STRIPE_API_KEY */
  apiKey?: string;
  /** @default LOCAL_STRIPE_SECRET_KEY */
  secretKey?: string;
  /** where the events of its refunds are sent (also deliverTo); none: only held */
  webhookUrl?: string;
}

type Obj = Record<string, unknown>;
const standInId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

/** A payment the stand-in knows of: from the paid checkout sessions and payment intents it holds. */
interface KnownPayment {
  paymentIntentId: string;
  chargeId: string;
  amount: number;
  currency: string;
  metadata: Record<string, string>;
}

function paymentsOf(events: ListedStripeEvent[]): Map<string, KnownPayment> {
  const known = new Map<string, KnownPayment>();
  // oldest first: a later event of the same payment intent says more (its charge)
  for (const event of [...events].reverse()) {
    const object = ((event.data as Obj | undefined)?.object ?? {}) as Obj;
    const metadata = (object.metadata ?? {}) as Record<string, string>;
    let found: KnownPayment | undefined;
    if (event.type.startsWith('checkout.session.') && object.payment_status === 'paid' && typeof object.payment_intent === 'string') {
      const pi = object.payment_intent;
      found = {
        paymentIntentId: pi,
        chargeId: `ch_${pi.replace(/^pi_/, '')}`,
        amount: Number(object.amount_total),
        currency: String(object.currency),
        metadata,
      };
    } else if (event.type === 'payment_intent.succeeded' && typeof object.id === 'string') {
      const charge = typeof object.latest_charge === 'string' ? object.latest_charge : `ch_${object.id.replace(/^pi_/, '')}`;
      found = {
        paymentIntentId: object.id,
        chargeId: charge,
        amount: Number(object.amount_received ?? object.amount),
        currency: String(object.currency),
        metadata,
      };
    }
    if (found && Number.isInteger(found.amount)) known.set(found.paymentIntentId, { ...known.get(found.paymentIntentId), ...found });
  }
  return known;
}

/** The Stripe-Signature header of `body` (https://docs.stripe.com/webhooks#verify-manually). */
function stripeSignature(body: string, secret: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
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
 *
 * And Stripe's Create a refund (https://docs.stripe.com/api/refunds/create), enough for `ops hold
 * refund`: `POST /v1/refunds` with `payment_intent` (one of a paid session or succeeded payment
 * intent it holds), optional `amount` (default what is left), `reason`, `metadata[…]`; the secret
 * key; `Idempotency-Key` (the same key gets the same answer). The refund succeeds at once; as
 * Stripe, it then holds and sends its signed `charge.refunded` and `refund.created` to the webhook.
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

  const secretKey = options.secretKey ?? LOCAL_STRIPE_SECRET_KEY;
  let webhookUrl = options.webhookUrl;
  /** refunded so far by payment intent; answers by idempotency key */
  const refundedOf = new Map<string, number>();
  const answered = new Map<string, { status: number; body: string }>();
  let deliveryChain: Promise<void> = Promise.resolve();

  /** Stripe's events of a new refund: held, then sent to the webhook in order (charge.refunded, refund.created). */
  const announce = (payment: KnownPayment, refund: Obj, refundedTotal: number) => {
    const created = Math.floor(Date.now() / 1000);
    const event = (type: string, object: Obj): ListedStripeEvent => ({
      id: standInId('evt'),
      object: 'event',
      api_version: STAND_IN_API_VERSION,
      created,
      data: { object },
      livemode: false,
      pending_webhooks: webhookUrl ? 1 : 0,
      request: { id: standInId('req'), idempotency_key: null },
      type,
    });
    const charge = {
      id: payment.chargeId,
      object: 'charge',
      amount: payment.amount,
      amount_captured: payment.amount,
      amount_refunded: refundedTotal,
      captured: true,
      currency: payment.currency,
      livemode: false,
      metadata: payment.metadata,
      paid: true,
      payment_intent: payment.paymentIntentId,
      refunded: refundedTotal >= payment.amount,
      status: 'succeeded',
    };
    const events = [event('charge.refunded', charge), event('refund.created', refund)];
    for (const e of events) add(e);
    deliveryChain = deliveryChain.then(async () => {
      if (!webhookUrl) return;
      for (const e of events) {
        const body = JSON.stringify(e, null, 2);
        await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': stripeSignature(body, options.webhookSecret) },
          body,
        }).catch(() => undefined); // Stripe would retry; the reconciler finds it held here
      }
    });
  };

  /** POST /v1/refunds (https://docs.stripe.com/api/refunds/create): a refund of a payment intent the stand-in knows. */
  const createRefund = (form: URLSearchParams): { status: number; body: Obj } => {
    const error = (status: number, code: string, message: string, param?: string) => ({
      status,
      body: { error: { type: 'invalid_request_error', code, message, ...(param ? { param } : {}) } },
    });
    const pi = form.get('payment_intent');
    if (!pi) return error(400, 'parameter_missing', 'Missing required param: payment_intent.', 'payment_intent');
    const payment = paymentsOf(newestFirst()).get(pi);
    if (!payment) return error(404, 'resource_missing', `No such payment_intent: '${pi}'`, 'payment_intent');
    const before = refundedOf.get(pi) ?? 0;
    const remaining = payment.amount - before;
    if (remaining <= 0) return error(400, 'charge_already_refunded', `Charge ${payment.chargeId} has already been refunded.`);
    const amount = form.has('amount') ? Number(form.get('amount')) : remaining;
    if (!Number.isInteger(amount) || amount < 1) return error(400, 'parameter_invalid_integer', 'Invalid integer: amount', 'amount');
    if (amount > remaining)
      return error(
        400,
        'amount_too_large',
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        'amount',
      );
    const metadata = Object.fromEntries(
      [...form.entries()].filter(([k]) => /^metadata\[.+\]$/.test(k)).map(([k, v]) => [k.slice('metadata['.length, -1), v]),
    );
    refundedOf.set(pi, before + amount);
    const refund: Obj = {
      id: standInId('re'),
      object: 'refund',
      amount,
      balance_transaction: standInId('txn'),
      charge: payment.chargeId,
      created: Math.floor(Date.now() / 1000),
      currency: payment.currency,
      metadata,
      payment_intent: pi,
      reason: form.get('reason'),
      receipt_number: null,
      status: 'succeeded',
    };
    announce(payment, refund, before + amount);
    return { status: 200, body: refund };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/v1/refunds' && req.method === 'POST') {
      if (req.headers.authorization !== `Bearer ${secretKey}`) {
        stripeError(res, 401, 'invalid_request_error', 'Invalid API Key provided.');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
        const replayed = key ? answered.get(key) : undefined;
        const answer =
          replayed ??
          (() => {
            const { status, body } = createRefund(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
            return { status, body: JSON.stringify(body) };
          })();
        if (key && !replayed && answer.status < 500) answered.set(key, answer);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
        res.end(answer.body);
      });
      return;
    }
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
    deliverTo(url) {
      webhookUrl = url;
    },
    async stop() {
      deliveries = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
