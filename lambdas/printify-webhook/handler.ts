import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { EmailOutbox } from '../adapters/email-outbox';
import { OrderRepository } from '../adapters/order-repository';
import { PrintifyEventLog } from '../adapters/printify-event-log';
import { PrintifyOrderIndex } from '../adapters/printify-order-index';
import { DynamoRateSlots } from '../adapters/rate-slots';
import { SesMailer } from '../adapters/ses-mailer';
import { parsePetalRates } from '../domain/petals';
import { SES_QUOTA } from '../domain/rate-slots';
import { pacedOrderEmail } from '../email/use-cases';
import { loadConfig, tableName } from '../shared/config';
import { logger } from '../shared/logger';
import { quotaFromEnv } from '../shared/pacing';
import { METRIC } from '../shared/metric-names';
import { countMetric, emit } from '../shared/metrics';
import { RotatingSecret, withSecret } from '../shared/secrets';
import { metricsOfSignals } from '../shared/task-metrics';
import { tracer } from '../shared/tracer';
import { header, jsonResponse, rawBody } from '../shared/webhook-http';
import { oversizedBody } from '../shared/webhook-limits';
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
  // SES's sending rate, shared with the workflows' emails: booked more than a few seconds ahead,
  // the email throws TransientError and the answer is 5xx, so Printify delivers the event again.
  rateSlots: new DynamoRateSlots(db, config.TABLE_NAME),
  quota: quotaFromEnv(SES_QUOTA, 'SES_PACE'),
};

const signingSecret = new RotatingSecret('PRINTIFY_WEBHOOK_SECRET', config.PRINTIFY_WEBHOOK_SECRET, config.PRINTIFY_WEBHOOK_SECRET_ARN);
const index = new PrintifyOrderIndex(db, config.TABLE_NAME);
const events = new PrintifyEventLog(db, config.TABLE_NAME);

/** The use case's dependencies, verifying with this value of the signing secret. */
const dependencies = (secret: string): PrintifyWebhookDeps => ({
  secret,
  index,
  orders,
  events,
  sendEmail: (request) => pacedOrderEmail(emailDeps, request),
  signal: (signal) => emit(metricsOfSignals([signal])),
});

/** POST /webhooks/printify: Printify's order events move the order along and tell the customer. */
export async function receive(event: APIGatewayProxyEventV2, _context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const body = rawBody(event);
  const signature = header(event, PRINTIFY_SIGNATURE_HEADER, 'X-Pfy-Signature');
  const size = oversizedBody(body);
  if (size !== undefined) {
    logger.warn('Printify webhook rejected', { reason: `body of ${size} bytes is over the limit` });
    countMetric(METRIC.printifyWebhookRejected);
    return jsonResponse(413, { error: 'request body too large' });
  }
  try {
    // A signature that does not verify (401) reads the cached secret once more: it may have been rotated.
    const outcome = await withSecret(signingSecret, (secret) => receivePrintifyWebhook(dependencies(secret), body, signature), {
      result: (answer) => answer.status === 401,
    });
    if (outcome.status !== 200) {
      logger.warn('Printify webhook rejected', { reason: outcome.reason });
      countMetric(METRIC.printifyWebhookRejected);
      return jsonResponse(outcome.status, { error: outcome.reason });
    }
    const { status: _status, ...answer } = outcome;
    if (answer.outcome === 'applied') logger.appendKeys({ orderId: answer.orderId });
    if (answer.outcome === 'applied' && answer.note) logger.warn('Printify event time not believed', { note: answer.note });
    logger.info(`Printify webhook ${answer.outcome}`, answer);
    return jsonResponse(200, { received: true, ...answer });
  } catch (error) {
    // DynamoDB, SES or Secrets Manager failed: 5xx makes Printify deliver the event again.
    logger.error('Printify webhook failed; Printify will retry', { error: error as Error });
    countMetric(METRIC.printifyWebhookFailed);
    return jsonResponse(500, { error: 'temporarily unable to process the event; retry' });
  }
}

export const handler = middy(receive)
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }));
