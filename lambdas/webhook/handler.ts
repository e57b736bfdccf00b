import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { StripeEventInbox } from '../adapters/stripe-event-inbox';
import { StripeSignatureVerifier } from '../adapters/stripe-signature';
import { StepFunctionsStarter } from '../adapters/workflow-starter';
import { WORKFLOWS, type WorkflowName } from '../domain/stripe-events';
import { loadConfig, tableName } from '../shared/config';
import { logger } from '../shared/logger';
import { resolveSecret } from '../shared/secrets';
import { STATE_MACHINE_ARN_ENV } from '../shared/workflows';
import { receiveStripeWebhook, type WebhookDeps } from './use-case';

const config = loadConfig(
  z.object({
    TABLE_NAME: tableName,
    STRIPE_WEBHOOK_SECRET: z.string().optional(),
    STRIPE_WEBHOOK_SECRET_ARN: z.string().optional(),
    STRIPE_SIGNATURE_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
    STRIPE_LIVEMODE: z.enum(['true', 'false']).optional(),
    ...Object.fromEntries(WORKFLOWS.map((w) => [STATE_MACHINE_ARN_ENV[w], z.string().startsWith('arn:')])),
  }),
);
const stateMachineArns = Object.fromEntries(
  WORKFLOWS.map((w) => [w, (config as unknown as Record<string, string>)[STATE_MACHINE_ARN_ENV[w]]]),
) as Record<WorkflowName, string>;
const db = createDocumentClient();
const inbox = new StripeEventInbox(db, config.TABLE_NAME);
const starter = new StepFunctionsStarter();

let deps: Promise<WebhookDeps> | undefined;
function dependencies(): Promise<WebhookDeps> {
  deps ??= resolveSecret('STRIPE_WEBHOOK_SECRET', config.STRIPE_WEBHOOK_SECRET, config.STRIPE_WEBHOOK_SECRET_ARN)
    .then((secret) => ({
      verifier: new StripeSignatureVerifier(secret, config.STRIPE_SIGNATURE_TOLERANCE_SECONDS),
      inbox,
      starter,
      stateMachineArns,
      ...(config.STRIPE_LIVEMODE ? { livemode: config.STRIPE_LIVEMODE === 'true' } : {}),
    }))
    .catch((error) => {
      deps = undefined;
      throw error;
    });
  return deps;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function receive(event: APIGatewayProxyEventV2, _context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const signature = event.headers?.['stripe-signature'] ?? event.headers?.['Stripe-Signature'];
  try {
    const outcome = await receiveStripeWebhook(await dependencies(), rawBody, signature);
    if (outcome.status === 400) {
      logger.warn('webhook rejected', { outcome: outcome.outcome, reason: outcome.reason });
      return json(400, { error: outcome.reason });
    }
    const { status: _status, ...answer } = outcome;
    logger.appendKeys({ eventId: outcome.eventId });
    logger.info(`webhook ${outcome.outcome}`, answer);
    return json(200, { received: true, ...answer });
  } catch (error) {
    // DynamoDB, Step Functions or Secrets Manager failed: 5xx makes Stripe deliver the event again.
    logger.error('webhook failed; Stripe will retry', { error: error as Error });
    return json(500, { error: 'temporarily unable to record the event; retry' });
  }
}

export const handler = middy(receive).use(injectLambdaContext(logger, { resetKeys: true }));
