import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { classifyError, InvalidInputError } from '../domain/errors';
import { logger } from './logger';

/**
 * Wraps a workflow task: validates the payload, tags every log line with the Stripe event id, order
 * id and execution name, and turns failures into typed errors whose names the state machine's
 * Retry and Catch match (anything unexpected becomes a TransientError).
 */
export function taskHandler<S extends z.ZodType, R>(schema: S, run: (payload: z.infer<S>) => Promise<R>) {
  const handler = async (event: unknown, _context: Context): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const error = new InvalidInputError(`invalid task payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      logger.error('rejected task payload', { error });
      throw error;
    }
    const payload = parsed.data as Record<string, unknown> & { input?: { eventId?: string; orderId?: string } };
    logger.appendKeys({
      eventId: payload.input?.eventId,
      orderId: payload.input?.orderId ?? (payload.orderId as string | undefined),
      executionName: payload.executionName as string | undefined,
      action: payload.action as string | undefined,
    });
    try {
      const result = await run(parsed.data);
      logger.info('task done', { result: result as unknown as Record<string, unknown> });
      return result;
    } catch (error) {
      const typed = classifyError(error);
      logger[typed.retryable ? 'warn' : 'error']('task failed', { errorType: typed.name, error: typed });
      throw typed;
    }
  };
  return middy(handler).use(injectLambdaContext(logger, { resetKeys: true }));
}
