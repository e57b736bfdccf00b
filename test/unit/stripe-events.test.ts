import {
  EVENT_ROUTES,
  HANDLED_EVENT_TYPES,
  MalformedEventError,
  routeStripeEvent,
  WORKFLOWS,
  type RouteDecision,
} from '../../lambdas/domain/stripe-events';
import { workflowInputSchema, type WorkflowInput } from '../../lambdas/domain/workflow-input';

/**
 * Events shaped as Stripe sends them with API version 2026-10-28 (the shapes introduced with
 * 2025-03-31: collected_information.shipping_details on sessions, parent.subscription_details on
 * invoices), trimmed of fields the router does not read but keeping enough to be realistic.
 */
const CREATED = 1_793_000_000;

function stripeEvent(type: string, object: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    id: 'evt_1QxYzAbCdEfGhIjK',
    object: 'event',
    api_version: '2026-10-28',
    created: CREATED,
    data: { object, previous_attributes: undefined },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...overrides,
  };
}

const address = {
  city: 'Portland',
  country: 'US',
  line1: '1 Sakura Way',
  line2: 'Apt 4',
  postal_code: '97201',
  state: 'OR',
};

function checkoutSession(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'cs_test_a1B2c3D4e5',
    object: 'checkout.session',
    amount_subtotal: 4999,
    amount_total: 4999,
    client_reference_id: 'ord_123',
    collected_information: {
      business_name: null,
      individual_name: null,
      shipping_details: { address, name: 'Aiko Tanaka' },
    },
    currency: 'usd',
    customer: null,
    customer_details: {
      address,
      email: 'aiko@example.com',
      name: 'Aiko Tanaka',
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    },
    customer_email: null,
    livemode: false,
    metadata: { orderId: 'ord_123', userId: 'user_42' },
    mode: 'payment',
    payment_intent: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
    payment_status: 'paid',
    status: 'complete',
    success_url: 'https://otakumori.example/checkout/success',
    ...overrides,
  };
}

function paymentIntent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
    object: 'payment_intent',
    amount: 4999,
    amount_capturable: 0,
    amount_received: 4999,
    currency: 'usd',
    customer: null,
    last_payment_error: null,
    latest_charge: 'ch_3QxYzA2eZvKYlo2C1xyz',
    livemode: false,
    metadata: { orderId: 'ord_123', userId: 'user_42' },
    payment_method_types: ['card'],
    receipt_email: 'aiko@example.com',
    shipping: { address, carrier: null, name: 'Aiko Tanaka', phone: '+15035550100', tracking_number: null },
    status: 'succeeded',
    ...overrides,
  };
}

function charge(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'ch_3QxYzA2eZvKYlo2C1xyz',
    object: 'charge',
    amount: 4999,
    amount_captured: 4999,
    amount_refunded: 2000,
    captured: true,
    currency: 'usd',
    livemode: false,
    metadata: { orderId: 'ord_123', userId: 'user_42' },
    paid: true,
    payment_intent: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
    refunded: false,
    status: 'succeeded',
    ...overrides,
  };
}

function invoice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'in_1QxYzA2eZvKYlo2Cinv',
    object: 'invoice',
    amount_due: 999,
    amount_paid: 999,
    amount_remaining: 0,
    billing_reason: 'subscription_cycle',
    currency: 'usd',
    customer: 'cus_Qabc',
    livemode: false,
    metadata: {},
    parent: {
      quote_details: null,
      subscription_details: { metadata: { userId: 'user_42' }, subscription: 'sub_1QxYzA2eZvKYlo2C' },
      type: 'subscription_details',
    },
    lines: {
      object: 'list',
      data: [{ id: 'il_1', object: 'line_item', amount: 999, currency: 'usd', metadata: {} }],
      has_more: false,
    },
    status: 'paid',
    ...overrides,
  };
}

const EVENT_REF = { eventId: 'evt_1QxYzAbCdEfGhIjK', created: CREATED, livemode: false };

function started(decision: RouteDecision): { workflow: string; input: WorkflowInput } {
  if (decision.action !== 'start') throw new Error(`expected a start, got: ${JSON.stringify(decision)}`);
  // whatever the router produces must be what the workflows' tasks accept
  expect(workflowInputSchema.parse(decision.input)).toEqual(decision.input);
  return decision;
}

function ignored(decision: RouteDecision): string {
  if (decision.action !== 'ignore') throw new Error(`expected ignore, got: ${JSON.stringify(decision)}`);
  return decision.reason;
}

function malformed(raw: unknown): MalformedEventError {
  try {
    routeStripeEvent(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedEventError);
    return error as MalformedEventError;
  }
  throw new Error('expected MalformedEventError, nothing was thrown');
}

describe('the routing table', () => {
  it('handles exactly the payment events of the design, each with a known workflow', () => {
    expect([...HANDLED_EVENT_TYPES].sort()).toEqual([
      'charge.dispute.closed',
      'charge.dispute.created',
      'charge.dispute.updated',
      'charge.refund.updated',
      'charge.refunded',
      'checkout.session.async_payment_failed',
      'checkout.session.async_payment_succeeded',
      'checkout.session.completed',
      'checkout.session.expired',
      'invoice.payment_succeeded',
      'invoice_payment.paid',
      'payment_intent.payment_failed',
      'payment_intent.succeeded',
      'refund.failed',
      'refund.updated',
    ]);
    for (const type of HANDLED_EVENT_TYPES) expect(WORKFLOWS).toContain(EVENT_ROUTES[type]!.workflow);
  });
});

describe('checkout.session.completed', () => {
  it('starts fulfilment with the normalised session', () => {
    const decision = started(routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession())));
    expect(decision.workflow).toBe('fulfilment');
    expect(decision.input).toStrictEqual({
      ...EVENT_REF,
      eventType: 'checkout.session.completed',
      kind: 'payment',
      orderId: 'ord_123',
      paid: true,
      stripeSessionId: 'cs_test_a1B2c3D4e5',
      paymentIntentId: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
      amountTotal: 4999,
      currency: 'usd',
      chargedAmount: 4999,
      chargedCurrency: 'usd',
      email: 'aiko@example.com',
      customerName: 'Aiko Tanaka',
      shippingAddress: {
        name: 'Aiko Tanaka',
        line1: '1 Sakura Way',
        line2: 'Apt 4',
        city: 'Portland',
        state: 'OR',
        postalCode: '97201',
        country: 'US',
      },
    });
  });

  it('marks an unpaid session (delayed payment method) paid:false, still recording it', () => {
    const decision = started(routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ payment_status: 'unpaid' }))));
    expect(decision.workflow).toBe('fulfilment');
    expect(decision.input).toMatchObject({ kind: 'payment', orderId: 'ord_123', paid: false });
  });

  it('treats no_payment_required (fully discounted) as paid', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ payment_status: 'no_payment_required', payment_intent: null, amount_total: 0 }),
        ),
      ),
    );
    expect(decision.input).toMatchObject({ paid: true, amountTotal: 0 });
    expect(decision.input).not.toHaveProperty('paymentIntentId', expect.anything());
  });

  it('treats a payment_status it does not know as not paid yet, instead of rejecting the event', () => {
    const { input } = started(
      routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ payment_status: 'processing' }))),
    );
    expect(input).toMatchObject({ kind: 'payment', paid: false });
  });

  it('ignores a subscription-mode session: its petals come with its invoices, not twice', () => {
    const reason = ignored(routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ mode: 'subscription' }))));
    expect(reason).toMatch(/subscription mode/);
    expect(started(routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ mode: 'payment' })))).workflow).toBe(
      'fulfilment',
    );
  });

  it('reads the order id from metadata when client_reference_id is absent or empty', () => {
    for (const client_reference_id of [null, '']) {
      const decision = started(
        routeStripeEvent(
          stripeEvent('checkout.session.completed', checkoutSession({ client_reference_id, metadata: { orderId: 'ord_meta' } })),
        ),
      );
      expect(decision.input).toMatchObject({ orderId: 'ord_meta' });
    }
  });

  it('prefers client_reference_id over metadata.orderId', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent('checkout.session.completed', checkoutSession({ client_reference_id: 'ord_ref', metadata: { orderId: 'ord_meta' } })),
      ),
    );
    expect(decision.input).toMatchObject({ orderId: 'ord_ref' });
  });

  it('ignores a session that names no order (not created by this shop)', () => {
    for (const metadata of [{}, null, { orderId: '' }]) {
      const reason = ignored(
        routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ client_reference_id: null, metadata }))),
      );
      expect(reason).toMatch(/no order id/);
    }
  });

  it('accepts an expanded payment_intent object and an upper-case currency', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ payment_intent: { id: 'pi_expanded', object: 'payment_intent' }, currency: 'USD' }),
        ),
      ),
    );
    expect(decision.input).toMatchObject({ paymentIntentId: 'pi_expanded', currency: 'usd' });
  });

  it('falls back to customer_email and to the pre-2025 top-level shipping_details', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            customer_details: { email: null, name: null },
            customer_email: 'legacy@example.com',
            collected_information: null,
            shipping_details: { name: 'Old Shape', address: { ...address, line2: null, state: null } },
          }),
        ),
      ),
    );
    expect(decision.input).toMatchObject({
      email: 'legacy@example.com',
      shippingAddress: { name: 'Old Shape', line1: '1 Sakura Way', city: 'Portland', postalCode: '97201', country: 'US' },
    });
    const input = decision.input as { shippingAddress: object; customerName?: string };
    expect(input.shippingAddress).not.toHaveProperty('line2');
    expect(input.shippingAddress).not.toHaveProperty('state');
    expect(input.customerName).toBeUndefined();
  });

  it('gives the address the phone the customer entered at checkout (shipping details carry none)', () => {
    const withPhone = (customer_details: Record<string, unknown>) =>
      (
        started(routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ customer_details })))).input as {
          shippingAddress?: { phone?: string };
        }
      ).shippingAddress;
    expect(withPhone({ email: 'aiko@example.com', name: 'Aiko Tanaka', phone: '+815055550100' })).toMatchObject({ phone: '+815055550100' });
    for (const phone of [null, '', undefined]) expect(withPhone({ email: 'aiko@example.com', phone })).not.toHaveProperty('phone');
    // a phone in the shipping details themselves (a payment intent's, or a future session's) wins
    const own = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            customer_details: { email: 'a@example.com', phone: '+1000' },
            collected_information: { shipping_details: { name: 'A', address, phone: '+2000' } },
          }),
        ),
      ),
    );
    expect(own.input).toMatchObject({ shippingAddress: { phone: '+2000' } });
  });

  it('keeps an address without postal code, state or city with what is there (Hong Kong)', () => {
    const hongKong = {
      line1: "Flat 12, 3/F, 88 Queen's Road Central",
      line2: null,
      city: null,
      state: 'Central',
      postal_code: null,
      country: 'HK',
    };
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ collected_information: { shipping_details: { name: 'Chan Tai Man', address: hongKong } } }),
        ),
      ),
    );
    const recorded = (decision.input as { shippingAddress?: Record<string, unknown> }).shippingAddress;
    expect(recorded).toEqual({ name: 'Chan Tai Man', line1: hongKong.line1, state: 'Central', country: 'HK' });
  });

  it('keeps an address of nothing but a country and a line, inventing no other part', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            collected_information: { shipping_details: { name: 'A', address: { ...address, city: '', state: null, postal_code: null } } },
          }),
        ),
      ),
    );
    const recorded = (decision.input as { shippingAddress?: Record<string, unknown> }).shippingAddress;
    expect(recorded).not.toHaveProperty('city');
    expect(recorded).not.toHaveProperty('postalCode');
    expect(recorded).toMatchObject({ line1: address.line1, country: address.country });
  });

  it('an address with every line empty is no address: it is still to come', () => {
    const empty = { line1: null, line2: null, city: null, state: null, postal_code: null, country: null };
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ collected_information: { shipping_details: { name: 'A', address: empty } } }),
        ),
      ),
    );
    expect((decision.input as { shippingAddress?: unknown }).shippingAddress).toBeUndefined();
  });

  it.each([
    ['a numeric payment_status', { payment_status: 3 }, /payment_status/],
    ['a string amount_total', { amount_total: '4999' }, /amount_total/],
    ['a negative amount_total', { amount_total: -1 }, /amount_total/],
    ['a fractional amount_total', { amount_total: 49.99 }, /amount_total/],
    ['a non-string metadata value', { metadata: { orderId: 123 } }, /metadata/],
    ['a missing id', { id: undefined }, /id/],
  ])('rejects a session with %s as malformed, naming the field', (_what, overrides, field) => {
    const error = malformed(stripeEvent('checkout.session.completed', checkoutSession(overrides)));
    expect(error.message).toMatch(field);
    expect(error.message).toContain('checkout.session.completed evt_1QxYzAbCdEfGhIjK');
  });
});

describe('payment_intent.succeeded', () => {
  it('starts fulfilment with the intent as a paid payment', () => {
    const decision = started(routeStripeEvent(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(decision.workflow).toBe('fulfilment');
    expect(decision.input).toStrictEqual({
      ...EVENT_REF,
      eventType: 'payment_intent.succeeded',
      kind: 'payment',
      orderId: 'ord_123',
      paid: true,
      paymentIntentId: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
      amountTotal: 4999,
      currency: 'usd',
      chargedAmount: 4999,
      chargedCurrency: 'usd',
      email: 'aiko@example.com',
      shippingAddress: {
        name: 'Aiko Tanaka',
        line1: '1 Sakura Way',
        line2: 'Apt 4',
        city: 'Portland',
        state: 'OR',
        postalCode: '97201',
        country: 'US',
        phone: '+15035550100',
      },
    });
  });

  it('uses amount_received, falling back to amount', () => {
    expect(
      started(routeStripeEvent(stripeEvent('payment_intent.succeeded', paymentIntent({ amount: 5000, amount_received: 4999 })))).input,
    ).toMatchObject({ amountTotal: 4999 });
    expect(
      started(routeStripeEvent(stripeEvent('payment_intent.succeeded', paymentIntent({ amount: 5000, amount_received: null })))).input,
    ).toMatchObject({ amountTotal: 5000 });
  });

  it('ignores an intent without metadata.orderId', () => {
    expect(ignored(routeStripeEvent(stripeEvent('payment_intent.succeeded', paymentIntent({ metadata: {} }))))).toMatch(/orderId/);
  });

  it('rejects an intent without an amount or currency as malformed', () => {
    malformed(stripeEvent('payment_intent.succeeded', paymentIntent({ amount: undefined })));
    malformed(stripeEvent('payment_intent.succeeded', paymentIntent({ currency: null })));
  });
});

describe('payment_intent.payment_failed', () => {
  const declined = {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
    type: 'card_error',
  };

  it('starts the payment-failed workflow with the decline message as the reason', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'payment_intent.payment_failed',
          paymentIntent({ status: 'requires_payment_method', amount_received: 0, last_payment_error: declined }),
        ),
      ),
    );
    expect(decision.workflow).toBe('paymentFailed');
    expect(decision.input).toStrictEqual({
      ...EVENT_REF,
      eventType: 'payment_intent.payment_failed',
      kind: 'paymentFailed',
      orderId: 'ord_123',
      paymentIntentId: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
      reason: 'Your card has insufficient funds.',
    });
  });

  it.each([
    [{ ...declined, message: null }, 'insufficient_funds'],
    [{ ...declined, message: '', decline_code: null }, 'card_declined'],
    [{ type: 'card_error' }, 'The payment was declined.'],
    [null, 'The payment was declined.'],
  ])('falls back from message to decline_code to code to a default (%j)', (error, reason) => {
    const decision = started(routeStripeEvent(stripeEvent('payment_intent.payment_failed', paymentIntent({ last_payment_error: error }))));
    expect(decision.input).toMatchObject({ reason });
  });

  it('ignores a failed intent without metadata.orderId', () => {
    ignored(
      routeStripeEvent(stripeEvent('payment_intent.payment_failed', paymentIntent({ metadata: null, last_payment_error: declined }))),
    );
  });
});

describe('charge.refunded', () => {
  it('starts the refund workflow with the cumulative refunded amount', () => {
    const decision = started(routeStripeEvent(stripeEvent('charge.refunded', charge())));
    expect(decision.workflow).toBe('refund');
    expect(decision.input).toStrictEqual({
      ...EVENT_REF,
      eventType: 'charge.refunded',
      kind: 'refund',
      chargeId: 'ch_3QxYzA2eZvKYlo2C1xyz',
      paymentIntentId: 'pi_3QxYzA2eZvKYlo2C1abcDEFG',
      orderId: 'ord_123',
      amountRefunded: 2000,
      amount: 4999,
      currency: 'usd',
    });
  });

  it('routes a charge without metadata by its payment intent (the order is found later)', () => {
    const decision = started(
      routeStripeEvent(stripeEvent('charge.refunded', charge({ metadata: {}, amount_refunded: 4999, refunded: true }))),
    );
    expect(decision.input).toMatchObject({ kind: 'refund', paymentIntentId: 'pi_3QxYzA2eZvKYlo2C1abcDEFG', amountRefunded: 4999 });
    expect(decision.input).not.toHaveProperty('orderId');
  });

  it('routes a charge with an expanded payment_intent', () => {
    const decision = started(routeStripeEvent(stripeEvent('charge.refunded', charge({ metadata: {}, payment_intent: { id: 'pi_x' } }))));
    expect(decision.input).toMatchObject({ paymentIntentId: 'pi_x' });
  });

  it('ignores a charge with neither metadata.orderId nor a payment intent', () => {
    expect(ignored(routeStripeEvent(stripeEvent('charge.refunded', charge({ metadata: {}, payment_intent: null }))))).toMatch(/neither/);
  });

  it('rejects a charge without amount_refunded as malformed', () => {
    expect(malformed(stripeEvent('charge.refunded', charge({ amount_refunded: undefined }))).message).toMatch(/amount_refunded/);
  });
});

describe('invoice.payment_succeeded', () => {
  it("starts the subscription-payment workflow for the subscription's user", () => {
    const decision = started(routeStripeEvent(stripeEvent('invoice.payment_succeeded', invoice())));
    expect(decision.workflow).toBe('subscriptionPayment');
    expect(decision.input).toStrictEqual({
      ...EVENT_REF,
      eventType: 'invoice.payment_succeeded',
      kind: 'invoicePayment',
      invoiceId: 'in_1QxYzA2eZvKYlo2Cinv',
      userId: 'user_42',
      amountPaid: 999,
      currency: 'usd',
      subscriptionId: 'sub_1QxYzA2eZvKYlo2C',
    });
  });

  const userOf = (overrides: Record<string, unknown>) =>
    (started(routeStripeEvent(stripeEvent('invoice.payment_succeeded', invoice(overrides)))).input as { userId: string }).userId;

  it('takes the user from the invoice metadata first', () => {
    expect(
      userOf({
        metadata: { userId: 'from_invoice' },
        subscription_details: { metadata: { userId: 'from_legacy' } },
        lines: { data: [{ metadata: { userId: 'from_line' } }] },
      }),
    ).toBe('from_invoice');
  });

  it('then from parent.subscription_details.metadata', () => {
    expect(
      userOf({
        metadata: { userId: '' },
        subscription_details: { metadata: { userId: 'from_legacy' } },
        lines: { data: [{ metadata: { userId: 'from_line' } }] },
      }),
    ).toBe('user_42');
  });

  it('then from the pre-2025 subscription_details.metadata (with the top-level subscription id)', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'invoice.payment_succeeded',
          invoice({
            parent: null,
            subscription: 'sub_legacy',
            subscription_details: { metadata: { userId: 'from_legacy' } },
            lines: { data: [{ metadata: { userId: 'from_line' } }] },
          }),
        ),
      ),
    );
    expect(decision.input).toMatchObject({ userId: 'from_legacy', subscriptionId: 'sub_legacy' });
  });

  it("then from the first line's metadata", () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'invoice.payment_succeeded',
          invoice({
            parent: { type: 'subscription_details', subscription_details: { metadata: {}, subscription: 'sub_1' } },
            lines: { data: [{ metadata: { userId: 'from_line' } }, { metadata: { userId: 'second_line' } }] },
          }),
        ),
      ),
    );
    expect(decision.input).toMatchObject({ userId: 'from_line', subscriptionId: 'sub_1' });
  });

  it('then from the first line that names a user, past an invoice item of its own (a one-off fee)', () => {
    const lines = { data: [{ metadata: {} }, { metadata: null }, { metadata: { userId: 'from_subscription_line' } }] };
    expect(userOf({ parent: null, subscription: 'sub_legacy', lines })).toBe('from_subscription_line');
  });

  it('omits subscriptionId for an invoice outside a subscription', () => {
    const decision = started(
      routeStripeEvent(stripeEvent('invoice.payment_succeeded', invoice({ parent: null, metadata: { userId: 'user_7' } }))),
    );
    expect(decision.input).not.toHaveProperty('subscriptionId');
  });

  it('ignores an invoice that names no user', () => {
    const reason = ignored(
      routeStripeEvent(
        stripeEvent('invoice.payment_succeeded', invoice({ parent: { subscription_details: { metadata: {}, subscription: 'sub_1' } } })),
      ),
    );
    expect(reason).toMatch(/userId/);
  });

  it('ignores an invoice that paid nothing (trial, 100% coupon)', () => {
    expect(ignored(routeStripeEvent(stripeEvent('invoice.payment_succeeded', invoice({ amount_paid: 0 }))))).toMatch(/paid nothing/);
  });

  it('rejects an invoice without amount_paid as malformed', () => {
    malformed(stripeEvent('invoice.payment_succeeded', invoice({ amount_paid: undefined })));
  });
});

describe('invoice_payment.paid', () => {
  const invoicePayment = (overrides: Record<string, unknown> = {}) => ({
    id: 'inpay_1QxYzA2eZvKYlo2C',
    object: 'invoice_payment',
    amount_paid: 999,
    amount_requested: 999,
    created: CREATED,
    currency: 'usd',
    invoice: 'in_1QxYzA2eZvKYlo2Cinv',
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: 'pi_1QxYzA2eZvKYlo2Csub' },
    status: 'paid',
    status_transitions: { canceled_at: null, paid_at: CREATED },
    ...overrides,
  });

  it("starts the subscription-payment workflow with the invoice's payment intent", () => {
    const decision = started(routeStripeEvent(stripeEvent('invoice_payment.paid', invoicePayment())));
    expect(decision.workflow).toBe('subscriptionPayment');
    expect(decision.input).toStrictEqual({
      ...EVENT_REF,
      eventType: 'invoice_payment.paid',
      kind: 'invoicePaymentLink',
      invoiceId: 'in_1QxYzA2eZvKYlo2Cinv',
      invoicePaymentId: 'inpay_1QxYzA2eZvKYlo2C',
      paymentIntentId: 'pi_1QxYzA2eZvKYlo2Csub',
    });
  });

  it('reads an expanded invoice and payment intent, and a charge paid without a payment intent', () => {
    const expanded = invoicePayment({
      invoice: { id: 'in_expanded', object: 'invoice' },
      payment: { type: 'payment_intent', payment_intent: { id: 'pi_expanded', object: 'payment_intent' } },
    });
    expect(started(routeStripeEvent(stripeEvent('invoice_payment.paid', expanded))).input).toMatchObject({
      invoiceId: 'in_expanded',
      paymentIntentId: 'pi_expanded',
    });
    const byCharge = invoicePayment({ payment: { type: 'charge', charge: 'ch_legacy' } });
    const input = started(routeStripeEvent(stripeEvent('invoice_payment.paid', byCharge))).input;
    expect(input).toMatchObject({ chargeId: 'ch_legacy' });
    expect(input).not.toHaveProperty('paymentIntentId');
  });

  it.each([
    ['paid outside Stripe', { payment: { type: 'out_of_band_payment' } }, /out_of_band_payment names no payment intent/],
    ['a payment record', { payment: { type: 'payment_record', payment_record: 'pr_1' } }, /payment_record/],
    ['not paid', { status: 'open' }, /open, not paid/],
    ['no invoice', { invoice: null }, /names no invoice/],
  ])('ignores an invoice payment %s', (_what, overrides, reason) => {
    expect(ignored(routeStripeEvent(stripeEvent('invoice_payment.paid', invoicePayment(overrides))))).toMatch(reason);
  });

  it('rejects an invoice payment without a status as malformed', () => {
    malformed(stripeEvent('invoice_payment.paid', invoicePayment({ status: undefined })));
  });
});

describe('events of other types', () => {
  it.each(['customer.created', 'charge.dispute.funds_withdrawn', 'charge.succeeded', 'invoice.paid', 'v2.core.event'])(
    'ignores %s, naming the type',
    (type) => {
      expect(ignored(routeStripeEvent(stripeEvent(type, { id: 'x', object: 'whatever' })))).toContain(type);
    },
  );

  it('ignores an unhandled type whatever its object looks like', () => {
    ignored(routeStripeEvent(stripeEvent('customer.updated', { unexpected: ['shape'] })));
  });
});

describe('something that is not a Stripe event', () => {
  it('accepts an id of exactly 80 characters, the longest execution name', () => {
    expect(() => routeStripeEvent(stripeEvent('charge.refunded', charge(), { id: `evt_${'x'.repeat(76)}` }))).not.toThrow();
  });

  it.each([
    ['null', null],
    ['a string', 'evt_123'],
    ['an array', [stripeEvent('charge.refunded', charge())]],
    ['an empty object', {}],
    ['an event without id', { ...stripeEvent('charge.refunded', charge()), id: undefined }],
    [
      'an event id with spaces, a slash and #, which cannot name an execution',
      stripeEvent('charge.refunded', charge(), { id: 'evt bad/id#1' }),
    ],
    ['an event id longer than an execution name (80)', stripeEvent('charge.refunded', charge(), { id: `evt_${'x'.repeat(77)}` })],
    ['an event with an empty type', stripeEvent('', charge())],
    ['an event with a string created', stripeEvent('charge.refunded', charge(), { created: '1793000000' })],
    ['an event without livemode', stripeEvent('charge.refunded', charge(), { livemode: undefined })],
    ['an event without data.object', stripeEvent('charge.refunded', charge(), { data: {} })],
    ['an event whose data.object is an array', stripeEvent('charge.refunded', charge(), { data: { object: [] } })],
  ])('rejects %s as malformed', (_what, raw) => {
    expect(malformed(raw).message).toMatch(/^not a Stripe event/);
  });
});

describe('delayed payments, expiry and disputes', () => {
  it('async_payment_succeeded fulfils like a paid session', () => {
    const { workflow, input } = started(
      routeStripeEvent(stripeEvent('checkout.session.async_payment_succeeded', checkoutSession({ payment_status: 'paid' }))),
    );
    expect(workflow).toBe('fulfilment');
    expect(input).toMatchObject({ kind: 'payment', orderId: 'ord_123', paid: true });
  });

  it("async_payment_failed starts the payment-failed workflow for the session's order", () => {
    const { workflow, input } = started(
      routeStripeEvent(stripeEvent('checkout.session.async_payment_failed', checkoutSession({ payment_status: 'unpaid' }))),
    );
    expect(workflow).toBe('paymentFailed');
    expect(input).toMatchObject({ kind: 'paymentFailed', orderId: 'ord_123', reason: expect.stringMatching(/delayed payment/) });
  });

  it('checkout.session.expired starts the expiry workflow; one without our order id is ignored', () => {
    const { workflow, input } = started(
      routeStripeEvent(stripeEvent('checkout.session.expired', checkoutSession({ payment_status: 'unpaid' }))),
    );
    expect(workflow).toBe('checkoutExpired');
    expect(input).toMatchObject({ kind: 'checkoutExpired', orderId: 'ord_123', stripeSessionId: 'cs_test_a1B2c3D4e5' });
    ignored(routeStripeEvent(stripeEvent('checkout.session.expired', checkoutSession({ client_reference_id: null, metadata: {} }))));
  });

  const dispute = (overrides: Record<string, unknown> = {}) => ({
    id: 'dp_1',
    object: 'dispute',
    amount: 4999,
    charge: 'ch_1',
    currency: 'USD',
    metadata: {},
    payment_intent: 'pi_1',
    reason: 'fraudulent',
    status: 'needs_response',
    ...overrides,
  });

  it('charge.dispute.created and .closed start the dispute workflow with the outcome', () => {
    const opened = started(routeStripeEvent(stripeEvent('charge.dispute.created', dispute())));
    expect(opened.workflow).toBe('dispute');
    expect(opened.input).toMatchObject({
      kind: 'dispute',
      disputeId: 'dp_1',
      paymentIntentId: 'pi_1',
      chargeId: 'ch_1',
      closed: false,
      reason: 'fraudulent',
      amount: 4999,
      currency: 'usd',
    });
    const closed = started(routeStripeEvent(stripeEvent('charge.dispute.closed', dispute({ status: 'won' }))));
    expect(closed.input).toMatchObject({ closed: true, status: 'won' });
  });

  it('ignores a dispute it cannot tie to an order', () => {
    ignored(routeStripeEvent(stripeEvent('charge.dispute.created', dispute({ payment_intent: null }))));
  });
});

describe('every API version a shop may be pinned to', () => {
  it('reads the address of a session from before 2022-08-01, under `shipping`', () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({ collected_information: undefined, shipping_details: undefined, shipping: { name: 'Api 2020', address } }),
          { api_version: '2020-08-27' },
        ),
      ),
    );
    expect(decision.input).toMatchObject({
      shippingAddress: { name: 'Api 2020', line1: '1 Sakura Way', postalCode: '97201', country: 'US' },
    });
  });

  it('prefers collected_information, then shipping_details, then shipping', () => {
    const named = (name: string) => ({ name, address });
    const input = (overrides: Record<string, unknown>) =>
      started(routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession(overrides)))).input as {
        shippingAddress?: { name: string };
      };
    expect(
      input({ collected_information: { shipping_details: named('new') }, shipping_details: named('mid'), shipping: named('old') })
        .shippingAddress?.name,
    ).toBe('new');
    expect(input({ collected_information: null, shipping_details: named('mid'), shipping: named('old') }).shippingAddress?.name).toBe(
      'mid',
    );
  });

  it("compares in the integration's currency: a session from before 2025-03-31 with Adaptive Pricing carries it in currency_conversion", () => {
    // The customer paid ¥7,450 for a $49.99 order; Stripe's amount_total/currency are the customer's.
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            amount_total: 7450,
            currency: 'jpy',
            currency_conversion: { amount_subtotal: 4999, amount_total: 4999, fx_rate: '149.03', source_currency: 'usd' },
          }),
          { api_version: '2024-06-20' },
        ),
      ),
    );
    expect(decision.input).toMatchObject({ amountTotal: 4999, currency: 'usd' });
  });

  it("reads amount_total/currency as the integration's from 2025-03-31, whatever presentment_details says", () => {
    const decision = started(
      routeStripeEvent(
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            amount_total: 4999,
            currency: 'usd',
            presentment_details: { presentment_amount: 7450, presentment_currency: 'jpy' },
          }),
        ),
      ),
    );
    expect(decision.input).toMatchObject({ amountTotal: 4999, currency: 'usd' });
  });
});

describe('thin events and other envelopes', () => {
  it('acknowledges and ignores a thin event (v2.core.event from an Event Destination)', () => {
    const thin = {
      id: 'evt_test_65R9Ijk8gHQ2ajsu2Oq16SVM5sK3F9DyJH0cRxq2cY3Z',
      object: 'v2.core.event',
      type: 'v1.billing.meter.error_report_triggered',
      livemode: false,
      created: '2024-09-17T06:20:52.246Z',
      related_object: {
        id: 'mtr_test_61R9IeFOSsj5TdEz041JZQ8y5sK3FCR',
        type: 'billing.meter',
        url: '/v1/billing/meters/mtr_test_61R9IeFOSsj5TdEz041JZQ8y5sK3FCR',
      },
    };
    expect(ignored(routeStripeEvent(thin))).toMatch(/thin event/);
  });
});

describe('ids that cannot fit a key are refused at the door', () => {
  it.each([
    [
      'a client_reference_id of 3,000 characters',
      'checkout.session.completed',
      () => checkoutSession({ client_reference_id: 'o'.repeat(3000) }),
      /client_reference_id/,
    ],
    [
      'a metadata.orderId with a line break',
      'checkout.session.completed',
      () => checkoutSession({ client_reference_id: null, metadata: { orderId: 'ord_1\r\nx' } }),
      /metadata\.orderId/,
    ],
    [
      "a payment intent's metadata.orderId of 256 characters",
      'payment_intent.succeeded',
      () => ({ id: 'pi_1', object: 'payment_intent', amount: 4999, currency: 'usd', metadata: { orderId: 'o'.repeat(256) } }),
      /metadata\.orderId/,
    ],
    [
      "a charge's metadata.orderId of 1,000 characters",
      'charge.refunded',
      () => charge({ metadata: { orderId: 'o'.repeat(1000) } }),
      /metadata\.orderId/,
    ],
    [
      "an invoice's metadata.userId with a NUL",
      'invoice.payment_succeeded',
      () => ({ id: 'in_1', object: 'invoice', amount_paid: 900, currency: 'usd', metadata: { userId: 'u\u0000' } }),
      /metadata\.userId/,
    ],
  ])('rejects %s as malformed (400, nothing written)', (_what, type, object, field) => {
    expect(malformed(stripeEvent(type, object())).message).toMatch(field);
  });

  it('accepts an id of exactly 255 characters', () => {
    const decision = started(
      routeStripeEvent(stripeEvent('checkout.session.completed', checkoutSession({ client_reference_id: 'o'.repeat(255) }))),
    );
    expect(decision.input).toMatchObject({ orderId: 'o'.repeat(255) });
  });
});
