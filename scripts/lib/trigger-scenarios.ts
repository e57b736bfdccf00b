// The scenarios of `npm run trigger`, shared with the local console's "send a test event" form so
// that both set the same scene and send the same events: a pending order (with its cart and product
// mappings) as the storefront writes it, whatever Stripe would have sent before (a paid session, a
// refund, an open dispute), then a realistically shaped Stripe event of the type asked for.
import type { Order } from '../../lambdas/domain/order';
import { hasBeenPaid } from '../../lambdas/domain/order-status';
import { CHARGE_TOTAL, refundCounts } from '../../lambdas/domain/refunds';
import { type HandledEventType, isHandledEventType } from '../../lambdas/domain/stripe-events';
import { DEMO_EMAIL, DEMO_ITEMS, newUserId, type Storefront } from '../../test/fixtures/storefront';
import {
  chargeIdOf,
  checkoutSession,
  dispute,
  invoicePayment,
  paidInvoice,
  paymentIntent,
  refund,
  refundedCharge,
  signedRequest,
  type StripeEventEnvelope,
  stripeEvent,
  stripeId,
} from '../../test/fixtures/stripe-events';
import { UsageError } from '../cli/errors';

/** What a scenario can be asked for (the flags of `npm run trigger`). */
export interface TriggerOptions {
  /** an existing order to continue instead of a new one */
  order?: string;
  /** minor units: a refund's amount (default the rest), an invoice's amount paid (default 999) */
  amount?: number;
  /** the customer of invoice.payment_succeeded and invoice_payment.paid */
  user?: string;
  /** add a product without a Printify mapping to the new order */
  unmapped?: boolean;
  /** checkout.session.completed with payment_status "unpaid" */
  unpaid?: boolean;
  /** then walk the order on at Printify: sent to production, shipped (and delivered) */
  ship?: boolean;
  deliver?: boolean;
}

/** What the webhook answered to one event, and how its execution ended. */
export interface SentEvent {
  id: string;
  type: string;
  /** the webhook's HTTP status */
  status: number;
  /** the webhook's outcome (started, duplicate, ignored …) */
  outcome?: string;
  executionArn?: string;
  /** SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or RUNNING when the caller stopped waiting */
  executionStatus?: string;
  error?: string;
  cause?: string;
  /** how long the execution ran, ms */
  durationMs?: number;
}

export interface TriggerDeps {
  storefront: Storefront;
  readOrder(orderId: string): Promise<Order | undefined>;
  /** Sends the signed event and resolves once the execution it started (if any) has stopped. */
  send(event: StripeEventEnvelope): Promise<Omit<SentEvent, 'id' | 'type'>>;
  /** the Printify stand-in's base URL, for --ship and --deliver */
  printifyUrl: string;
  /**
   * write the demo products' Printify mappings with a new order (default true: the stand-in knows
   * them); false on a deployed stage, whose table keeps its own mappings
   */
  mapDemoProducts?: boolean;
  /** progress, one line each (the scene being set) */
  log(message: string): void;
  /**
   * The charge's cumulative `amount_refunded` of each charge.refunded the webhook recorded for this
   * payment intent, oldest first: how the refunds of earlier runs are told apart (charge.refunded
   * names no refund). Without it, only this run's refunds and those the order knows by id are.
   */
  refundHistory?(paymentIntentId: string): Promise<number[]>;
}

/**
 * The id of the `n`th refund (1-based, in charge.refunded order) of a payment intent's charge:
 * derived, so that every run names the same refund the same way.
 */
export const refundIdOf = (paymentIntentId: string, n: number) => `re_${paymentIntentId.replace(/^pi_/, '')}r${n}`;

export interface TriggerResult {
  type: HandledEventType;
  userId: string;
  /** the order the scenario is about (none for invoice.payment_succeeded and invoice_payment.paid) */
  orderId?: string;
  /** every event sent, oldest first: the scene's, then the one asked for (unless the scene stopped) */
  events: SentEvent[];
  /** the event asked for, once sent (undefined when an event of the scene was refused or failed) */
  sent?: SentEvent;
}

/** A request that cannot be carried out as given (unknown type, bad amount, missing order, wrong status): exit 2. */
export class TriggerUsageError extends UsageError {
  override readonly name: string = 'TriggerUsageError';
}

/** An event of the scene was refused or its execution did not succeed: the scenario stops there. */
class SceneStopped extends Error {}

/** Validates an amount given as text: a positive whole number of minor units, or undefined. */
export function parseAmount(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const amount = Number(raw);
  if (!Number.isInteger(amount) || amount <= 0) throw new TriggerUsageError('--amount must be a positive whole number of minor units');
  return amount;
}

/** The signed POST Stripe would make; resolves with the webhook's answer (throws when unreachable). */
export async function postSignedEvent(
  webhookUrl: string,
  secret: string,
  event: StripeEventEnvelope,
): Promise<{ status: number; answer: { executionArn?: string; outcome?: string; workflow?: string; error?: string } }> {
  const request = signedRequest(event, secret);
  const response = await fetch(webhookUrl, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  let answer: { executionArn?: string; outcome?: string; workflow?: string; error?: string };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = { error: text.slice(0, 200) };
  }
  return { status: response.status, answer };
}

/** `npm run trigger -- <type> --order <id>`, the command a person would type next. */
export const triggerCommand = (type: HandledEventType, orderId: string) => `npm run trigger -- ${type} --order ${orderId}`;

/** The statuses in which an order still waits for its payment (a paid event is applied). */
const AWAITING_PAYMENT: readonly Order['status'][] = ['pending', 'failed', 'cancelled'];

/** One run of a scenario: the order it is about, and the events sent so far. */
class Scene {
  readonly events: SentEvent[] = [];
  order!: Order;
  /** the refunds of the order's charge, oldest first, one per charge.refunded (it names no refund id); amount 0 or less: not told */
  refunds: { refundId: string; amount: number }[] = [];

  constructor(
    readonly type: HandledEventType,
    readonly options: TriggerOptions,
    readonly deps: TriggerDeps,
  ) {}

  /** The order asked for (--order), or a new pending one as the storefront writes it. */
  async start(): Promise<Order> {
    if (this.options.order) {
      const existing = await this.deps.readOrder(this.options.order);
      if (!existing) throw new TriggerUsageError(`order ${this.options.order} not found`);
      this.order = existing;
      return existing;
    }
    const items = this.options.unmapped
      ? [
          ...DEMO_ITEMS,
          { productId: 'prod_unmapped_poster', variantId: 'A2', quantity: 1, unitAmount: 1500, title: 'Poster (no Printify mapping)' },
        ]
      : DEMO_ITEMS;
    this.order = await this.deps.storefront.checkoutScene({ items, mapped: this.deps.mapDemoProducts ?? true });
    this.deps.log(
      `scene: storefront wrote pending order ${this.order.orderId} for ${this.order.userId} (${this.order.items.length} cart lines)`,
    );
    return this.reload();
  }

  async reload(): Promise<Order> {
    this.order = (await this.deps.readOrder(this.order.orderId)) ?? this.order;
    return this.order;
  }

  /** Refuses the request: the order is in a status where the event makes no sense. */
  refuse(why: string, next: string): never {
    throw new TriggerUsageError(`order ${this.order.orderId} is ${this.order.status}: ${why}; try: ${next}`);
  }

  /** Sends one event; an event of the scene that is refused or fails stops the scenario. */
  async send(event: StripeEventEnvelope, scene: boolean): Promise<SentEvent> {
    const sent: SentEvent = { id: event.id, type: event.type, ...(await this.deps.send(event)) };
    this.events.push(sent);
    if (scene) {
      this.deps.log(`scene: ${event.type} ${event.id} → ${sent.executionStatus ?? `${sent.status} ${sent.outcome ?? ''}`.trim()}`);
      if (sent.status < 200 || sent.status > 299 || sent.executionStatus !== 'SUCCEEDED') throw new SceneStopped();
    }
    await this.reload();
    return sent;
  }

  get paymentIntentId(): string {
    this.order.paymentIntentId ??= stripeId('pi');
    return this.order.paymentIntentId;
  }

  /** The payment intent's one succeeded charge: the same id in every event of the scene. */
  get chargeId(): string {
    return chargeIdOf(this.paymentIntentId);
  }

  /**
   * The newest refund of the order that still counts, with its own amount: one a charge.refunded made, else
   * the newest the order's refund ledger knows by id, else (an order refunded by an earlier run,
   * known only by the charge's cumulative amount_refunded) the cumulative figure as one refund.
   */
  latestRefund(): { refundId: string; amount: number } | undefined {
    const ledgerOf = this.order.refunds ?? {};
    const made = this.refunds.filter((r) => r.amount > 0 && (!ledgerOf[r.refundId] || refundCounts(ledgerOf[r.refundId]!.status))).at(-1);
    if (made) return made;
    const ledger = Object.entries(this.order.refunds ?? {});
    const [refundId, known] =
      ledger.filter(([id, r]) => id !== CHARGE_TOTAL && refundCounts(r.status)).sort(([, a], [, b]) => b.at - a.at)[0] ?? [];
    if (refundId && known) return { refundId, amount: known.amount };
    const refunded = this.order.amountRefunded ?? 0;
    if (refunded <= 0) return undefined;
    this.deps.log(`scene: order ${this.order.orderId}'s refunds are known only by their total: its latest is taken as ${refunded}`);
    return { refundId: stripeId('re'), amount: refunded };
  }

  /** The latest refund of the order: one of --amount (default the rest) is made first (charge.refunded) if there is none. */
  async refunded(): Promise<{ refundId: string; amount: number }> {
    await this.loadRefunds();
    const latest = this.latestRefund();
    if (latest) return latest;
    const remaining = await this.refundable();
    await this.send(await this.refundedChargeEvent(this.options.amount ?? remaining), true);
    return this.refunds.at(-1)!;
  }

  /** Waits until the clock's second is past `at` (Unix seconds): the next event is then newer than the one of `at`. */
  async after(at: number | undefined): Promise<void> {
    while (at !== undefined && Math.floor(Date.now() / 1000) <= at) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // ---- the steps a scene is made of -------------------------------------------------------------

  session(type: string, paymentStatus: 'paid' | 'unpaid') {
    const o = this.order;
    return stripeEvent(
      type,
      checkoutSession({
        orderId: o.orderId,
        userId: o.userId,
        amountTotal: o.amountTotal,
        currency: o.currency,
        paymentIntentId: this.paymentIntentId,
        ...(o.stripeSessionId ? { sessionId: o.stripeSessionId } : {}),
        paymentStatus,
      }),
    );
  }

  /** A paid order: an order still awaiting payment is paid first (checkout.session.completed). */
  async paid(): Promise<void> {
    if (this.order.status === 'pending') await this.send(this.session('checkout.session.completed', 'paid'), true);
    if (this.order.status === 'payment_mismatch') this.refuse('its payment is held for an operator', 'npm run ops -- held');
    if (!hasBeenPaid(this.order.status)) this.refuse('it was never paid', triggerCommand('payment_intent.succeeded', this.order.orderId));
  }

  /** A paid order with something left to refund. */
  async refundable(): Promise<number> {
    await this.paid();
    const remaining = this.order.amountTotal - (this.order.amountRefunded ?? 0);
    if (this.order.status === 'refunded' || remaining <= 0)
      this.refuse('it is fully refunded', triggerCommand('refund.failed', this.order.orderId));
    if (this.options.amount !== undefined && this.options.amount > remaining)
      throw new TriggerUsageError(
        `--amount ${this.options.amount} is more than the ${remaining} left to refund on order ${this.order.orderId}`,
      );
    return remaining;
  }

  /** The refunds earlier runs made of the order's charge, from the charge.refunded events recorded for it. */
  async loadRefunds(): Promise<void> {
    const pi = this.order.paymentIntentId;
    if (this.refunds.length > 0 || !pi || !this.deps.refundHistory) return;
    let before = 0;
    this.refunds = (await this.deps.refundHistory(pi)).map((total, i) => {
      const amount = total - before;
      before = total;
      return { refundId: refundIdOf(pi, i + 1), amount };
    });
  }

  /** charge.refunded of a new refund of `amount` (its id kept in `refunds`: the event names no refund). */
  async refundedChargeEvent(amount: number) {
    await this.loadRefunds();
    const o = this.order;
    this.refunds.push({ refundId: refundIdOf(this.paymentIntentId, this.refunds.length + 1), amount });
    return stripeEvent(
      'charge.refunded',
      refundedCharge({
        paymentIntentId: this.paymentIntentId,
        chargeId: this.chargeId,
        amount: o.amountTotal,
        amountRefunded: Math.min(o.amountTotal, (o.amountRefunded ?? 0) + amount),
        currency: o.currency,
        // our charge carries its payment intent's metadata (Stripe copies it at confirmation)
        orderId: o.orderId,
      }),
    );
  }

  /** A paid order and its open dispute: one is opened first (charge.dispute.created) if none is. */
  async disputed(): Promise<void> {
    if (this.order.disputeStatus !== 'open') await this.send(await this.newDispute(), true);
  }

  /** A new dispute of the order's charge (the order paid first if pending): one per charge, as Stripe allows. */
  async newDispute(): Promise<StripeEventEnvelope> {
    const o = this.order;
    if (o.disputeStatus === 'open') this.refuse(`its dispute ${o.disputeId} is open`, triggerCommand('charge.dispute.closed', o.orderId));
    if (o.disputeStatus)
      this.refuse(`its charge's dispute ${o.disputeId} is closed (${o.disputeStatus})`, `npm run ops -- order ${o.orderId}`);
    await this.paid();
    if (this.order.status === 'refunded') this.refuse('a fully refunded charge cannot be disputed', `npm run ops -- order ${o.orderId}`);
    return this.disputeEvent('charge.dispute.created', 'needs_response', stripeId('dp'));
  }

  disputeEvent(type: string, status: 'needs_response' | 'under_review' | 'won', disputeId: string) {
    return stripeEvent(
      type,
      dispute({
        disputeId,
        paymentIntentId: this.paymentIntentId,
        chargeId: this.chargeId,
        amount: this.order.amountTotal,
        currency: this.order.currency,
        status,
      }),
    );
  }

  /** Refuses an order that is not awaiting payment, saying what would make sense instead. */
  awaitingPayment(accepted: readonly Order['status'][] = AWAITING_PAYMENT): void {
    const o = this.order;
    if (accepted.includes(o.status)) return;
    if (o.status === 'payment_mismatch') this.refuse('its payment is held for an operator', 'npm run ops -- held');
    if (o.status === 'refunded') this.refuse('it was paid and refunded', `npm run ops -- order ${o.orderId}`);
    if (hasBeenPaid(o.status)) this.refuse('it is already paid', triggerCommand('charge.refunded', o.orderId));
    if (o.status === 'failed') this.refuse('its payment failed', triggerCommand('payment_intent.succeeded', o.orderId));
    this.refuse('it no longer waits for a payment', triggerCommand('payment_intent.succeeded', o.orderId));
  }
}

/** One scenario per handled type: the scene it sets, and the event it then sends. */
interface Scenario {
  /** what the scene is and what is sent, for the usage text and the console */
  describe: string;
  run(scene: Scene): Promise<StripeEventEnvelope>;
}

/** The delayed-payment scene: a pending order whose session completed with payment_status "unpaid". */
async function unpaidSession(scene: Scene): Promise<void> {
  scene.awaitingPayment(['pending']);
  if (!scene.order.stripeSessionId) await scene.send(scene.session('checkout.session.completed', 'unpaid'), true);
}

const refundUpdate = (type: 'charge.refund.updated' | 'refund.updated'): Scenario => ({
  describe:
    'a paid and refunded order (paid, then charge.refunded of --amount, default the rest, first if needed); its latest refund is updated to succeeded',
  async run(scene) {
    const { refundId, amount } = await scene.refunded();
    return stripeEvent(
      type,
      refund({ refundId, paymentIntentId: scene.paymentIntentId, chargeId: scene.chargeId, amount, currency: scene.order.currency }),
    );
  },
});

/** A change of the order's open dispute (opened first if none), newer than the dispute event the order shows. */
const disputeChange = (
  type: 'charge.dispute.updated' | 'charge.dispute.closed',
  status: 'under_review' | 'won',
  what: string,
): Scenario => ({
  describe: `a paid order with an open dispute (opened first if none); ${what}`,
  async run(scene) {
    await scene.disputed();
    await scene.after(scene.order.disputeEventAt);
    return scene.disputeEvent(type, status, scene.order.disputeId ?? stripeId('dp'));
  },
});

/**
 * Every handled type. `Record<HandledEventType, …>`: a type added to the routing table
 * (lambdas/domain/stripe-events.ts) fails tsc here until trigger can send it.
 */
export const SCENARIOS: Readonly<Record<HandledEventType, Scenario>> = {
  'checkout.session.completed': {
    describe: 'a new pending order (or --order awaiting payment); sends its paid session (--unpaid: payment_status "unpaid")',
    async run(scene) {
      scene.awaitingPayment();
      return scene.session('checkout.session.completed', scene.options.unpaid ? 'unpaid' : 'paid');
    },
  },
  'checkout.session.async_payment_succeeded': {
    describe: 'a pending order whose session completed unpaid (sent first if needed); the delayed payment clears',
    async run(scene) {
      await unpaidSession(scene);
      return scene.session('checkout.session.async_payment_succeeded', 'paid');
    },
  },
  'checkout.session.async_payment_failed': {
    describe: 'a pending order whose session completed unpaid (sent first if needed); the delayed payment fails',
    async run(scene) {
      await unpaidSession(scene);
      return scene.session('checkout.session.async_payment_failed', 'unpaid');
    },
  },
  'checkout.session.expired': {
    describe: 'a pending (or failed) order; its Checkout session expires unpaid',
    async run(scene) {
      scene.awaitingPayment(['pending', 'failed']);
      const o = scene.order;
      const session = scene.session('checkout.session.expired', 'unpaid');
      Object.assign(session.data.object, { status: 'expired', payment_status: 'unpaid', url: null });
      // a session the customer never completed collected nothing and confirmed no payment intent
      if (!o.stripeSessionId) Object.assign(session.data.object, { collected_information: null, customer_details: null });
      if (!o.paymentIntentId) Object.assign(session.data.object, { payment_intent: null });
      return session;
    },
  },
  'payment_intent.succeeded': {
    describe: 'a new pending order (or --order awaiting payment); its payment intent succeeds',
    async run(scene) {
      scene.awaitingPayment();
      const o = scene.order;
      return stripeEvent(
        'payment_intent.succeeded',
        paymentIntent(
          {
            orderId: o.orderId,
            userId: o.userId,
            paymentIntentId: scene.paymentIntentId,
            chargeId: scene.chargeId,
            amount: o.amountTotal,
            currency: o.currency,
            email: o.email ?? DEMO_EMAIL,
          },
          'succeeded',
        ),
      );
    },
  },
  'payment_intent.payment_failed': {
    describe: 'a new pending order (or --order pending); its payment intent is declined',
    async run(scene) {
      scene.awaitingPayment(['pending']);
      const o = scene.order;
      return stripeEvent(
        'payment_intent.payment_failed',
        paymentIntent(
          { orderId: o.orderId, userId: o.userId, paymentIntentId: scene.paymentIntentId, amount: o.amountTotal, currency: o.currency },
          'requires_payment_method',
        ),
      );
    },
  },
  'charge.refunded': {
    describe: 'a paid order (paid first if pending); refunds --amount (default the rest) of its charge',
    async run(scene) {
      const remaining = await scene.refundable();
      return await scene.refundedChargeEvent(scene.options.amount ?? remaining);
    },
  },
  'charge.refund.updated': refundUpdate('charge.refund.updated'),
  'refund.updated': refundUpdate('refund.updated'),
  'refund.failed': {
    describe:
      'a paid and refunded order (paid, then charge.refunded of --amount, default the rest, first if needed); its latest refund fails',
    async run(scene) {
      const { refundId, amount } = await scene.refunded();
      const o = scene.order;
      // a failure counts against the charge's cumulative figure only when it is newer than it
      const known = o.refunds?.[refundId];
      await scene.after(known ? undefined : o.refunds?.[CHARGE_TOTAL]?.at);
      return stripeEvent(
        'refund.failed',
        refund({
          refundId,
          paymentIntentId: scene.paymentIntentId,
          chargeId: scene.chargeId,
          amount,
          currency: o.currency,
          status: 'failed',
        }),
      );
    },
  },
  'charge.dispute.created': {
    describe: 'a paid order (paid first if pending); the customer disputes the charge (needs_response)',
    run: (scene) => scene.newDispute(),
  },
  'charge.dispute.updated': disputeChange('charge.dispute.updated', 'under_review', 'the dispute goes under review'),
  'charge.dispute.closed': disputeChange('charge.dispute.closed', 'won', 'the shop wins it'),
  // handled apart (no order): see runTriggerScenario
  'invoice.payment_succeeded': {
    describe: "a subscription invoice of --user (default a new one) is paid: --amount (default 999) in petals' worth",
    run: () => Promise.reject(new Error('invoice.payment_succeeded has no order scene')),
  },
  'invoice_payment.paid': {
    describe:
      'a subscription invoice of --user is paid as at API 2025-03-31 and later (invoice.payment_succeeded naming no payment intent), then its InvoicePayment names the payment intent',
    run: () => Promise.reject(new Error('invoice_payment.paid has no order scene')),
  },
};

const INVOICE_TYPES: readonly HandledEventType[] = ['invoice.payment_succeeded', 'invoice_payment.paid'];

/**
 * Sets the scene for `type` and sends its event(s) through `deps.send`; with `ship`/`deliver`, then
 * moves the order on at the Printify stand-in. Throws TriggerUsageError for a request that cannot
 * be carried out (unknown type, missing order, an order in a status where the event makes no
 * sense), and whatever `send` or the stand-in throws. An event of the scene that is refused or
 * fails ends the scenario there: `sent` is then undefined and the last of `events` says why.
 */
export async function runTriggerScenario(type: string, options: TriggerOptions, deps: TriggerDeps): Promise<TriggerResult> {
  if (!isHandledEventType(type)) throw new TriggerUsageError(`unknown event type "${type}"`);
  if (options.unpaid && type !== 'checkout.session.completed')
    throw new TriggerUsageError('--unpaid is for checkout.session.completed (then checkout.session.async_payment_succeeded --order <id>)');

  if (INVOICE_TYPES.includes(type)) {
    if (options.order) throw new TriggerUsageError(`${type} is about a user, not an order: use --user <id>`);
    const userId = options.user ?? newUserId();
    const amountPaid = options.amount ?? 999;
    const invoice = paidInvoice({ userId, amountPaid });
    const paid = stripeEvent('invoice.payment_succeeded', invoice);
    if (type === 'invoice.payment_succeeded') {
      const sent: SentEvent = { id: paid.id, type, ...(await deps.send(paid)) };
      return { type, userId, events: [sent], sent };
    }
    // the scene: the invoice paid (its record and petals), then the event that names its payment
    deps.log(`invoice ${String(invoice.id)} of user ${userId} paid (invoice.payment_succeeded, no payment intent named)`);
    const scene: SentEvent = { id: paid.id, type: 'invoice.payment_succeeded', ...(await deps.send(paid)) };
    if (scene.status < 200 || scene.status > 299 || scene.executionStatus !== 'SUCCEEDED') return { type, userId, events: [scene] };
    const link = stripeEvent(type, invoicePayment({ invoiceId: String(invoice.id), paymentIntentId: stripeId('pi'), amountPaid }));
    const sent: SentEvent = { id: link.id, type, ...(await deps.send(link)) };
    return { type, userId, events: [scene, sent], sent };
  }
  if (options.user) throw new TriggerUsageError(`--user is for ${INVOICE_TYPES.join(' and ')}; ${type} is about an order`);
  if (options.unmapped && options.order) throw new TriggerUsageError('--unmapped makes a new order: it cannot be used with --order');

  const scene = new Scene(type, options, deps);
  await scene.start();
  let sent: SentEvent | undefined;
  try {
    sent = await scene.send(await SCENARIOS[type].run(scene), false);
  } catch (error) {
    if (!(error instanceof SceneStopped)) throw error;
  }
  const ok = sent && sent.status >= 200 && sent.status <= 299 && sent.executionStatus === 'SUCCEEDED';
  if (ok && (options.ship || options.deliver)) await walkAtPrintify(scene.order.orderId, Boolean(options.deliver), deps);
  return { type, userId: scene.order.userId, orderId: scene.order.orderId, events: scene.events, ...(sent ? { sent } : {}) };
}

/** What Printify does next, told by the stand-in through its signed webhooks. */
async function walkAtPrintify(orderId: string, deliver: boolean, deps: TriggerDeps): Promise<void> {
  const order = await deps.readOrder(orderId);
  const printifyOrderId = order?.printifyOrderId;
  if (order && (!hasBeenPaid(order.status) || order.status === 'refunded')) {
    deps.log(`order ${orderId} is ${order.status}: nothing to ship`);
    return;
  }
  if (!printifyOrderId) {
    deps.log(`order ${orderId} has no Printify order to ship (status ${order?.status ?? 'unknown'})`);
    return;
  }
  const topics = ['order:sent-to-production', 'order:shipment:created', ...(deliver ? ['order:shipment:delivered'] : [])];
  for (const topic of topics) {
    const response = await fetch(`${deps.printifyUrl}/__stand-in/orders/${printifyOrderId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic }),
    }).catch(() => {
      throw new Error(`cannot reach the Printify stand-in at ${deps.printifyUrl}: is \`npm start\` running?`);
    });
    const answer = (await response.json()) as { deliveries?: { url: string; status: number; body: string }[]; error?: string };
    if (!response.ok) throw new Error(`Printify stand-in: ${answer.error ?? response.status}`);
    for (const d of answer.deliveries ?? []) deps.log(`Printify ${topic} (order ${printifyOrderId}) → ${d.status}`);
  }
}

/**
 * The command to run next after a scenario: what continues the order, or where to look when it
 * went wrong. `failed`: the event was refused or its execution did not succeed.
 */
export function nextCommand(result: TriggerResult, order: Order | undefined, failed: boolean): string {
  const last = result.events.at(-1);
  if (!order) {
    if (failed && last) return `npm run ops -- redrive ${last.id}   (once the cause is fixed)`;
    return `npm run ops -- executions --workflow subscriptionPayment --since 1h`;
  }
  const id = order.orderId;
  const look = `npm run ops -- order ${id}`;
  if (failed) return look;
  if (order.disputeStatus === 'open') return triggerCommand('charge.dispute.closed', id);
  switch (order.status) {
    case 'pending':
      return order.stripeSessionId
        ? triggerCommand('checkout.session.async_payment_succeeded', id)
        : triggerCommand('payment_intent.succeeded', id);
    case 'failed':
      return triggerCommand('payment_intent.succeeded', id);
    case 'refunded':
      return triggerCommand('refund.failed', id);
    case 'payment_mismatch':
      return 'npm run ops -- held';
    case 'pending_mapping':
    case 'cancelled':
      return look;
    default:
      if (result.type === 'refund.failed' || result.type.startsWith('charge.dispute.')) return look;
      return triggerCommand('charge.refunded', id);
  }
}
