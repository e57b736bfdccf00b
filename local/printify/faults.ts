/**
 * Injectable Printify failures, for the reliability suite and the client's tests: an error status
 * (500, 429 with `Retry-After: 1`, any 4xx), a slow answer (`delayMs`), an order accepted and then
 * answered too late for the client (`acceptThenDelayMs`: Printify created it, the client timed
 * out), or Printify down for a while (a 5xx for the next `times` requests). Queued with
 * `fail(fault)` or `POST /__stand-in/faults`, and used up by the next requests of their
 * operation, oldest first. They come on top of the rate limit, which is not a fault.
 */
import { isRecord, printifyError, VALIDATION_CODE, type Reply } from './replies';

/** One injected failure; see the module's comment. Checked by validateFault. */
export interface PrintifyFault {
  /** Which call the fault applies to. Default: creating an order. */
  operation?: 'create' | 'send_to_production';
  /** Answer this HTTP status (with `body`) instead of processing the create-order request. */
  status?: number;
  /** Body for `status`; defaults to Printify's error shape for that status. */
  body?: unknown;
  /** Wait this long before answering (or before processing, when `status` is not set). */
  delayMs?: number;
  /** Create the order for real, then wait this long before answering 200 (client-timeout-after-acceptance). */
  acceptThenDelayMs?: number;
  /** How many requests of that operation this fault applies to. Default 1. */
  times?: number;
}

interface QueuedFault extends PrintifyFault {
  remaining: number;
}

function defaultFaultBody(status: number): unknown {
  if (status === 429) return printifyError(429, 'Too Many Requests.', 'Rate limit exceeded. Retry later.');
  if (status >= 500) return printifyError(status, 'Internal Server Error.', 'Something went wrong on our side.');
  if (status === 401) return printifyError(401, 'Unauthenticated.', 'Invalid or missing access token.');
  if (status === 404) return printifyError(404, 'Not found.', 'The requested resource was not found.');
  return printifyError(VALIDATION_CODE, 'Validation failed.', `Simulated failure with HTTP ${status}.`);
}

/** Checks a fault given over HTTP or in code: the fault, or what is wrong with it. */
export function validateFault(value: unknown): PrintifyFault | string {
  if (!isRecord(value)) return 'a fault must be a JSON object';
  const fault: PrintifyFault = {};
  for (const key of ['status', 'delayMs', 'acceptThenDelayMs', 'times'] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `${key} must be a non-negative integer`;
    fault[key] = v;
  }
  if (fault.status !== undefined && (fault.status < 100 || fault.status > 599)) return 'status must be an HTTP status';
  if (fault.status !== undefined && fault.acceptThenDelayMs !== undefined) {
    return 'status and acceptThenDelayMs cannot be combined';
  }
  if ('body' in value) fault.body = value.body;
  if (value.operation !== undefined) {
    if (value.operation !== 'create' && value.operation !== 'send_to_production')
      return 'operation must be "create" or "send_to_production"';
    fault.operation = value.operation;
  }
  return fault;
}

/**
 * The fault queue, and the timers of the faults' delays. `reset()` drops the queue and makes every
 * request still waiting on a delay answer 503 instead of acting; `stop()` releases every waiting
 * request at once (its answer is then dropped).
 */
export class FaultInjector {
  #faults: QueuedFault[] = [];
  /** incremented by reset(): requests from before it are dropped */
  #generation = 0;
  /** Pending fault delays: on stop they are cleared and released (the answer is then dropped). */
  readonly #timers = new Map<NodeJS.Timeout, () => void>();
  #stopped = false;

  /** How many faults are queued. */
  get queued(): number {
    return this.#faults.length;
  }

  /** Queues `fault` for the next `times` (default 1) requests of its operation; throws if it is invalid. */
  fail(fault: PrintifyFault): void {
    const checked = validateFault(fault);
    if (typeof checked === 'string') throw new Error(`Invalid Printify fault: ${checked}`);
    const times = checked.times ?? 1;
    if (times > 0) this.#faults.push({ ...checked, remaining: times });
  }

  /** The oldest fault queued for `operation`, used once (undefined: none). */
  take(operation: NonNullable<PrintifyFault['operation']>): PrintifyFault | undefined {
    const index = this.#faults.findIndex((f) => (f.operation ?? 'create') === operation);
    const head = this.#faults[index];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.#faults.splice(index, 1);
    return head;
  }

  /** A fault's delay, then its answer (undefined: process the request as usual). */
  async apply(fault: PrintifyFault | undefined): Promise<Reply | undefined> {
    const before = this.#generation;
    if (fault?.delayMs) await this.delay(fault.delayMs);
    if (this.#stopped) return { status: 503, body: {} }; // released by stop(): the answer is dropped
    // A request still waiting when the stand-in was reset belongs to a finished test: drop it
    // rather than let it create an order among the next test's.
    if (this.#generation !== before) return { status: 503, body: printifyError(503, 'Service Unavailable.', 'The stand-in was reset.') };
    if (fault?.status === undefined) return undefined;
    const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': '1' } : {};
    return { status: fault.status, body: fault.body ?? defaultFaultBody(fault.status), headers };
  }

  /** Waits `ms` (at once when stopped); stop() releases it early. */
  delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (ms <= 0 || this.#stopped) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.set(timer, resolve);
    });
  }

  /** Drops the queue; requests still waiting on a delay will answer 503 without acting. */
  reset(): void {
    this.#generation += 1;
    this.#faults = [];
  }

  /** Releases every waiting request at once; later delays do not wait. */
  stop(): void {
    this.#stopped = true;
    for (const [timer, release] of this.#timers) {
      clearTimeout(timer);
      release();
    }
    this.#timers.clear();
  }
}
