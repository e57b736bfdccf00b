import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { classifyError, InvalidInputError, SlotMissedError, TransientError } from '../domain/errors';
import { logger } from './logger';
import { emit } from './metrics';
import { metricsOfFailure, metricsOfSignals, signalsOf, type TaskFacts } from './task-metrics';
import { annotate, tracer } from './tracer';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function withoutSignals(outcome: unknown): unknown {
  const { signals: _signals, ...rest } = outcome as Record<string, unknown>;
  return rest;
}

/**
 * Wraps a workflow task: validates the payload, tags every log line (and the X-Ray trace) with the
 * Stripe event id, order id and execution name, records the business metrics its result's
 * `signals` (metricsOfSignals) or its failure say happened, and turns failures into typed errors whose names the state machine's Retry and
 * Catch match (anything unexpected becomes a TransientError).
 */
export function taskHandler<S extends z.ZodType, R>(schema: S, run: (payload: z.infer<S>) => Promise<R>) {
  const handler = async (event: unknown, _context: Context): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const error = new InvalidInputError(
        `invalid task payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      logger.error('rejected task payload', { error });
      emit(metricsOfFailure({}, error.name));
      throw error;
    }
    const payload = parsed.data as Record<string, unknown> & { input?: { eventId?: string; orderId?: string; created?: number } };
    const keys = {
      eventId: payload.input?.eventId,
      orderId: payload.input?.orderId ?? (payload.orderId as string | undefined),
      executionName: payload.executionName as string | undefined,
      action: (payload.action ?? payload.template) as string | undefined,
    };
    logger.appendKeys(keys);
    annotate(keys);
    const facts: TaskFacts = {
      ...(typeof payload.action === 'string' ? { action: payload.action } : {}),
      ...(typeof payload.template === 'string' ? { template: payload.template } : {}),
      ...(payload.input ? { input: payload.input } : {}),
    };
    try {
      const outcome = await run(parsed.data);
      const signals = signalsOf(outcome);
      // The signals are for the metrics only: the workflow's state carries the result without them.
      const result = (isObject(outcome) && 'signals' in outcome ? withoutSignals(outcome) : outcome) as R;
      logger.info('task done', { result: result as unknown as Record<string, unknown> });
      emit(metricsOfSignals(signals, { eventCreated: facts.input?.created }));
      return result;
    } catch (error) {
      const typed = classifyError(error);
      if (typed instanceof SlotMissedError) {
        // pacing, not a failure: the workflow waits for the fresh slot and runs the task again
        logger.info('slot missed: waiting for a fresh one', { errorType: typed.name, message: typed.message });
        throw typed;
      }
      logger[typed.retryable ? 'warn' : 'error']('task failed', { errorType: typed.name, error: typed });
      emit(metricsOfFailure(facts, typed.name));
      throw typed;
    }
  };
  // middy answers just before the Lambda's deadline; by default with an error named TimeoutError,
  // which no Retry matches, so one slow call under load would fail the whole execution.
  const timeoutEarlyResponse = () => {
    throw new TransientError('the task ran out of time before its work was done');
  };
  return middy(handler, { timeoutEarlyResponse })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}
