/**
 * The shared pacer of the rate-limited providers (one item per quota, pk `QUOTA#<name>`): every
 * execution and every Lambda reserves its calls here, so that together they stay inside the quota.
 * Arithmetic in lambdas/domain/rate-slots.ts.
 */
export interface RateSlotsPort {
  /**
   * Atomically reserves `n` consecutive slots of `quota`, `intervalMs` apart (slotIntervalMs),
   * starting at the quota's next free slot or at `now`, whichever is later; returns when the first
   * slot starts. With `maxWaitMs`, reserves nothing and returns undefined when the first slot would
   * start more than `maxWaitMs` after `now` (the caller cannot wait that long: it retries later).
   * Errors are the store failing (retry).
   */
  reserve(quota: string, n: number, intervalMs: number, now: Date, options?: { maxWaitMs?: number }): Promise<{ at: Date } | undefined>;
  /**
   * Pushes the quota's next free slot to `until` unless it is later already: the provider said
   * "not before" (a 429's Retry-After), and every execution's next reservation honours it.
   */
  pushBack(quota: string, until: Date): Promise<void>;
}
