import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import { routeStripeEvent } from '../../lambdas/domain/stripe-events';
import type { WorkflowInput } from '../../lambdas/domain/workflow-input';
import { recordDispute } from '../../lambdas/fulfilment/disputes';
import { recordRefund } from '../../lambdas/fulfilment/refunds';
import { awardInvoicePetals, recordInvoicePaymentLink, settleInvoicePetals, settleOrderPetals } from '../../lambdas/petals/use-cases';
import {
  atLeast,
  charge,
  dispute,
  eventAt,
  hasInvoicePayments,
  invoicePayment,
  PURCHASE,
  type Purchase,
  refundObject,
  STRIPE_API_VERSIONS,
  type StripeApiVersion,
  subscriptionInvoice,
} from '../fixtures/stripe-api-versions';
import { anOrder, memoryPorts } from '../support/fakes';

/**
 * Issue 11 item 4: refunds and disputes of charges that are no order's are recognised at once,
 * from the data, at every API version: a Dashboard or Payment Link charge (none of our marks, a
 * payment intent nobody records) is acknowledged and ignored without an OrderNotReady wait; a
 * subscription invoice's charge takes back that invoice's petals in proportion, once, and gives
 * them back when the refund fails. Stripe-shaped events (test/fixtures/stripe-api-versions.ts) go
 * through the router, then through the use cases in the order the workflows call them.
 */

/** A charge made in the Dashboard: no metadata, its own payment intent. */
const DASHBOARD: Purchase = { ...PURCHASE, paymentIntentId: 'pi_3DashboardPi', chargeId: 'ch_3DashboardCh' };
/** The subscription invoice's charge (subscriptionInvoice names these before 2025-03-31). */
const SUBSCRIPTION: Purchase = { ...PURCHASE, amount: 999, paymentIntentId: 'pi_3Q9ContractSubPi', chargeId: 'ch_3Q9ContractSubCh' };
const INVOICE = 'in_1Q9ContractInvA1';
const USER = PURCHASE.userId;

function setup() {
  const ports = memoryPorts();
  const deps = { orders: ports.orders, invoices: ports.invoices, now: ports.clock.now };
  const petals = { ...deps, ledger: ports.ledger, rates: DEFAULT_PETAL_RATES };
  let n = 0;
  /** One event through the router and what its workflow runs (workflows.ts). */
  const deliver = async (version: StripeApiVersion, type: string, object: Record<string, unknown>, created?: number) => {
    const event = eventAt(version, type, object, `evt_${type.replace(/\W/g, '_')}_${++n}`);
    const decision = routeStripeEvent(created ? { ...event, created } : event);
    if (decision.action === 'ignore') return { ignored: decision.reason };
    const input: WorkflowInput = decision.input;
    switch (input.kind) {
      case 'refund': {
        const recorded = await recordRefund(deps, input);
        if (recorded.apply) await settleOrderPetals(petals, recorded.orderId);
        else if (recorded.owner === 'invoice') await settleInvoicePetals(petals, recorded.invoiceId);
        return recorded;
      }
      case 'dispute': {
        const recorded = await recordDispute(deps, input);
        if (recorded.apply) await settleOrderPetals(petals, recorded.orderId);
        else if (recorded.owner === 'invoice') await settleInvoicePetals(petals, recorded.invoiceId);
        return recorded;
      }
      case 'invoicePayment':
        return awardInvoicePetals(petals, input);
      case 'invoicePaymentLink':
        return recordInvoicePaymentLink(deps, input);
      default:
        throw new Error(`not a charge event: ${input.kind}`);
    }
  };
  return { ...ports, deps, petals, deliver };
}

const dashboardCharge = (version: StripeApiVersion, amountRefunded: number) =>
  charge(version, DASHBOARD, { amountRefunded }, { metadata: {} });
/** The subscription's charge: no metadata of ours; `invoice` named before 2025-03-31 only. */
const subscriptionCharge = (version: StripeApiVersion, amountRefunded: number, refunds?: unknown[]) =>
  charge(
    version,
    SUBSCRIPTION,
    { amountRefunded, invoice: INVOICE },
    {
      metadata: {},
      ...(refunds && !atLeast(version, '2022-11-15') ? { refunds: { object: 'list', data: refunds, has_more: false, url: '/' } } : {}),
    },
  );
/** Before 2025-03-31 the invoice names its payment; from then its InvoicePayment does (`payments`, when included). */
const paidInvoice = (version: StripeApiVersion) =>
  subscriptionInvoice(
    version,
    PURCHASE,
    {},
    atLeast(version, '2025-03-31.basil')
      ? {
          payments: {
            object: 'list',
            data: [
              {
                id: 'inpay_1Q9Contract',
                object: 'invoice_payment',
                invoice: INVOICE,
                is_default: true,
                payment: { type: 'payment_intent', payment_intent: SUBSCRIPTION.paymentIntentId },
                status: 'paid',
              },
            ],
            has_more: false,
            url: `/v1/invoice_payments?invoice=${INVOICE}`,
          },
        }
      : {},
  );

describe.each(STRIPE_API_VERSIONS)('at API %s', (version) => {
  describe('a Dashboard charge (none of our marks, a payment intent nobody records)', () => {
    const ignoredAtOnce = { apply: false, owner: 'none', signals: [{ kind: 'charge-without-order' }] };

    it('charge.refunded is ignored at once, with ChargeWithoutOrder, touching nothing', async () => {
      const { deliver, orders, invoices, ledger } = setup();
      await orders.put(anOrder({ orderId: PURCHASE.orderId, userId: USER, status: 'shipped', paymentIntentId: PURCHASE.paymentIntentId }));
      expect(await deliver(version, 'charge.refunded', dashboardCharge(version, 2500))).toMatchObject({
        ...ignoredAtOnce,
        reason: expect.stringContaining(DASHBOARD.paymentIntentId),
      });
      expect((await orders.read(PURCHASE.orderId)).status).toBe('shipped');
      expect(invoices.items.size).toBe(0);
      expect(await ledger.entries(USER)).toEqual([]);
    });

    it.each(['charge.refund.updated', 'refund.updated', 'refund.failed'])('%s is ignored at once', async (type) => {
      const { deliver } = setup();
      const status = type === 'refund.failed' ? 'failed' : 'succeeded';
      expect(await deliver(version, type, refundObject(version, DASHBOARD, { status }))).toMatchObject(ignoredAtOnce);
    });

    it.each(['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed'])('%s is ignored at once', async (type) => {
      const { deliver } = setup();
      const status = type === 'charge.dispute.closed' ? 'lost' : 'needs_response';
      expect(await deliver(version, type, dispute(version, DASHBOARD, { status }))).toMatchObject(ignoredAtOnce);
    });
  });

  describe("a subscription invoice's charge", () => {
    it('a full refund takes back exactly the petals the invoice earned; a redelivery takes nothing more', async () => {
      const { deliver, ledger } = setup();
      expect(await deliver(version, 'invoice.payment_succeeded', paidInvoice(version))).toMatchObject({ petals: 9, written: true });
      const refunded = subscriptionCharge(version, 999, [refundObject(version, SUBSCRIPTION, { refundId: 're_sub_1' })]);
      expect(await deliver(version, 'charge.refunded', refunded)).toMatchObject({
        apply: false,
        owner: 'invoice',
        invoiceId: INVOICE,
        amountRefunded: 999,
        signals: [],
      });
      await deliver(version, 'charge.refunded', refunded);
      expect(await ledger.balance(USER)).toBe(0);
      expect((await ledger.entries(USER)).map((e) => [e.entryId, e.amount, e.source])).toEqual([
        [`invoice#${INVOICE}`, 9, 'subscription'],
        [`invoice-refund#${INVOICE}#999`, -9, 'refund'],
      ]);
    });

    it('partial refunds take back their share; a failed refund gives its petals back (refund objects, any order)', async () => {
      const { deliver, ledger, invoices } = setup();
      await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
      // two refunds of a third each, then the second fails; Stripe delivers them in any order
      const third = 333;
      await deliver(version, 'refund.updated', refundObject(version, SUBSCRIPTION, { refundId: 're_a', amount: third }), 1_793_200_000);
      expect(await ledger.balance(USER)).toBe(6); // 9 - floor(9 × 333 / 999)
      await deliver(
        version,
        'refund.failed',
        refundObject(version, SUBSCRIPTION, { refundId: 're_b', amount: third, status: 'failed' }),
        1_793_200_200,
      );
      await deliver(
        version,
        'charge.refund.updated',
        refundObject(version, SUBSCRIPTION, { refundId: 're_b', amount: third }),
        1_793_200_100,
      );
      expect(await ledger.balance(USER)).toBe(6); // the failed one counts nothing, whichever came first
      expect(await invoices.get(INVOICE)).toMatchObject({ amountRefunded: third, petalsAwarded: 9, petalsDeducted: 3 });
      await deliver(
        version,
        'charge.refund.updated',
        refundObject(version, SUBSCRIPTION, { refundId: 're_a', amount: third, status: 'canceled' }),
        1_793_200_300,
      );
      expect(await ledger.balance(USER)).toBe(9);
      expect((await ledger.entries(USER)).map((e) => e.entryId)).toEqual([
        `invoice#${INVOICE}`,
        `invoice-refund#${INVOICE}#333`,
        `invoice-refund-restored#${INVOICE}#0`,
      ]);
    });

    it("a dispute of it holds the invoice's petals while open or lost and gives them back when won, in any order", async () => {
      const { deliver, ledger } = setup();
      await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
      const created = await deliver(version, 'charge.dispute.created', dispute(version, SUBSCRIPTION), 1_793_300_000);
      expect(created).toMatchObject({ apply: false, owner: 'invoice', invoiceId: INVOICE, disputeStatus: 'open', opened: true });
      expect(created).toMatchObject({ signals: [{ kind: 'dispute-opened' }] });
      expect(await ledger.balance(USER)).toBe(0);
      // won (newer), then an older update delivered late: the newest wins, the petals come back once
      await deliver(version, 'charge.dispute.closed', dispute(version, SUBSCRIPTION, { status: 'won' }), 1_793_300_200);
      await deliver(version, 'charge.dispute.updated', dispute(version, SUBSCRIPTION, { status: 'under_review' }), 1_793_300_100);
      expect(await ledger.balance(USER)).toBe(9);
      expect((await ledger.entries(USER)).map((e) => [e.entryId, e.amount])).toEqual([
        [`invoice#${INVOICE}`, 9],
        [`invoice-dispute#${INVOICE}#dp_1Q9ContractDpA1b2`, -9],
        [`invoice-dispute-won#${INVOICE}#dp_1Q9ContractDpA1b2`, 9],
      ]);
    });

    it('a lost dispute keeps them held; a redelivered open one does not give them back', async () => {
      const { deliver, ledger } = setup();
      await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
      await deliver(version, 'charge.dispute.closed', dispute(version, SUBSCRIPTION, { status: 'lost' }), 1_793_300_200);
      await deliver(version, 'charge.dispute.created', dispute(version, SUBSCRIPTION), 1_793_300_000);
      expect(await ledger.balance(USER)).toBe(0);
    });
  });
});

describe("a subscription invoice's refund before its payment (Stripe does not order events)", () => {
  it.each(STRIPE_API_VERSIONS.filter((v) => !atLeast(v, '2025-03-31.basil')))(
    'at %s the charge names the invoice: the refund waits on the record, the award nets it',
    async (version) => {
      const { deliver, ledger } = setup();
      expect(await deliver(version, 'charge.refunded', subscriptionCharge(version, 500))).toMatchObject({
        owner: 'invoice',
        amountRefunded: 500,
      });
      expect(await ledger.entries(USER)).toEqual([]);
      await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
      await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
      expect(await ledger.balance(USER)).toBe(5); // 9 - floor(9 × 500 / 999)
    },
  );
});

describe("an invoice id is Stripe's `invoice` on the charge, checked against the invoice's payment", () => {
  it('metadata.invoiceId on a Dashboard charge (anyone may set it) is no invoice of ours: ignored, no petals taken', async () => {
    const { deliver, ledger } = setup();
    const version = '2024-06-20';
    await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
    expect(await ledger.balance(USER)).toBe(9);
    const forged = charge(version, DASHBOARD, { amountRefunded: 999 }, { metadata: { invoiceId: INVOICE } });
    expect(await deliver(version, 'charge.refunded', forged)).toMatchObject({ apply: false, owner: 'none' });
    expect(await ledger.balance(USER)).toBe(9);
  });

  it("a charge naming our invoice but another payment intent than the invoice's touches nothing", async () => {
    const { deliver, ledger } = setup();
    const version = '2024-06-20';
    await deliver(version, 'invoice.payment_succeeded', paidInvoice(version));
    const other = charge(version, DASHBOARD, { amountRefunded: 999, invoice: INVOICE }, { metadata: {} });
    expect(await deliver(version, 'charge.refunded', other)).toMatchObject({ apply: false, owner: 'mismatch' });
    expect(await ledger.balance(USER)).toBe(9);
  });
});

describe('an order charge whose order has not recorded its payment yet', () => {
  it.each(STRIPE_API_VERSIONS)('at %s, our metadata on the charge makes it wait (OrderNotReady), as before', async (version) => {
    const { deliver, orders } = setup();
    await orders.put(anOrder({ orderId: PURCHASE.orderId, userId: USER, status: 'pending' }));
    await expect(deliver(version, 'charge.refunded', charge(version, PURCHASE, { amountRefunded: 4999 }))).rejects.toMatchObject({
      name: 'OrderNotReady',
    });
  });
});

describe('an invoice awarded before invoice records were kept (its ledger entry only)', () => {
  it('a replay of its payment event adopts the award, then deducts the refund recorded meanwhile, once', async () => {
    const { deliver, ledger, invoices, petals } = setup();
    const version = '2024-06-20';
    const before = await ledger.append({
      userId: USER,
      entryId: `invoice#${INVOICE}`,
      type: 'purchase_bonus',
      amount: 9,
      reason: 'Subscription bonus',
      source: 'subscription',
      description: `Subscription bonus for invoice ${INVOICE}`,
      metadata: { invoiceId: INVOICE },
      createdAt: '2026-11-01T00:00:00.000Z',
    });
    expect(before).toBe('written');
    await deliver(version, 'charge.refunded', subscriptionCharge(version, 999));
    expect(await ledger.balance(USER)).toBe(9); // no user on the record yet: nothing to deduct from
    expect(await deliver(version, 'invoice.payment_succeeded', paidInvoice(version))).toMatchObject({ petals: 9, written: false });
    expect(await ledger.balance(USER)).toBe(0);
    expect(await settleInvoicePetals(petals, INVOICE)).toMatchObject({ written: [], deducted: 9 });
    expect(await invoices.get(INVOICE)).toMatchObject({ petalsAwarded: 9, petalsDeducted: 9 });
  });
});

/**
 * From API 2025-03-31 neither invoice.payment_succeeded (without the includable `payments`) nor the
 * charge names the invoice's payment: invoice_payment.paid does, and its link is what a refund or
 * dispute of the subscription's payment intent is found by.
 */
describe.each(STRIPE_API_VERSIONS.filter(hasInvoicePayments))(
  'at API %s, an invoice linked to its payment by invoice_payment.paid',
  (version) => {
    const paid = () => subscriptionInvoice(version);
    const link = () => invoicePayment(version, { paymentIntentId: SUBSCRIPTION.paymentIntentId });

    it('the invoice event alone names no payment intent: a refund of its charge is not known to be ours', async () => {
      const { deliver, ledger, invoices } = setup();
      expect(paid()).not.toHaveProperty('payment_intent');
      await deliver(version, 'invoice.payment_succeeded', paid());
      expect(await invoices.get(INVOICE)).not.toHaveProperty('paymentIntentId');
      expect(await deliver(version, 'charge.refunded', subscriptionCharge(version, 999))).toMatchObject({ owner: 'none' });
      expect(await ledger.balance(USER)).toBe(9);
    });

    it.each([
      ['the invoice event, then the link', ['paid', 'link']],
      ['the link, then the invoice event', ['link', 'paid']],
      ['each twice, interleaved', ['link', 'paid', 'link', 'paid']],
    ])('%s: the record merges both; a refund of its charge takes back its petals in proportion', async (_order, steps) => {
      const { deliver, ledger, invoices } = setup();
      for (const step of steps) {
        await (step === 'paid' ? deliver(version, 'invoice.payment_succeeded', paid()) : deliver(version, 'invoice_payment.paid', link()));
      }
      expect(await invoices.get(INVOICE)).toMatchObject({
        userId: USER,
        amountPaid: 999,
        currency: 'usd',
        subscriptionId: 'sub_1Q9ContractSubA1',
        paymentIntentId: SUBSCRIPTION.paymentIntentId,
        petalsAwarded: 9,
      });
      expect(await invoices.findInvoiceIdByPaymentIntent(SUBSCRIPTION.paymentIntentId)).toBe(INVOICE);
      expect(await deliver(version, 'charge.refunded', subscriptionCharge(version, 333))).toMatchObject({
        owner: 'invoice',
        invoiceId: INVOICE,
        amountRefunded: 333,
      });
      expect(await ledger.balance(USER)).toBe(6); // 9 - floor(9 × 333 / 999)
      expect(await deliver(version, 'charge.dispute.created', dispute(version, SUBSCRIPTION))).toMatchObject({ owner: 'invoice' });
      expect(await ledger.balance(USER)).toBe(0);
    });

    it('a second InvoicePayment of the invoice does not replace the first', async () => {
      const { deliver, invoices } = setup();
      await deliver(version, 'invoice_payment.paid', link());
      const other = invoicePayment(version, { paymentIntentId: 'pi_3Q9ContractOther' }, { id: 'inpay_other' });
      expect(await deliver(version, 'invoice_payment.paid', other)).toMatchObject({
        paymentIntentId: SUBSCRIPTION.paymentIntentId,
        linked: false,
      });
      expect(await invoices.get(INVOICE)).toMatchObject({ paymentIntentId: SUBSCRIPTION.paymentIntentId });
    });

    it('the link of an invoice that is not ours is a record no one reads: its refunds and disputes are ignored at once', async () => {
      const { deliver, ledger, invoices } = setup();
      expect(await deliver(version, 'invoice_payment.paid', link())).toMatchObject({ linked: true });
      expect(await invoices.get(INVOICE)).toStrictEqual({
        invoiceId: INVOICE,
        paymentIntentId: SUBSCRIPTION.paymentIntentId,
        updatedAt: expect.any(String),
      });
      const refund = await deliver(version, 'charge.refunded', subscriptionCharge(version, 999));
      expect(refund).toMatchObject({
        owner: 'none',
        signals: [{ kind: 'charge-without-order' }],
        reason: expect.stringContaining(INVOICE),
      });
      expect(await deliver(version, 'charge.dispute.created', dispute(version, SUBSCRIPTION))).toMatchObject({ owner: 'none' });
      expect(await invoices.get(INVOICE)).not.toHaveProperty('refunds');
      expect(await ledger.entries(USER)).toEqual([]);
    });
  },
);
