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
 * Anything unexpected (an SDK network error, a throttle) is treated as transient: retried a bounded
 * number of times by the workflow, then caught and recorded. Typed permanent errors pass through.
 */
export function classifyError(error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new TransientError(message, { cause: error });
}
