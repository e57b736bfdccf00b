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
  onLog?: (line: string, fn: LocalFunction, stream: 'stdout' | 'stderr') => void;
  /**
   * The most execution environments (worker threads) the function runs at once: its concurrency.
   * Calls beyond it wait for one to be free. Default LAMBDA_CONCURRENCY, else 8.
   */
  maxEnvironments?: number;
}

/** How many execution environments one function may have at once, unless told (LAMBDA_CONCURRENCY). */
export function defaultMaxEnvironments(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.LAMBDA_CONCURRENCY);
  return Number.isInteger(value) && value >= 1 ? value : 8;
}

type WorkerReply = {
  id: number;
  ok: boolean;
  /** the handler's own run, ms (what Lambda bills as duration) */
  durationMs?: number;
  result?: unknown;
  error?: { errorType: string; errorMessage: string; trace: string[] };
};

/**
 * One worker thread: one execution environment, which — as in AWS Lambda — runs ONE invocation at
 * a time, so that the handler's module state (Powertools Logger's appended keys, its context) is
 * that invocation's alone.
 */
class Container {
  readonly worker: Worker;
  exited = false;
  /** the handler is loaded, or was tried: an invocation was sent, or a reload loaded it */
  used = false;
  /** taken by an invocation (or a load), from acquire to release */
  busy = false;
  private call?: { id: number; resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };
  /** its event loop's use when it stopped (a stopped worker no longer says) */
  private finalUse?: EventLoopUtilization;

  constructor(
    fn: LocalFunction,
    env: Record<string, string>,
    options: LocalLambdaOptions,
    /** told each invocation's handler duration, ms */
    onDuration: (ms: number) => void = () => {},
  ) {
    this.worker = new Worker(path.join(__dirname, 'lambda-worker.cjs'), {
      env,
      // not this process's flags: under `tsx`, a worker would get tsx's ESM loader, in a thread of
      // its own with its own esbuild process, left a zombie when the worker is terminated; the
      // worker registers tsx's require hook itself (lambda-worker.cjs), as under jest
      execArgv: [],
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
      for (const [name, stream] of [
        ['stdout', this.worker.stdout],
        ['stderr', this.worker.stderr],
      ] as const) {
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => onLog(line, fn, name));
      }
    }
    this.worker.on('message', (message: WorkerReply) => {
      if (message.durationMs !== undefined) onDuration(message.durationMs);
      const call = this.call;
      if (!call || call.id !== message.id) return;
      this.call = undefined;
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.result);
      else call.reject(new LambdaInvocationError(message.error!.errorType, message.error!.errorMessage, message.error!.trace));
    });
    this.worker.on('error', (error) => this.fail(new LambdaInvocationError('Lambda.ServiceException', `worker crashed: ${error.message}`)));
    this.worker.on('exit', () => {
      this.exited = true;
      this.fail(new LambdaInvocationError('Lambda.ServiceException', 'worker exited'));
    });
  }

  /**
   * Sends one invocation (or a load) and settles with its reply. On a timeout the environment is
   * thrown away, as Lambda restarts the runtime after one: the handler may still be running in it.
   */
  send(message: Record<string, unknown>, timeoutMs: number, timeoutError: () => Error): Promise<unknown> {
    const id = Number(message.id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.call = undefined;
        reject(timeoutError());
        void this.stop();
      }, timeoutMs);
      this.call = { id, resolve, reject, timer };
      this.worker.postMessage(message);
    });
  }

  eventLoopUtilization(): EventLoopUtilization {
    return this.finalUse ?? this.worker.performance.eventLoopUtilization();
  }

  async stop(): Promise<void> {
    if (!this.exited) this.finalUse = this.worker.performance.eventLoopUtilization();
    this.exited = true;
    await this.worker.terminate();
    this.fail(new LambdaInvocationError('Lambda.ServiceException', 'stopped'));
  }

  private fail(error: Error): void {
    const call = this.call;
    if (!call) return;
    this.call = undefined;
    clearTimeout(call.timer);
    call.reject(error);
  }
}

/**
 * A Lambda function running locally, with only its own environment (from the template, plus the
 * local endpoints), so that each function cold-starts and reads its configuration exactly as it
 * does in AWS.
 *
 * As in AWS, an execution environment (here a worker thread) runs one invocation at a time:
 * overlapping calls go to other environments, an idle one reused, else a new one (with its own
 * cold start), up to maxEnvironments; beyond that a call waits for one to be free.
 *
 * reload() replaces every environment with ones that run the handler's current source (as a
 * deployment does): invocations in flight finish in the old ones, new ones go to the new ones.
 */
export class LocalLambda {
  /** the environments of the current code */
  private pool: Container[] = [];
  private readonly retiring = new Set<Container>();
  private readonly waiting: { resolve: (container: Container) => void; reject: (error: Error) => void }[] = [];
  private readonly env: Record<string, string>;
  /** the event loop use of the environments stopped, summed */
  private readonly stoppedUse = { idle: 0, active: 0 };
  private readonly counted = new Set<Container>();
  private nextId = 1;
  private stopped = false;
  readonly maxEnvironments: number;
  invocations = 0;
  /** how many times reload() replaced the code */
  reloads = 0;
  /** Called with each invocation's handler duration, ms (what Lambda bills): for `npm run bench`. */
  onDuration?: (ms: number) => void;
  private readonly reportDuration = (ms: number) => this.onDuration?.(ms);
  /** how many environments were started (the first, and one per overlap beyond the idle ones) */
  environmentsStarted = 0;

  constructor(
    readonly fn: LocalFunction,
    /** the machine's environment for every function (region, credentials, local endpoints) */
    base: Record<string, string>,
    /** local values that win over the template's (secrets given directly, local log level) */
    overrides: Record<string, string> = {},
    private readonly options: LocalLambdaOptions = {},
  ) {
    this.env = { ...base, ...fn.environment, ...overrides, AWS_LAMBDA_FUNCTION_NAME: fn.logicalId };
    this.maxEnvironments = Math.max(1, options.maxEnvironments ?? defaultMaxEnvironments());
    // one environment ready (its thread started; the handler loads on the first call: the cold start)
    this.pool.push(this.newContainer());
  }

  /** The handler's source file, absolute. */
  get entryPath(): string {
    return path.resolve(PROJECT_ROOT, this.fn.entry);
  }

  /** How many environments run the current code now. */
  get environments(): number {
    return this.pool.filter((c) => !c.exited).length;
  }

  /**
   * How busy the function's threads have been (since `since`): for `npm run bench`. With several
   * environments, their idle and active times summed (the utilization is their average).
   */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization {
    let idle = this.stoppedUse.idle;
    let active = this.stoppedUse.active;
    for (const c of this.counted) {
      const use = c.eventLoopUtilization();
      idle += use.idle;
      active += use.active;
    }
    if (since) {
      idle -= since.idle;
      active -= since.active;
    }
    return { idle, active, utilization: idle + active > 0 ? active / (idle + active) : 0 };
  }

  /** Invokes the handler with a JSON copy of `event` (as Lambda does), within the function's timeout. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`);
    this.invocations++;
    const payload = JSON.parse(JSON.stringify(event ?? null));
    const container = await this.acquire();
    container.used = true;
    const id = this.nextId++;
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    try {
      return await container.send(
        { id, event: payload, deadlineMs: Date.now() + timeoutMs, requestId: randomUUID() },
        timeoutMs,
        () => new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds} seconds`),
      );
    } finally {
      this.release(container);
    }
  }

  /**
   * Loads the handler's current source in a new environment and, once it loaded, sends every new
   * invocation to the new code; the old environments finish the invocations they have, then stop.
   * When the new code does not load (a syntax error, a missing export, a module that throws),
   * rejects with the error and keeps the old environments: nothing changes. Environments never
   * invoked have not loaded the handler yet: they are kept, and load the current source on their
   * first call (resolves false).
   */
  async reload(loadTimeoutMs = 60_000): Promise<boolean> {
    if (this.stopped) throw new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`);
    if (!this.pool.some((c) => c.used && !c.exited)) return false;
    const next = this.newContainer();
    next.busy = true;
    await this.loadHandler(next, loadTimeoutMs);
    if (this.stopped) {
      await this.retire(next);
      return false;
    }
    next.used = true; // it has loaded the handler: a later change must replace it
    next.busy = false;
    const old = this.pool;
    this.pool = [next];
    this.reloads++;
    for (const c of old) {
      this.retiring.add(c);
      if (!c.busy) void this.retire(c);
    }
    this.dispatch();
    return true;
  }

  /**
   * Initializes environments before any call needs them, as Lambda's provisioned concurrency does
   * (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html): up to `count`
   * (at most maxEnvironments) environments of the current code, each with its handler loaded, so
   * that the first `count` overlapping calls pay no cold start. Resolves with how many environments
   * are initialized. Rejects with the load error when the handler does not load
   * (`Runtime.InitTimeout` after `loadTimeoutMs`); the environment that failed is stopped.
   */
  async provision(count = this.maxEnvironments, loadTimeoutMs = 60_000): Promise<number> {
    if (this.stopped) throw new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`);
    const target = Math.min(Math.max(0, count), this.maxEnvironments);
    const loads: Promise<void>[] = [];
    const load = async (container: Container) => {
      container.busy = true;
      // as a call does: a reload while it loads must replace it (it may have read the old source)
      container.used = true;
      try {
        await this.loadHandler(container, loadTimeoutMs);
      } finally {
        // a reload meanwhile retires it; otherwise it is free for the calls waiting
        this.release(container);
      }
    };
    // the idle environments that have not loaded the handler yet (the one every function starts with)
    for (const c of this.pool) if (!c.used && !c.busy && !c.exited && loads.length < target) loads.push(load(c));
    while (this.pool.filter((c) => !c.exited).length < target) {
      const container = this.newContainer();
      this.pool.push(container);
      loads.push(load(container));
    }
    // every load settled (the failed ones stopped) before answering
    const failed = (await Promise.allSettled(loads)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return this.pool.filter((c) => c.used && !c.exited).length;
  }

  /** Loads the handler in `container` (its cold start); one that does not load is stopped, and its error thrown. */
  private async loadHandler(container: Container, loadTimeoutMs: number): Promise<void> {
    try {
      await container.send(
        { id: 0, load: true },
        loadTimeoutMs,
        () => new LambdaInvocationError('Runtime.InitTimeout', `${this.fn.entry} did not load within ${loadTimeoutMs} ms`),
      );
    } catch (error) {
      await this.retire(container);
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiting.splice(0))
      waiter.reject(new LambdaInvocationError('Lambda.ServiceException', `${this.fn.logicalId} is stopped`));
    await Promise.all([...this.pool, ...this.retiring].map((c) => this.retire(c)));
  }

  private newContainer(): Container {
    const container = new Container(this.fn, this.env, this.options, this.reportDuration);
    this.environmentsStarted++;
    this.counted.add(container);
    return container;
  }

  /** An idle environment of the current code, a new one, or the first freed when all are busy. */
  private acquire(): Promise<Container> {
    return new Promise<Container>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.dispatch();
    });
  }

  /** Hands environments to the calls waiting, first come first served. */
  private dispatch(): void {
    if (this.stopped) return;
    this.pool = this.pool.filter((c) => {
      if (c.exited) void this.retire(c);
      return !c.exited;
    });
    while (this.waiting.length > 0) {
      let container = this.pool.find((c) => !c.busy);
      if (!container) {
        if (this.pool.length >= this.maxEnvironments) return;
        container = this.newContainer();
        this.pool.push(container);
      }
      container.busy = true;
      this.waiting.shift()!.resolve(container);
    }
  }

  private release(container: Container): void {
    container.busy = false;
    if (this.retiring.has(container) || container.exited) void this.retire(container);
    this.dispatch();
  }

  private async retire(container: Container): Promise<void> {
    this.retiring.delete(container);
    this.pool = this.pool.filter((c) => c !== container);
    if (this.counted.delete(container)) {
      await container.stop();
      const use = container.eventLoopUtilization();
      this.stoppedUse.idle += use.idle;
      this.stoppedUse.active += use.active;
    }
  }
}
