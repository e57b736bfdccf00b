/**
 * Sliding-window request counting and limiting, for the local stand-ins of rate-limited services
 * (the Printify stand-in's requests per minute, the local SES's sends per second).
 *
 * Sliding rather than fixed windows: a fixed window lets twice the limit through across a window
 * boundary, so a client that passes here could still be throttled by the real service. With a
 * sliding window, "never more than `limit` in any `windowMs`" holds exactly, and the peak reported
 * is the real peak over any window, not per calendar minute or second.
 */

/**
 * A rate limit: at most `limit` units (requests, recipients) in any `windowMs` milliseconds.
 * A simulation scales time down by shortening the window (60 000 ms -> 1 000 ms) or by lowering
 * the limit (600 a minute -> 60 a minute).
 */
export interface RateLimitOptions {
  /** Units allowed per window (a positive integer). */
  limit?: number;
  /** The window in milliseconds (positive). */
  windowMs?: number;
  /** The clock, in milliseconds (default Date.now): tests inject one instead of waiting. */
  now?: () => number;
}

/** The outcome of RateLimiter.take: admitted, or refused with how long until it would be admitted. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/** Counts units over a sliding window and remembers the most seen in any window. */
export class SlidingWindow {
  #entries: { at: number; units: number }[] = [];
  #total = 0;
  #peak = 0;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(windowMs > 0)) throw new Error(`windowMs must be positive, got ${windowMs}`);
  }

  /** Units counted in the window that ends now. */
  total(): number {
    this.#expire(this.now());
    return this.#total;
  }

  /** The most units counted in any window so far (0 before the first). */
  get peak(): number {
    return this.#peak;
  }

  /** Counts `units` now. */
  add(units = 1): void {
    const at = this.now();
    this.#expire(at);
    this.#entries.push({ at, units });
    this.#total += units;
    // The total only grows when a unit is added, so its maximum over time is seen here.
    this.#peak = Math.max(this.#peak, this.#total);
  }

  /** Milliseconds until at least `units` more fit under `limit` (0: they fit now). */
  waitFor(units: number, limit: number): number {
    const at = this.now();
    this.#expire(at);
    let total = this.#total;
    for (const entry of this.#entries) {
      if (total + units <= limit) break;
      total -= entry.units;
      if (total + units <= limit) return entry.at + this.windowMs - at;
    }
    return total + units <= limit ? 0 : this.windowMs;
  }

  /** Forgets every unit and the peak. */
  reset(): void {
    this.#entries = [];
    this.#total = 0;
    this.#peak = 0;
  }

  #expire(at: number): void {
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.at <= at - this.windowMs) {
      this.#total -= this.#entries[drop]!.units;
      drop += 1;
    }
    if (drop > 0) this.#entries.splice(0, drop);
  }
}

/** Admits at most `limit` units in any window of `windowMs`; what it refuses is not counted. */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #admitted: SlidingWindow;

  /** Throws when `limit` is not a positive integer or `windowMs` is not positive. */
  constructor(options: Required<Pick<RateLimitOptions, 'limit' | 'windowMs'>> & Pick<RateLimitOptions, 'now'>) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error(`limit must be a positive integer, got ${options.limit}`);
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.#admitted = new SlidingWindow(options.windowMs, options.now);
  }

  /**
   * Admits `units` (default 1) if they fit in the window that ends now. A request larger than the
   * limit itself never fits: it is refused with a whole window to wait.
   */
  take(units = 1): RateDecision {
    const wait = this.#admitted.waitFor(units, this.limit);
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    this.#admitted.add(units);
    return { ok: true };
  }

  /** The most units admitted in any window so far: never above `limit`. */
  get peak(): number {
    return this.#admitted.peak;
  }

  /** Forgets what was admitted (a new window starts at the next request) and the peak. */
  reset(): void {
    this.#admitted.reset();
  }
}

/** A wait in milliseconds as a `Retry-After` value: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Reads a positive integer from the environment variable `name`; undefined when unset or empty.
 * Throws, naming the variable, when it is set to anything else.
 */
function positiveIntFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/**
 * A rate limit from two environment variables: `limitVar` (units per window) and `windowVar`
 * (milliseconds); each left out when unset. Throws, naming the variable, on a value that is not a
 * positive integer.
 */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv, limitVar: string, windowVar: string): RateLimitOptions {
  const limit = positiveIntFromEnv(env, limitVar);
  const windowMs = positiveIntFromEnv(env, windowVar);
  return { ...(limit === undefined ? {} : { limit }), ...(windowMs === undefined ? {} : { windowMs }) };
}
