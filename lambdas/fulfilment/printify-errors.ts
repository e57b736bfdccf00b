import { PipelineError } from '../domain/errors';

/**
 * Printify did not answer usefully (429, 5xx, a timeout, a network error): the fulfilment workflow
 * retries it with its own, longer backoff, then records the order as fulfillment_failed.
 * (A module of its own, without side effects, so that the CDK stack can import its name.)
 */
export class PrintifyUnavailableError extends PipelineError {
  static override readonly errorType = 'PrintifyUnavailable';
  readonly retryable = true;
}
