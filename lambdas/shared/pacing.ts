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
  /** the slot of call `baseIndex` (epoch ms): the ticket's, or a near slot reserved in the task */
  private baseMs: number;
  private baseIndex = 0;
  private n: number;
  missed?: SlotMiss;

  constructor(
    private readonly deps: Pick<PacingDeps, 'now' | 'sleep'> & { rateSlots?: RateSlotsPort },
    private readonly quota: QuotaPace,
    readonly ticket: { at: string; n: number },
  ) {
    this.baseMs = new Date(ticket.at).getTime();
    this.n = ticket.n;
  }

  private nowMs(): number {
    return (this.deps.now ?? (() => new Date()))().getTime();
  }

  private slotMs(index: number): number {
    return this.baseMs + (index - this.baseIndex) * slotIntervalMs(this.quota);
  }

  /**
   * A missed call may still go in this task when the quota has a fresh slot within NEAR_SLOT_MS
   * (an idle quota: a task that started a little late needs no loop): reserves the calls left
   * from `index` on there. Returns false when the quota is booked further ahead (a backlog: the
   * workflow's Wait is the place to wait) or the gate has no store.
   */
  private async reserveNear(index: number): Promise<boolean> {
    if (!this.deps.rateSlots) return false;
    const need = index >= this.n ? 1 : this.n - index;
    const now = new Date(this.nowMs());
    const slot = await this.deps.rateSlots.reserve(this.quota.name, need, slotIntervalMs(this.quota), now, { maxWaitMs: NEAR_SLOT_MS });
    if (!slot) return false;
    this.baseMs = slot.at.getTime();
    this.baseIndex = index;
    this.n = index + need;
    return true;
  }

  /** Why call `index` cannot go now, if it cannot. */
  private missOf(index: number, label?: string): SlotMiss | undefined {
    if (index >= this.n) return { index, reason: `all ${this.n} reserved slots spent`, label };
    const late = this.nowMs() - this.slotMs(index);
    return late > lateToleranceMs(this.quota) ? { index, reason: `late by ${Math.round(late)} ms`, label } : undefined;
  }

  /**
   * At the task's start: whether its first slot is already missed (the task started later than the
   * tolerance after it) with no near slot to take instead, so that it re-reserves before reading
   * anything (under load, each read only makes it later). Records `missed`.
   */
  async startedLate(): Promise<boolean> {
    const miss = this.used === 0 ? this.missOf(0) : undefined;
    if (miss && !(await this.reserveNear(0))) this.missed = { ...miss, reason: `started ${miss.reason}` };
    return this.missed !== undefined;
  }

  /** Before one call: waits for its slot, or throws (and records `missed`) when it cannot go. */
  async take(label?: string): Promise<void> {
    const index = this.used;
    const miss = this.missOf(index, label);
    if (miss && !(await this.reserveNear(index))) this.missed = miss;
    if (this.missed) throw new Error(`${this.quota.name} slot refused: ${this.missed.reason}`);
    this.used++;
    const wait = this.slotMs(index) - this.nowMs();
    if (wait > 0) await (this.deps.sleep ?? realSleep)(Math.min(wait, MAX_IN_TASK_WAIT_MS));
  }
}

/**
 * How far ahead a task that missed its slot may take a fresh one and wait for it in its own Lambda,
 * milliseconds: under a second of billed sleep instead of three transitions, when the quota is not
 * backlogged.
 */
export const NEAR_SLOT_MS = 1000;

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
