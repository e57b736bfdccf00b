import { disputeEventIsNewer, disputeOutcome } from '../../lambdas/domain/disputes';
import { DEFAULT_PETAL_RATES, planOrderPetals } from '../../lambdas/domain/petals';
import { amountRefundedOf, CHARGE_TOTAL, mergeRefunds } from '../../lambdas/domain/refunds';

describe('refund arithmetic keyed on Refund objects', () => {
  it('counts succeeded, pending and requires_action; not failed, canceled or unknown', () => {
    expect(
      amountRefundedOf({
        re_1: { amount: 100, status: 'succeeded', at: 1 },
        re_2: { amount: 200, status: 'pending', at: 1 },
        re_3: { amount: 400, status: 'requires_action', at: 1 },
        re_4: { amount: 800, status: 'failed', at: 1 },
        re_5: { amount: 1600, status: 'canceled', at: 1 },
        re_6: { amount: 3200, status: 'a_future_status', at: 1 },
      }),
    ).toBe(700);
  });

  it("a status later in a refund's life wins whatever the arrival order; a late pending never undoes a failure", () => {
    const pending = { re_1: { amount: 100, status: 'pending', at: 1 } };
    const succeeded = { re_1: { amount: 100, status: 'succeeded', at: 2 } };
    const failed = { re_1: { amount: 100, status: 'failed', at: 3 } };
    expect(mergeRefunds(mergeRefunds(mergeRefunds(undefined, failed), succeeded), pending)).toEqual(failed);
    expect(mergeRefunds(mergeRefunds(mergeRefunds(undefined, pending), succeeded), failed)).toEqual(failed);
  });

  it("a charge's cumulative figure: the newest wins, less the refunds that failed after it", () => {
    const ledger = mergeRefunds(
      { [CHARGE_TOTAL]: { amount: 2500, status: 'succeeded', at: 10 } },
      { [CHARGE_TOTAL]: { amount: 1000, status: 'succeeded', at: 5 } },
    );
    expect(amountRefundedOf(ledger)).toBe(2500);
    expect(amountRefundedOf({ ...ledger, re_1: { amount: 1500, status: 'failed', at: 20 } })).toBe(1000);
    // a failure the figure already reflects (reported before it) is not taken off again
    expect(amountRefundedOf({ ...ledger, re_1: { amount: 1500, status: 'failed', at: 9 } })).toBe(2500);
  });

  it('a failure in the same second as the figure is taken off it; one of a refund made after the figure is not', () => {
    const total = { [CHARGE_TOTAL]: { amount: 2500, status: 'succeeded', at: 10 } };
    expect(amountRefundedOf({ ...total, re_2: { amount: 1500, status: 'failed', at: 10 } })).toBe(1000);
    expect(amountRefundedOf({ ...total, re_2: { amount: 1500, status: 'failed', at: 10, created: 10 } })).toBe(1000);
    // refund made after the figure: the figure never counted it, so its failure takes nothing off
    const before = { [CHARGE_TOTAL]: { amount: 1000, status: 'succeeded', at: 5 } };
    expect(amountRefundedOf({ ...before, re_2: { amount: 1500, status: 'failed', at: 10, created: 8 } })).toBe(1000);
    // a same-second figure that already reflects the failure (another refund made then) is floored by the refunds known to count
    expect(
      amountRefundedOf({
        [CHARGE_TOTAL]: { amount: 1500, status: 'succeeded', at: 10 },
        re_1: { amount: 1000, status: 'succeeded', at: 1 },
        re_2: { amount: 1500, status: 'failed', at: 10, created: 5 },
        re_3: { amount: 500, status: 'succeeded', at: 10 },
      }),
    ).toBe(1500);
  });

  it("merging keeps a refund's own created time whichever event brought it", () => {
    const created = mergeRefunds(
      { re_1: { amount: 100, status: 'pending', at: 1, created: 1 } },
      { re_1: { amount: 100, status: 'failed', at: 5 } },
    );
    expect(created.re_1).toEqual({ amount: 100, status: 'failed', at: 5, created: 1 });
  });
});

describe('dispute statuses and order', () => {
  it.each([
    ['warning_needs_response', 'open'],
    ['warning_under_review', 'open'],
    ['needs_response', 'open'],
    ['under_review', 'open'],
    ['won', 'won'],
    ['warning_closed', 'won'],
    ['prevented', 'won'],
    ['lost', 'lost'],
    ['charge_refunded', undefined],
    ['constructor', undefined],
  ])('%s -> %s', (status, outcome) => {
    expect(disputeOutcome(status)).toBe(outcome);
  });

  it('the newest event wins; a closed status is final for its dispute; another dispute may follow', () => {
    const shown = { disputeId: 'dp_1', disputeStripeStatus: 'won', disputeEventAt: 200 };
    expect(disputeEventIsNewer(shown, { disputeId: 'dp_1', stripeStatus: 'lost', at: 100 })).toBe(false);
    expect(disputeEventIsNewer(shown, { disputeId: 'dp_1', stripeStatus: 'needs_response', at: 300 })).toBe(false);
    expect(disputeEventIsNewer(shown, { disputeId: 'dp_2', stripeStatus: 'needs_response', at: 300 })).toBe(true);
    const open = { disputeId: 'dp_1', disputeStripeStatus: 'needs_response', disputeEventAt: 200 };
    expect(disputeEventIsNewer(open, { disputeId: 'dp_1', stripeStatus: 'under_review', at: 100 })).toBe(false);
    expect(disputeEventIsNewer(open, { disputeId: 'dp_1', stripeStatus: 'lost', at: 100 })).toBe(true);
  });
});

describe('the petal plan after a refund fails', () => {
  const order = {
    orderId: 'ord_1',
    userId: 'user_1',
    status: 'shipped' as const,
    amountTotal: 2500,
    currency: 'usd',
    amountRefunded: 0,
    petalsAwarded: 25,
    petalsDeducted: 25,
  };
  it('restores what the failed refund took (not a dispute release)', () => {
    expect(planOrderPetals(order, DEFAULT_PETAL_RATES, '2026-11-26T12:00:00.000Z')).toMatchObject({
      kind: 'restore',
      deductedBefore: 25,
      deductedAfter: 0,
      entry: { entryId: 'refund-restored#ord_1#0', amount: 25, source: 'refund', reason: 'Refund failed: petals restored' },
    });
  });
});
