// The scenarios of `npm run trigger`, shared with the local console's "send a test event" form so
// that both set the same scene and send the same events: a pending order (with its cart and product
// mappings) as the storefront writes it, then a realistically shaped Stripe event about it.
import type { Order } from '../../lambdas/domain/order';
import { HANDLED_EVENT_TYPES } from '../../lambdas/domain/stripe-events';
import { DEMO_ITEMS, newUserId, type Storefront } from '../../test/fixtures/storefront';
import {
  checkoutSession,
  paidInvoice,
  paymentIntent,
  refundedCharge,
  signedRequest,
  stripeEvent,
  stripeId,
  type StripeEventEnvelope,
} from '../../test/fixtures/stripe-events';

/** What a scenario can be asked for (the flags of `npm run trigger`). */
export interface TriggerOptions {
  /** an existing order to continue (charge.refunded, payment_intent.*) */
  order?: string;
  /** minor units: a refund's amount (default the rest), an invoice's amount paid (default 999) */
  amount?: number;
  /** the customer of invoice.payment_succeeded */
  user?: string;
  /** add a product without a Printify mapping to the order */
  unmapped?: boolean;
  /** checkout.session.completed with payment_status "unpaid" */
  unpaid?: boolean;
  /** then walk the order on at Printify: sent to production, shipped (and delivered) */
  ship?: boolean;
  deliver?: boolean;
}

export interface TriggerDeps {
  storefront: Storefront;
  readOrder(orderId: string): Promise<Order | undefined>;
  /** Sends the signed event and resolves once the execution it started (if any) has stopped. */
  send(event: StripeEventEnvelope): Promise<void>;
  /** the Printify stand-in's base URL, for --ship and --deliver */
  printifyUrl: string;
  /** progress, one line each */
  log(message: string): void;
}

export interface TriggerResult {
  userId: string;
  /** the order the scenario is about (none for invoice.payment_succeeded) */
  orderId?: string;
  /** every event sent, oldest first */
  events: { id: string; type: string }[];
}

/** A request that cannot be carried out as given (unknown type, bad amount, missing order). */
export class TriggerUsageError extends Error {}

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
): Promise<{ status: number; answer: { executionArn?: string; outcome?: string; workflow?: string } }> {
  const request = signedRequest(event, secret);
  const response = await fetch(webhookUrl, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, answer: (await response.json()) as { executionArn?: string; outcome?: string } };
}

/**
 * Sets the scene for `type` and sends its event(s) through `deps.send`; with `ship`/`deliver`, then
 * moves the order on at the Printify stand-in. Throws TriggerUsageError for a request that cannot
 * be carried out, and whatever `send` or the stand-in throws.
 */
export async function runTriggerScenario(type: string, options: TriggerOptions, deps: TriggerDeps): Promise<TriggerResult> {
  if (!HANDLED_EVENT_TYPES.includes(type)) throw new TriggerUsageError(`unknown event type "${type}"`);
  const events: { id: string; type: string }[] = [];
  const send = async (event: StripeEventEnvelope) => {
    events.push({ id: event.id, type: event.type });
    await deps.send(event);
  };
  const amount = options.amount;

  if (type === 'invoice.payment_succeeded') {
    const userId = options.user ?? newUserId();
    await send(stripeEvent(type, paidInvoice({ userId, amountPaid: amount ?? 999 })));
    return { userId, events };
  }

  const existing = options.order ? await deps.readOrder(options.order) : undefined;
  if (options.order && !existing) throw new TriggerUsageError(`order ${options.order} not found`);
  let order = existing ?? (await scene(options, deps));
  const paymentIntentId = order.paymentIntentId ?? stripeId('pi');
  const base = { orderId: order.orderId, userId: order.userId, paymentIntentId };

  switch (type) {
    case 'checkout.session.completed':
      await send(
        stripeEvent(
          type,
          checkoutSession({
            ...base,
            amountTotal: order.amountTotal,
            currency: order.currency,
            paymentStatus: options.unpaid ? 'unpaid' : 'paid',
          }),
        ),
      );
      break;
    case 'payment_intent.succeeded':
      await send(
        stripeEvent(
          type,
          paymentIntent({ ...base, amount: order.amountTotal, currency: order.currency, email: 'sakura@example.com' }, 'succeeded'),
        ),
      );
      break;
    case 'payment_intent.payment_failed':
      await send(
        stripeEvent(type, paymentIntent({ ...base, amount: order.amountTotal, currency: order.currency }, 'requires_payment_method')),
      );
      break;
    case 'charge.refunded': {
      if (order.status === 'pending') {
        deps.log('the order is not paid yet: paying it first (checkout.session.completed)');
        await send(
          stripeEvent('checkout.session.completed', checkoutSession({ ...base, amountTotal: order.amountTotal, currency: order.currency })),
        );
        order = (await deps.readOrder(order.orderId))!;
      }
      const already = order.amountRefunded ?? 0;
      const cumulative = Math.min(order.amountTotal, already + (amount ?? order.amountTotal - already));
      await send(
        stripeEvent(
          type,
          // our charge carries its payment intent's metadata (Stripe copies it at confirmation), so a
          // refund that overtakes the payment just sent waits for it instead of being ignored
          refundedCharge({
            paymentIntentId: order.paymentIntentId ?? paymentIntentId,
            amount: order.amountTotal,
            amountRefunded: cumulative,
            currency: order.currency,
            orderId: order.orderId,
          }),
        ),
      );
      break;
    }
  }
  if (options.ship || options.deliver) await walkAtPrintify(order.orderId, Boolean(options.deliver), deps);
  return { userId: order.userId, orderId: order.orderId, events };
}

async function scene(options: TriggerOptions, deps: TriggerDeps): Promise<Order> {
  const items = options.unmapped
    ? [
        ...DEMO_ITEMS,
        { productId: 'prod_unmapped_poster', variantId: 'A2', quantity: 1, unitAmount: 1500, title: 'Poster (no Printify mapping)' },
      ]
    : DEMO_ITEMS;
  const order = await deps.storefront.checkoutScene({ items });
  deps.log(`storefront: pending order ${order.orderId} for ${order.userId}, ${order.items.length} cart lines`);
  return order;
}

/** What Printify does next, told by the stand-in through its signed webhooks. */
async function walkAtPrintify(orderId: string, deliver: boolean, deps: TriggerDeps): Promise<void> {
  const order = await deps.readOrder(orderId);
  const printifyOrderId = order?.printifyOrderId;
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
    for (const d of answer.deliveries ?? []) deps.log(`Printify ${topic} (order ${printifyOrderId}) -> ${d.url}\n← ${d.status} ${d.body}`);
  }
}
