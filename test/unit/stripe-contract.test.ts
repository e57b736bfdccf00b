import { HANDLED_EVENT_TYPES, routeStripeEvent, type RouteDecision } from '../../lambdas/domain/stripe-events';
import { workflowInputSchema } from '../../lambdas/domain/workflow-input';
import {
  atLeast,
  charge,
  checkoutSession,
  dispute,
  eventAt,
  hasInvoicePayments,
  invoicePayment,
  invoiceUserField,
  paymentIntent,
  PURCHASE,
  refundObject,
  sessionAddressField,
  STRIPE_API_VERSIONS,
  subscriptionInvoice,
  type Purchase,
  type StripeApiVersion,
} from '../fixtures/stripe-api-versions';

/**
 * The contract with Stripe: whatever API version the webhook endpoint is pinned to, every handled
 * event of one of our purchases starts the same workflow with the same input. The objects are
 * built per version by test/fixtures/stripe-api-versions.ts (see its header for where each shape
 * comes from); `scripts/check-stripe-fixtures.ts` runs the router over Stripe's own fixtures.
 */

const EVENT_ID = 'evt_1Q9ContractEvA1b2C3';

function route(version: StripeApiVersion, type: string, object: Record<string, unknown>): RouteDecision {
  // a router that throws here would answer 400, which Stripe retries for days
  return routeStripeEvent(JSON.parse(JSON.stringify(eventAt(version, type, object))));
}

function started(decision: RouteDecision, workflow: string) {
  if (decision.action !== 'start') throw new Error(`expected ${workflow} to start, got: ${JSON.stringify(decision)}`);
  expect(decision.workflow).toBe(workflow);
  // what the router produces is what the workflows' tasks accept, unchanged
  expect(workflowInputSchema.parse(decision.input)).toStrictEqual(decision.input);
  return decision.input;
}

const ref = (eventType: string) => ({ eventId: EVENT_ID, eventType, created: expect.any(Number), livemode: false });

// a session's shipping details carry no phone: the customer's (customer_details) is the contact
const sessionAddress = PURCHASE.address;

/** A paid session of the purchase, whichever event carries it. */
const paidSession = {
  kind: 'payment',
  orderId: PURCHASE.orderId,
  paid: true,
  stripeSessionId: PURCHASE.sessionId,
  paymentIntentId: PURCHASE.paymentIntentId,
  amountTotal: 4999,
  currency: 'usd',
  chargedAmount: 4999,
  chargedCurrency: 'usd',
  email: 'hinata@example.com',
  customerName: 'Hinata Shoyo',
  shippingAddress: sessionAddress,
};

/** A Refund object's event: the refund itself, its charge and payment intent; no order id (the refund workflow decides by the intent). */
const refundOfPurchase = {
  kind: 'refund',
  chargeId: PURCHASE.chargeId,
  paymentIntentId: PURCHASE.paymentIntentId,
  currency: 'usd',
};

const disputeOfPurchase = {
  kind: 'dispute',
  disputeId: 'dp_1Q9ContractDpA1b2',
  chargeId: PURCHASE.chargeId,
  paymentIntentId: PURCHASE.paymentIntentId,
  reason: 'fraudulent',
  amount: 4999,
  currency: 'usd',
};

/** Each handled event type, the object Stripe sends with it, and what the router must start. */
const CONTRACT: Record<
  string,
  {
    object: (v: StripeApiVersion) => Record<string, unknown>;
    workflow: string;
    input: Record<string, unknown>;
    /** facts only some versions carry (the invoice's payment before 2025-03-31) */
    atVersion?: (v: StripeApiVersion) => Record<string, unknown>;
    /** the versions that send the event at all (default: every one) */
    sentAt?: (v: StripeApiVersion) => boolean;
  }
> = {
  'checkout.session.completed': {
    object: (v) => checkoutSession(v),
    workflow: 'fulfilment',
    input: paidSession,
  },
  'checkout.session.async_payment_succeeded': {
    object: (v) => checkoutSession(v),
    workflow: 'fulfilment',
    input: paidSession,
  },
  'checkout.session.async_payment_failed': {
    object: (v) => checkoutSession(v, PURCHASE, { payment_status: 'unpaid' }),
    workflow: 'paymentFailed',
    input: {
      kind: 'paymentFailed',
      orderId: PURCHASE.orderId,
      paymentIntentId: PURCHASE.paymentIntentId,
      reason: expect.stringMatching(/delayed payment/),
    },
  },
  'checkout.session.expired': {
    object: (v) =>
      checkoutSession(v, PURCHASE, { payment_status: 'unpaid', status: 'expired', payment_intent: null, customer_details: null }),
    workflow: 'checkoutExpired',
    input: { kind: 'checkoutExpired', orderId: PURCHASE.orderId, stripeSessionId: PURCHASE.sessionId },
  },
  'payment_intent.succeeded': {
    object: (v) => paymentIntent(v),
    workflow: 'fulfilment',
    input: {
      kind: 'payment',
      orderId: PURCHASE.orderId,
      paid: true,
      paymentIntentId: PURCHASE.paymentIntentId,
      amountTotal: 4999,
      currency: 'usd',
      chargedAmount: 4999,
      chargedCurrency: 'usd',
      email: 'hinata@example.com',
      shippingAddress: PURCHASE.address,
    },
  },
  'payment_intent.payment_failed': {
    object: (v) =>
      paymentIntent(v, PURCHASE, {
        amount_received: 0,
        status: 'requires_payment_method',
        last_payment_error: {
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          message: 'Your card has insufficient funds.',
          type: 'card_error',
        },
      }),
    workflow: 'paymentFailed',
    input: {
      kind: 'paymentFailed',
      orderId: PURCHASE.orderId,
      paymentIntentId: PURCHASE.paymentIntentId,
      reason: 'Your card has insufficient funds.',
    },
  },
  'charge.refunded': {
    object: (v) => charge(v, PURCHASE, { amountRefunded: 2000 }),
    workflow: 'refund',
    input: {
      kind: 'refund',
      chargeId: PURCHASE.chargeId,
      paymentIntentId: PURCHASE.paymentIntentId,
      orderId: PURCHASE.orderId,
      amountRefunded: 2000,
      amount: 4999,
      currency: 'usd',
    },
  },
  'charge.dispute.created': {
    object: (v) => dispute(v),
    workflow: 'dispute',
    input: { ...disputeOfPurchase, status: 'needs_response', closed: false },
  },
  'charge.refund.updated': {
    object: (v) => refundObject(v, PURCHASE, { amount: 2000, status: 'failed' }),
    workflow: 'refund',
    input: {
      ...refundOfPurchase,
      refunds: [{ refundId: 're_3Q9ContractReA1b2', amount: 2000, status: 'failed', created: expect.any(Number) }],
    },
  },
  'refund.updated': {
    object: (v) => refundObject(v, PURCHASE, { amount: 2000, status: 'canceled' }),
    workflow: 'refund',
    input: {
      ...refundOfPurchase,
      refunds: [{ refundId: 're_3Q9ContractReA1b2', amount: 2000, status: 'canceled', created: expect.any(Number) }],
    },
  },
  'refund.failed': {
    object: (v) => refundObject(v, PURCHASE, { amount: 2000, status: 'failed' }),
    workflow: 'refund',
    input: {
      ...refundOfPurchase,
      refunds: [{ refundId: 're_3Q9ContractReA1b2', amount: 2000, status: 'failed', created: expect.any(Number) }],
    },
  },
  'charge.dispute.updated': {
    object: (v) => dispute(v, PURCHASE, { status: 'under_review' }),
    workflow: 'dispute',
    input: { ...disputeOfPurchase, status: 'under_review', closed: false },
  },
  'charge.dispute.closed': {
    object: (v) => dispute(v, PURCHASE, { status: 'lost' }),
    workflow: 'dispute',
    input: { ...disputeOfPurchase, status: 'lost', closed: true },
  },
  'invoice.payment_succeeded': {
    object: (v) => subscriptionInvoice(v),
    workflow: 'subscriptionPayment',
    input: {
      kind: 'invoicePayment',
      invoiceId: 'in_1Q9ContractInvA1',
      userId: PURCHASE.userId,
      amountPaid: 999,
      currency: 'usd',
      subscriptionId: 'sub_1Q9ContractSubA1',
    },
    // before 2025-03-31 the invoice names its payment; from then only its InvoicePayment does
    atVersion: (v) => (atLeast(v, '2025-03-31.basil') ? {} : { paymentIntentId: 'pi_3Q9ContractSubPi', chargeId: 'ch_3Q9ContractSubCh' }),
  },
  // from 2025-03-31 the link from the invoice to its payment
  'invoice_payment.paid': {
    object: (v) => invoicePayment(v),
    workflow: 'subscriptionPayment',
    input: {
      kind: 'invoicePaymentLink',
      invoiceId: 'in_1Q9ContractInvA1',
      invoicePaymentId: 'inpay_1Q9ContractInpA1',
      paymentIntentId: 'pi_3Q9ContractSubPi',
    },
    sentAt: hasInvoicePayments,
  },
};

const sentAt = (version: StripeApiVersion) => Object.keys(CONTRACT).filter((type) => CONTRACT[type]!.sentAt?.(version) ?? true);

it('has a contract for every handled event type', () => {
  expect(Object.keys(CONTRACT).sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
});

describe.each(STRIPE_API_VERSIONS)('an endpoint pinned to API version %s', (version) => {
  it.each(sentAt(version))('%s starts its workflow with the same input as at every version', (type) => {
    const contract = CONTRACT[type]!;
    const input = started(route(version, type, contract.object(version)), contract.workflow);
    expect(input).toStrictEqual({ ...ref(type), ...contract.input, ...contract.atVersion?.(version) });
  });

  it(`reads the session's address from ${sessionAddressField(version)}, every part of it`, () => {
    const session = checkoutSession(version);
    const [first, second] = sessionAddressField(version).split('.') as [string, string | undefined];
    const holder = session[first as keyof typeof session] as Record<string, unknown>;
    expect((second ? holder[second] : holder) as unknown).toMatchObject({ address: { postal_code: '153-0063' } });
    const input = started(route(version, 'checkout.session.completed', session), 'fulfilment');
    expect(input).toMatchObject({ shippingAddress: sessionAddress });
  });

  it(`reads the invoice's user from ${invoiceUserField(version)}`, () => {
    const input = started(route(version, 'invoice.payment_succeeded', subscriptionInvoice(version)), 'subscriptionPayment');
    expect(input).toMatchObject({ userId: PURCHASE.userId, subscriptionId: 'sub_1Q9ContractSubA1' });
  });

  it("finds the invoice's user past a one-off invoice item listed before the subscription line", () => {
    const invoice = subscriptionInvoice(version);
    const fee = { ...invoice.lines.data[0]!, id: 'il_1Q9ContractFee', amount: 500, description: 'Express shipping', metadata: {} };
    const withFee = { ...invoice, lines: { ...invoice.lines, data: [fee, ...invoice.lines.data] } };
    expect(started(route(version, 'invoice.payment_succeeded', withFee), 'subscriptionPayment')).toMatchObject({ userId: PURCHASE.userId });
  });

  it("compares in the integration's currency when the customer paid in theirs (Adaptive Pricing)", () => {
    const adaptive: Purchase = { ...PURCHASE, presentment: { amount: 7450, currency: 'jpy', fxRate: '149.03' } };
    for (const type of ['checkout.session.completed', 'checkout.session.async_payment_succeeded']) {
      const input = started(route(version, type, checkoutSession(version, adaptive)), 'fulfilment');
      // what the customer was charged (and what refunds are in) is their currency
      expect(input).toMatchObject({ amountTotal: 4999, currency: 'usd', chargedAmount: 7450, chargedCurrency: 'jpy' });
    }
  });

  if (version === '2025-03-31.basil') {
    it('still reads currency_conversion on a session created before 2025-03-31 with Adaptive Pricing', () => {
      const legacy: Purchase = {
        ...PURCHASE,
        presentment: { amount: 7450, currency: 'jpy', fxRate: '149.03' },
        legacyAdaptivePricing: true,
      };
      const session = checkoutSession(version, legacy);
      expect(session).toMatchObject({ amount_total: 7450, currency: 'jpy', currency_conversion: { source_currency: 'usd' } });
      expect(started(route(version, 'checkout.session.completed', session), 'fulfilment')).toMatchObject({
        amountTotal: 4999,
        currency: 'usd',
        chargedAmount: 7450,
        chargedCurrency: 'jpy',
      });
    });
  }

  it('routes a refund of a charge with or without `invoice` by its payment intent, inventing no order', () => {
    // a subscription invoice's charge: no order metadata; the refund workflow decides by the intent
    const subscriptionCharge = charge(
      version,
      { ...PURCHASE, chargeId: 'ch_3Q9ContractSubCh', paymentIntentId: 'pi_3Q9ContractSubPi' },
      { amountRefunded: 999, invoice: 'in_1Q9ContractInvA1' },
      { metadata: {}, amount: 999 },
    );
    const input = started(route(version, 'charge.refunded', subscriptionCharge), 'refund');
    expect(input).toMatchObject({
      chargeId: 'ch_3Q9ContractSubCh',
      paymentIntentId: 'pi_3Q9ContractSubPi',
      amountRefunded: 999,
      amount: 999,
    });
    expect(input).not.toHaveProperty('orderId');
  });

  describe('events whose objects are not ours are acknowledged and ignored, never 400', () => {
    const notOurs: [string, () => Record<string, unknown>][] = [
      ['checkout.session.completed', () => checkoutSession(version, PURCHASE, { client_reference_id: null, metadata: {} })],
      ['checkout.session.async_payment_succeeded', () => checkoutSession(version, PURCHASE, { client_reference_id: null, metadata: {} })],
      [
        'checkout.session.async_payment_failed',
        () => checkoutSession(version, PURCHASE, { client_reference_id: null, metadata: {}, payment_status: 'unpaid' }),
      ],
      [
        'checkout.session.expired',
        () => checkoutSession(version, PURCHASE, { client_reference_id: null, metadata: null, status: 'expired' }),
      ],
      ['payment_intent.succeeded', () => paymentIntent(version, PURCHASE, { metadata: {} })],
      ['payment_intent.payment_failed', () => paymentIntent(version, PURCHASE, { metadata: {}, status: 'requires_payment_method' })],
      // a charge made without a payment intent (Charges API, Dashboard): never one of ours
      ['charge.refunded', () => charge(version, PURCHASE, { amountRefunded: 4999 }, { metadata: {}, payment_intent: null })],
      ['charge.dispute.created', () => dispute(version, PURCHASE, { withPaymentIntent: false })],
      ['charge.dispute.updated', () => dispute(version, PURCHASE, { withPaymentIntent: false, status: 'under_review' })],
      ['charge.dispute.closed', () => dispute(version, PURCHASE, { withPaymentIntent: false, status: 'won' })],
      // a refund of a charge made without a payment intent, naming no order
      ['charge.refund.updated', () => refundObject(version, PURCHASE, { withPaymentIntent: false })],
      ['refund.updated', () => refundObject(version, PURCHASE, { withPaymentIntent: false })],
      ['refund.failed', () => refundObject(version, PURCHASE, { withPaymentIntent: false, status: 'failed' })],
      ['invoice.payment_succeeded', () => subscriptionInvoice(version, { ...PURCHASE, userId: '' })],
      ...(hasInvoicePayments(version)
        ? ([
            // paid outside Stripe: no payment a refund or dispute could name
            ['invoice_payment.paid', () => invoicePayment(version, {}, { payment: { type: 'out_of_band_payment' } })],
          ] as [string, () => Record<string, unknown>][])
        : []),
    ];

    it('covers every handled type sent at this version', () => {
      expect(notOurs.map(([type]) => type).sort()).toEqual(sentAt(version).sort());
    });

    it.each(notOurs)('%s', (type, object) => {
      const decision = route(version, type, object());
      expect(decision).toStrictEqual({ action: 'ignore', reason: expect.any(String) });
    });
  });
});

/**
 * Stripe's fixtures (read by scripts/check-stripe-fixtures.ts) carry values no real payment of ours
 * has; what the router does with each is decided here, at the versions where they occur.
 */
describe("the values of Stripe's fixtures, decided", () => {
  const nullAddress = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

  it.each(['2025-03-31.basil', '2025-09-30.clover', '2026-03-25.dahlia'] as const)(
    "a session whose amount_total/currency are null but which carries currency_conversion is the integration's amount (%s)",
    (version) => {
      const conversion = { amount_subtotal: 4999, amount_total: 4999, fx_rate: '149.03', source_currency: 'usd' };
      const session = checkoutSession(version, PURCHASE, {
        amount_subtotal: null,
        amount_total: null,
        currency: null,
        currency_conversion: conversion,
      });
      expect(started(route(version, 'checkout.session.completed', session), 'fulfilment')).toMatchObject({
        amountTotal: 4999,
        currency: 'usd',
      });
    },
  );

  it.each(STRIPE_API_VERSIONS)('a session without amount or currency is started without them, never as 0 and never 400 (%s)', (version) => {
    // the order says what is owed: a paid claim with no amount is for the payment check to hold
    const session = checkoutSession(version, PURCHASE, { amount_subtotal: null, amount_total: null, currency: null, total_details: null });
    const input = started(route(version, 'checkout.session.completed', session), 'fulfilment');
    expect(input).not.toHaveProperty('amountTotal', expect.anything());
    expect(input).not.toHaveProperty('currency', expect.anything());
  });

  it.each(STRIPE_API_VERSIONS)('an address of nulls is no address, not one of empty strings (%s)', (version) => {
    const nulls = { name: 'name', address: nullAddress };
    const field = sessionAddressField(version);
    const overrides =
      field === 'collected_information.shipping_details'
        ? { collected_information: { business_name: null, individual_name: null, shipping_details: nulls } }
        : { [field]: nulls };
    const input = started(route(version, 'checkout.session.completed', checkoutSession(version, PURCHASE, overrides)), 'fulfilment');
    expect(input).not.toHaveProperty('shippingAddress', expect.anything());
    for (const shipping of [{}, null, { address: nullAddress, carrier: null, name: null, phone: null, tracking_number: null }]) {
      const intent = started(route(version, 'payment_intent.succeeded', paymentIntent(version, PURCHASE, { shipping })), 'fulfilment');
      expect(intent).not.toHaveProperty('shippingAddress', expect.anything());
    }
  });

  it.each(STRIPE_API_VERSIONS)('a succeeded payment intent that received 0 claims 0, not its `amount` (%s)', (version) => {
    const intent = paymentIntent(version, PURCHASE, { amount: 1099, amount_received: 0, status: 'requires_payment_method' });
    expect(started(route(version, 'payment_intent.succeeded', intent), 'fulfilment')).toMatchObject({ amountTotal: 0, paid: true });
  });

  it.each(STRIPE_API_VERSIONS)('a charge.refunded that refunded 0 is routed as 0, for the refund workflow to weigh (%s)', (version) => {
    const input = started(route(version, 'charge.refunded', charge(version, PURCHASE, { amountRefunded: 0 })), 'refund');
    expect(input).toMatchObject({ amountRefunded: 0, amount: 4999 });
  });

  it.each(STRIPE_API_VERSIONS)('a closed dispute whose status is still an open one is routed closed with that status (%s)', (version) => {
    const input = started(
      route(version, 'charge.dispute.closed', dispute(version, PURCHASE, { status: 'warning_needs_response' })),
      'dispute',
    );
    expect(input).toMatchObject({ closed: true, status: 'warning_needs_response' });
  });

  it.each(STRIPE_API_VERSIONS)(
    'an invoice that paid 0 is ignored; one whose subscription metadata is null falls back to its lines (%s)',
    (version) => {
      expect(route(version, 'invoice.payment_succeeded', subscriptionInvoice(version, PURCHASE, { amountPaid: 0 }))).toMatchObject({
        action: 'ignore',
        reason: expect.stringMatching(/paid nothing/),
      });
      const nullMetadata = atLeast(version, '2025-03-31.basil')
        ? {
            parent: {
              quote_details: null,
              subscription_details: { metadata: null, subscription: 'sub_1Q9ContractSubA1' },
              type: 'subscription_details',
            },
          }
        : atLeast(version, '2022-11-15')
          ? { subscription_details: { metadata: null } }
          : {};
      const input = started(
        route(version, 'invoice.payment_succeeded', subscriptionInvoice(version, PURCHASE, {}, nullMetadata)),
        'subscriptionPayment',
      );
      expect(input).toMatchObject({ userId: PURCHASE.userId });
    },
  );
});
