import * as z from 'zod';
import { EXECUTION_NAME, isKeyId, MAX_KEY_ID_LENGTH } from './keys';
import type {
  CheckoutExpiredInput,
  DisputeInput,
  EventRef,
  InvoicePaymentInput,
  InvoicePaymentLinkInput,
  PaymentFailedInput,
  PaymentInput,
  RefundInput,
  ShippingAddress,
  WorkflowInput,
} from './workflow-input';

/**
 * Event routing: which Stripe event starts which workflow, with what input. The single source of
 * truth for the handled event types (the webhook, the stack and the README's table all follow it).
 */
export const WORKFLOWS = ['fulfilment', 'paymentFailed', 'refund', 'subscriptionPayment', 'checkoutExpired', 'dispute'] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

export type RouteDecision = { action: 'start'; workflow: WorkflowName; input: WorkflowInput } | { action: 'ignore'; reason: string };

/** A signed event of a handled type whose shape cannot be processed: answered 400. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

const metadata = z.record(z.string(), z.string()).nullish();
const stripeAddress = z
  .object({
    line1: z.string().nullish(),
    line2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    postal_code: z.string().nullish(),
    country: z.string().nullish(),
  })
  .nullish();
const shippingDetails = z.object({ name: z.string().nullish(), phone: z.string().nullish(), address: stripeAddress }).nullish();
const idOrObject = z.union([z.string(), z.object({ id: z.string() })]).nullish();

const envelope = z.object({
  // the id names the event's execution: one Step Functions would refuse can never be processed
  id: z.string().regex(EXECUTION_NAME, 'not a usable event id (at most 80 characters, no spaces, slashes or punctuation)'),
  type: z.string().min(1),
  created: z.number().int(),
  livemode: z.boolean(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const checkoutSession = z.object({
  id: z.string(),
  client_reference_id: z.string().nullish(),
  metadata,
  // paid | unpaid | no_payment_required today; a value Stripe adds later must not 400 every event
  payment_status: z.string(),
  mode: z.string().nullish(),
  payment_intent: idOrObject,
  amount_total: z.number().int().nonnegative().nullish(),
  currency: z.string().nullish(),
  customer_email: z.string().nullish(),
  customer_details: z.object({ email: z.string().nullish(), name: z.string().nullish(), phone: z.string().nullish() }).nullish(),
  // where the address is depends on the endpoint's API version: collected_information (2025-03-31
  // and later), shipping_details (2022-08-01 to 2025-03-31), shipping (before 2022-08-01)
  collected_information: z.object({ shipping_details: shippingDetails }).nullish(),
  shipping_details: shippingDetails,
  shipping: shippingDetails,
  // Adaptive Pricing: before 2025-03-31 amount_total/currency are the customer's (presentment)
  // and currency_conversion holds the integration's; from 2025-03-31 amount_total/currency are the
  // integration's and presentment_details holds the customer's (Stripe's Adaptive Pricing docs).
  currency_conversion: z
    .object({ amount_total: z.number().int().nonnegative(), source_currency: z.string(), fx_rate: z.string().nullish() })
    .nullish(),
  presentment_details: z.object({ presentment_amount: z.number().int().nonnegative(), presentment_currency: z.string() }).nullish(),
});

const paymentIntent = z.object({
  id: z.string(),
  metadata,
  amount: z.number().int().nonnegative(),
  amount_received: z.number().int().nonnegative().nullish(),
  currency: z.string(),
  receipt_email: z.string().nullish(),
  shipping: shippingDetails,
  last_payment_error: z.object({ message: z.string().nullish(), code: z.string().nullish(), decline_code: z.string().nullish() }).nullish(),
});

const refundObject = z.object({
  id: z.string(),
  amount: z.number().int().nonnegative(),
  // pending | requires_action | succeeded | failed | canceled; null on very old refunds
  status: z.string().nullish(),
  created: z.number().int().nullish(),
  charge: idOrObject,
  payment_intent: idOrObject,
  metadata,
  currency: z.string(),
});

const charge = z.object({
  id: z.string(),
  metadata,
  payment_intent: idOrObject,
  amount: z.number().int().nonnegative(),
  amount_refunded: z.number().int().nonnegative(),
  currency: z.string(),
  // a subscription invoice's charge names it before API 2025-03-31
  invoice: idOrObject,
  // listed before API 2022-11-15 (expandable since)
  refunds: z.object({ data: z.array(refundObject) }).nullish(),
});

const dispute = z.object({
  id: z.string(),
  charge: idOrObject,
  payment_intent: idOrObject,
  metadata,
  amount: z.number().int().nonnegative(),
  currency: z.string(),
  reason: z.string().nullish(),
  status: z.string(),
});

const invoice = z.object({
  id: z.string(),
  metadata,
  amount_paid: z.number().int().nonnegative(),
  currency: z.string(),
  subscription: idOrObject,
  // before API 2025-03-31; from then only through the invoice's InvoicePayment objects (`payments`,
  // includable: in an event only when Stripe includes it), see invoicePaymentSucceeded
  payment_intent: idOrObject,
  charge: idOrObject,
  payments: z
    .object({
      data: z.array(
        z.object({ status: z.string().nullish(), payment: z.object({ payment_intent: idOrObject, charge: idOrObject }).nullish() }),
      ),
    })
    .nullish(),
  subscription_details: z.object({ metadata }).nullish(),
  parent: z.object({ subscription_details: z.object({ metadata, subscription: idOrObject }).nullish() }).nullish(),
  lines: z.object({ data: z.array(z.object({ metadata })) }).nullish(),
});

/**
 * An InvoicePayment (https://docs.stripe.com/api/invoice-payment/object, API 2025-03-31 and later):
 * which payment paid which invoice. `payment.type` is `payment_intent` (then `payment.payment_intent`;
 * Stripe names the charge only for a charge without a payment intent), `charge`, `payment_record`
 * (`out_of_band_payment` at 2025-03-31.basil: paid outside Stripe), or one Stripe adds later.
 */
const invoicePaymentObject = z.object({
  id: z.string(),
  invoice: idOrObject,
  // paid | open | canceled
  status: z.string(),
  amount_paid: z.number().int().nonnegative().nullish(),
  currency: z.string().nullish(),
  payment: z.object({ type: z.string().nullish(), payment_intent: idOrObject, charge: idOrObject }).nullish(),
});

type Envelope = z.infer<typeof envelope>;

function parseObject<T extends z.ZodType>(schema: T, event: Envelope): z.infer<T> {
  const result = schema.safeParse(event.data.object);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(object)'}: ${i.message}`).join('; ');
    throw new MalformedEventError(`${event.type} ${event.id}: ${issues}`);
  }
  return result.data;
}

const idOf = (value: z.infer<typeof idOrObject>): string | undefined =>
  value == null ? undefined : typeof value === 'string' ? value : value.id;
const nonEmpty = (value: string | null | undefined): string | undefined => (value ? value : undefined);

/**
 * An order or user id the event names, refused (MalformedEventError: 400, nothing written) when it
 * could never be stored in a key: a retry by Stripe cannot change it.
 */
function keyId(event: Envelope, field: string, value: string | undefined): string | undefined {
  if (value !== undefined && !isKeyId(value)) {
    throw new MalformedEventError(
      `${event.type} ${event.id}: ${field} is not a usable id (1-${MAX_KEY_ID_LENGTH} characters, no control characters)`,
    );
  }
  return value;
}

/**
 * The address as far as it is there: each field Stripe left null or blank is left out (Hong Kong
 * has no postal code, many countries no state, some no separate city). Undefined only when there
 * is no address at all (no details, or every line empty): that address is still to come (a payment
 * intent without shipping, its Checkout session on the way). `phone`: the customer's, for a
 * Checkout Session, whose shipping details carry none.
 */
function toShippingAddress(details: z.infer<typeof shippingDetails>, phone?: string | null): ShippingAddress | undefined {
  const address = details?.address;
  if (!details || !address) return undefined;
  const line1 = nonEmpty(address.line1);
  const line2 = nonEmpty(address.line2);
  const city = nonEmpty(address.city);
  const state = nonEmpty(address.state);
  const postalCode = nonEmpty(address.postal_code);
  const country = nonEmpty(address.country);
  if (!line1 && !line2 && !city && !state && !postalCode && !country) return undefined;
  const contact = nonEmpty(details.phone) ?? nonEmpty(phone);
  return {
    name: details.name ?? '',
    ...(line1 ? { line1 } : {}),
    ...(line2 ? { line2 } : {}),
    ...(city ? { city } : {}),
    ...(state ? { state } : {}),
    ...(postalCode ? { postalCode } : {}),
    ...(country ? { country } : {}),
    ...(contact ? { phone: contact } : {}),
  };
}

const ref = (event: Envelope): EventRef => ({
  eventId: event.id,
  eventType: event.type,
  created: event.created,
  livemode: event.livemode,
});

const start = (workflow: WorkflowName, input: WorkflowInput): RouteDecision => ({ action: 'start', workflow, input });
const ignore = (reason: string): RouteDecision => ({ action: 'ignore', reason });

/** The session of one of our one-off payments, or why it is not ours to handle. */
function ourSession(event: Envelope): { session: z.infer<typeof checkoutSession>; orderId: string } | RouteDecision {
  const session = parseObject(checkoutSession, event);
  const orderId = nonEmpty(session.client_reference_id)
    ? keyId(event, 'client_reference_id', nonEmpty(session.client_reference_id))
    : keyId(event, 'metadata.orderId', nonEmpty(session.metadata?.orderId));
  if (!orderId) return ignore('checkout session carries no order id (not created by this shop)');
  if (session.mode && session.mode !== 'payment') {
    return ignore(`checkout session in ${session.mode} mode: its petals come with its invoices`);
  }
  return { session, orderId };
}

/**
 * What a Checkout session's payment charged, in the charge's currency: with Adaptive Pricing the
 * customer's (before 2025-03-31 the session's own amount_total/currency, from 2025-03-31
 * presentment_details), else the session's amount_total/currency.
 */
function chargedOfSession(session: z.infer<typeof checkoutSession>): { chargedAmount?: number; chargedCurrency?: string } {
  const presentment = session.presentment_details;
  const amount = presentment && !session.currency_conversion ? presentment.presentment_amount : session.amount_total;
  const currency = presentment && !session.currency_conversion ? presentment.presentment_currency : session.currency;
  return typeof amount === 'number' && currency ? { chargedAmount: amount, chargedCurrency: currency.toLowerCase() } : {};
}

function checkoutSessionCompleted(event: Envelope): RouteDecision {
  const ours = ourSession(event);
  if ('action' in ours) return ours;
  const { session, orderId } = ours;
  // What the order is compared with is the integration's amount, whatever the customer saw.
  const conversion = session.currency_conversion;
  const input: PaymentInput = {
    ...ref(event),
    kind: 'payment',
    orderId,
    paid: session.payment_status === 'paid' || session.payment_status === 'no_payment_required',
    stripeSessionId: session.id,
    paymentIntentId: idOf(session.payment_intent),
    amountTotal: conversion ? conversion.amount_total : (session.amount_total ?? undefined),
    currency: (conversion ? conversion.source_currency : session.currency)?.toLowerCase(),
    // and what the charge is in (Adaptive Pricing: the customer's currency): refunds are claims in it
    ...chargedOfSession(session),
    email: nonEmpty(session.customer_details?.email) ?? nonEmpty(session.customer_email),
    customerName: nonEmpty(session.customer_details?.name),
    shippingAddress: toShippingAddress(
      session.collected_information?.shipping_details ?? session.shipping_details ?? session.shipping,
      session.customer_details?.phone,
    ),
  };
  return start('fulfilment', input);
}

function checkoutSessionAsyncPaymentFailed(event: Envelope): RouteDecision {
  const ours = ourSession(event);
  if ('action' in ours) return ours;
  const paymentIntentId = idOf(ours.session.payment_intent);
  const input: PaymentFailedInput = {
    ...ref(event),
    kind: 'paymentFailed',
    orderId: ours.orderId,
    ...(paymentIntentId ? { paymentIntentId } : {}),
    reason: 'The delayed payment (bank debit or transfer) did not complete.',
  };
  return start('paymentFailed', input);
}

function checkoutSessionExpired(event: Envelope): RouteDecision {
  const ours = ourSession(event);
  if ('action' in ours) return ours;
  const input: CheckoutExpiredInput = { ...ref(event), kind: 'checkoutExpired', orderId: ours.orderId, stripeSessionId: ours.session.id };
  return start('checkoutExpired', input);
}

function chargeDispute(event: Envelope): RouteDecision {
  const opened = parseObject(dispute, event);
  const orderId = keyId(event, 'metadata.orderId', nonEmpty(opened.metadata?.orderId));
  const paymentIntentId = idOf(opened.payment_intent);
  const chargeId = idOf(opened.charge);
  if (!orderId && !paymentIntentId) return ignore('dispute has neither metadata.orderId nor a payment intent');
  const input: DisputeInput = {
    ...ref(event),
    kind: 'dispute',
    disputeId: opened.id,
    ...(chargeId ? { chargeId } : {}),
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...(orderId ? { orderId } : {}),
    status: opened.status,
    closed: event.type === 'charge.dispute.closed',
    reason: opened.reason ?? 'unknown',
    amount: opened.amount,
    currency: opened.currency.toLowerCase(),
  };
  return start('dispute', input);
}

function paymentIntentSucceeded(event: Envelope): RouteDecision {
  const intent = parseObject(paymentIntent, event);
  const orderId = keyId(event, 'metadata.orderId', nonEmpty(intent.metadata?.orderId));
  if (!orderId) return ignore('payment intent carries no metadata.orderId (not created by this shop)');
  const input: PaymentInput = {
    ...ref(event),
    kind: 'payment',
    orderId,
    paid: true,
    paymentIntentId: intent.id,
    amountTotal: intent.amount_received ?? intent.amount,
    currency: intent.currency.toLowerCase(),
    chargedAmount: intent.amount_received ?? intent.amount,
    chargedCurrency: intent.currency.toLowerCase(),
    email: nonEmpty(intent.receipt_email),
    shippingAddress: toShippingAddress(intent.shipping),
  };
  return start('fulfilment', input);
}

function paymentIntentFailed(event: Envelope): RouteDecision {
  const intent = parseObject(paymentIntent, event);
  const orderId = keyId(event, 'metadata.orderId', nonEmpty(intent.metadata?.orderId));
  if (!orderId) return ignore('payment intent carries no metadata.orderId (not created by this shop)');
  const error = intent.last_payment_error;
  const input: PaymentFailedInput = {
    ...ref(event),
    kind: 'paymentFailed',
    orderId,
    paymentIntentId: intent.id,
    reason: nonEmpty(error?.message) ?? nonEmpty(error?.decline_code) ?? nonEmpty(error?.code) ?? 'The payment was declined.',
  };
  return start('paymentFailed', input);
}

function chargeRefunded(event: Envelope): RouteDecision {
  const refunded = parseObject(charge, event);
  const orderId = keyId(event, 'metadata.orderId', nonEmpty(refunded.metadata?.orderId));
  // Stripe's own `invoice` (before API 2025-03-31); never metadata, which whoever creates a charge sets
  const invoiceId = idOf(refunded.invoice);
  const paymentIntentId = idOf(refunded.payment_intent);
  if (!orderId && !paymentIntentId && !invoiceId) return ignore('charge has neither metadata.orderId, a payment intent nor an invoice');
  const refunds = refunded.refunds?.data.map((r) => ({
    refundId: r.id,
    amount: r.amount,
    status: r.status ?? 'succeeded',
    ...(typeof r.created === 'number' ? { created: r.created } : {}),
  }));
  const input: RefundInput = {
    ...ref(event),
    kind: 'refund',
    chargeId: refunded.id,
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...(orderId ? { orderId } : {}),
    ...(invoiceId ? { invoiceId } : {}),
    amountRefunded: refunded.amount_refunded,
    amount: refunded.amount,
    currency: refunded.currency.toLowerCase(),
    ...(refunds && refunds.length > 0 ? { refunds } : {}),
  };
  return start('refund', input);
}

/** charge.refund.updated, refund.updated, refund.failed: one Refund object, its status now. */
function refundUpdated(event: Envelope): RouteDecision {
  const refund = parseObject(refundObject, event);
  const orderId = keyId(event, 'metadata.orderId', nonEmpty(refund.metadata?.orderId));
  const paymentIntentId = idOf(refund.payment_intent);
  const chargeId = idOf(refund.charge);
  if (!paymentIntentId && !orderId) return ignore('refund has neither a payment intent nor metadata.orderId');
  const input: RefundInput = {
    ...ref(event),
    kind: 'refund',
    ...(chargeId ? { chargeId } : {}),
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...(orderId ? { orderId } : {}),
    currency: refund.currency.toLowerCase(),
    refunds: [
      {
        refundId: refund.id,
        amount: refund.amount,
        status: refund.status ?? (event.type === 'refund.failed' ? 'failed' : 'succeeded'),
        ...(typeof refund.created === 'number' ? { created: refund.created } : {}),
      },
    ],
  };
  return start('refund', input);
}

/**
 * The invoice's payment is kept with it (paymentIntentId, chargeId) so that a later refund of its
 * charge finds the invoice and takes its petals back: a refund or dispute names only the charge's
 * payment intent, and from API 2025-03-31 a charge no longer names its `invoice`. Before
 * 2025-03-31 the invoice names `payment_intent` and `charge`; from 2025-03-31 the link is an
 * InvoicePayment object (`payment.payment_intent`), which Stripe sends in the invoice's `payments`
 * only when included, and always as the object of `invoice_payment.paid` — the event that gives
 * it at those versions (invoicePaymentPaid). The invoice itself is ours by its user
 * (below: our subscription's metadata, `parent.subscription_details` from 2025-03-31); a payment
 * intent's or charge's own fields cannot say so (a subscription's payment intent carries no
 * metadata of ours).
 *
 * An invoice belongs to the user named by `metadata.userId` on the invoice, or else on its
 * subscription (Checkout's `subscription_data.metadata`, which Stripe copies to the invoice's
 * subscription details), or else on its first line that names one: before 2022-11-15 the lines
 * are the only place, and a subscription line's metadata is its subscription's, while an invoice
 * item (a one-off fee, a proration credit) on the same invoice carries its own.
 */
function invoicePaymentSucceeded(event: Envelope): RouteDecision {
  const paid = parseObject(invoice, event);
  const userId = keyId(
    event,
    'metadata.userId',
    nonEmpty(paid.metadata?.userId) ??
      nonEmpty(paid.parent?.subscription_details?.metadata?.userId) ??
      nonEmpty(paid.subscription_details?.metadata?.userId) ??
      paid.lines?.data.map((line) => nonEmpty(line.metadata?.userId)).find((id) => id !== undefined),
  );
  if (!userId) return ignore("invoice names no userId in its, its subscription's or its line's metadata");
  if (paid.amount_paid <= 0) return ignore('invoice paid nothing');
  const subscriptionId = idOf(paid.parent?.subscription_details?.subscription) ?? idOf(paid.subscription);
  const settled = paid.payments?.data.find((p) => p.status === 'paid' && (p.payment?.payment_intent || p.payment?.charge))?.payment;
  const paymentIntentId = idOf(paid.payment_intent) ?? idOf(settled?.payment_intent);
  const chargeId = idOf(paid.charge) ?? idOf(settled?.charge);
  const input: InvoicePaymentInput = {
    ...ref(event),
    kind: 'invoicePayment',
    invoiceId: paid.id,
    userId,
    amountPaid: paid.amount_paid,
    currency: paid.currency.toLowerCase(),
    ...(subscriptionId ? { subscriptionId } : {}),
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...(chargeId ? { chargeId } : {}),
  };
  return start('subscriptionPayment', input);
}

/**
 * invoice_payment.paid (API 2025-03-31 and later): the link from an invoice to the payment intent
 * (or charge) that paid it, which the invoice's own event no longer carries. It names no user and
 * no metadata of ours, so it cannot say whether the invoice is one of our subscriptions': the
 * workflow records the link on the invoice's record whatever it is, and the record counts as ours
 * only once invoice.payment_succeeded named its user (ownerOfCharge). A payment that is not
 * `paid`, or names neither a payment intent nor a charge (paid out of band, a payment record), has
 * nothing a refund or dispute could name: ignored.
 */
function invoicePaymentPaid(event: Envelope): RouteDecision {
  const paid = parseObject(invoicePaymentObject, event);
  const invoiceId = idOf(paid.invoice);
  if (!invoiceId) return ignore('invoice payment names no invoice');
  if (paid.status !== 'paid') return ignore(`invoice payment is ${paid.status}, not paid`);
  const paymentIntentId = idOf(paid.payment?.payment_intent);
  const chargeId = idOf(paid.payment?.charge);
  if (!paymentIntentId && !chargeId) {
    return ignore(`invoice payment of type ${paid.payment?.type ?? 'unknown'} names no payment intent or charge (paid outside Stripe)`);
  }
  const input: InvoicePaymentLinkInput = {
    ...ref(event),
    kind: 'invoicePaymentLink',
    invoiceId,
    invoicePaymentId: paid.id,
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...(chargeId ? { chargeId } : {}),
  };
  return start('subscriptionPayment', input);
}

interface EventRoute {
  workflow: WorkflowName;
  /** one line for the README's event table */
  does: string;
  route: (event: Envelope) => RouteDecision;
}

const ROUTES = {
  'checkout.session.completed': {
    workflow: 'fulfilment',
    does: 'records the session (email, shipping address, payment intent) on the order; if paid what the order owes, fulfils it, else holds it (payment_mismatch)',
    route: checkoutSessionCompleted,
  },
  'checkout.session.async_payment_succeeded': {
    workflow: 'fulfilment',
    does: 'a delayed payment (bank debit, transfer) cleared: the same fulfilment as a paid session',
    route: checkoutSessionCompleted,
  },
  'checkout.session.async_payment_failed': {
    workflow: 'paymentFailed',
    does: 'a delayed payment failed: a pending order becomes failed, with the payment-failed email',
    route: checkoutSessionAsyncPaymentFailed,
  },
  'checkout.session.expired': {
    workflow: 'checkoutExpired',
    does: 'the customer never paid: a pending order waiting on this session becomes cancelled (a paid or held one is left alone)',
    route: checkoutSessionExpired,
  },
  'payment_intent.succeeded': {
    workflow: 'fulfilment',
    does: 'fulfils the order in metadata.orderId if it pays what the order owes (else holds it), unless this payment already paid it',
    route: paymentIntentSucceeded,
  },
  'payment_intent.payment_failed': {
    workflow: 'paymentFailed',
    does: 'marks a pending order failed and emails the reason',
    route: paymentIntentFailed,
  },
  'charge.refunded': {
    workflow: 'refund',
    does: 'records each refund by id on the order whose payment intent it is (else flagged or ignored), deducts petals in proportion, emails; refunded once fully refunded',
    route: chargeRefunded,
  },
  'charge.refund.updated': {
    workflow: 'refund',
    does: 'a refund changed status: one that failed or was canceled gives its amount back (the order leaves refunded, petals restored, refund-failed email)',
    route: refundUpdated,
  },
  'refund.updated': {
    workflow: 'refund',
    does: 'the same as charge.refund.updated (Stripe sends both; the refund is recorded once by its id)',
    route: refundUpdated,
  },
  'refund.failed': {
    workflow: 'refund',
    does: 'a refund failed: its amount is no longer refunded (as charge.refund.updated with status failed)',
    route: refundUpdated,
  },
  'charge.dispute.created': {
    workflow: 'dispute',
    does: 'flags the order (dispute id, reason, amount), holds its remaining petals, raises the DisputeOpened metric',
    route: chargeDispute,
  },
  'charge.dispute.updated': {
    workflow: 'dispute',
    does: "records the dispute's newer status (an older event never overrides a newer one); petals held or given back to match",
    route: chargeDispute,
  },
  'charge.dispute.closed': {
    workflow: 'dispute',
    does: 'records the outcome; won, warning_closed or prevented gives the held petals back, lost keeps them; an older close never overrides a newer one',
    route: chargeDispute,
  },
  'invoice.payment_succeeded': {
    workflow: 'subscriptionPayment',
    does: "awards petals for amount_paid to the invoice's user, once per invoice",
    route: invoicePaymentSucceeded,
  },
  'invoice_payment.paid': {
    workflow: 'subscriptionPayment',
    does: 'records which payment intent (or charge) paid the invoice on its record, so that a refund or dispute of it finds the invoice (API 2025-03-31 and later)',
    route: invoicePaymentPaid,
  },
} satisfies Record<string, EventRoute>;

/** A handled event type: a table keyed by it (`Record<HandledEventType, …>`) fails tsc until it covers a new one. */
export type HandledEventType = keyof typeof ROUTES;

export const EVENT_ROUTES: Readonly<Record<string, EventRoute>> = ROUTES;

export const HANDLED_EVENT_TYPES = Object.keys(ROUTES) as HandledEventType[];

export const isHandledEventType = (type: string): type is HandledEventType => Object.hasOwn(ROUTES, type);

/**
 * Decide what a verified Stripe event (already JSON-parsed) asks for. Pure.
 *
 * A thin event (`object: "v2.core.event"`, sent by an Event Destination) carries no object, only a
 * reference to fetch: none of the handled types comes that way, so it is acknowledged and ignored
 * (a 400 would be retried by Stripe for days and count toward disabling the endpoint).
 *
 * @throws MalformedEventError when the event cannot be processed whatever is retried (answer 400).
 */
export function routeStripeEvent(raw: unknown): RouteDecision {
  if (typeof raw === 'object' && raw !== null && (raw as { object?: unknown }).object === 'v2.core.event') {
    const type = (raw as { type?: unknown }).type;
    return ignore(`thin event (v2.core.event${typeof type === 'string' ? ` ${type}` : ''}): no handled type is sent thin`);
  }
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) throw new MalformedEventError(`not a Stripe event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const route = EVENT_ROUTES[parsed.data.type];
  if (!route) return ignore(`event type ${parsed.data.type} is not handled`);
  return route.route(parsed.data);
}
