import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from '../lib/constructs/pipeline-function';
import type { LocalFunction } from './stack-template';

/** A failed invocation, as the Lambda service reports it: the handler's error type and message. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: string[] = [],
  ) {
    super(message);
    // Step Functions matches Retry/Catch on the error type, so the local error carries it as name.
    this.name = errorType;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A Lambda function running locally in its own worker thread, with only its own environment (from
 * the template, plus the local endpoints), so that each function cold-starts and reads its
 * configuration exactly as it does in AWS.
 */
export class LocalLambda {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  invocations = 0;
  /** Called with each invocation's handler duration, ms (what Lambda bills): for `npm run bench`. */
  onDuration?: (ms: number) => void;

  constructor(
    readonly fn: LocalFunction,
    /** the machine's environment for every function (region, credentials, local endpoints) */
    base: Record<string, string>,
    /** local values that win over the template's (secrets given directly, local log level) */
    overrides: Record<string, string> = {},
  ) {
    this.worker = new Worker(path.join(__dirname, 'lambda-worker.cjs'), {
      env: { ...base, ...fn.environment, ...overrides, AWS_LAMBDA_FUNCTION_NAME: fn.logicalId },
      workerData: {
        entryPath: path.join(PROJECT_ROOT, fn.entry),
        handlerName: fn.handler,
        functionName: fn.logicalId,
        functionArn: fn.arn,
      },
      stdout: false,
      stderr: false,
    });
    this.worker.on(
      'message',
      (message: {
        id: number;
        ok: boolean;
        durationMs?: number;
        result?: unknown;
        error?: { errorType: string; errorMessage: string; trace: string[] };
      }) => {
        if (message.durationMs !== undefined) this.onDuration?.(message.durationMs);
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.result);
        else call.reject(new LambdaInvocationError(message.error!.errorType, message.error!.errorMessage, message.error!.trace));
      },
    );
    this.worker.on('error', (error) =>
      this.failAll(new LambdaInvocationError('Lambda.ServiceException', `worker crashed: ${error.message}`)),
    );
    this.worker.on('exit', () => {
      this.exited = true;
      this.failAll(new LambdaInvocationError('Lambda.ServiceException', 'worker exited'));
    });
  }

  /** Invokes the handler with a JSON copy of `event` (as Lambda does), within the function's timeout. */
  /** How busy the function's thread has been (since `since`): for `npm run bench`. */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization(since);
  }

  invoke(event: unknown): Promise<unknown> {
    if (this.exited) return Promise.reject(new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`));
    this.invocations++;
    const id = this.nextId++;
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds} seconds`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({
        id,
        event: JSON.parse(JSON.stringify(event ?? null)),
        deadlineMs: Date.now() + timeoutMs,
        requestId: randomUUID(),
      });
    });
  }

  async stop(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
    this.failAll(new LambdaInvocationError('Lambda.ServiceException', 'stopped'));
  }

  private failAll(error: Error): void {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(error);
      this.pending.delete(id);
    }
  }
}
