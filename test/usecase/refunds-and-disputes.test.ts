import { DEFAULT_PETAL_RATES } from '../../lambdas/domain/petals';
import { sendOrderEmail } from '../../lambdas/email/use-cases';
import type { OrderStatus } from '../../lambdas/domain/order-status';
import type { DisputeInput, RefundInput } from '../../lambdas/domain/workflow-input';
import { recordDispute } from '../../lambdas/fulfilment/disputes';
import { recordPayment } from '../../lambdas/fulfilment/payments';
import { cancelRefundedPrint } from '../../lambdas/fulfilment/printify-cancel';
import { recordRefund } from '../../lambdas/fulfilment/refunds';
import { settleOrderPetals } from '../../lambdas/petals/use-cases';
import { anOrder, memoryPorts } from '../support/fakes';

/**
 * Refunds and disputes belong to the order whose payment intent they reverse (issue 11 items 2, 4,
 * 5, 6): checked against the order, whatever metadata.orderId claims; refund arithmetic keyed on
 * Refund objects and their statuses; dispute events in any order. anOrder: $25.00 usd, 25 petals.
 */

const T0 = 1_764_158_400;
const ev = (eventId: string, eventType: string, created = T0) => ({ eventId, eventType, created, livemode: false });

const chargeRefunded = (amountRefunded: number, overrides: Partial<RefundInput> = {}): RefundInput => ({
  ...ev(`evt_refund_${amountRefunded}`, 'charge.refunded'),
  kind: 'refund',
  chargeId: 'ch_1',
  paymentIntentId: 'pi_1',
  amountRefunded,
  amount: 2500,
  currency: 'usd',
  ...overrides,
});

const refundEvent = (
  refundId: string,
  amount: number,
  status: string,
  created = T0,
  overrides: Partial<RefundInput> = {},
): RefundInput => ({
  ...ev(`evt_${refundId}_${status}_${created}`, 'charge.refund.updated', created),
  kind: 'refund',
  chargeId: 'ch_1',
  paymentIntentId: 'pi_1',
  currency: 'usd',
  refunds: [{ refundId, amount, status }],
  ...overrides,
});

const disputeEvent = (status: string, created = T0, overrides: Partial<DisputeInput> = {}): DisputeInput => ({
  ...ev(`evt_dispute_${status}_${created}`, 'charge.dispute.updated', created),
  kind: 'dispute',
  disputeId: 'dp_1',
  paymentIntentId: 'pi_1',
  status,
  closed: ['won', 'lost', 'warning_closed', 'prevented'].includes(status),
  reason: 'fraudulent',
  amount: 2500,
  currency: 'usd',
  ...overrides,
});

async function scene(orders: { orderId: string; userId?: string; status: OrderStatus; paymentIntentId?: string }[]) {
  const ports = memoryPorts();
  for (const o of orders) await ports.orders.put(anOrder({ email: `${o.orderId}@example.com`, ...o }));
  const deps = { orders: ports.orders, invoices: ports.invoices, now: ports.clock.now };
  const petals = { orders: ports.orders, invoices: ports.invoices, ledger: ports.ledger, rates: DEFAULT_PETAL_RATES, now: ports.clock.now };
  return { ...ports, deps, petals };
}

const oneOrder = (status: OrderStatus = 'shipped') => scene([{ orderId: 'ord_1', status, paymentIntentId: 'pi_1' }]);

describe('recordRefund: the order whose payment intent it is', () => {
  it('records a partial refund on the order found by its payment intent', async () => {
    const { deps } = await oneOrder('in_production');
    expect(await recordRefund(deps, chargeRefunded(1000))).toEqual({
      apply: true,
      orderId: 'ord_1',
      amountRefunded: 1000,
      refundedBefore: 0,
      fullyRefunded: false,
      status: 'in_production',
      emailTemplate: 'refund',
      emailKey: '1000',
      signals: [],
    });
  });

  it('a full refund of a shipped order ends it refunded; run again, the same', async () => {
    const { deps, orders } = await oneOrder('shipped');
    expect(await recordRefund(deps, chargeRefunded(2500))).toMatchObject({ status: 'refunded', fullyRefunded: true, signals: [] });
    expect(await recordRefund(deps, chargeRefunded(2500))).toMatchObject({
      status: 'refunded',
      amountRefunded: 2500,
      refundedBefore: 2500,
      signals: [],
    });
    expect(await orders.read('ord_1')).toMatchObject({ status: 'refunded', statusBeforeRefund: 'shipped', amountRefunded: 2500 });
  });

  it('a refund that overtakes its payment is recorded on the pending order that records its intent', async () => {
    const { deps } = await oneOrder('pending');
    expect(await recordRefund(deps, chargeRefunded(2500))).toMatchObject({ apply: true, amountRefunded: 2500, status: 'pending' });
  });
});

describe("recordRefund: a claim that is not the order's touches nothing (item 2)", () => {
  const two = () =>
    scene([
      { orderId: 'ord_A', userId: 'user_A', status: 'shipped', paymentIntentId: 'pi_A' },
      { orderId: 'ord_B', userId: 'user_B', status: 'shipped', paymentIntentId: 'pi_B' },
    ]);

  it("order A's payment intent with metadata.orderId B: neither A nor B changes, flagged", async () => {
    const { deps, orders } = await two();
    const before = { A: await orders.read('ord_A'), B: await orders.read('ord_B') };
    expect(await recordRefund(deps, chargeRefunded(2500, { paymentIntentId: 'pi_A', orderId: 'ord_B' }))).toEqual({
      apply: false,
      owner: 'mismatch',
      reason: expect.stringContaining('ord_A'),
      signals: [{ kind: 'charge-order-mismatch' }],
    });
    expect(await orders.read('ord_A')).toEqual(before.A);
    expect(await orders.read('ord_B')).toEqual(before.B);
  });

  it("a refund naming a still-pending order C waits for C's payment; C paid by another intent is fulfilled, the refund flagged", async () => {
    const { deps, orders } = await scene([
      { orderId: 'ord_A', status: 'shipped', paymentIntentId: 'pi_A' },
      { orderId: 'ord_C', status: 'pending' },
    ]);
    expect(await recordRefund(deps, chargeRefunded(2500, { paymentIntentId: 'pi_A', orderId: 'ord_C' }))).toMatchObject({
      apply: false,
      owner: 'mismatch',
    });
    const unrecorded = chargeRefunded(2500, { paymentIntentId: 'pi_unrecorded', orderId: 'ord_C' });
    await expect(recordRefund(deps, unrecorded)).rejects.toMatchObject({ name: 'OrderNotReady' });
    expect((await orders.read('ord_C')).amountRefunded).toBeUndefined();
    const paid = await recordPayment(deps, {
      ...ev('evt_paid_C', 'checkout.session.completed'),
      kind: 'payment',
      orderId: 'ord_C',
      paid: true,
      paymentIntentId: 'pi_C',
      amountTotal: 2500,
      currency: 'usd',
    });
    expect(paid).toEqual({ orderId: 'ord_C', status: 'paid', fulfil: true, signals: [] });
    // the waiting refund's retry now finds C paid by another intent: flagged, C untouched
    expect(await recordRefund(deps, unrecorded)).toMatchObject({ apply: false, owner: 'mismatch' });
    expect(await orders.read('ord_C')).toMatchObject({ status: 'paid' });
    expect((await orders.read('ord_C')).amountRefunded).toBeUndefined();
  });

  it('a named order with another payment intent, or a charge without one, is a mismatch', async () => {
    const { deps } = await two();
    expect(await recordRefund(deps, chargeRefunded(100, { paymentIntentId: 'pi_other', orderId: 'ord_B' }))).toMatchObject({
      owner: 'mismatch',
    });
    expect(await recordRefund(deps, chargeRefunded(100, { paymentIntentId: undefined, orderId: 'ord_B' }))).toMatchObject({
      owner: 'mismatch',
    });
  });
});

describe('recordRefund: charges that are not orders (item 4)', () => {
  it('an intent no order or invoice records, none of our marks: ignored at once (no OrderNotReady wait)', async () => {
    const { deps } = await oneOrder();
    expect(await recordRefund(deps, chargeRefunded(100, { paymentIntentId: 'pi_dashboard' }))).toEqual({
      apply: false,
      owner: 'none',
      reason: expect.stringContaining('pi_dashboard'),
      signals: [{ kind: 'charge-without-order' }],
    });
  });

  it.each(['pending', 'failed', 'cancelled'] as const)(
    'an intent no order records yet, naming a %s order (our mark): it may be our late payment, so it waits',
    async (status) => {
      // cancelled: its session expired, and Checkout's recovery session may still pay it
      const { deps } = await scene([{ orderId: 'ord_1', status }]);
      await expect(recordRefund(deps, chargeRefunded(100, { paymentIntentId: 'pi_not_yet', orderId: 'ord_1' }))).rejects.toMatchObject({
        name: 'OrderNotReady',
      });
    },
  );

  it('a charge with neither an intent nor an order id is ignored at once', async () => {
    const { deps } = await oneOrder();
    expect(await recordRefund(deps, chargeRefunded(100, { paymentIntentId: undefined }))).toEqual({
      apply: false,
      owner: 'none',
      reason: expect.any(String),
      signals: [{ kind: 'charge-without-order' }],
    });
  });

  it('a charge naming an order that does not exist is ignored', async () => {
    const { deps } = await oneOrder();
    expect(await recordRefund(deps, chargeRefunded(100, { paymentIntentId: 'pi_x', orderId: 'ord_nobody' }))).toMatchObject({
      apply: false,
      owner: 'none',
    });
  });

  it("a subscription invoice's charge is recognised as the invoice's", async () => {
    const { deps } = await oneOrder();
    expect(await recordRefund(deps, chargeRefunded(999, { paymentIntentId: 'pi_sub', invoiceId: 'in_1' }))).toMatchObject({
      apply: false,
      owner: 'invoice',
      signals: [],
    });
  });
});

describe('recordRefund: the whole lifecycle, keyed on refund objects (item 5)', () => {
  it('a refund that fails after charge.refunded gives the amount back; the order returns to where it was', async () => {
    const { deps, orders, petals, ledger } = await oneOrder('shipped');
    await settleOrderPetals(petals, 'ord_1');
    expect(await recordRefund(deps, refundEvent('re_1', 2500, 'succeeded', T0))).toMatchObject({
      status: 'refunded',
      amountRefunded: 2500,
    });
    await settleOrderPetals(petals, 'ord_1');
    expect(await ledger.balance('user_1')).toBe(0);
    expect(await recordRefund(deps, refundEvent('re_1', 2500, 'failed', T0 + 60))).toMatchObject({
      status: 'shipped',
      amountRefunded: 0,
      refundedBefore: 2500,
      fullyRefunded: false,
      emailTemplate: 'refund-failed',
      emailKey: '2500-0#1',
      signals: [{ kind: 'refund-reversed' }],
    });
    expect(await settleOrderPetals(petals, 'ord_1')).toMatchObject({ deducted: 0, written: ['refund-restored#ord_1#0'] });
    expect(await ledger.balance('user_1')).toBe(25);
    expect((await orders.read('ord_1')).statusBeforeRefund).toBeUndefined();
  });

  it('a later, smaller refund after a failed one is applied, its petals deducted again under a new entry', async () => {
    const { deps, petals, ledger } = await oneOrder('shipped');
    await settleOrderPetals(petals, 'ord_1');
    await recordRefund(deps, refundEvent('re_1', 1000, 'succeeded', T0));
    await settleOrderPetals(petals, 'ord_1');
    await recordRefund(deps, refundEvent('re_1', 1000, 'canceled', T0 + 60));
    await settleOrderPetals(petals, 'ord_1');
    expect(await recordRefund(deps, refundEvent('re_2', 1000, 'succeeded', T0 + 120))).toMatchObject({
      amountRefunded: 1000,
      emailTemplate: 'refund',
      emailKey: '1000#1',
    });
    expect(await settleOrderPetals(petals, 'ord_1')).toMatchObject({ deducted: 10, written: ['refund#ord_1#1000#2'] });
    expect(await ledger.balance('user_1')).toBe(15);
  });

  it('the amount is the sum of the refunds that count, in any order of arrival', async () => {
    const events = [
      refundEvent('re_1', 1000, 'succeeded', T0),
      refundEvent('re_2', 1500, 'pending', T0 + 10),
      refundEvent('re_2', 1500, 'failed', T0 + 20),
      refundEvent('re_3', 500, 'succeeded', T0 + 30),
    ];
    for (const order of [events, [...events].reverse(), [events[2]!, events[0]!, events[3]!, events[1]!]]) {
      const { deps, orders } = await oneOrder('shipped');
      for (const e of order) await recordRefund(deps, e);
      expect(await orders.read('ord_1')).toMatchObject({ amountRefunded: 1500, status: 'shipped' });
    }
  });

  it('charge.refunded without a refund list (API 2022-11-15 on) then refund.failed of that refund', async () => {
    const { deps } = await oneOrder('shipped');
    expect(await recordRefund(deps, chargeRefunded(2500, { created: T0 }))).toMatchObject({ status: 'refunded' });
    expect(await recordRefund(deps, refundEvent('re_1', 2500, 'failed', T0 + 60, { eventType: 'refund.failed' }))).toMatchObject({
      status: 'shipped',
      amountRefunded: 0,
    });
    // a charge.refunded that already reflects the failure (amount_refunded 0) keeps it at 0
    expect(await recordRefund(deps, chargeRefunded(0, { created: T0 + 120 }))).toMatchObject({ amountRefunded: 0 });
  });

  it('two partial refunds by charge total, then refund.failed of the second in the same second: lowered, told once', async () => {
    const { deps, orders, petals, ledger } = await oneOrder('shipped');
    await settleOrderPetals(petals, 'ord_1');
    expect(await recordRefund(deps, chargeRefunded(1000, { created: T0 }))).toMatchObject({ amountRefunded: 1000, emailKey: '1000' });
    expect(await recordRefund(deps, chargeRefunded(2500, { created: T0 + 60 }))).toMatchObject({
      amountRefunded: 2500,
      emailTemplate: 'refund',
      emailKey: '2500',
    });
    await settleOrderPetals(petals, 'ord_1');
    const failed = refundEvent('re_2', 1500, 'failed', T0 + 60, {
      eventType: 'refund.failed',
      refunds: [{ refundId: 're_2', amount: 1500, status: 'failed', created: T0 + 60 }],
    });
    expect(await recordRefund(deps, failed)).toMatchObject({
      amountRefunded: 1000,
      refundedBefore: 2500,
      status: 'shipped',
      emailTemplate: 'refund-failed',
      emailKey: '2500-1000#1',
      signals: [{ kind: 'refund-reversed' }],
    });
    expect(await orders.read('ord_1')).toMatchObject({ amountRefunded: 1000, status: 'shipped' });
    await settleOrderPetals(petals, 'ord_1');
    expect(await ledger.balance('user_1')).toBe(15);
    // delivered again: the same email (the outbox sends it once), no new one
    expect(await recordRefund(deps, failed)).toMatchObject({
      emailTemplate: 'refund-failed',
      emailKey: '2500-1000#1',
      refundedBefore: 2500,
    });
  });

  it('the failure arriving before the charge total that counted it: never below what was refunded, no email for it', async () => {
    const { deps, orders } = await oneOrder('shipped');
    await recordRefund(deps, chargeRefunded(1000, { created: T0 }));
    const failed = refundEvent('re_2', 1500, 'failed', T0 + 60, {
      refunds: [{ refundId: 're_2', amount: 1500, status: 'failed', created: T0 + 30 }],
    });
    // the refund was made after the 1000 figure: that figure never counted it
    expect(await recordRefund(deps, failed)).toMatchObject({ amountRefunded: 1000, emailTemplate: 'refund', emailKey: '1000' });
    expect(await recordRefund(deps, chargeRefunded(2500, { created: T0 + 30 }))).toMatchObject({ amountRefunded: 1000, emailKey: '1000' });
    expect(await orders.read('ord_1')).toMatchObject({ amountRefunded: 1000 });
  });

  it('an event that does not raise the refunded amount repeats the email of the event that set it, never a new one', async () => {
    const { deps } = await oneOrder('shipped');
    await recordRefund(deps, refundEvent('re_1', 1000, 'succeeded', T0));
    await recordRefund(deps, refundEvent('re_2', 500, 'succeeded', T0 + 10));
    await recordRefund(deps, refundEvent('re_2', 500, 'canceled', T0 + 20));
    // a failure of a refund that never counted (re_3 pending then failed... here: never seen succeeding) lowers nothing
    expect(await recordRefund(deps, refundEvent('re_3', 700, 'failed', T0 + 30))).toMatchObject({
      amountRefunded: 1000,
      emailTemplate: 'refund-failed',
      emailKey: '1500-1000#1',
    });
    // a late succeeded of the canceled refund: a later status wins, nothing changes, the same email key
    expect(await recordRefund(deps, refundEvent('re_2', 500, 'succeeded', T0 + 40))).toMatchObject({ emailKey: '1500-1000#1' });
  });

  it('charge.refunded listing its refunds (before 2022-11-15) records each by id', async () => {
    const { deps, orders } = await oneOrder('shipped');
    await recordRefund(
      deps,
      chargeRefunded(2500, {
        refunds: [
          { refundId: 're_1', amount: 1000, status: 'succeeded' },
          { refundId: 're_2', amount: 1500, status: 'succeeded' },
        ],
      }),
    );
    await recordRefund(deps, refundEvent('re_2', 1500, 'failed', T0 + 60));
    expect(await orders.read('ord_1')).toMatchObject({
      amountRefunded: 1000,
      status: 'shipped',
      refunds: { re_1: { status: 'succeeded' }, re_2: { status: 'failed' } },
    });
  });
});

describe('cancelRefundedPrint: a full refund before production cancels the print (item 7)', () => {
  async function printed(printifyStatus: string) {
    const ports = await oneOrder('in_production');
    const { id } = await ports.printify.createOrder({ external_id: 'ord_1' } as Parameters<typeof ports.printify.createOrder>[0]);
    ports.printify.orders[0]!.status = printifyStatus;
    await ports.orders.set('ord_1', { printifyOrderId: id });
    return { ...ports, cancel: { orders: ports.orders, printify: ports.printify, now: ports.clock.now } };
  }

  it('an on-hold print of a fully refunded order is canceled, once', async () => {
    const { deps, cancel, printify, orders } = await printed('on-hold');
    expect(await cancelRefundedPrint(cancel, 'ord_1')).toEqual({ outcome: 'not-refunded', signals: [] });
    await recordRefund(deps, chargeRefunded(2500));
    expect(await cancelRefundedPrint(cancel, 'ord_1')).toEqual({ outcome: 'canceled', printifyStatus: 'canceled', signals: [] });
    expect(await cancelRefundedPrint(cancel, 'ord_1')).toMatchObject({ outcome: 'already-canceled' });
    expect(printify.orders[0]!.status).toBe('canceled');
    expect(printify.calls.filter((c) => c === 'cancelOrder')).toHaveLength(1);
    expect((await orders.read('ord_1')).printifyCanceledAt).toBeDefined();
  });

  it('a print already in production is not canceled: RefundedAfterProduction for the operator', async () => {
    const { deps, cancel, printify } = await printed('in-production');
    await recordRefund(deps, chargeRefunded(2500));
    expect(await cancelRefundedPrint(cancel, 'ord_1')).toEqual({
      outcome: 'in-production',
      printifyStatus: 'in-production',
      signals: [{ kind: 'refunded-after-production' }],
    });
    expect(printify.calls).not.toContain('cancelOrder');
  });

  it('a refund that fails after the print was canceled leaves the order fulfillment_failed, to print again', async () => {
    const { deps, cancel } = await printed('on-hold');
    await recordRefund(deps, refundEvent('re_1', 2500, 'succeeded', T0));
    await cancelRefundedPrint(cancel, 'ord_1');
    expect(await recordRefund(deps, refundEvent('re_1', 2500, 'failed', T0 + 60))).toMatchObject({
      status: 'fulfillment_failed',
      amountRefunded: 0,
    });
  });
});

describe('recordDispute: newest wins, every status (item 6)', () => {
  it('flags the order with an open dispute; opened only the first time', async () => {
    const { deps, orders } = await oneOrder();
    expect(await recordDispute(deps, disputeEvent('needs_response', T0))).toEqual({
      apply: true,
      orderId: 'ord_1',
      disputeStatus: 'open',
      opened: true,
      applied: true,
      signals: [{ kind: 'dispute-opened' }],
    });
    expect(await recordDispute(deps, disputeEvent('under_review', T0 + 10))).toEqual({
      apply: true,
      orderId: 'ord_1',
      disputeStatus: 'open',
      opened: false,
      applied: true,
      signals: [],
    });
    expect(await orders.read('ord_1')).toMatchObject({
      disputeId: 'dp_1',
      disputeStatus: 'open',
      disputeStripeStatus: 'under_review',
      disputeEventAt: T0 + 10,
      disputeAmount: 2500,
    });
  });

  it.each([
    ['warning_needs_response', 'open'],
    ['warning_under_review', 'open'],
    ['needs_response', 'open'],
    ['under_review', 'open'],
    ['won', 'won'],
    ['warning_closed', 'won'],
    ['prevented', 'won'],
    ['lost', 'lost'],
  ])('%s maps to %s', async (status, outcome) => {
    const { deps } = await oneOrder();
    expect(await recordDispute(deps, disputeEvent(status))).toMatchObject({ disputeStatus: outcome });
  });

  it('created, closed won (newer), then an older closed lost delivered last: won, petals given back', async () => {
    const { deps, petals, ledger, orders } = await oneOrder();
    await settleOrderPetals(petals, 'ord_1');
    await recordDispute(deps, disputeEvent('needs_response', T0));
    await settleOrderPetals(petals, 'ord_1');
    expect(await ledger.balance('user_1')).toBe(0);
    await recordDispute(deps, disputeEvent('won', T0 + 200));
    await settleOrderPetals(petals, 'ord_1');
    expect(await recordDispute(deps, disputeEvent('lost', T0 + 100))).toMatchObject({ disputeStatus: 'won', applied: false });
    expect(await settleOrderPetals(petals, 'ord_1')).toMatchObject({ written: [] });
    expect(await ledger.balance('user_1')).toBe(25);
    expect(await orders.read('ord_1')).toMatchObject({ disputeStatus: 'won', disputeStripeStatus: 'won' });
  });

  it('the petal hold and release converge whatever the order of delivery', async () => {
    const events = [disputeEvent('needs_response', T0), disputeEvent('under_review', T0 + 50), disputeEvent('lost', T0 + 100)];
    for (const order of [events, [...events].reverse(), [events[2]!, events[0]!, events[1]!]]) {
      const { deps, petals, ledger } = await oneOrder();
      await settleOrderPetals(petals, 'ord_1');
      for (const e of order) {
        await recordDispute(deps, e);
        await settleOrderPetals(petals, 'ord_1');
      }
      expect(await ledger.balance('user_1')).toBe(0);
    }
  });

  it('a petal hold made again after a release is a new entry, not mistaken for a concurrent writer', async () => {
    const { petals, ledger, orders } = await oneOrder();
    await settleOrderPetals(petals, 'ord_1');
    await orders.set('ord_1', { disputeId: 'dp_1', disputeStatus: 'open' });
    await settleOrderPetals(petals, 'ord_1');
    await orders.set('ord_1', { disputeStatus: 'won' });
    await settleOrderPetals(petals, 'ord_1');
    await orders.set('ord_1', { disputeStatus: 'lost' });
    expect(await settleOrderPetals(petals, 'ord_1')).toMatchObject({ written: ['dispute#ord_1#dp_1#2'], deducted: 25 });
    expect(await ledger.balance('user_1')).toBe(0);
  });

  it('an unknown future status is recorded and logged; petals neither taken nor given', async () => {
    const { deps, orders } = await oneOrder();
    await recordDispute(deps, disputeEvent('needs_response', T0));
    expect(await recordDispute(deps, disputeEvent('escalated_to_arbitration', T0 + 10))).toMatchObject({
      disputeStatus: 'open',
      signals: [{ kind: 'dispute-status-unknown' }],
    });
    expect(await orders.read('ord_1')).toMatchObject({ disputeStatus: 'open', disputeStripeStatus: 'escalated_to_arbitration' });
  });

  it.each(['won', 'warning_closed', 'lost'])('closed %s is final: a later or same-second "open" does not reopen it', async (status) => {
    const { deps } = await oneOrder();
    const closed = await recordDispute(deps, disputeEvent(status, T0));
    expect(await recordDispute(deps, disputeEvent('needs_response', T0))).toMatchObject({
      disputeStatus: closed.apply && closed.disputeStatus,
      applied: false,
    });
    expect(await recordDispute(deps, disputeEvent('under_review', T0 + 100))).toMatchObject({ applied: false });
  });

  it('an order closed before dispute events were timed stays closed for a late open', async () => {
    const { deps, orders } = await oneOrder();
    await orders.set('ord_1', { disputeId: 'dp_1', disputeStatus: 'won' });
    expect(await recordDispute(deps, disputeEvent('needs_response', T0))).toMatchObject({ disputeStatus: 'won', applied: false });
  });

  it('a new dispute of the same order opens again after an earlier one closed', async () => {
    const { deps } = await oneOrder();
    await recordDispute(deps, disputeEvent('won', T0));
    expect(await recordDispute(deps, disputeEvent('needs_response', T0 + 100, { disputeId: 'dp_2' }))).toMatchObject({
      disputeStatus: 'open',
      opened: true,
    });
  });

  it("a dispute of order A's payment intent naming order B touches neither, and holds no petals", async () => {
    const { deps, orders, petals, ledger } = await scene([
      { orderId: 'ord_A', userId: 'user_A', status: 'shipped', paymentIntentId: 'pi_A' },
      { orderId: 'ord_B', userId: 'user_B', status: 'shipped', paymentIntentId: 'pi_B' },
    ]);
    await settleOrderPetals(petals, 'ord_B');
    expect(await recordDispute(deps, disputeEvent('needs_response', T0, { paymentIntentId: 'pi_A', orderId: 'ord_B' }))).toMatchObject({
      apply: false,
      owner: 'mismatch',
      signals: [{ kind: 'charge-order-mismatch' }],
    });
    expect((await orders.read('ord_B')).disputeStatus).toBeUndefined();
    expect((await orders.read('ord_A')).disputeStatus).toBeUndefined();
    expect(await ledger.balance('user_B')).toBe(25);
  });
});

describe('sendOrderEmail: a refund that failed (item 5)', () => {
  async function emails() {
    const ports = await oneOrder('shipped');
    return { ...ports, email: { orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: DEFAULT_PETAL_RATES } };
  }

  it('tells the customer who was told of the refund that it failed, once per reversal', async () => {
    const { email, mailer } = await emails();
    const failed = { template: 'refund-failed' as const, orderId: 'ord_1', amountRefunded: 0, refundedBefore: 2500, emailKey: '2500-0#1' };
    expect(await sendOrderEmail(email, failed)).toMatchObject({ outcome: 'sent' });
    expect(await sendOrderEmail(email, failed)).toMatchObject({ outcome: 'already-sent' });
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toBe('Otaku-mori: refund for order ord_1 failed');
    expect(mailer.sent[0]!.text).toContain('$25.00');
  });

  it('a refund of nothing, or a "failure" that lowered nothing, tells nothing', async () => {
    const { email, mailer } = await emails();
    expect(await sendOrderEmail(email, { template: 'refund', orderId: 'ord_1', amountRefunded: 0 })).toEqual({
      outcome: 'nothing-to-tell',
      signals: [],
    });
    expect(
      await sendOrderEmail(email, {
        template: 'refund-failed',
        orderId: 'ord_1',
        amountRefunded: 1000,
        refundedBefore: 1000,
        emailKey: 'x',
      }),
    ).toEqual({ outcome: 'nothing-to-tell', signals: [] });
    expect(mailer.sent).toEqual([]);
  });

  it("a held payment's refund (payment_mismatch, refunded by an operator) is not told in the order's amount", async () => {
    const ports = memoryPorts();
    // paid 4999 jpy for a 4999 usd order: held, then refunded by an operator (ops hold refund)
    await ports.orders.put(
      anOrder({
        orderId: 'ord_h',
        email: 'held@example.com',
        status: 'refunded',
        holdResolution: { action: 'refunded', at: '2026-11-29T10:00:00.000Z' },
      } as never),
    );
    await ports.orders.put(anOrder({ orderId: 'ord_m', email: 'mismatch@example.com', status: 'payment_mismatch' }));
    const email = { orders: ports.orders, outbox: ports.outbox, mailer: ports.mailer, rates: DEFAULT_PETAL_RATES };
    expect(await sendOrderEmail(email, { template: 'refund', orderId: 'ord_h', amountRefunded: 4999, emailKey: '4999' })).toEqual({
      outcome: 'nothing-to-tell',
      signals: [],
    });
    const failed = { template: 'refund-failed' as const, orderId: 'ord_m', amountRefunded: 0, refundedBefore: 4999, emailKey: '4999-0#1' };
    expect(await sendOrderEmail(email, failed)).toEqual({ outcome: 'nothing-to-tell', signals: [] });
    expect(ports.mailer.sent).toEqual([]);
  });

  it('the same amount refunded again after a failure is a new refund email (emailKey)', async () => {
    const { email, mailer } = await emails();
    await sendOrderEmail(email, { template: 'refund', orderId: 'ord_1', amountRefunded: 2500, emailKey: '2500' });
    await sendOrderEmail(email, { template: 'refund', orderId: 'ord_1', amountRefunded: 2500, emailKey: '2500#1' });
    expect(mailer.sent).toHaveLength(2);
  });
});
