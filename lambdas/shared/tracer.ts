import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray traces (the functions run with active tracing). Created before any client so that every
 * AWS SDK and fetch call (DynamoDB, Step Functions, SES, Printify) becomes a subsegment. Outside
 * Lambda (npm start, the tests: no AWS_EXECUTION_ENV) or with POWERTOOLS_TRACE_ENABLED=false it is
 * off: every call is a no-op and nothing tries to reach an X-Ray daemon.
 */
export const tracer = new Tracer();

/** Searchable X-Ray annotations: a trace is found by its Stripe event id, order id or execution. */
export function annotate(keys: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(keys)) if (value) tracer.putAnnotation(key, value);
}
