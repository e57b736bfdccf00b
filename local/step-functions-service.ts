import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import './polyfills';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LocalLambda } from './local-lambda';
import type { LocalStateMachine } from './stack-template';
import { EXECUTION_NAME } from '../lambdas/domain/keys';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  timestamp: Date;
  type: string;
  /** state name, for state events */
  name?: string;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** ExecutionRedriven */
  redriveCount?: number;
}

export interface LocalExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  done: Promise<void>;
  /** RedriveExecution: how many times, and when last */
  redriveCount: number;
  redriveDate?: Date;
}

/** Step Functions keeps a failed execution redrivable for 14 days after it stopped. */
export const REDRIVABLE_DAYS = 14;

/** An AWS API error as the SDK expects it (its `__type` is the error name the SDK throws). */
export class AwsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

// Step Functions execution names: 1-80 characters, none of whitespace, brackets, wildcards,
// special characters "#%\^|~`$&,;:/ or control characters.

interface Machine {
  config: LocalStateMachine;
  stateMachine: StateMachine;
  runOptions: Omit<RunOptions, 'context'>;
}

export interface LocalStepFunctionsOptions {
  /**
   * 1 keeps the definitions' own Retry intervals, backoff and jitter. Below 1, every retry waits
   * IntervalSeconds × scale (without backoff), so that tests of retry paths run in milliseconds.
   */
  retryDelayScale?: number;
  /**
   * A file (JSON lines) where every execution that stops is written, and from which the executions
   * of earlier runs are read back at construction: `npm start` keeps them across restarts, so
   * DescribeExecution, ListExecutions, GetExecutionHistory and RedriveExecution still know them.
   * An execution still running when the process dies (or is aborted by stop()) is not written:
   * after a restart it is unknown, and the local stack starts it again (see local-stack.ts).
   * Undefined: executions live in memory only.
   */
  journalPath?: string;
}

/**
 * Runs before an execution's first state, once StartExecution has answered: the execution is
 * RUNNING with an empty history until the returned promise resolves. For tooling that needs the
 * workflows to wait (the bench holds them to measure the webhook alone); rejecting fails nothing:
 * the execution runs anyway.
 */
export type BeforeRunHook = (execution: LocalExecution) => Promise<void> | void;

interface JournalLine extends Omit<LocalExecution, 'done' | 'startDate' | 'stopDate' | 'redriveDate' | 'history'> {
  startDate: string;
  stopDate?: string;
  redriveDate?: string;
  history: (Omit<HistoryEvent, 'timestamp'> & { timestamp: string })[];
}

/**
 * Step Functions on this machine: runs the state machine definitions from the synthesized template
 * with aws-local-stepfunctions, their Lambda tasks bound to the local Lambda workers, and serves the
 * Step Functions API (AWS JSON 1.0) so that the webhook's SDK client reaches it unchanged through
 * AWS_ENDPOINT_URL_SFN.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, LocalExecution>();
  private readonly aborts = new Map<string, () => void>();
  private server?: http.Server;
  private beforeRun?: BeforeRunHook;
  private readonly journalPath?: string;
  /** set by stop(): executions aborted from now on are not journaled (they must run again) */
  private stopping = false;

  constructor(stateMachines: LocalStateMachine[], lambdas: ReadonlyMap<string, LocalLambda>, options: LocalStepFunctionsOptions = {}) {
    const scale = options.retryDelayScale ?? 1;
    this.journalPath = options.journalPath;
    for (const config of stateMachines) {
      const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<never>> = {};
      const retryIntervalOverrides: Record<string, number[]> = {};
      forEachState(config.definition, (stateName, state) => {
        if (state.Type === 'Task') {
          const lambda = lambdas.get(String(state.Resource));
          if (!lambda) throw new Error(`${config.name}: task "${stateName}" uses ${String(state.Resource)}, which has no local Lambda`);
          if (taskResourceLocalHandlers[stateName]) throw new Error(`${config.name}: two Task states are named "${stateName}"`);
          taskResourceLocalHandlers[stateName] = (input) => lambda.invoke(input) as Promise<never>;
        }
        const retry = state.Retry as { IntervalSeconds?: number }[] | undefined;
        if (retry && scale !== 1) retryIntervalOverrides[stateName] = retry.map((r) => (r.IntervalSeconds ?? 1) * 1000 * scale);
      });
      this.machines.set(config.arn, {
        config,
        stateMachine: new StateMachine(config.definition),
        runOptions: {
          overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, retryIntervalOverrides },
          noThrowOnAbort: true,
        },
      });
    }
    if (this.journalPath) this.readJournal(this.journalPath);
  }

  /** Loads the executions of earlier runs (the last line of an ARN wins: a redrive rewrites it). */
  private readJournal(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // a first run
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let saved: JournalLine;
      try {
        saved = JSON.parse(line) as JournalLine;
      } catch {
        continue; // a line cut short by a crash: that execution runs again
      }
      if (!this.machines.has(saved.stateMachineArn)) continue;
      const { stopDate, redriveDate, ...rest } = saved;
      this.executions.set(saved.executionArn, {
        ...rest,
        startDate: new Date(saved.startDate),
        ...(stopDate ? { stopDate: new Date(stopDate) } : {}),
        ...(redriveDate ? { redriveDate: new Date(redriveDate) } : {}),
        history: saved.history.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })),
        done: Promise.resolve(),
      });
    }
  }

  private writeJournal(execution: LocalExecution): void {
    if (!this.journalPath || this.stopping || execution.status === 'RUNNING') return;
    const { done: _done, ...rest } = execution;
    mkdirSync(path.dirname(this.journalPath), { recursive: true });
    appendFileSync(this.journalPath, `${JSON.stringify(rest)}\n`);
  }

  /**
   * Sets (or, with undefined, removes) the hook that runs before each execution started from now
   * on. One hook at a time.
   */
  setBeforeRun(hook: BeforeRunHook | undefined): void {
    this.beforeRun = hook;
  }

  get stateMachineArns(): string[] {
    return [...this.machines.keys()];
  }

  startExecution(stateMachineArn: string, name: string, input = '{}'): { executionArn: string; startDate: Date } {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    if (!EXECUTION_NAME.test(name)) throw new AwsApiError('InvalidName', `Invalid Name: '${name}'`);
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new AwsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Standard workflows: the same name and input while running is idempotent; otherwise refused.
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: existing.startDate };
      throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const startDate = new Date();
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate,
      history: [],
      done: Promise.resolve(),
      redriveCount: 0,
    };
    this.executions.set(executionArn, execution);
    const beforeRun = this.beforeRun;
    execution.done = (async () => {
      // done (waitFor) resolves when the execution has run, not when the hook lets it go
      if (beforeRun) await Promise.resolve(beforeRun(execution)).catch(() => undefined);
      await this.launch(execution, machine.stateMachine, machine.runOptions, parsedInput);
    })();
    return { executionArn, startDate };
  }

  /**
   * RedriveExecution: continues a FAILED, ABORTED or TIMED_OUT execution from the top-level state
   * that did not complete, with the input that state had, keeping its name, ARN, execution input
   * and history (the states that succeeded are not run again). Locally this runs the same
   * definition with that state as StartAt (aws-local-stepfunctions cannot resume mid-run).
   * Limits: a failed Parallel (or Map) state is run again whole, all its branches, where AWS runs
   * only the branches that failed; and, as in AWS, a redrive from a Fail state fails again.
   */
  redriveExecution(executionArn: string): Date {
    const execution = this.describeExecution(executionArn);
    const reason = this.notRedrivableReason(execution);
    if (reason) throw new AwsApiError('ExecutionNotRedrivable', reason);
    const machine = this.machines.get(execution.stateMachineArn)!;
    const definition = machine.config.definition;
    const from = unfinishedTopLevelState(execution.history, definition);
    const start = from ?? { name: definition.StartAt, input: JSON.parse(execution.input) as unknown };
    const resumed = new StateMachine({ ...definition, StartAt: start.name }, { validationOptions: { noValidate: true } });
    const redriveDate = new Date();
    execution.status = 'RUNNING';
    execution.redriveCount += 1;
    execution.redriveDate = redriveDate;
    for (const key of ['stopDate', 'output', 'error', 'cause'] as const) delete execution[key];
    this.aborted.delete(executionArn);
    execution.history.push({
      id: execution.history.length + 1,
      timestamp: redriveDate,
      type: 'ExecutionRedriven',
      name: start.name,
      redriveCount: execution.redriveCount,
    });
    execution.done = this.launch(execution, resumed, machine.runOptions, start.input, { skipStartEvent: true });
    return redriveDate;
  }

  /** Why RedriveExecution would refuse this execution (AWS's reasons), or undefined. */
  notRedrivableReason(execution: LocalExecution, now = new Date()): string | undefined {
    if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED')
      return `Execution is ${execution.status} and cannot be redriven`;
    if (execution.stopDate && now.getTime() - execution.stopDate.getTime() > REDRIVABLE_DAYS * 86_400_000)
      return 'Execution redrivable period exceeded';
    return undefined;
  }

  private launch(
    execution: LocalExecution,
    stateMachine: StateMachine,
    runOptions: Omit<RunOptions, 'context'>,
    input: unknown,
    options: { skipStartEvent?: boolean } = {},
  ): Promise<void> {
    const { executionArn } = execution;
    const machine = this.machines.get(execution.stateMachineArn)!;
    const run = stateMachine.run(input as never, {
      ...runOptions,
      context: {
        Execution: {
          Id: executionArn,
          Name: execution.name,
          Input: JSON.parse(execution.input) as never,
          StartTime: execution.startDate.toISOString(),
          RoleArn: 'local',
          ...({ RedriveCount: execution.redriveCount } as object),
        },
        StateMachine: { Id: execution.stateMachineArn, Name: machine.config.name },
      },
    });
    this.aborts.set(executionArn, run.abort);
    const recording = this.record(execution, run.eventLogs, options.skipStartEvent ?? false);
    return run.result
      .then((output) => {
        if (execution.status === 'RUNNING') {
          execution.status = output === null && this.aborted.has(executionArn) ? 'ABORTED' : 'SUCCEEDED';
          execution.output = JSON.stringify(output);
        }
      })
      .catch((error: Error & { cause?: Error }) => {
        const cause = error.cause;
        execution.status = error.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
        execution.error = cause?.name ?? error.name;
        execution.cause = cause?.message ?? error.message;
      })
      .then(() => recording)
      .finally(() => {
        execution.stopDate = new Date();
        this.aborts.delete(executionArn);
        this.writeJournal(execution);
      });
  }

  private readonly aborted = new Set<string>();

  stopExecution(executionArn: string): Date {
    const abort = this.aborts.get(executionArn);
    const execution = this.describeExecution(executionArn);
    if (abort && execution.status === 'RUNNING') {
      this.aborted.add(executionArn);
      execution.status = 'ABORTED';
      abort();
    }
    return new Date();
  }

  /** Whether an execution of that name exists on that state machine (in this run or the journal). */
  knows(stateMachineArn: string, name: string): boolean {
    return this.executions.has(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`);
  }

  describeExecution(executionArn: string): LocalExecution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  listExecutions(stateMachineArn?: string, statusFilter?: ExecutionStatus, redriveFilter?: 'REDRIVEN' | 'NOT_REDRIVEN'): LocalExecution[] {
    if (stateMachineArn && !this.machines.has(stateMachineArn)) {
      throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return [...this.executions.values()]
      .filter((e) => (!stateMachineArn || e.stateMachineArn === stateMachineArn) && (!statusFilter || e.status === statusFilter))
      .filter((e) => !redriveFilter || (redriveFilter === 'REDRIVEN') === e.redriveCount > 0)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** Resolves when the execution has finished (whatever its outcome). */
  async waitFor(executionArn: string): Promise<LocalExecution> {
    const execution = this.describeExecution(executionArn);
    await execution.done;
    return execution;
  }

  /** Resolves when no execution is running (including those started meanwhile). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.done));
    }
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  /**
   * Aborts what still runs and closes the API. Executions aborted here are not journaled: after a
   * restart on the same journal they are unknown and run again.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const [arn, abort] of this.aborts) {
      this.aborted.add(arn);
      abort();
    }
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
  }

  private async record(execution: LocalExecution, events: AsyncGenerator<unknown>, skipStartEvent: boolean): Promise<void> {
    let id = execution.history.length + 1;
    const enteredIds = new Map<string, number>();
    try {
      for await (const raw of events) {
        const event = raw as {
          type: string;
          timestamp: number;
          state?: { name: string; type: string; input?: unknown; output?: unknown };
          input?: unknown;
          output?: unknown;
          Error?: string;
          Cause?: unknown;
        };
        if (skipStartEvent && event.type === 'ExecutionStarted') continue;
        const type =
          event.state && ['StateEntered', 'StateExited'].includes(event.type)
            ? `${event.state.type}${event.type}`
            : event.state && event.type === 'StateFailed' && event.state.type === 'Task'
              ? 'TaskFailed'
              : event.type;
        const eventId = id++;
        // as in AWS, a state's later events lead back (previousEventId) to the state's entry
        const entered = event.state ? enteredIds.get(event.state.name) : undefined;
        if (event.state && event.type === 'StateEntered') enteredIds.set(event.state.name, eventId);
        execution.history.push({
          id: eventId,
          ...(entered !== undefined && event.type !== 'StateEntered' ? { previousEventId: entered } : {}),
          timestamp: new Date(event.timestamp),
          type,
          ...(event.state ? { name: event.state.name } : {}),
          ...(event.type === 'ExecutionStarted' ? { input: JSON.stringify(event.input) } : {}),
          ...(event.type === 'ExecutionSucceeded' ? { output: JSON.stringify(event.output) } : {}),
          ...(event.type === 'StateEntered' ? { input: JSON.stringify(event.state?.input) } : {}),
          ...(event.type === 'StateExited' ? { output: JSON.stringify(event.state?.output) } : {}),
          ...(event.Error !== undefined
            ? { error: event.Error, cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause) }
            : {}),
        });
      }
    } catch {
      // the execution's own outcome is recorded from its result
    }
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const send = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(body));
    };
    try {
      const params = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Record<string, string | undefined>;
      send(200, this.operation(operation, params));
    } catch (error) {
      if (error instanceof AwsApiError) send(error.statusCode, { __type: error.type, message: error.message }, error.type);
      else send(500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) }, 'InternalFailure');
    }
  }

  private operation(operation: string, params: Record<string, string | undefined>): unknown {
    const seconds = (date?: Date) => (date ? date.getTime() / 1000 : undefined);
    const summary = (e: LocalExecution) => ({
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: seconds(e.startDate),
      stopDate: seconds(e.stopDate),
      redriveCount: e.redriveCount,
      redriveDate: seconds(e.redriveDate),
    });
    switch (operation) {
      case 'StartExecution': {
        const started = this.startExecution(params.stateMachineArn ?? '', params.name ?? crypto.randomUUID(), params.input ?? '{}');
        return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
      }
      case 'DescribeExecution': {
        const e = this.describeExecution(params.executionArn ?? '');
        const notRedrivable = this.notRedrivableReason(e);
        return {
          ...summary(e),
          input: e.input,
          output: e.output,
          error: e.error,
          cause: e.cause,
          redriveStatus: notRedrivable ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
          ...(notRedrivable ? { redriveStatusReason: notRedrivable } : {}),
        };
      }
      case 'RedriveExecution':
        return { redriveDate: seconds(this.redriveExecution(params.executionArn ?? '')) };
      case 'StopExecution':
        return { stopDate: seconds(this.stopExecution(params.executionArn ?? '')) };
      case 'ListExecutions':
        return {
          executions: this.listExecutions(
            params.stateMachineArn,
            params.statusFilter as ExecutionStatus | undefined,
            params.redriveFilter as 'REDRIVEN' | 'NOT_REDRIVEN' | undefined,
          ).map(summary),
        };
      case 'GetExecutionHistory': {
        const events = this.describeExecution(params.executionArn ?? '').history.map((e) => ({
          ...e,
          timestamp: seconds(e.timestamp),
          ...awsEventDetails(e),
        }));
        return { events: (params.reverseOrder as unknown) === true ? events.reverse() : events };
      }
      case 'ListStateMachines':
        return {
          stateMachines: [...this.machines.values()].map((m) => ({
            stateMachineArn: m.config.arn,
            name: m.config.name,
            type: 'STANDARD',
            creationDate: 0,
          })),
        };
      case 'DescribeStateMachine': {
        const machine = this.machines.get(params.stateMachineArn ?? '');
        if (!machine) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${params.stateMachineArn}'`);
        return {
          stateMachineArn: machine.config.arn,
          name: machine.config.name,
          type: 'STANDARD',
          status: 'ACTIVE',
          definition: JSON.stringify(machine.config.definition),
          roleArn: 'local',
          creationDate: 0,
        };
      }
      default:
        throw new AwsApiError('UnknownOperationException', `operation ${operation || '(none)'} is not served locally`);
    }
  }
}

type AnyState = {
  Type: string;
  Resource?: unknown;
  Retry?: unknown;
  Branches?: StateMachineDefinition[];
  ItemProcessor?: StateMachineDefinition;
  Iterator?: StateMachineDefinition;
};

function forEachState(definition: StateMachineDefinition, visit: (name: string, state: AnyState) => void): void {
  for (const [name, raw] of Object.entries(definition.States)) {
    const state = raw as unknown as AnyState;
    visit(name, state);
    for (const branch of state.Branches ?? []) forEachState(branch, visit);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) forEachState(processor, visit);
  }
}

/**
 * The top-level state an unfinished execution stopped in (entered, never exited), with the input it
 * was entered with: where a redrive continues. Undefined when no top-level state was left open.
 */
export function unfinishedTopLevelState(
  history: readonly HistoryEvent[],
  definition: StateMachineDefinition,
): { name: string; input: unknown } | undefined {
  const topLevel = new Set(Object.keys(definition.States));
  const open = new Map<string, unknown>();
  let last: string | undefined;
  for (const event of history) {
    if (!event.name || !topLevel.has(event.name)) continue;
    if (event.type.endsWith('StateEntered')) {
      open.set(event.name, event.input === undefined ? undefined : JSON.parse(event.input));
      last = event.name;
    } else if (event.type.endsWith('StateExited')) {
      open.delete(event.name);
    }
  }
  return last !== undefined && open.has(last) ? { name: last, input: open.get(last) } : undefined;
}

/** The same event with the detail objects of AWS's HistoryEvent, so that the SDK keeps them. */
function awsEventDetails(e: HistoryEvent): Record<string, unknown> {
  if (e.type === 'ExecutionStarted') return { executionStartedEventDetails: { input: e.input } };
  if (e.type === 'ExecutionSucceeded') return { executionSucceededEventDetails: { output: e.output } };
  if (e.type === 'ExecutionFailed') return { executionFailedEventDetails: { error: e.error, cause: e.cause } };
  if (e.type === 'ExecutionRedriven') return { executionRedrivenEventDetails: { redriveCount: e.redriveCount } };
  if (e.type.endsWith('StateEntered')) return { stateEnteredEventDetails: { name: e.name, input: e.input } };
  if (e.type.endsWith('StateExited')) return { stateExitedEventDetails: { name: e.name, output: e.output } };
  if (e.type === 'TaskFailed')
    return { taskFailedEventDetails: { resourceType: 'lambda', resource: e.name, error: e.error, cause: e.cause } };
  return {};
}
