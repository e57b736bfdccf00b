import { RateLimiter, rateLimitFromEnv, retryAfterSeconds, SlidingWindow } from '../../local/rate-limit';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SlidingWindow', () => {
  it('counts what is in the window that ends now, and keeps the peak over any window', () => {
    const clock = manualClock();
    const window = new SlidingWindow(1_000, clock.now);
    window.add(2);
    clock.advance(600);
    window.add();
    expect(window.total()).toBe(3);
    clock.advance(400); // the first two leave exactly one window after they came
    expect(window.total()).toBe(1);
    window.add();
    expect(window.total()).toBe(2);
    expect(window.peak).toBe(3);
    window.reset();
    expect([window.total(), window.peak]).toEqual([0, 0]);
  });

  it('says how long until more units fit under a limit', () => {
    const clock = manualClock();
    const window = new SlidingWindow(1_000, clock.now);
    window.add(); // t = 0
    clock.advance(300);
    window.add(); // t = 300
    expect(window.waitFor(1, 3)).toBe(0);
    expect(window.waitFor(1, 2)).toBe(700); // when the first leaves
    expect(window.waitFor(2, 2)).toBe(1_000); // when both have left
    expect(window.waitFor(3, 2)).toBe(1_000); // never fits: a whole window
  });

  it('refuses a window that is not positive', () => {
    expect(() => new SlidingWindow(0)).toThrow('windowMs must be positive');
  });
});

describe('RateLimiter', () => {
  it('admits up to the limit in any window, and does not count what it refuses', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, now: clock.now });
    expect(limiter.take()).toEqual({ ok: true });
    clock.advance(10_000);
    expect(limiter.take()).toEqual({ ok: true });
    expect(limiter.take()).toEqual({ ok: false, retryAfterMs: 50_000 });
    clock.advance(50_000);
    expect(limiter.take()).toEqual({ ok: true }); // the refused one did not hold a place
    expect(limiter.take()).toEqual({ ok: false, retryAfterMs: 10_000 });
    expect(limiter.peak).toBe(2);
  });

  it('takes several units at once (SES counts recipients)', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 14, windowMs: 1_000, now: clock.now });
    expect(limiter.take(10).ok).toBe(true);
    expect(limiter.take(5).ok).toBe(false);
    expect(limiter.take(4).ok).toBe(true);
    expect(limiter.peak).toBe(14);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new RateLimiter({ limit: 0, windowMs: 1_000 })).toThrow('limit must be a positive integer');
    expect(() => new RateLimiter({ limit: 1.5, windowMs: 1_000 })).toThrow('limit must be a positive integer');
  });
});

describe('Retry-After and the environment', () => {
  it('rounds a wait up to whole seconds, at least 1', () => {
    expect([0, 1, 999, 1_000, 1_001, 59_500].map(retryAfterSeconds)).toEqual([1, 1, 1, 1, 2, 60]);
  });

  it('reads a limit and a window from two variables, naming a bad one', () => {
    expect(rateLimitFromEnv({ L: '60', W: ' ' }, 'L', 'W')).toEqual({ limit: 60 });
    expect(() => rateLimitFromEnv({ L: '60', W: '1.5' }, 'L', 'W')).toThrow('W must be a positive integer, got "1.5"');
  });
});
