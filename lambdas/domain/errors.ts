/**
 * Errors typed by what the caller should do. A workflow task fails with the error's `name` as the
 * Step Functions error type, so these names are what the state machines' Retry and Catch match.
 */
export abstract class PipelineError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.errorType;
  }
  static readonly errorType: string = 'PipelineError';
}

/** Something outside our control failed (throttling, timeouts, a 5xx); trying again can help. */
export class TransientError extends PipelineError {
  static override readonly errorType = 'TransientError';
  readonly retryable = true;
}

/** The order is not (yet) in the table. Retried for a while: the storefront's write may lag. */
export class OrderNotFoundError extends PipelineError {
  static override readonly errorType = 'OrderNotFound';
  readonly retryable = true;
  constructor(readonly orderId: string) {
    super(`order ${orderId} not found`);
  }
}

/** An event arrived before the state it depends on (a refund before the payment was recorded). */
export class OrderNotReadyError extends PipelineError {
  static override readonly errorType = 'OrderNotReady';
  readonly retryable = true;
}

/** Printify refused the order for a reason a retry cannot fix (validation, unknown product). */
export class PrintifyRejectedError extends PipelineError {
  static override readonly errorType = 'PrintifyRejected';
  readonly retryable = false;
}

/**
 * The mail service refused the message for a reason a retry cannot fix (SES MessageRejected: e.g.
 * an unverified sender or a suppressed address; the sender's MAIL FROM domain not verified; the
 * account's sending paused). Not retried: the workflow records the failed step for an operator.
 */
export class EmailRejectedError extends PipelineError {
  static override readonly errorType = 'EmailRejected';
  readonly retryable = false;
}

/** The input can never succeed (malformed task payload, inconsistent data). */
export class InvalidInputError extends PipelineError {
  static override readonly errorType = 'InvalidInput';
  readonly retryable = false;
}

/**
 * Printify did not answer usefully (429, 5xx, a timeout, a network error): the fulfilment workflow
 * retries it with its own, longer backoff (RETRY_POLICIES), then records the order as
 * fulfillment_failed.
 */
export class PrintifyUnavailableError extends PipelineError {
  static override readonly errorType = 'PrintifyUnavailable';
  readonly retryable = true;
}

/**
 * The lookup of an earlier attempt's Printify order ran out of this invocation's time before it
 * reached back to the first attempt; the order records where it stopped (`printifyLookupPage`) and
 * the next attempt continues from there, after a short wait (RETRY_POLICIES).
 */
export class PrintifyLookupContinuesError extends PipelineError {
  static override readonly errorType = 'PrintifyLookupContinues';
  readonly retryable = true;
}

/**
 * The store refused a write for good: DynamoDB's `ValidationException` (an item over 400 KB, a key
 * attribute over 2,048 bytes of partition key or 1,024 of sort key, an empty key; see "Service,
 * account, and table quotas in Amazon DynamoDB" and "Error handling with DynamoDB" in the DynamoDB
 * Developer Guide, which lists it among the errors not to retry). The same request fails the same
 * way every time: not retried; the task fails, the workflow catches and records it, and TaskFailed
 * (dimension errorType StoreRejected) counts it for the alarm.
 */
export class StoreRejectedError extends PipelineError {
  static override readonly errorType = 'StoreRejected';
  readonly retryable = false;
}

/**
 * A paced call (Printify, SES) was not made: its task started after its reserved slot (by more
 * than the quota's late tolerance) or had spent its slots (a lookup's extra pages). The task has
 * reserved fresh slots; the message carries them (slotMessage) and the workflow waits for them in
 * a Wait state, then runs the task again. Not a failure: no Retry matches it, a Catch loops it.
 */
export abstract class SlotMissedError extends PipelineError {
  readonly retryable = false;
}

export class PrintifySlotMissedError extends SlotMissedError {
  static override readonly errorType = 'PrintifySlotMissed';
}

export class SesSlotMissedError extends SlotMissedError {
  static override readonly errorType = 'SesSlotMissed';
}

/** The names AWS gives a request that can never succeed as sent (DynamoDB, and any AWS API). */
const STORE_REJECTIONS: readonly string[] = ['ValidationException'];

/**
 * Classifies an error by whether a retry can help. Typed errors pass through; an AWS
 * `ValidationException` (DynamoDB: item or key too large) becomes StoreRejected (permanent);
 * anything else unexpected (an SDK network error, a throttle) is treated as transient: retried a
 * bounded number of times by the workflow, then caught and recorded.
 */
export function classifyError(error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (error instanceof Error && STORE_REJECTIONS.includes(error.name)) return new StoreRejectedError(message, { cause: error });
  return new TransientError(message, { cause: error });
}
