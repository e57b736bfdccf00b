import type { LocalExecution } from '../../local/step-functions-service';
import {
  charge,
  dispute,
  eventAt,
  invoicePayment,
  PURCHASE,
  type Purchase,
  refundObject,
  subscriptionInvoice,
} from '../fixtures/stripe-api-versions';
import { stripeId } from '../fixtures/stripe-events';
import { LocalPipeline } from '../support/local-pipeline';

/**
 * Issue 11 item 4 end to end, through HTTP and the real state machines on the local runtime:
 * refunds and disputes of charges that are no order's end at once (no OrderNotReady hour, no
 * failed execution), and a refund of one of our subscription invoices takes its petals back.
 * Retry waits are at their real length here: a wait would show as a StateRetried and a timeout.
 */
let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await LocalPipeline.start();
}, 120_000);
afterAll(async () => pipeline?.stop());

const retries = (execution: LocalExecution) => execution.history.filter((h) => h.type === 'StateRetried').map((h) => h.name);
const statesEntered = (execution: LocalExecution) => execution.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => h.name);
const event = (version: Parameters<typeof eventAt>[0], type: string, object: Record<string, unknown>) =>
  eventAt(version, type, object, stripeId('evt'));

describe('a Dashboard charge: none of our marks, a payment intent no order or invoice records', () => {
  const dashboard = (): Purchase => ({ ...PURCHASE, paymentIntentId: stripeId('pi'), chargeId: stripeId('ch') });

  test.each(['2022-08-01', '2025-09-30.clover'] as const)(
    'at %s: its refund, refund failure and dispute end at once, SUCCEEDED, without retries or effects',
    async (version) => {
      const charged = dashboard();
      const events = [
        event(version, 'charge.refunded', charge(version, charged, { amountRefunded: 4999 }, { metadata: {} })),
        event(version, 'refund.failed', refundObject(version, charged, { refundId: stripeId('re'), status: 'failed' })),
        event(version, 'charge.dispute.created', dispute(version, charged, {}, { id: stripeId('dp') })),
      ];
      for (const e of events) {
        const started = Date.now();
        const execution = await pipeline.deliver(e);
        expect({ type: e.type, status: execution.status, retries: retries(execution) }).toEqual({
          type: e.type,
          status: 'SUCCEEDED',
          retries: [],
        });
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(statesEntered(execution)).toContain(e.type.startsWith('charge.dispute') ? 'Not an order dispute' : 'Not an order refund');
      }
    },
    60_000,
  );
});

describe("a refund of one of our subscription invoices' charge", () => {
  test('takes back its petals in proportion, then all of them; the refund events may come at a newer API version', async () => {
    const userId = `user_${stripeId('u')}`;
    const invoiceId = stripeId('in');
    const subscription: Purchase = { ...PURCHASE, userId, amount: 1999, paymentIntentId: stripeId('pi'), chargeId: stripeId('ch') };
    // paid while the endpoint was pinned to 2024-06-20: the invoice names its payment intent and charge
    const invoice = subscriptionInvoice(
      '2024-06-20',
      subscription,
      { amountPaid: 1999 },
      { id: invoiceId, payment_intent: subscription.paymentIntentId, charge: subscription.chargeId },
    );
    const paid = await pipeline.deliver(event('2024-06-20', 'invoice.payment_succeeded', invoice));
    expect(paid.status).toBe('SUCCEEDED');
    expect(await pipeline.balance(userId)).toBe(19);

    // refunded after the endpoint moved to 2025-03-31: the charge no longer names its invoice, nor carries our metadata
    const version = '2025-03-31.basil';
    const refundedCharge = (amountRefunded: number) =>
      event(version, 'charge.refunded', charge(version, subscription, { amountRefunded }, { metadata: {} }));
    const partly = await pipeline.deliver(refundedCharge(1000));
    expect(partly.status).toBe('SUCCEEDED');
    expect(retries(partly)).toEqual([]);
    expect(statesEntered(partly)).toContain('Deduct invoice petals');
    expect(await pipeline.balance(userId)).toBe(10); // 19 - floor(19 × 1000 / 1999)
    // redelivered: nothing more
    expect((await pipeline.deliver(refundedCharge(1000))).status).toBe('SUCCEEDED');
    expect(await pipeline.balance(userId)).toBe(10);
    expect((await pipeline.deliver(refundedCharge(1999))).status).toBe('SUCCEEDED');
    expect(await pipeline.balance(userId)).toBe(0);
    const ledger = await pipeline.ledger(userId);
    expect(ledger.map((e) => [e.sk, e.amount])).toEqual([
      [`LEDGER#invoice#${invoiceId}`, 19],
      [`LEDGER#invoice-refund#${invoiceId}#1000`, -9],
      [`LEDGER#invoice-refund#${invoiceId}#1999`, -10],
    ]);
  }, 60_000);
});

describe("a dispute of one of our subscription invoices' charge", () => {
  test('holds its petals while open and gives them back when won', async () => {
    const userId = `user_${stripeId('u')}`;
    const invoiceId = stripeId('in');
    const subscription: Purchase = { ...PURCHASE, userId, amount: 1999, paymentIntentId: stripeId('pi'), chargeId: stripeId('ch') };
    const version = '2024-06-20';
    const invoice = subscriptionInvoice(
      version,
      subscription,
      { amountPaid: 1999 },
      { id: invoiceId, payment_intent: subscription.paymentIntentId, charge: subscription.chargeId },
    );
    expect((await pipeline.deliver(event(version, 'invoice.payment_succeeded', invoice))).status).toBe('SUCCEEDED');
    const disputeId = stripeId('dp');
    const opened = await pipeline.deliver(event(version, 'charge.dispute.created', dispute(version, subscription, {}, { id: disputeId })));
    expect(opened.status).toBe('SUCCEEDED');
    expect(statesEntered(opened)).toContain('Hold or restore invoice petals');
    expect(await pipeline.balance(userId)).toBe(0);
    const won = await pipeline.deliver(
      event(version, 'charge.dispute.closed', dispute(version, subscription, { status: 'won' }, { id: disputeId, created: 1_793_200_000 })),
    );
    expect(won.status).toBe('SUCCEEDED');
    expect(await pipeline.balance(userId)).toBe(19);
  }, 60_000);
});

describe('an invoice paid at API 2025-03-31 and later: invoice_payment.paid names its payment', () => {
  test.each([
    ['the invoice event first', ['invoice.payment_succeeded', 'invoice_payment.paid']],
    ['its InvoicePayment first', ['invoice_payment.paid', 'invoice.payment_succeeded']],
  ])(
    '%s: a refund of its charge takes back its petals in proportion',
    async (_order, types) => {
      const version = '2025-09-30.clover';
      const userId = `user_${stripeId('u')}`;
      const invoiceId = stripeId('in');
      const subscription: Purchase = { ...PURCHASE, userId, amount: 1999, paymentIntentId: stripeId('pi'), chargeId: stripeId('ch') };
      const invoice = subscriptionInvoice(version, subscription, { amountPaid: 1999 }, { id: invoiceId });
      expect(invoice).not.toHaveProperty('payment_intent');
      const link = invoicePayment(
        version,
        { invoiceId, paymentIntentId: subscription.paymentIntentId, amountPaid: 1999 },
        { id: stripeId('inpay') },
      );
      for (const type of types) {
        const execution = await pipeline.deliver(event(version, type, type === 'invoice_payment.paid' ? link : invoice));
        expect({ type, status: execution.status }).toEqual({ type, status: 'SUCCEEDED' });
        if (type === 'invoice_payment.paid') expect(statesEntered(execution)).toContain('Record invoice payment');
      }
      expect(await pipeline.balance(userId)).toBe(19);
      const record = (await pipeline.allItems()).find((item) => item.pk === `INVOICE#${invoiceId}`);
      expect(record).toMatchObject({
        sk: 'INVOICE',
        userId,
        amountPaid: 1999,
        paymentIntentId: subscription.paymentIntentId,
        petalsAwarded: 19,
      });

      // the charge names neither the invoice nor an order: its payment intent is the invoice's
      const refunded = await pipeline.deliver(
        event(version, 'charge.refunded', charge(version, subscription, { amountRefunded: 1000 }, { metadata: {} })),
      );
      expect({ status: refunded.status, retries: retries(refunded) }).toEqual({ status: 'SUCCEEDED', retries: [] });
      expect(statesEntered(refunded)).toContain('Deduct invoice petals');
      expect(await pipeline.balance(userId)).toBe(10); // 19 - floor(19 × 1000 / 1999)
      expect((await pipeline.ledger(userId)).map((e) => [e.sk, e.amount])).toEqual([
        [`LEDGER#invoice#${invoiceId}`, 19],
        [`LEDGER#invoice-refund#${invoiceId}#1000`, -9],
      ]);
    },
    60_000,
  );
});
