/**
 * Printify's rate limit and error-rate rule, as the stand-in enforces and measures them.
 *
 * Printify documents a limit of 600 requests a minute for an integration (its access token), a
 * 429 over it, and asks that responses with an error stay under 5 % of an integration's requests
 * (see docs/scaling.md). Printify does not document how it counts the minute; the stand-in uses a
 * sliding window (local/rate-limit.ts), the strictest reading, and answers a refused request 429
 * with Printify's error body and `Retry-After` in whole seconds (at least 1).
 */
import { rateLimitFromEnv, RateLimiter, retryAfterSeconds, SlidingWindow, type RateLimitOptions } from '../rate-limit';
import { printifyError, type Reply } from './replies';

/** Printify's documented limit: 600 requests ... */
export const PRINTIFY_RATE_LIMIT = 600;
/** ... a minute. */
export const PRINTIFY_RATE_WINDOW_MS = 60_000;

/**
 * What the stand-in has answered on Printify's API (/v1) since it started or was reset, for a
 * bench or a test to hold against Printify's rules (limit, and errors under 5 %).
 */
export interface PrintifyTrafficStats {
  /** API requests answered, refused ones included. */
  requests: number;
  /** 429 answers: refused by the rate limit, or injected as a fault. */
  tooManyRequests: number;
  /** Of those, refused by the rate limit. */
  rateLimited: number;
  /** 4xx answers, the 429s included. */
  clientErrors: number;
  /** 5xx answers. */
  serverErrors: number;
  /** (clientErrors + serverErrors) / requests; 0 before the first request. Printify asks for < 0.05. */
  errorRate: number;
  /** The most requests admitted in any window of `windowMs`: never above `limit`. */
  peakPerWindow: number;
  /** The most requests received in any window of `windowMs`, refused ones included. */
  peakReceivedPerWindow: number;
  /** The limit enforced: requests per window. */
  limit: number;
  /** The window, in milliseconds (60 000: a minute, unless a simulation scales time down). */
  windowMs: number;
}

/**
 * The limit from PRINTIFY_RATE_LIMIT_PER_MINUTE (requests per window) and
 * PRINTIFY_RATE_LIMIT_WINDOW_MS (the window; a minute unless set). Throws on a value that is not a
 * positive integer.
 */
export function printifyRateLimitFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitOptions {
  return rateLimitFromEnv(env, 'PRINTIFY_RATE_LIMIT_PER_MINUTE', 'PRINTIFY_RATE_LIMIT_WINDOW_MS');
}

/** The rate limit and the counts of one stand-in. */
export class PrintifyQuota {
  readonly #limiter: RateLimiter;
  readonly #received: SlidingWindow;
  #counts = { requests: 0, tooManyRequests: 0, rateLimited: 0, clientErrors: 0, serverErrors: 0 };

  /** Defaults: Printify's 600 requests a minute. Throws on a limit that is not a positive integer. */
  constructor(options: RateLimitOptions = {}) {
    const limit = options.limit ?? PRINTIFY_RATE_LIMIT;
    const windowMs = options.windowMs ?? PRINTIFY_RATE_WINDOW_MS;
    this.#limiter = new RateLimiter({ limit, windowMs, ...(options.now ? { now: options.now } : {}) });
    this.#received = new SlidingWindow(windowMs, options.now);
  }

  /** Counts a request against the limit: undefined when admitted, else the 429 to answer. */
  admit(): Reply | undefined {
    this.#received.add();
    const decision = this.#limiter.take();
    if (decision.ok) return undefined;
    this.#counts.rateLimited += 1;
    return {
      status: 429,
      body: printifyError(429, 'Too Many Requests.', 'Rate limit exceeded. Retry later.'),
      headers: { 'retry-after': String(retryAfterSeconds(decision.retryAfterMs)) },
    };
  }

  /** Counts an answer's status. */
  record(status: number): void {
    this.#counts.requests += 1;
    if (status === 429) this.#counts.tooManyRequests += 1;
    if (status >= 400 && status < 500) this.#counts.clientErrors += 1;
    if (status >= 500) this.#counts.serverErrors += 1;
  }

  /** The counts and peaks so far (a new object). */
  stats(): PrintifyTrafficStats {
    const { requests, clientErrors, serverErrors } = this.#counts;
    return {
      ...this.#counts,
      errorRate: requests === 0 ? 0 : (clientErrors + serverErrors) / requests,
      peakPerWindow: this.#limiter.peak,
      peakReceivedPerWindow: this.#received.peak,
      limit: this.#limiter.limit,
      windowMs: this.#limiter.windowMs,
    };
  }

  /** Starts counting afresh: no request in the window, counts and peaks at 0. */
  reset(): void {
    this.#limiter.reset();
    this.#received.reset();
    this.#counts = { requests: 0, tooManyRequests: 0, rateLimited: 0, clientErrors: 0, serverErrors: 0 };
  }
}
