import { slotIntervalMs, waitFor, type QuotaPace } from '../domain/rate-slots';
import type { RateSlotsPort } from '../ports/rate-slots';

/** What the pacing helpers depend on: the shared quota items, a clock and a sleep (tests fake both). */
export interface PacingDeps {
  rateSlots: RateSlotsPort;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The longest a task sleeps in its own Lambda for a slot, milliseconds: what a Wait state left over
 * (under a second), or an SES slot a few seconds away. Longer waits belong to a Wait state (a
 * fulfilment order) or to a retry (TransientError), never to billed Lambda time.
 */
export const MAX_IN_TASK_WAIT_MS = 5_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A slot reserved for a workflow: `seconds` for its Wait state (SecondsPath), `at` (ISO) for the
 * task after it to sleep the sub-second remainder until (sleepUntil).
 */
export interface PacedSlot {
  seconds: number;
  at: string;
}

/**
 * Reserves `n` slots of `quota` now and says how the workflow waits for them. Throws what the store
 * throws (the task retries; a retried reservation only costs the quota an unused slot).
 */
export async function reserveSlot(deps: PacingDeps, quota: QuotaPace, n: number): Promise<PacedSlot> {
  const now = (deps.now ?? (() => new Date()))();
  const slot = (await deps.rateSlots.reserve(quota.name, n, slotIntervalMs(quota), now))!;
  return { seconds: waitFor(slot.at.getTime(), now.getTime()).seconds, at: slot.at.toISOString() };
}

/**
 * Sleeps until `at` (ISO) when it is in the future, at most MAX_IN_TASK_WAIT_MS (a slot further
 * away means the clock moved: going a little early is what the quota's headroom is for).
 */
export async function sleepUntil(deps: Pick<PacingDeps, 'now' | 'sleep'>, at: string | undefined): Promise<void> {
  if (!at) return;
  const ms = Math.min(new Date(at).getTime() - (deps.now ?? (() => new Date()))().getTime(), MAX_IN_TASK_WAIT_MS);
  if (ms > 0) await (deps.sleep ?? realSleep)(ms);
}

/**
 * For a task that has no Wait state before it (an email outside the fulfilment workflow, the
 * Printify webhook's shipping email, a retried Printify order): reserves `n` slots (default 1) if it starts within MAX_IN_TASK_WAIT_MS and
 * sleeps until it; returns false when the quota is booked further ahead than that (nothing
 * reserved: the caller retries later — a workflow task throws TransientError, a webhook answers 503).
 */
export async function waitForSlotInTask(deps: PacingDeps, quota: QuotaPace, n = 1): Promise<boolean> {
  const now = (deps.now ?? (() => new Date()))();
  const slot = await deps.rateSlots.reserve(quota.name, n, slotIntervalMs(quota), now, { maxWaitMs: MAX_IN_TASK_WAIT_MS });
  if (!slot) return false;
  await sleepUntil(deps, slot.at.toISOString());
  return true;
}

/**
 * waitForSlotInTask, tried again every MAX_IN_TASK_WAIT_MS for up to `budgetMs` of the Lambda's
 * time (a Lambda has 30 s): for a task whose retries run close together (or, locally, at once),
 * so that waiting for a near slot does not spend them. Returns false when the budget ran out.
 */
export async function waitForSlotWithin(deps: PacingDeps, quota: QuotaPace, n: number, budgetMs: number): Promise<boolean> {
  const now = deps.now ?? (() => new Date());
  const deadline = now().getTime() + budgetMs;
  for (;;) {
    if (await waitForSlotInTask(deps, quota, n)) return true;
    const left = deadline - now().getTime();
    if (left <= 0) return false;
    await (deps.sleep ?? realSleep)(Math.min(MAX_IN_TASK_WAIT_MS, left));
  }
}

/**
 * A quota from the environment: `<PREFIX>_LIMIT` calls per `<PREFIX>_WINDOW_MS` (the stack sets
 * both from the stage; locally a bench scales them), the pacer's headroom from `<PREFIX>_HEADROOM`.
 * Unset values keep `defaults`. Throws RangeError for values that are not positive numbers.
 */
export function quotaFromEnv(defaults: QuotaPace, prefix: string, env: NodeJS.ProcessEnv = process.env): QuotaPace {
  const read = (suffix: string, fallback: number) => {
    const raw = env[`${prefix}_${suffix}`];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!(value > 0)) throw new RangeError(`${prefix}_${suffix}: a positive number, not ${raw}`);
    return value;
  };
  const quota = {
    ...defaults,
    limit: read('LIMIT', defaults.limit),
    windowMs: read('WINDOW_MS', defaults.windowMs),
    headroom: read('HEADROOM', defaults.headroom),
  };
  slotIntervalMs(quota);
  return quota;
}
