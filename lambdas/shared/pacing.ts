import { AsyncLocalStorage } from 'node:async_hooks';
import { lateToleranceMs, slotIntervalMs, waitFor, type QuotaPace, type SlotTicket } from '../domain/rate-slots';
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
 * Slots reserved for a workflow: `seconds` for its Wait state (SecondsPath), `at` (ISO) for the
 * task after it to sleep the sub-second remainder until (sleepUntil), `n` calls from `at` on.
 */
export type PacedSlot = SlotTicket;

/**
 * Reserves `n` slots of `quota` now and says how the workflow waits for them. Throws what the store
 * throws (the task retries; a retried reservation only costs the quota an unused slot).
 */
export async function reserveSlot(deps: PacingDeps, quota: QuotaPace, n: number): Promise<PacedSlot> {
  const now = (deps.now ?? (() => new Date()))();
  const slot = (await deps.rateSlots.reserve(quota.name, n, slotIntervalMs(quota), now))!;
  return { seconds: waitFor(slot.at.getTime(), now.getTime()).seconds, at: slot.at.toISOString(), n };
}

/** Why a SlotGate refused a call: which call (0-based) and how it missed. */
export interface SlotMiss {
  index: number;
  reason: string;
  label?: string;
}

/**
 * The calls one task may make with the slots its workflow reserved and waited for: call k goes at
 * `at + k × interval` (the gate sleeps until then) and only if it starts no later than the quota's
 * lateTolerance after it. A call past its slot, or beyond the `n` reserved, is refused (take()
 * throws and `missed` says why): the task then reserves fresh slots and its workflow waits for
 * them, so that however late a task starts, the calls that reach the provider keep the rate.
 */
export class SlotGate {
  private used = 0;
  missed?: SlotMiss;

  constructor(
    private readonly deps: Pick<PacingDeps, 'now' | 'sleep'>,
    private readonly quota: QuotaPace,
    readonly ticket: { at: string; n: number },
  ) {}

  /** Calls made through the gate so far. */
  get spent(): number {
    return this.used;
  }

  /**
   * At the task's start: whether its first slot is already missed (the task started later than the
   * tolerance after it), so that it re-reserves before reading anything (under load, each read
   * only makes it later). Records `missed`.
   */
  startedLate(): boolean {
    const nowMs = (this.deps.now ?? (() => new Date()))().getTime();
    const late = nowMs - new Date(this.ticket.at).getTime();
    if (this.used === 0 && late > lateToleranceMs(this.quota)) this.missed = { index: 0, reason: `started late by ${late} ms` };
    return this.missed !== undefined;
  }

  /** Before one call: waits for its slot, or throws (and records `missed`) when it cannot go. */
  async take(label?: string): Promise<void> {
    const index = this.used;
    const slotMs = new Date(this.ticket.at).getTime() + index * slotIntervalMs(this.quota);
    const nowMs = (this.deps.now ?? (() => new Date()))().getTime();
    if (index >= this.ticket.n) this.missed = { index, reason: `all ${this.ticket.n} reserved slots spent`, label };
    else if (nowMs - slotMs > lateToleranceMs(this.quota)) this.missed = { index, reason: `late by ${nowMs - slotMs} ms`, label };
    if (this.missed) throw new Error(`${this.quota.name} slot refused: ${this.missed.reason}`);
    this.used++;
    if (slotMs > nowMs) await (this.deps.sleep ?? realSleep)(Math.min(slotMs - nowMs, MAX_IN_TASK_WAIT_MS));
  }
}

const gates = new AsyncLocalStorage<SlotGate>();

/** Runs `fn` with `gate` pacing every call made through takeSlot (gatedFetch) inside it. */
export function withSlotGate<T>(gate: SlotGate, fn: () => Promise<T>): Promise<T> {
  return gates.run(gate, fn);
}

/** Takes the current task's next slot (withSlotGate); outside a gate, nothing to take. */
export async function takeSlot(label?: string): Promise<void> {
  await gates.getStore()?.take(label);
}

/**
 * A fetch that takes a slot before every request made inside withSlotGate: every HTTP request to
 * the provider (a lookup's every page included) spends one reserved slot.
 */
export function gatedFetch(inner: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  return async (input, init) => {
    await takeSlot(`${init?.method ?? 'GET'} ${input instanceof Request ? input.url : String(input)}`);
    return inner(input, init);
  };
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
export async function waitForSlotInTask(deps: PacingDeps, quota: QuotaPace, n = 1): Promise<Date | undefined> {
  const now = (deps.now ?? (() => new Date()))();
  const slot = await deps.rateSlots.reserve(quota.name, n, slotIntervalMs(quota), now, { maxWaitMs: MAX_IN_TASK_WAIT_MS });
  if (!slot) return undefined;
  await sleepUntil(deps, slot.at.toISOString());
  return slot.at;
}

/**
 * waitForSlotInTask, tried again every MAX_IN_TASK_WAIT_MS for up to `budgetMs` of the Lambda's
 * time (a Lambda has 30 s): for a task whose retries run close together (or, locally, at once),
 * so that waiting for a near slot does not spend them. Returns the first slot, or undefined when
 * the budget ran out.
 */
export async function waitForSlotWithin(deps: PacingDeps, quota: QuotaPace, n: number, budgetMs: number): Promise<Date | undefined> {
  const now = deps.now ?? (() => new Date());
  const deadline = now().getTime() + budgetMs;
  for (;;) {
    const at = await waitForSlotInTask(deps, quota, n);
    if (at) return at;
    const left = deadline - now().getTime();
    if (left <= 0) return undefined;
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
