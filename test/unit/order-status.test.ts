import {
  canTransition,
  hasBeenPaid,
  isOrderStatus,
  ORDER_STATUSES,
  statusesThatMayBecome,
  type OrderStatus,
} from '../../lambdas/domain/order-status';

/**
 * The transition table written out again, on purpose: every status write in the system is a
 * conditional write derived from the table, so a change to it must be a deliberate change here too.
 */
const EXPECTED: Record<OrderStatus, OrderStatus[]> = {
  pending: ['paid', 'failed', 'cancelled', 'payment_mismatch'],
  failed: ['paid', 'cancelled', 'payment_mismatch'],
  paid: ['pending_mapping', 'in_production', 'fulfillment_failed', 'refunded'],
  pending_mapping: ['in_production', 'fulfillment_failed', 'refunded'],
  in_production: ['shipped', 'fulfillment_failed', 'refunded'],
  fulfillment_failed: ['in_production', 'pending_mapping', 'refunded'],
  shipped: ['refunded'],
  refunded: [],
  cancelled: ['paid', 'payment_mismatch'],
  payment_mismatch: ['paid', 'refunded'],
};

const ALL_PAIRS = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

describe('order statuses', () => {
  it('are exactly the ten statuses of the design', () => {
    expect([...ORDER_STATUSES].sort()).toEqual([
      'cancelled',
      'failed',
      'fulfillment_failed',
      'in_production',
      'paid',
      'payment_mismatch',
      'pending',
      'pending_mapping',
      'refunded',
      'shipped',
    ]);
  });

  it('isOrderStatus accepts each status and nothing else', () => {
    for (const status of ORDER_STATUSES) expect(isOrderStatus(status)).toBe(true);
    for (const value of ['PAID', 'Paid', ' paid', '', 'complete', undefined, null, 42, {}, ['paid']]) {
      expect(isOrderStatus(value)).toBe(false);
    }
  });
});

describe('canTransition', () => {
  it.each(ALL_PAIRS)('%s -> %s follows the transition table', (from, to) => {
    expect(canTransition(from, to)).toBe(EXPECTED[from].includes(to));
  });

  it('never allows a status to "transition" to itself (a duplicate event must not count as a change)', () => {
    for (const status of ORDER_STATUSES) expect(canTransition(status, status)).toBe(false);
  });

  it.each([
    ['paid', 'pending'],
    ['paid', 'failed'], // a stale payment_failed after success
    ['in_production', 'paid'],
    ['in_production', 'pending_mapping'],
    ['shipped', 'in_production'],
    ['shipped', 'cancelled'],
    ['shipped', 'fulfillment_failed'],
    ['refunded', 'paid'],
    ['refunded', 'in_production'],
    ['cancelled', 'in_production'],
    ['payment_mismatch', 'in_production'], // a held order is printed only after an operator accepts it
    ['payment_mismatch', 'cancelled'], // an expiry never cancels an order whose money was taken
    ['pending', 'in_production'], // nothing is produced before it is paid
    ['pending', 'shipped'],
    ['pending', 'refunded'], // a refund waits for the payment (OrderNotReady)
    ['failed', 'refunded'],
  ] as const)('forbids %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('lets a failed payment be retried into paid (Stripe lets the customer retry the intent)', () => {
    expect(canTransition('failed', 'paid')).toBe(true);
  });

  it('lets an operator retry a failed fulfilment', () => {
    expect(canTransition('fulfillment_failed', 'in_production')).toBe(true);
    expect(canTransition('fulfillment_failed', 'pending_mapping')).toBe(true);
  });

  it('has exactly refunded as terminal state (a cancelled order may still be paid: money taken is never ignored)', () => {
    const terminal = ORDER_STATUSES.filter((from) => ORDER_STATUSES.every((to) => !canTransition(from, to)));
    expect(terminal.sort()).toEqual(['refunded']);
  });

  it('lets a payment for a cancelled order (a recovered or second Checkout session) pay or hold it', () => {
    expect(canTransition('cancelled', 'paid')).toBe(true);
    expect(canTransition('cancelled', 'payment_mismatch')).toBe(true);
  });

  it('reaches every status from pending (no dead entries in the table)', () => {
    const reached = new Set<OrderStatus>(['pending']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [from, to] of ALL_PAIRS) {
        if (reached.has(from) && !reached.has(to) && canTransition(from, to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('never leads from a paid status back to an unpaid one (a paid order ends through a refund)', () => {
    for (const [from, to] of ALL_PAIRS) {
      if (canTransition(from, to) && hasBeenPaid(from)) {
        expect({ from, to, paid: hasBeenPaid(to) }).toEqual({ from, to, paid: true });
      }
    }
  });
});

describe('statusesThatMayBecome (the condition of every status write)', () => {
  it.each([
    ['paid', ['pending', 'failed', 'cancelled', 'payment_mismatch']],
    ['payment_mismatch', ['pending', 'failed', 'cancelled']],
    ['failed', ['pending']],
    ['in_production', ['paid', 'pending_mapping', 'fulfillment_failed']],
    ['pending_mapping', ['paid', 'fulfillment_failed']],
    ['fulfillment_failed', ['paid', 'pending_mapping', 'in_production']],
    ['shipped', ['in_production']],
    ['refunded', ['paid', 'pending_mapping', 'in_production', 'shipped', 'fulfillment_failed', 'payment_mismatch']],
    ['cancelled', ['pending', 'failed']],
    ['pending', []],
  ] as const)('%s may be reached from %j', (to, from) => {
    expect([...statusesThatMayBecome(to)].sort()).toEqual([...from].sort());
  });

  it('agrees with canTransition for every status and never contains the target itself', () => {
    for (const to of ORDER_STATUSES) {
      const from = statusesThatMayBecome(to);
      expect(from).not.toContain(to);
      for (const status of ORDER_STATUSES) expect(from.includes(status)).toBe(canTransition(status, to));
    }
  });

  it('returns a fresh array each time (callers cannot corrupt the table)', () => {
    const first = statusesThatMayBecome('paid');
    first.push('shipped');
    expect(statusesThatMayBecome('paid').sort()).toEqual(['cancelled', 'failed', 'payment_mismatch', 'pending']);
  });
});

describe('hasBeenPaid', () => {
  it.each([
    ['pending', false],
    ['failed', false],
    ['cancelled', false],
    ['payment_mismatch', false],
    ['paid', true],
    ['pending_mapping', true],
    ['in_production', true],
    ['shipped', true],
    ['fulfillment_failed', true],
    ['refunded', true],
  ] as const)('%s -> %s', (status, paid) => {
    expect(hasBeenPaid(status)).toBe(paid);
  });

  it('is true for every status reachable only through paid', () => {
    for (const to of ORDER_STATUSES) {
      const from = statusesThatMayBecome(to);
      if (from.length > 0 && from.every(hasBeenPaid)) expect({ to, paid: hasBeenPaid(to) }).toEqual({ to, paid: true });
    }
  });
});
