import {
  lateToleranceMs,
  parseSlotMessage,
  PRINTIFY_QUOTA,
  SES_QUOTA,
  printifyCallsPerOrder,
  reserveSlots,
  slotIntervalMs,
  slotMessage,
  waitFor,
} from '../../lambdas/domain/rate-slots';
import { quotaFromEnv } from '../../lambdas/shared/pacing';

describe('rate slots arithmetic', () => {
  it('spaces slots by window / (limit × headroom): Printify 540 a minute, SES 12.6 a second', () => {
    expect(slotIntervalMs(PRINTIFY_QUOTA)).toBeCloseTo(60_000 / 540, 6);
    expect(slotIntervalMs(SES_QUOTA)).toBeCloseTo(1000 / 12.6, 6);
    expect(() => slotIntervalMs({ ...PRINTIFY_QUOTA, limit: 0 })).toThrow(RangeError);
    expect(() => slotIntervalMs({ ...PRINTIFY_QUOTA, headroom: 1.5 })).toThrow(RangeError);
  });

  it('reserves from the next free slot, or from now when the quota is new or idle', () => {
    expect(reserveSlots(undefined, 1000, 2, 100)).toEqual({ startMs: 1000, nextFreeMs: 1200 });
    expect(reserveSlots(5000, 1000, 1, 100)).toEqual({ startMs: 5000, nextFreeMs: 5100 });
    expect(reserveSlots(500, 1000, 1, 100)).toEqual({ startMs: 1000, nextFreeMs: 1100 });
    expect(() => reserveSlots(undefined, 0, 0, 100)).toThrow(RangeError);
  });

  it('a backlog never exceeds the paced rate in any window: n reservations span n intervals', () => {
    let next: number | undefined;
    const starts: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const r = reserveSlots(next, 0, 1, slotIntervalMs(PRINTIFY_QUOTA));
      starts.push(r.startMs);
      next = r.nextFreeMs;
    }
    const perWindow = (from: number) => starts.filter((t) => t >= from && t < from + 60_000).length;
    // 540, plus one when a slot lands on the window's edge (floating point): far under Printify's 600
    expect(Math.max(...[0, 30_000, 60_000, 90_000].map(perWindow))).toBeLessThanOrEqual(541);
  });

  it('splits a wait into whole seconds for the Wait state and the sub-second rest for the task', () => {
    expect(waitFor(3_250, 0)).toEqual({ seconds: 3, remainderMs: 250 });
    expect(waitFor(999, 0)).toEqual({ seconds: 0, remainderMs: 999 });
    expect(waitFor(0, 5_000)).toEqual({ seconds: 0, remainderMs: 0 });
  });

  it('an order makes two Printify calls, one when the shop auto-approves', () => {
    expect(printifyCallsPerOrder(true)).toBe(2);
    expect(printifyCallsPerOrder(false)).toBe(1);
  });

  it('reads a quota from the environment, keeping the defaults for unset values', () => {
    expect(quotaFromEnv(PRINTIFY_QUOTA, 'PRINTIFY_PACE', {})).toEqual(PRINTIFY_QUOTA);
    expect(quotaFromEnv(PRINTIFY_QUOTA, 'PRINTIFY_PACE', { PRINTIFY_PACE_LIMIT: '60', PRINTIFY_PACE_WINDOW_MS: '6000' })).toEqual({
      ...PRINTIFY_QUOTA,
      limit: 60,
      windowMs: 6000,
    });
    expect(() => quotaFromEnv(SES_QUOTA, 'SES_PACE', { SES_PACE_LIMIT: 'many' })).toThrow(RangeError);
  });
});

describe('lateToleranceMs: how late a reserved call may start without any window over the limit', () => {
  it("is W × (1/headroom − 1) − one interval: 6,555 ms against Printify's minute, 31 ms against SES's second", () => {
    expect(lateToleranceMs(PRINTIFY_QUOTA)).toBe(6555);
    expect(lateToleranceMs(SES_QUOTA)).toBe(31);
    expect(lateToleranceMs({ ...PRINTIFY_QUOTA, headroom: 1 })).toBe(0);
  });

  it('holds: calls each up to the tolerance late never put more than the limit in any window', () => {
    const quota = { name: 'q', limit: 60, windowMs: 6000, headroom: 0.75 };
    const interval = slotIntervalMs(quota);
    const tolerance = lateToleranceMs(quota);
    // the worst case: early slots called as late as allowed, later ones on time, bunching the calls
    const calls = Array.from({ length: 400 }, (_, k) => k * interval + (k % 7 < 3 ? tolerance : 0)).sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < calls.length; i++) {
      while (calls[i]! - calls[j]! >= quota.windowMs) j++;
      peak = Math.max(peak, i - j + 1);
    }
    expect(peak).toBeLessThanOrEqual(quota.limit);
  });

  it('a SlotMissed message carries the fresh slot in fields 1-3, as the state machine splits it', () => {
    const message = slotMessage({ seconds: 3, at: '2026-11-29T17:00:00.000Z', n: 2 }, 'late by 10|000 ms');
    expect(message).toBe('slot|3|2026-11-29T17:00:00.000Z|2|late by 10/000 ms');
    expect(parseSlotMessage(message)).toEqual({ seconds: 3, at: '2026-11-29T17:00:00.000Z', n: 2 });
  });
});
