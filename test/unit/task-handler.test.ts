import '../support/silent-powertools';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { taskHandler } from '../../lambdas/shared/task-handler';

const context = (remainingMs: number) =>
  ({ functionName: 'fulfilment', awsRequestId: 'req-1', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

describe('taskHandler', () => {
  it('fails a task that runs out of time with TransientError, the error the workflows retry', async () => {
    const handler = taskHandler(z.object({ orderId: z.string() }), () => new Promise<never>(() => undefined));
    await expect(handler({ orderId: 'ord_1' }, context(30))).rejects.toMatchObject({ name: 'TransientError', retryable: true });
  });

  it('fails an invalid payload with InvalidInput, without running the task', async () => {
    let ran = false;
    const handler = taskHandler(z.object({ orderId: z.string() }), async () => (ran = true));
    await expect(handler({ order: 'ord_1' }, context(10_000))).rejects.toMatchObject({ name: 'InvalidInput', retryable: false });
    expect(ran).toBe(false);
  });

  it('makes an unexpected error a TransientError and keeps a typed one', async () => {
    const failing = taskHandler(z.object({}), async () => {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
    await expect(failing({}, context(10_000))).rejects.toMatchObject({ name: 'TransientError', message: 'TimeoutError: socket hang up' });
  });

  it("hands the workflow the use case's result without its signals (they are for the metrics)", async () => {
    const handler = taskHandler(z.object({}), async () => ({ outcome: 'sent', signals: [{ kind: 'email-sent' as const }] }));
    await expect(handler({}, context(10_000))).resolves.toEqual({ outcome: 'sent' });
  });
});
