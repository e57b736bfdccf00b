import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrderItem, Order } from '../../lambdas/domain/order';
import type { WorkflowName } from '../../lambdas/domain/stripe-events';
import { DEMO_ITEMS, DEMO_MAPPINGS, newUserId } from '../fixtures/storefront';
import { checkoutSession, paymentIntent, refundedCharge, stripeEvent, stripeId, type StripeEventEnvelope } from '../fixtures/stripe-events';
import { freePort } from '../../local/dynamodb-local';
import type { RateLimitOptions } from '../../local/rate-limit';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * How big the reliability suite runs: small in `npm test` (CI), full with
 * `npm run test:reliability` (RELIABILITY_SIZE=full). Each figure can be set on its own too.
 */
const full = process.env.RELIABILITY_SIZE === 'full';
const fromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
export const SIZE = {
  orders: fromEnv('RELIABILITY_ORDERS', full ? 1000 : 60),
  concurrency: fromEnv('RELIABILITY_CONCURRENCY', full ? 50 : 10),
  storm: fromEnv('RELIABILITY_STORM', full ? 100 : 20),
  /** orders around the DynamoDB outage */
  outageOrders: fromEnv('RELIABILITY_OUTAGE_ORDERS', full ? 150 : 24),
  /** orders pushed through while Printify fails intermittently */
  faultyOrders: fromEnv('RELIABILITY_FAULTY_ORDERS', full ? 200 : 12),
};

/** A bound for a case's waiting: generous for the machine, but never unbounded. */
export const boundMs = (orders: number) => 60_000 + orders * 400;

/** Runs `task` for every item with at most `concurrency` at once. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}

/** Rejects after `ms` with `what` in the message: every wait in the suite is bounded. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export const UNMAPPED_ITEM: OrderItem = {
  productId: 'prod_unmapped_poster',
  variantId: 'A2',
  quantity: 1,
  unitAmount: 1500,
  title: 'Poster (no mapping)',
};

export type OrderKind = 'paid' | 'unmapped' | 'paymentFailed' | 'refunded';

export interface PlannedOrder {
  kind: OrderKind;
  order: Order;
  email: string;
  paymentIntentId: string;
  sessionId: string;
  expectedStatus: Order['status'];
  /** petals the user holds for this order at the end */
  expectedPetals: number;
  expectedLedgerEntries: number;
  expectedEmails: number;
  expectedPrintifyOrders: number;
  /** each of the order's Stripe events, built once: a redelivery is the same event (same id) */
  events: Partial<Record<'session' | 'intent' | 'failed' | 'refund', StripeEventEnvelope>>;
}

/** A mix like a sale's: most paid, some with an unmapped product, some declined, some refunded. */
export function kindFor(index: number): OrderKind {
  const slot = index % 10;
  if (slot < 7) return 'paid';
  if (slot === 7) return 'unmapped';
  if (slot === 8) return 'paymentFailed';
  return 'refunded';
}

export const uniqueEmail = () => `buyer_${randomBytes(6).toString('hex')}@example.com`;

/** Writes what the storefront writes before checkout: cart lines and the pending order (mappings once). */
export async function putMappings(pipeline: LocalPipeline): Promise<void> {
  for (const mapping of DEMO_MAPPINGS) await pipeline.storefront.putMapping(mapping);
}

export async function planOrder(pipeline: LocalPipeline, kind: OrderKind, userId = newUserId()): Promise<PlannedOrder> {
  const items = kind === 'unmapped' ? [...DEMO_ITEMS, UNMAPPED_ITEM] : DEMO_ITEMS;
  const email = uniqueEmail();
  const before = new Date(Date.now() - 60_000);
  for (const item of items) await pipeline.storefront.putCartLine(userId, { ...item, updatedAt: before });
  const order = await pipeline.storefront.createPendingOrder({ userId, items, email });
  const petals = Math.floor(order.amountTotal / 100);
  const expected = {
    paid: { status: 'in_production', petals, entries: 1, emails: 1, printify: 1 },
    unmapped: { status: 'pending_mapping', petals, entries: 1, emails: 1, printify: 0 },
    paymentFailed: { status: 'failed', petals: 0, entries: 0, emails: 1, printify: 0 },
    refunded: { status: 'refunded', petals: 0, entries: 2, emails: 2, printify: 1 },
  }[kind];
  return {
    kind,
    order,
    email,
    paymentIntentId: stripeId('pi'),
    sessionId: stripeId('cs_test'),
    expectedStatus: expected.status as Order['status'],
    expectedPetals: expected.petals,
    expectedLedgerEntries: expected.entries,
    expectedEmails: expected.emails,
    expectedPrintifyOrders: expected.printify,
    events: {},
  };
}

export const sessionCompleted = (p: PlannedOrder) =>
  (p.events.session ??= stripeEvent(
    'checkout.session.completed',
    checkoutSession({
      orderId: p.order.orderId,
      userId: p.order.userId,
      amountTotal: p.order.amountTotal,
      email: p.email,
      sessionId: p.sessionId,
      paymentIntentId: p.paymentIntentId,
    }),
  ));
export const intentSucceeded = (p: PlannedOrder) =>
  (p.events.intent ??= stripeEvent(
    'payment_intent.succeeded',
    paymentIntent(
      { orderId: p.order.orderId, userId: p.order.userId, paymentIntentId: p.paymentIntentId, amount: p.order.amountTotal, email: p.email },
      'succeeded',
    ),
  ));
export const intentFailed = (p: PlannedOrder) =>
  (p.events.failed ??= stripeEvent(
    'payment_intent.payment_failed',
    paymentIntent(
      { orderId: p.order.orderId, userId: p.order.userId, paymentIntentId: p.paymentIntentId, amount: p.order.amountTotal },
      'requires_payment_method',
    ),
  ));
export const chargeRefunded = (p: PlannedOrder) =>
  (p.events.refund ??= stripeEvent(
    'charge.refunded',
    refundedCharge({
      paymentIntentId: p.paymentIntentId,
      orderId: p.order.orderId,
      amount: p.order.amountTotal,
      amountRefunded: p.order.amountTotal,
    }),
  ));

/** The first event Stripe sends for an order of this kind. */
export const firstEvent = (p: PlannedOrder) => (p.kind === 'paymentFailed' ? intentFailed(p) : sessionCompleted(p));

export interface SentEvent {
  event: StripeEventEnvelope;
  workflow: WorkflowName;
  status: number;
}

/**
 * Delivers an order's events as Stripe would: a paid order gets both checkout.session.completed
 * and payment_intent.succeeded (in either order), a refund comes once the payment went through.
 * Returns every event with the answer it got.
 */
export async function deliverOrder(pipeline: LocalPipeline, p: PlannedOrder, index: number): Promise<SentEvent[]> {
  const sent: SentEvent[] = [];
  const send = async (event: StripeEventEnvelope, workflow: WorkflowName) => {
    const answer = await pipeline.send(event);
    sent.push({ event, workflow, status: answer.status });
  };
  switch (p.kind) {
    case 'paid':
    case 'unmapped': {
      const pair = [sessionCompleted(p), intentSucceeded(p)];
      await Promise.all((index % 2 ? pair.reverse() : pair).map((e) => send(e, 'fulfilment')));
      break;
    }
    case 'paymentFailed':
      await send(intentFailed(p), 'paymentFailed');
      break;
    case 'refunded': {
      const paid = sessionCompleted(p);
      await send(paid, 'fulfilment');
      await pipeline.execution('fulfilment', paid.id);
      await send(chargeRefunded(p), 'refund');
      break;
    }
  }
  return sent;
}

/** Checks every planned order ended as expected and that nothing was lost or doubled. */
export async function checkOutcomes(
  pipeline: LocalPipeline,
  planned: PlannedOrder[],
  sent: SentEvent[],
  /** events whose execution ends FAILED by design (a side step that could not be done) */
  failedByDesign: string[] = [],
): Promise<string[]> {
  const problems: string[] = [];
  // one execution per event, each finished as designed
  const executions = pipeline.stack.stepFunctions.listExecutions();
  const byName = new Map<string, number>();
  for (const e of executions) byName.set(e.name, (byName.get(e.name) ?? 0) + 1);
  for (const { event, workflow } of sent) {
    if (byName.get(event.id) !== 1) problems.push(`event ${event.id}: ${byName.get(event.id) ?? 0} executions`);
    const execution = pipeline.stack.stepFunctions.describeExecution(pipeline.executionArn(workflow, event.id));
    const expected = failedByDesign.includes(event.id) ? 'FAILED' : 'SUCCEEDED';
    if (execution.status !== expected)
      problems.push(`event ${event.id} (${event.type}): execution ${execution.status} ${execution.error ?? ''} ${execution.cause ?? ''}`);
  }
  const printify = new Map<string, number>();
  for (const o of pipeline.stack.printify.orders()) printify.set(o.external_id, (printify.get(o.external_id) ?? 0) + 1);
  const emails = new Map<string, number>();
  for (const e of await pipeline.stack.ses.sentEmails()) for (const to of e.to) emails.set(to, (emails.get(to) ?? 0) + 1);
  const expectedByUser = new Map<string, { petals: number; entries: number }>();
  for (const p of planned) {
    const order = await pipeline.order(p.order.orderId);
    if (order?.status !== p.expectedStatus)
      problems.push(`order ${p.order.orderId} (${p.kind}): ${order?.status} instead of ${p.expectedStatus}`);
    if ((printify.get(p.order.orderId) ?? 0) !== p.expectedPrintifyOrders) {
      problems.push(
        `order ${p.order.orderId} (${p.kind}): ${printify.get(p.order.orderId) ?? 0} Printify orders instead of ${p.expectedPrintifyOrders}`,
      );
    }
    if ((emails.get(p.email) ?? 0) !== p.expectedEmails)
      problems.push(`order ${p.order.orderId} (${p.kind}): ${emails.get(p.email) ?? 0} emails instead of ${p.expectedEmails}`);
    const user = expectedByUser.get(p.order.userId) ?? { petals: 0, entries: 0 };
    user.petals += p.expectedPetals;
    user.entries += p.expectedLedgerEntries;
    expectedByUser.set(p.order.userId, user);
  }
  // the ledger sums exactly: per user, the entries add up to the balance and to what was expected
  for (const [userId, expected] of expectedByUser) {
    const ledger = await pipeline.ledger(userId);
    const sum = ledger.reduce((s, e) => s + (e.amount as number), 0);
    const balance = (await pipeline.balance(userId)) ?? 0;
    if (ledger.length !== expected.entries || sum !== expected.petals || balance !== expected.petals) {
      problems.push(
        `user ${userId}: ${ledger.length} entries summing to ${sum}, balance ${balance}; expected ${expected.entries} entries, ${expected.petals} petals`,
      );
    }
  }
  return problems;
}

/**
 * A stand-in for SES's endpoint in front of the local SES: passes requests through, or answers
 * SES's own errors (throttling, 500) while told to — so that SendEmail fails as it does in AWS.
 */
export interface SesFaults {
  readonly url: string;
  /** fail the next `times` requests (Infinity: until `heal()`) with `kind` */
  fail(kind: 'throttling' | 'internal', times?: number): void;
  heal(): void;
  failed(): number;
  stop(): Promise<void>;
}

const SES_ERRORS = {
  throttling: { status: 400, type: 'Sender', code: 'Throttling', message: 'Maximum sending rate exceeded.' },
  internal: {
    status: 500,
    type: 'Receiver',
    code: 'InternalFailure',
    message: 'The request processing has failed because of an unknown error.',
  },
};

export async function startSesFaults(upstream: () => string): Promise<SesFaults> {
  let fault: { kind: keyof typeof SES_ERRORS; remaining: number } | undefined;
  let failedCount = 0;
  const proxy = await startInterceptingProxy(upstream, () => {
    if (!fault || fault.remaining <= 0) return undefined;
    fault.remaining--;
    failedCount++;
    const e = SES_ERRORS[fault.kind];
    return {
      status: e.status,
      contentType: 'text/xml',
      body:
        `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${e.type}</Type><Code>${e.code}</Code>` +
        `<Message>${e.message}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
    };
  });
  return {
    url: proxy.url,
    fail: (kind, times = Infinity) => {
      fault = { kind, remaining: times };
    },
    heal: () => {
      fault = undefined;
    },
    failed: () => failedCount,
    stop: proxy.stop,
  };
}

/**
 * A loopback proxy to `upstream` that lets `intercept` answer a request itself (an error the real
 * service would give) instead of passing it on.
 */
async function startInterceptingProxy(
  /** read on every request: the proxy can listen before the service it fronts has a port */
  upstream: () => string,
  intercept: (
    req: http.IncomingMessage,
    body: Buffer,
  ) => { status: number; contentType: string; body: string; headers?: Record<string, string> } | undefined,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = new URL(upstream());
      const answer = intercept(req, body);
      if (answer) {
        res.writeHead(answer.status, { 'content-type': answer.contentType, ...answer.headers });
        res.end(answer.body);
        return;
      }
      const forward = http.request(
        { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the reliability cases run against: a local pipeline, with SES behind a fault switch. */
export interface ReliabilityEnv {
  pipeline: LocalPipeline;
  ses: SesFaults;
  /** in front of the Printify stand-in; passes everything through until switched on */
  printify: FlakyPrintify;
}

/**
 * Starts a pipeline for the reliability cases: SES behind a fault switch, and `environment` for
 * every function (e.g. a short Printify timeout for the fault cases).
 */
export async function startReliabilityEnv(
  environment: Record<string, string> = {},
  quotas: { printifyRateLimit?: RateLimitOptions; sesSendRate?: RateLimitOptions } = {},
): Promise<ReliabilityEnv> {
  // the proxies listen first, so that the free ports picked next cannot be theirs
  let sesPort = 0;
  let printifyPort = 0;
  const ses = await startSesFaults(() => `http://127.0.0.1:${sesPort}`);
  const printify = await startFlakyPrintify(() => `http://127.0.0.1:${printifyPort}`);
  try {
    sesPort = await freePort();
    printifyPort = await freePort();
    const pipeline = await LocalPipeline.start({
      sesPort,
      printifyPort,
      // The stand-ins enforce Printify's 600 requests a minute and SES's 14 emails a second. The
      // small size (`npm test`) stays under both (measured: 100 Printify requests, a peak of 14
      // emails in a second, none refused). The full size (1,000 orders at concurrency 50) would
      // be paced to them (the pipeline reserves its calls: pacing.test.ts tests that, on scaled
      // quotas); the full size lifts both quotas, so that it tests load in minutes, not pacing.
      ...(full ? { printifyRateLimit: { limit: 1_000_000 }, sesSendRate: { limit: 1_000_000 } } : {}),
      ...quotas,
      environment: { AWS_ENDPOINT_URL_SES: ses.url, PRINTIFY_API_URL: printify.url, ...environment },
    });
    await putMappings(pipeline);
    return { pipeline, ses, printify };
  } catch (error) {
    await ses.stop();
    await printify.stop();
    throw error;
  }
}

export async function stopReliabilityEnv(env: ReliabilityEnv | undefined): Promise<void> {
  await env?.pipeline.stop();
  await env?.ses.stop();
  await env?.printify.stop();
}

/**
 * In front of the Printify stand-in: the first create-order request of each order is answered
 * with Printify's 500 or 429 (alternately), every later request passes through. Deterministic
 * intermittent failure under concurrency, where the stand-in's own fault queue would hand all of
 * one unlucky order's attempts a fault.
 */
export interface FlakyPrintify {
  readonly url: string;
  /** from now on, refuse the first create of each order not seen yet (false: pass everything) */
  flaky(on: boolean): void;
  refused(): number;
  stop(): Promise<void>;
}

export async function startFlakyPrintify(upstream: () => string): Promise<FlakyPrintify> {
  const seen = new Set<string>();
  let refused = 0;
  let on = false;
  const proxy = await startInterceptingProxy(upstream, (req, body) => {
    if (!on || req.method !== 'POST' || !/\/orders\.json$/.test(req.url ?? '')) return undefined;
    const externalId = String((JSON.parse(body.toString('utf8') || '{}') as { external_id?: unknown }).external_id ?? '');
    if (seen.has(externalId)) return undefined;
    seen.add(externalId);
    const status = refused++ % 2 ? 500 : 429;
    const message = status === 429 ? 'Too Many Requests.' : 'Internal Server Error.';
    // a 429 says when to come back, as the stand-in's own does (the pacer pushes the shared quota past it)
    return {
      status,
      contentType: 'application/json',
      body: JSON.stringify({ status: 'error', code: status, message }),
      ...(status === 429 ? { headers: { 'retry-after': '1' } } : {}),
    };
  });
  return {
    url: proxy.url,
    flaky: (value) => {
      on = value;
    },
    refused: () => refused,
    stop: proxy.stop,
  };
}
