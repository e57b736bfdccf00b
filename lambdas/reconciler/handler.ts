import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { createDocumentClient } from '../adapters/dynamodb';
import { DynamoReconcilerCheckpoint } from '../adapters/reconciler-checkpoint';
import { StripeEventInbox } from '../adapters/stripe-event-inbox';
import { StripeEventsApi } from '../adapters/stripe-events-api';
import { StepFunctionsStarter } from '../adapters/workflow-starter';
import { loadConfig, tableName } from '../shared/config';
import { logger } from '../shared/logger';
import { METRIC } from '../shared/metric-names';
import { countMetric } from '../shared/metrics';
import { resolveSecret } from '../shared/secrets';
import { stateMachineArnsFromEnv } from '../shared/workflows';
import { reconcileStripeEvents, type ReconcileResult } from './use-case';

const config = loadConfig(
  z.object({
    TABLE_NAME: tableName,
    /** the restricted key itself (local runs), or the ARN of the secret that holds it */
    STRIPE_API_KEY: z.string().optional(),
    STRIPE_API_KEY_ARN: z.string().optional(),
    STRIPE_API_URL: z.url().default('https://api.stripe.com'),
    STRIPE_LIVEMODE: z.enum(['true', 'false']).optional(),
    RECONCILER_GRACE_SECONDS: z.coerce.number().int().nonnegative().default(300),
  }),
);
const db = createDocumentClient();

/**
 * The scheduled Stripe reconciler (EventBridge Scheduler, hourly). The payload may carry `since`
 * (Unix seconds) for a run by hand over a longer window; the schedule sends none. Emits
 * `ReconcilerMissedEvents` (the alarm's metric, 0 on a healthy run) and `ReconcilerFailed`, and
 * throws when any event could not be delivered, so that the invocation counts as an error.
 */
export async function reconcile(event: { since?: number } = {}): Promise<ReconcileResult> {
  const result = await reconcileStripeEvents(
    {
      source: new StripeEventsApi(
        () => resolveSecret('STRIPE_API_KEY', config.STRIPE_API_KEY, config.STRIPE_API_KEY_ARN),
        config.STRIPE_API_URL,
      ),
      checkpoint: new DynamoReconcilerCheckpoint(db, config.TABLE_NAME),
      accept: {
        inbox: new StripeEventInbox(db, config.TABLE_NAME),
        starter: new StepFunctionsStarter(),
        stateMachineArns: stateMachineArnsFromEnv(),
        ...(config.STRIPE_LIVEMODE ? { livemode: config.STRIPE_LIVEMODE === 'true' } : {}),
      },
    },
    { graceSeconds: config.RECONCILER_GRACE_SECONDS, ...(typeof event?.since === 'number' ? { since: event.since } : {}) },
  );
  countMetric(METRIC.reconcilerMissedEvents, result.missed.length);
  countMetric(METRIC.reconcilerFailed, result.failed.length);
  const summary = {
    window: result.window,
    listed: result.listed,
    known: result.known,
    ignored: result.ignored,
    checkpoint: result.checkpoint,
  };
  for (const missed of result.missed) logger.warn('Stripe event missed by the webhook; delivered now', { ...missed });
  for (const rejected of result.rejected) logger.warn('Stripe event rejected', { ...rejected });
  for (const failed of result.failed) logger.error('Stripe event not delivered; the next run retries it', { ...failed });
  logger.info('reconciled with Stripe', { ...summary, missed: result.missed.length, failed: result.failed.length });
  if (result.failed.length > 0) throw new Error(`${result.failed.length} Stripe event(s) not delivered; the next run retries them`);
  return result;
}

export const handler = middy(reconcile).use(injectLambdaContext(logger, { resetKeys: true }));
