/**
 * Pacing arithmetic for the shared quotas (Printify's API, SES's sending rate): a quota is a number
 * of calls per window, spent one slot at a time. Every execution reserves its slots from one shared
 * "next free slot" time (the RateSlotsPort), so that calls are spaced `windowMs / limit` apart
 * whatever the number of executions, and a backlog waits its turn instead of being refused.
 * Pure: times are epoch milliseconds, nothing here reads a clock.
 */

/** One quota as the pipeline paces it. */
export interface QuotaPace {
  /** the quota item's name (`QUOTA#<name>`), e.g. `printify`, `ses` */
  readonly name: string;
  /** calls the provider allows per window (Printify: 600 per 60,000 ms; SES: the account's rate per 1,000 ms) */
  readonly limit: number;
  /** the provider's window, milliseconds */
  readonly windowMs: number;
  /**
   * the share of the limit the pacer hands out (0 < headroom <= 1); the rest is left for calls
   * outside the reservations: a retry's lookup, a retried call, an operator's command
   */
  readonly headroom: number;
}

/**
 * The default share of a quota the pacer reserves: 90 %. The other 10 % absorbs unreserved calls
 * (a retry's lookup by external_id, a retried send) and the sub-second jitter of when a reserved
 * call actually starts, so that the provider's limit itself is never reached.
 */
export const DEFAULT_HEADROOM = 0.9;

/**
 * Printify: 600 requests a minute per integration (https://developers.printify.com/#rate-limits:
 * "600 requests per minute", and error responses must stay under 5 % of requests).
 */
export const PRINTIFY_QUOTA: QuotaPace = { name: 'printify', limit: 600, windowMs: 60_000, headroom: DEFAULT_HEADROOM };

/**
 * SES: the account's maximum send rate, 14 emails a second for a new production account
 * (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas.html).
 */
export const SES_QUOTA: QuotaPace = { name: 'ses', limit: 14, windowMs: 1000, headroom: DEFAULT_HEADROOM };

/**
 * Milliseconds between two reserved slots: windowMs / (limit × headroom). Printify's defaults give
 * 111.1 ms (540 a minute), SES's 79.4 ms (12.6 a second). Throws RangeError for a limit, window or
 * headroom that is not positive (a configuration error: fix the stage's values).
 */
export function slotIntervalMs(quota: QuotaPace): number {
  if (!(quota.limit > 0) || !(quota.windowMs > 0) || !(quota.headroom > 0) || quota.headroom > 1) {
    throw new RangeError(`quota ${quota.name}: limit, windowMs and headroom must be positive (headroom at most 1)`);
  }
  return quota.windowMs / (quota.limit * quota.headroom);
}

/** A reservation of `n` consecutive slots. */
export interface Reservation {
  /** when the first reserved slot starts, epoch ms (now when the quota is idle) */
  readonly startMs: number;
  /** the quota's next free slot after this reservation, epoch ms (what the quota item stores) */
  readonly nextFreeMs: number;
}

/**
 * Reserves `n` slots: from `nextFreeMs` (the quota item's value; undefined for a new quota), or
 * from now when that is in the past (an idle quota keeps no credit: a burst after a quiet hour is
 * paced like any other). Throws RangeError for n < 1.
 */
export function reserveSlots(nextFreeMs: number | undefined, nowMs: number, n: number, intervalMs: number): Reservation {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot reserve ${n} slots`);
  const startMs = nextFreeMs === undefined || nextFreeMs < nowMs ? nowMs : nextFreeMs;
  return { startMs, nextFreeMs: startMs + n * intervalMs };
}

/**
 * How a caller waits for a slot that starts at `startMs`: `seconds` whole seconds in a Step
 * Functions Wait state (SecondsPath takes a non-negative integer), then `remainderMs` (< 1,000)
 * inside the task itself, so that the call starts at its slot and not up to a second early or
 * late. Both are 0 for a slot already due.
 */
export function waitFor(startMs: number, nowMs: number): { seconds: number; remainderMs: number } {
  const totalMs = Math.max(0, Math.ceil(startMs - nowMs));
  const seconds = Math.floor(totalMs / 1000);
  return { seconds, remainderMs: totalMs - seconds * 1000 };
}

/**
 * The calls one order makes to Printify on its first attempt: create the order, then
 * send_to_production — or only the create when the shop's auto-approval sends it to production.
 */
export const printifyCallsPerOrder = (sendToProduction: boolean): number => (sendToProduction ? 2 : 1);

/**
 * How late a reserved call may still start, milliseconds, with no window of the provider ever
 * holding more than its limit: calls spaced `interval` apart that each start within D of their
 * slot put at most (W + D) / interval + 1 calls in any window W, which is <= limit when
 * D = W × (1 / headroom − 1) − interval. Printify's defaults give 6,555 ms, SES's 31 ms; a call
 * later than that is not made: its task reserves a fresh slot and waits for it (a Wait state).
 */
export function lateToleranceMs(quota: QuotaPace): number {
  return Math.max(0, Math.floor(quota.windowMs * (1 / quota.headroom - 1) - slotIntervalMs(quota)));
}

/** A slot handed to a workflow: whole `seconds` for its Wait state, `at` (ISO) and `n` reserved calls. */
export interface SlotTicket {
  seconds: number;
  at: string;
  n: number;
}

/**
 * The message of a SlotMissed error, which carries the fresh slot to the workflow: `slot|<seconds>|
 * <at>|<n>|<why>`. The state machine reads fields 1-3 with States.StringSplit on '|' (in AWS the
 * caught Cause is Lambda's JSON, {"errorType":…,"errorMessage":"slot|…"}, locally the message
 * itself: the fields keep their positions in both, as nothing before them holds a '|').
 */
export function slotMessage(ticket: SlotTicket, why: string): string {
  return `slot|${ticket.seconds}|${ticket.at}|${ticket.n}|${why.replaceAll('|', '/')}`;
}

/** The ticket in a slotMessage (or in a Cause that contains one), as the state machine reads it. */
export function parseSlotMessage(text: string): SlotTicket | undefined {
  const [, seconds, at, n] = text.split('|');
  if (seconds === undefined || at === undefined || n === undefined) return undefined;
  return { seconds: JSON.parse(seconds) as number, at, n: JSON.parse(n) as number };
}
