import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { StripeEventInbox } from '../adapters/stripe-event-inbox';
import { SIGNATURE_MISMATCH, StripeSignatureVerifier } from '../adapters/stripe-signature';
import { StepFunctionsStarter } from '../adapters/workflow-starter';
import { loadConfig, tableName } from '../shared/config';
import { logger } from '../shared/logger';
import { METRIC } from '../shared/metric-names';
import { countMetric, countMetricBy } from '../shared/metrics';
import { RotatingSecret, withSecret } from '../shared/secrets';
import { annotate, tracer } from '../shared/tracer';
import { header, jsonResponse, rawBody } from '../shared/webhook-http';
import { oversizedBody } from '../shared/webhook-limits';
import { stateMachineArnsFromEnv } from '../shared/workflows';
import { receiveStripeWebhook, type WebhookDeps } from './use-case';

const config = loadConfig(
  z.object({
    TABLE_NAME: tableName,
    STRIPE_WEBHOOK_SECRET: z.string().optional(),
    STRIPE_WEBHOOK_SECRET_ARN: z.string().optional(),
    STRIPE_SIGNATURE_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
    STRIPE_LIVEMODE: z.enum(['true', 'false']).optional(),
  }),
);
const stateMachineArns = stateMachineArnsFromEnv();
const db = createDocumentClient();
const inbox = new StripeEventInbox(db, config.TABLE_NAME);
const starter = new StepFunctionsStarter();

const signingSecret = new RotatingSecret('STRIPE_WEBHOOK_SECRET', config.STRIPE_WEBHOOK_SECRET, config.STRIPE_WEBHOOK_SECRET_ARN);

/** The use case's dependencies, verifying with this value of the signing secret. */
const dependencies = (secret: string): WebhookDeps => ({
  verifier: new StripeSignatureVerifier(secret, config.STRIPE_SIGNATURE_TOLERANCE_SECONDS),
  inbox,
  starter,
  stateMachineArns,
  ...(config.STRIPE_LIVEMODE ? { livemode: config.STRIPE_LIVEMODE === 'true' } : {}),
});

/** A rejection's reason, in a few words fit for a metric dimension. */
function rejectionKind(reason: string): string {
  if (/livemode/i.test(reason)) return 'livemode';
  if (/signature|timestamp|tolerance/i.test(reason)) return 'signature';
  if (/not JSON/i.test(reason)) return 'body';
  return 'event';
}

function rejected(reason: string, kind: string): void {
  countMetric(METRIC.webhookRejected);
  countMetricBy(METRIC.webhookRejected, { reason: kind });
  logger.warn('webhook rejected', { outcome: 'rejected', reason, kind });
}

export async function receive(event: APIGatewayProxyEventV2, _context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const body = rawBody(event);
  const signature = header(event, 'stripe-signature', 'Stripe-Signature');
  const size = oversizedBody(body);
  if (size !== undefined) {
    rejected(`body of ${size} bytes is over the limit`, 'size');
    return jsonResponse(413, { error: 'request body too large' });
  }
  try {
    // The signing secret is cached for SECRET_TTL_SECONDS; a signature that does not verify reads it
    // once more (it may just have been set or rotated) and, if it changed, verifies again.
    const outcome = await withSecret(signingSecret, (secret) => receiveStripeWebhook(dependencies(secret), body, signature), {
      result: (answer) => answer.status === 400 && answer.reason === SIGNATURE_MISMATCH,
    });
    if (outcome.status === 400) {
      rejected(outcome.reason, rejectionKind(outcome.reason));
      return jsonResponse(400, { error: outcome.reason });
    }
    const { status: _status, ...answer } = outcome;
    // The execution is named after the event id; the order id when the outcome names one.
    const keys = {
      eventId: outcome.eventId,
      executionName: outcome.outcome === 'ignored' ? undefined : outcome.eventId,
      orderId: outcome.outcome === 'ignored' ? undefined : outcome.orderId,
    };
    logger.appendKeys(keys);
    annotate(keys);
    countMetric(
      outcome.outcome === 'started'
        ? METRIC.webhookAccepted
        : outcome.outcome === 'duplicate'
          ? METRIC.webhookDuplicate
          : METRIC.webhookIgnored,
    );
    logger.info(`webhook ${outcome.outcome}`, answer);
    return jsonResponse(200, { received: true, ...answer });
  } catch (error) {
    // DynamoDB, Step Functions or Secrets Manager failed: 5xx makes Stripe deliver the event again.
    countMetric(METRIC.webhookFailed);
    logger.error('webhook failed; Stripe will retry', { error: error as Error });
    return jsonResponse(500, { error: 'temporarily unable to record the event; retry' });
  }
}

export const handler = middy(receive)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }));
