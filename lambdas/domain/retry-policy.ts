import { OrderNotFoundError, OrderNotReadyError, PrintifyUnavailableError, TransientError } from './errors';

/**
 * How the workflows retry a failed task, by the error class's `errorType` (the Step Functions error
 * name a task fails with). Plain numbers in seconds so that the domain needs no CDK; the stack turns
 * each entry into a Retrier (lib/constructs/workflows.ts `retryProps`). Every policy uses FULL
 * jitter: Step Functions waits a random time between 0 and the computed delay, so the waits below
 * are maxima and their expected value is half
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#retrier-field-jitter-strategy).
 */
export interface RetryPolicy {
  /** what the policy is for, in one line (the README's table) */
  readonly purpose: string;
  /** Step Functions' own error names matched as well (e.g. States.Timeout), beside the key */
  readonly alsoMatches?: readonly string[];
  /** delay before the first retry, seconds (IntervalSeconds) */
  readonly intervalSeconds: number;
  /** retries after the first attempt (MaxAttempts) */
  readonly maxAttempts: number;
  /** multiplier of the delay per retry (BackoffRate) */
  readonly backoffRate: number;
  /** cap on one delay, seconds (MaxDelaySeconds); none when omitted */
  readonly maxDelaySeconds?: number;
}

/** The one retry table: key = the error class's errorType. */
export const RETRY_POLICIES = {
  [TransientError.errorType]: {
    purpose: 'throttling, timeouts, 5xx, a lost or hung invocation',
    // States.Timeout: the task's own timeout (a lost invocation); Sandbox.Timedout: the Lambda ran
    // out of time (a hung call); the next attempt may not. The Lambda.* errors are the Invoke API's
    // own transient failures (what CDK's default retryOnServiceExceptions retrier matches, here
    // with jitter and in this one table):
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
    alsoMatches: [
      'States.Timeout',
      'Sandbox.Timedout',
      'Lambda.TooManyRequestsException',
      'Lambda.ClientExecutionTimeoutException',
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
    ],
    intervalSeconds: 2,
    maxAttempts: 6,
    backoffRate: 2,
    maxDelaySeconds: 60,
  },
  [OrderNotFoundError.errorType]: {
    purpose: "the order row lags behind the payment (the storefront's write)",
    intervalSeconds: 5,
    maxAttempts: 5,
    backoffRate: 2,
  },
  [OrderNotReadyError.errorType]: {
    purpose: 'a refund or dispute overtook its payment',
    intervalSeconds: 30,
    maxAttempts: 8,
    backoffRate: 2,
    maxDelaySeconds: 900,
  },
  [PrintifyUnavailableError.errorType]: {
    purpose: 'Printify rate limits (429), fails (5xx) or does not answer',
    intervalSeconds: 5,
    maxAttempts: 8,
    backoffRate: 2,
    maxDelaySeconds: 300,
  },
} as const satisfies Record<string, RetryPolicy>;

/** An error type that has a retry policy. */
export type RetriedErrorType = keyof typeof RETRY_POLICIES;

/**
 * The delay before each retry without jitter, in seconds: interval × backoffRate^(n-1), capped at
 * maxDelaySeconds. With FULL jitter each is the maximum of that retry's wait.
 */
export function retryDelays(policy: RetryPolicy): number[] {
  return Array.from({ length: policy.maxAttempts }, (_, n) =>
    Math.min(policy.intervalSeconds * policy.backoffRate ** n, policy.maxDelaySeconds ?? Number.POSITIVE_INFINITY),
  );
}

/**
 * Total waiting of a policy that retries until it gives up, in seconds: `maximum` is the sum of
 * the delays (every jittered wait drawn at its cap), `typical` the expected value with FULL jitter
 * (half the maximum). Attempt durations (up to the task timeout each) come on top.
 */
export function retryWaits(policy: RetryPolicy): { typical: number; maximum: number } {
  const maximum = retryDelays(policy).reduce((sum, delay) => sum + delay, 0);
  return { typical: maximum / 2, maximum };
}
