import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * Stripe events shaped as Stripe sends them (API version of the installed stripe package), for
 * `npm run trigger` and the tests. Only the fields this pipeline reads are filled with care; the
 * rest follow Stripe's reference so that the payloads look like the real thing.
 */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

export const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

export interface DemoAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  state?: string;
  postalCode: string;
  country: string;
  phone?: string;
}

export const DEMO_ADDRESS: DemoAddress = {
  name: 'Sakura Haruno',
  line1: '1-2-3 Shibuya',
  line2: 'Apt 4',
  city: 'Portland',
  state: 'OR',
  postalCode: '97201',
  country: 'US',
  phone: '+15035550100',
};

const stripeAddress = (a: DemoAddress) => ({
  city: a.city,
  country: a.country,
  line1: a.line1,
  line2: a.line2 ?? null,
  postal_code: a.postalCode,
  state: a.state ?? null,
});

export interface StripeEventEnvelope<T = Record<string, unknown>> {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: T; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export function stripeEvent<T extends Record<string, unknown>>(
  type: string,
  object: T,
  options: { id?: string; created?: number; livemode?: boolean } = {},
): StripeEventEnvelope<T> {
  return {
    id: options.id ?? stripeId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: options.created ?? Math.floor(Date.now() / 1000),
    data: { object },
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: stripeId('req'), idempotency_key: randomBytes(16).toString('hex') },
    type,
  };
}

export interface CheckoutSessionOptions {
  orderId: string;
  userId: string;
  amountTotal: number;
  currency?: string;
  email?: string;
  address?: DemoAddress;
  paymentIntentId?: string;
  sessionId?: string;
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
  mode?: 'payment' | 'subscription';
}

export function checkoutSession(o: CheckoutSessionOptions): Record<string, unknown> {
  const address = o.address ?? DEMO_ADDRESS;
  const now = Math.floor(Date.now() / 1000);
  return {
    id: o.sessionId ?? stripeId('cs_test'),
    object: 'checkout.session',
    amount_subtotal: o.amountTotal,
    amount_total: o.amountTotal,
    client_reference_id: o.orderId,
    collected_information: {
      business_name: null,
      individual_name: null,
      shipping_details: { address: stripeAddress(address), name: address.name },
    },
    created: now - 120,
    currency: o.currency ?? 'usd',
    customer: null,
    customer_creation: 'if_required',
    customer_details: {
      address: stripeAddress(address),
      email: o.email ?? 'sakura@example.com',
      name: address.name,
      phone: address.phone ?? null,
      tax_exempt: 'none',
      tax_ids: [],
    },
    customer_email: null,
    expires_at: now + 86_280,
    livemode: false,
    metadata: { orderId: o.orderId, userId: o.userId },
    mode: o.mode ?? 'payment',
    payment_intent: o.mode === 'subscription' ? null : (o.paymentIntentId ?? stripeId('pi')),
    payment_method_types: ['card'],
    payment_status: o.paymentStatus ?? 'paid',
    shipping_address_collection: { allowed_countries: ['US', 'CA', 'JP'] },
    status: o.paymentStatus === 'unpaid' ? 'complete' : 'complete',
    success_url: 'https://otakumori.example/checkout/success?session_id={CHECKOUT_SESSION_ID}',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
  };
}

export interface PaymentIntentOptions {
  orderId?: string;
  userId?: string;
  paymentIntentId?: string;
  amount: number;
  currency?: string;
  email?: string;
  address?: DemoAddress | null;
  failureMessage?: string;
}

export function paymentIntent(o: PaymentIntentOptions, status: 'succeeded' | 'requires_payment_method'): Record<string, unknown> {
  const address = o.address === null ? null : (o.address ?? DEMO_ADDRESS);
  const failed = status === 'requires_payment_method';
  return {
    id: o.paymentIntentId ?? stripeId('pi'),
    object: 'payment_intent',
    amount: o.amount,
    amount_capturable: 0,
    amount_received: failed ? 0 : o.amount,
    capture_method: 'automatic_async',
    client_secret: `${o.paymentIntentId ?? 'pi'}_secret_${randomBytes(8).toString('hex')}`,
    confirmation_method: 'automatic',
    created: Math.floor(Date.now() / 1000) - 60,
    currency: o.currency ?? 'usd',
    customer: null,
    last_payment_error: failed
      ? {
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          doc_url: 'https://stripe.com/docs/error-codes/card-declined',
          message: o.failureMessage ?? 'Your card has insufficient funds.',
          type: 'card_error',
        }
      : null,
    latest_charge: failed ? null : stripeId('ch'),
    livemode: false,
    metadata: o.orderId ? { orderId: o.orderId, ...(o.userId ? { userId: o.userId } : {}) } : {},
    payment_method: stripeId('pm'),
    payment_method_types: ['card'],
    receipt_email: o.email ?? null,
    shipping: address ? { address: stripeAddress(address), name: address.name, phone: address.phone ?? null, carrier: null, tracking_number: null } : null,
    status,
  };
}

export interface ChargeOptions {
  paymentIntentId: string;
  chargeId?: string;
  amount: number;
  amountRefunded: number;
  currency?: string;
  orderId?: string;
}

export function refundedCharge(o: ChargeOptions): Record<string, unknown> {
  return {
    id: o.chargeId ?? stripeId('ch'),
    object: 'charge',
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: o.amountRefunded,
    captured: true,
    created: Math.floor(Date.now() / 1000) - 3600,
    currency: o.currency ?? 'usd',
    livemode: false,
    metadata: o.orderId ? { orderId: o.orderId } : {},
    paid: true,
    payment_intent: o.paymentIntentId,
    refunded: o.amountRefunded >= o.amount,
    status: 'succeeded',
  };
}

export interface InvoiceOptions {
  invoiceId?: string;
  userId: string;
  amountPaid: number;
  currency?: string;
  subscriptionId?: string;
  customerId?: string;
}

export function paidInvoice(o: InvoiceOptions): Record<string, unknown> {
  const subscriptionId = o.subscriptionId ?? stripeId('sub');
  return {
    id: o.invoiceId ?? stripeId('in'),
    object: 'invoice',
    amount_due: o.amountPaid,
    amount_paid: o.amountPaid,
    amount_remaining: 0,
    billing_reason: 'subscription_cycle',
    currency: o.currency ?? 'usd',
    customer: o.customerId ?? stripeId('cus'),
    livemode: false,
    metadata: {},
    parent: {
      quote_details: null,
      subscription_details: { metadata: { userId: o.userId }, subscription: subscriptionId },
      type: 'subscription_details',
    },
    lines: { object: 'list', data: [], has_more: false, total_count: 0, url: '/v1/invoices/lines' },
    status: 'paid',
  };
}

/** A request as Stripe sends it: a pretty-printed JSON body and its Stripe-Signature header. */
export function signedRequest(event: unknown, secret: string, timestamp?: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(timestamp ? { timestamp } : {}) });
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': signature,
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
  };
}

export interface DisputeOptions {
  disputeId?: string;
  paymentIntentId: string;
  chargeId?: string;
  amount: number;
  currency?: string;
  reason?: string;
  status?: 'warning_needs_response' | 'needs_response' | 'under_review' | 'won' | 'lost' | 'warning_closed';
}

export function dispute(o: DisputeOptions): Record<string, unknown> {
  return {
    id: o.disputeId ?? stripeId('dp'),
    object: 'dispute',
    amount: o.amount,
    balance_transactions: [],
    charge: o.chargeId ?? stripeId('ch'),
    created: Math.floor(Date.now() / 1000) - 60,
    currency: o.currency ?? 'usd',
    evidence_details: { due_by: Math.floor(Date.now() / 1000) + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: o.paymentIntentId,
    reason: o.reason ?? 'fraudulent',
    status: o.status ?? 'needs_response',
  };
}
