import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
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

export interface LocalLambdaOptions {
  /**
   * Receives every line the function writes (its Powertools JSON logs and metrics, or anything
   * else), instead of this process's stdout/stderr taking them as they are.
   */
  onLog?: (line: string, fn: LocalFunction) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type WorkerReply = {
  id: number;
  ok: boolean;
  /** the handler's own run, ms (what Lambda bills as duration) */
  durationMs?: number;
  result?: unknown;
  error?: { errorType: string; errorMessage: string; trace: string[] };
};

/** One worker thread — one "container" — with its invocations in flight. */
class Container {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  exited = false;
  /** the handler is loaded, or was tried: an invocation was sent, or a reload loaded it */
  used = false;
  private idle?: () => void;

  constructor(
    fn: LocalFunction,
    env: Record<string, string>,
    options: LocalLambdaOptions,
    /** told each invocation's handler duration, ms */
    onDuration: (ms: number) => void = () => {},
  ) {
    this.worker = new Worker(path.join(__dirname, 'lambda-worker.cjs'), {
      env,
      workerData: {
        entryPath: path.resolve(PROJECT_ROOT, fn.entry),
        handlerName: fn.handler,
        functionName: fn.logicalId,
        functionArn: fn.arn,
      },
      stdout: options.onLog !== undefined,
      stderr: options.onLog !== undefined,
    });
    const onLog = options.onLog;
    if (onLog) {
      for (const stream of [this.worker.stdout, this.worker.stderr]) {
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => onLog(line, fn));
      }
    }
    this.worker.on('message', (message: WorkerReply) => {
      if (message.durationMs !== undefined) onDuration(message.durationMs);
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.result);
      else call.reject(new LambdaInvocationError(message.error!.errorType, message.error!.errorMessage, message.error!.trace));
      if (this.pending.size === 0) this.idle?.();
    });
    this.worker.on('error', (error) =>
      this.failAll(new LambdaInvocationError('Lambda.ServiceException', `worker crashed: ${error.message}`)),
    );
    this.worker.on('exit', () => {
      this.exited = true;
      this.failAll(new LambdaInvocationError('Lambda.ServiceException', 'worker exited'));
    });
  }

  send(message: Record<string, unknown>, timeoutMs: number, timeoutError: () => Error): Promise<unknown> {
    const id = Number(message.id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(timeoutError());
        if (this.pending.size === 0) this.idle?.();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage(message);
    });
  }

  /** Resolves once no invocation is in flight (then the container can go). */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0 || this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  async stop(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
    this.failAll(new LambdaInvocationError('Lambda.ServiceException', 'stopped'));
  }

  failAll(error: Error): void {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(error);
      this.pending.delete(id);
    }
    this.idle?.();
  }
}

/**
 * A Lambda function running locally in its own worker thread, with only its own environment (from
 * the template, plus the local endpoints), so that each function cold-starts and reads its
 * configuration exactly as it does in AWS.
 *
 * reload() replaces the container with a new one that runs the handler's current source (as a
 * deployment does): invocations in flight finish in the old one, new ones go to the new one.
 */
export class LocalLambda {
  private container: Container;
  private readonly retiring = new Set<Container>();
  private readonly env: Record<string, string>;
  private nextId = 1;
  private stopped = false;
  invocations = 0;
  /** how many times reload() replaced the code */
  reloads = 0;
  /** Called with each invocation's handler duration, ms (what Lambda bills): for `npm run bench`. */
  onDuration?: (ms: number) => void;
  private readonly reportDuration = (ms: number) => this.onDuration?.(ms);

  constructor(
    readonly fn: LocalFunction,
    /** the machine's environment for every function (region, credentials, local endpoints) */
    base: Record<string, string>,
    /** local values that win over the template's (secrets given directly, local log level) */
    overrides: Record<string, string> = {},
    private readonly options: LocalLambdaOptions = {},
  ) {
    this.env = { ...base, ...fn.environment, ...overrides, AWS_LAMBDA_FUNCTION_NAME: fn.logicalId };
    this.container = new Container(fn, this.env, options, this.reportDuration);
  }

  /** The handler's source file, absolute. */
  get entryPath(): string {
    return path.resolve(PROJECT_ROOT, this.fn.entry);
  }

  /** How busy the function's thread has been (since `since`): for `npm run bench`. */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization {
    return this.container.worker.performance.eventLoopUtilization(since);
  }

  /** Invokes the handler with a JSON copy of `event` (as Lambda does), within the function's timeout. */
  invoke(event: unknown): Promise<unknown> {
    if (this.stopped || this.container.exited)
      return Promise.reject(new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`));
    this.invocations++;
    this.container.used = true;
    const id = this.nextId++;
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    return this.container.send(
      { id, event: JSON.parse(JSON.stringify(event ?? null)), deadlineMs: Date.now() + timeoutMs, requestId: randomUUID() },
      timeoutMs,
      () => new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds} seconds`),
    );
  }

  /**
   * Loads the handler's current source in a new container and, once it loaded, sends every new
   * invocation there; the old container finishes the invocations it has, then stops. When the new
   * code does not load (a syntax error, a missing export, a module that throws), rejects with the
   * error and keeps the old container: nothing changes. A container never invoked has not loaded
   * the handler yet: it is kept, and loads the current source on its first call (resolves false).
   */
  async reload(loadTimeoutMs = 60_000): Promise<boolean> {
    if (this.stopped) throw new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`);
    if (!this.container.used && !this.container.exited) return false;
    const next = new Container(this.fn, this.env, this.options, this.reportDuration);
    try {
      await next.send(
        { id: 0, load: true },
        loadTimeoutMs,
        () => new LambdaInvocationError('Runtime.InitTimeout', `${this.fn.entry} did not load within ${loadTimeoutMs} ms`),
      );
    } catch (error) {
      await next.stop();
      throw error;
    }
    if (this.stopped) {
      await next.stop();
      return false;
    }
    next.used = true; // it has loaded the handler: a later change must replace it
    const old = this.container;
    this.container = next;
    this.reloads++;
    this.retiring.add(old);
    void old
      .whenIdle()
      .then(() => old.stop())
      .finally(() => this.retiring.delete(old));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.container, ...this.retiring].map((c) => c.stop()));
  }
}
