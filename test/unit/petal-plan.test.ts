import fc from 'fast-check';
import { emailOutboxId } from '../../lambdas/domain/keys';
import { BEFORE_PRODUCTION, hasBeenPaid, isBeforeProduction, isOperatorRetryable, ORDER_STATUSES } from '../../lambdas/domain/order-status';
import { DEFAULT_PETAL_RATES, invoicePetalEntry, planOrderPetals, type OrderPetalFacts } from '../../lambdas/domain/petals';

const NOW = '2026-11-26T12:00:00.000Z';
const order = (facts: Partial<OrderPetalFacts> = {}): OrderPetalFacts => ({
  orderId: 'ord_1',
  userId: 'user_1',
  status: 'paid',
  amountTotal: 4999,
  currency: 'usd',
  stripeSessionId: 'cs_1',
  ...facts,
});
const plan = (facts: Partial<OrderPetalFacts> = {}) => planOrderPetals(order(facts), DEFAULT_PETAL_RATES, NOW);

describe('the petal plan', () => {
  it('an unpaid order is settled: nothing to write', () => {
    for (const status of ['pending', 'failed', 'cancelled'] as const) expect(plan({ status })).toEqual({ kind: 'settled' });
  });

  it("a paid order without its award: the purchase bonus, in the seed's entry shape", () => {
    expect(plan()).toEqual({
      kind: 'award',
      petalsAwarded: 49,
      entry: {
        userId: 'user_1',
        entryId: 'purchase#ord_1',
        type: 'purchase_bonus',
        amount: 49,
        reason: 'Purchase bonus',
        source: 'purchase',
        description: 'Purchase bonus for order ord_1',
        metadata: { orderId: 'ord_1', stripeSessionId: 'cs_1', amountCents: 4999, currency: 'usd' },
        createdAt: NOW,
      },
    });
  });

  it('the award names the payment intent when that paid first', () => {
    expect(plan({ stripeSessionId: undefined, paymentIntentId: 'pi_1' })).toMatchObject({
      entry: { metadata: { orderId: 'ord_1', paymentIntentId: 'pi_1' } },
    });
  });

  it('awarded and nothing refunded or disputed: settled', () => {
    expect(plan({ petalsAwarded: 49 })).toEqual({ kind: 'settled' });
  });

  it('a refund: the refunded share beyond what was taken, as a refund deduction keyed by the cumulative amount', () => {
    expect(plan({ petalsAwarded: 49, amountRefunded: 2500, petalsDeducted: 10 })).toEqual({
      kind: 'refund',
      deductedBefore: 10,
      deductedAfter: 24,
      entry: {
        userId: 'user_1',
        entryId: 'refund#ord_1#2500',
        type: 'adjust',
        amount: -14,
        reason: 'Refund deduction',
        source: 'refund',
        description: 'Refund deduction for order ord_1',
        metadata: { orderId: 'ord_1', amountRefunded: 2500, amountCents: 4999, currency: 'usd' },
        createdAt: NOW,
      },
    });
  });

  it('an open dispute holds every petal not yet taken', () => {
    expect(plan({ petalsAwarded: 49, petalsDeducted: 24, amountRefunded: 2500, disputeId: 'dp_1', disputeStatus: 'open' })).toMatchObject({
      kind: 'hold',
      deductedBefore: 24,
      deductedAfter: 49,
      entry: { entryId: 'dispute#ord_1#dp_1', amount: -25, reason: 'Dispute hold', source: 'dispute', metadata: { disputeId: 'dp_1' } },
    });
  });

  it("a lost dispute keeps them held; a won one releases all but the refunds' share", () => {
    expect(plan({ petalsAwarded: 49, petalsDeducted: 49, disputeId: 'dp_1', disputeStatus: 'lost' })).toEqual({ kind: 'settled' });
    expect(plan({ petalsAwarded: 49, petalsDeducted: 49, amountRefunded: 2500, disputeId: 'dp_1', disputeStatus: 'won' })).toMatchObject({
      kind: 'release',
      deductedBefore: 49,
      deductedAfter: 24,
      entry: { entryId: 'dispute-won#ord_1#dp_1', amount: 25, reason: 'Dispute won: petals restored', source: 'dispute' },
    });
  });

  it('a full refund during an open dispute: the hold already took everything', () => {
    expect(plan({ petalsAwarded: 49, petalsDeducted: 49, amountRefunded: 4999, disputeId: 'dp_1', disputeStatus: 'open' })).toEqual({
      kind: 'settled',
    });
  });

  it("following the plan always settles, at the facts' target, within three steps", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(undefined, 'open', 'won', 'lost'),
        (amountTotal, refundedPercent, disputeStatus) => {
          let facts = order({
            amountTotal,
            amountRefunded: Math.floor((amountTotal * refundedPercent) / 100),
            ...(disputeStatus ? { disputeId: 'dp_1', disputeStatus } : {}),
          });
          let balance = 0;
          for (let step = 0; step < 3; step++) {
            const next = planOrderPetals(facts, DEFAULT_PETAL_RATES, NOW);
            if (next.kind === 'settled') break;
            balance += next.entry.amount;
            facts =
              next.kind === 'award' ? { ...facts, petalsAwarded: next.petalsAwarded } : { ...facts, petalsDeducted: next.deductedAfter };
          }
          expect(planOrderPetals(facts, DEFAULT_PETAL_RATES, NOW)).toEqual({ kind: 'settled' });
          expect(balance).toBe((facts.petalsAwarded ?? 0) - (facts.petalsDeducted ?? 0));
          expect(balance).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it("an invoice's entry: one petal per dollar, keyed by the invoice", () => {
    expect(invoicePetalEntry({ userId: 'user_1', invoiceId: 'in_1', amountPaid: 1299, currency: 'usd' }, DEFAULT_PETAL_RATES, NOW)).toEqual(
      {
        userId: 'user_1',
        entryId: 'invoice#in_1',
        type: 'purchase_bonus',
        amount: 12,
        reason: 'Subscription bonus',
        source: 'subscription',
        description: 'Subscription bonus for invoice in_1',
        metadata: { invoiceId: 'in_1', subscriptionId: '', amountCents: 1299, currency: 'usd' },
        createdAt: NOW,
      },
    );
  });
});

describe('status predicates', () => {
  it('before production: paid, waiting for a mapping, or failed; all of them paid', () => {
    expect(ORDER_STATUSES.filter(isBeforeProduction)).toEqual(['paid', 'pending_mapping', 'fulfillment_failed']);
    expect(BEFORE_PRODUCTION.every(hasBeenPaid)).toBe(true);
  });

  it('an operator retries only orders waiting for a mapping or failed', () => {
    expect(ORDER_STATUSES.filter(isOperatorRetryable)).toEqual(['pending_mapping', 'fulfillment_failed']);
  });
});

describe('email outbox ids', () => {
  it('one id per email: per template, failed payment event, refunded amount and parcel', () => {
    expect(emailOutboxId({ template: 'order-confirmation' })).toBe('order-confirmation');
    expect(emailOutboxId({ template: 'payment-failed', eventId: 'evt_1' })).toBe('payment-failed#evt_1');
    expect(emailOutboxId({ template: 'refund', amountRefunded: 2500 })).toBe('refund#2500');
    expect(emailOutboxId({ template: 'shipping', trackingNumber: '1Z' })).toBe('shipping#1Z');
  });
});
