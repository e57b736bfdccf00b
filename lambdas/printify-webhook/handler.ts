import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { EmailOutbox } from '../adapters/email-outbox';
import { OrderRepository } from '../adapters/order-repository';
import { PrintifyOrderIndex } from '../adapters/printify-order-index';
import { SesMailer } from '../adapters/ses-mailer';
import { parsePetalRates } from '../domain/petals';
import { sendOrderEmail } from '../email/use-cases';
import { loadConfig, tableName } from '../shared/config';
import { logger } from '../shared/logger';
import { countMetric } from '../shared/metrics';
import { resolveSecret } from '../shared/secrets';
import { PRINTIFY_SIGNATURE_HEADER } from './signature';
import { receivePrintifyWebhook, type PrintifyWebhookDeps } from './use-case';

const config = loadConfig(
  z.object({
    TABLE_NAME: tableName,
    PRINTIFY_WEBHOOK_SECRET: z.string().optional(),
    PRINTIFY_WEBHOOK_SECRET_ARN: z.string().optional(),
    EMAIL_FROM: z.string().min(3),
  }),
);
const db = createDocumentClient();
const orders = new OrderRepository(db, config.TABLE_NAME);
const emailDeps = {
  orders,
  outbox: new EmailOutbox(db, config.TABLE_NAME),
  mailer: new SesMailer(config.EMAIL_FROM),
  rates: parsePetalRates(undefined),
};

let deps: Promise<PrintifyWebhookDeps> | undefined;
function dependencies(): Promise<PrintifyWebhookDeps> {
  deps ??= resolveSecret('PRINTIFY_WEBHOOK_SECRET', config.PRINTIFY_WEBHOOK_SECRET, config.PRINTIFY_WEBHOOK_SECRET_ARN)
    .then(
      (secret): PrintifyWebhookDeps => ({
        secret,
        index: new PrintifyOrderIndex(db, config.TABLE_NAME),
        orders,
        sendEmail: (request) => sendOrderEmail(emailDeps, request),
        metric: (name) => countMetric(name),
      }),
    )
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

/** POST /webhooks/printify: Printify's order events move the order along and tell the customer. */
export async function receive(event: APIGatewayProxyEventV2, _context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const signature = event.headers?.[PRINTIFY_SIGNATURE_HEADER] ?? event.headers?.['X-Pfy-Signature'];
  try {
    const outcome = await receivePrintifyWebhook(await dependencies(), rawBody, signature);
    if (outcome.status !== 200) {
      logger.warn('Printify webhook rejected', { reason: outcome.reason });
      countMetric('PrintifyWebhookRejected');
      return json(outcome.status, { error: outcome.reason });
    }
    const { status: _status, ...answer } = outcome;
    if (answer.outcome === 'applied') logger.appendKeys({ orderId: answer.orderId });
    logger.info(`Printify webhook ${answer.outcome}`, answer);
    return json(200, { received: true, ...answer });
  } catch (error) {
    // DynamoDB, SES or Secrets Manager failed: 5xx makes Printify deliver the event again.
    logger.error('Printify webhook failed; Printify will retry', { error: error as Error });
    countMetric('PrintifyWebhookFailed');
    return json(500, { error: 'temporarily unable to process the event; retry' });
  }
}

export const handler = middy(receive).use(injectLambdaContext(logger, { resetKeys: true }));
