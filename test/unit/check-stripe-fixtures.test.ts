import { checkFixtures, madeOurs, resourceOf } from '../../scripts/check-stripe-fixtures';
import { HANDLED_EVENT_TYPES } from '../../lambdas/domain/stripe-events';
import {
  charge,
  checkoutSession,
  dispute,
  eventAt,
  invoicePayment,
  paymentIntent,
  PURCHASE,
  refundObject,
  subscriptionInvoice,
} from '../fixtures/stripe-api-versions';

/**
 * The fixtures check (scripts/check-stripe-fixtures.ts) over a file shaped like Stripe's
 * fixtures3.json but built from our own builders (Stripe's files are not committed).
 */
const v = '2020-08-27' as const;
const foreign = { client_reference_id: null, metadata: {} };
const fixturesFile = {
  resources: {
    'checkout.session': checkoutSession(v, undefined, foreign),
    payment_intent: paymentIntent(v, undefined, { metadata: {} }),
    charge: charge(v, undefined, { amountRefunded: 100 }, { metadata: {}, payment_intent: null }),
    dispute: dispute(v, undefined, { withPaymentIntent: false }),
    refund: refundObject(v, undefined, { withPaymentIntent: false }),
    invoice: subscriptionInvoice(v, { ...PURCHASE, userId: '' }),
    // an InvoicePayment (API 2025-03-31 and later) carries nothing of ours: paid, it is routed either way
    invoice_payment: invoicePayment('2025-03-31.basil'),
    event: eventAt(v, 'plan.created', { id: 'plan_1', object: 'plan' }),
  },
};

it('names the resource each handled event type carries', () => {
  for (const type of HANDLED_EVENT_TYPES) expect(resourceOf(type)).toBeDefined();
  expect(resourceOf('charge.dispute.closed')).toBe('dispute');
  expect(resourceOf('charge.refunded')).toBe('charge');
  expect(resourceOf('charge.refund.updated')).toBe('refund');
  expect(resourceOf('invoice_payment.paid')).toBe('invoice_payment');
  expect(resourceOf('invoice.payment_succeeded')).toBe('invoice');
});

it('adds only our ids to make an object ours', () => {
  const session = checkoutSession(v, undefined, foreign);
  const ours = madeOurs('checkout.session', session);
  expect(ours).toStrictEqual({
    ...session,
    client_reference_id: 'ord_fixture_check',
    metadata: { orderId: 'ord_fixture_check', userId: 'user_fixture_check' },
  });
  expect(session.client_reference_id).toBeNull();
});

it('routes every handled type as it is (ignored: not ours) and made ours (started)', () => {
  const { routed, missing } = checkFixtures(fixturesFile);
  expect(missing).toEqual([]);
  expect(routed).toHaveLength(HANDLED_EVENT_TYPES.length * 2);
  for (const r of routed) {
    const expected = r.eventType === 'invoice_payment.paid' || r.variant === 'ours' ? 'started' : 'ignored';
    expect({ type: r.eventType, variant: r.variant, outcome: r.outcome }).toEqual({
      type: r.eventType,
      variant: r.variant,
      outcome: expected,
    });
  }
});

it('reports a malformed event, and a file without a resource', () => {
  const { routed, missing } = checkFixtures({
    resources: { ...fixturesFile.resources, charge: { id: 'ch_1', object: 'charge' }, invoice: undefined },
  });
  expect(routed.filter((r) => r.eventType === 'charge.refunded').map((r) => r.outcome)).toEqual(['malformed', 'malformed']);
  expect(missing).toEqual(['invoice.payment_succeeded (invoice)']);
});
