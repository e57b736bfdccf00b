import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type StepStatus = 'succeeded' | 'caught' | 'failed' | 'running' | 'not finished';

/** One state of an execution, as an operator reads it: what it did, how long, how often it tried. */
export interface Step {
  name: string;
  /** Task, Choice, Parallel, Pass, Fail, Succeed … */
  type: string;
  status: StepStatus;
  enteredAt: string;
  exitedAt?: string;
  durationMs?: number;
  /** attempts of a Task (1 + retries) */
  attempts?: number;
  /** the error of a failed or caught step */
  error?: string;
  cause?: string;
  /** the last error a retry got past */
  retriedAfter?: string;
  /** entered again in a redrive (the count of the redrive) */
  redrive?: number;
  /** 0 for a top-level state, 1 inside a Parallel (or Map) branch, … */
  depth: number;
  /** the state's input and output as JSON text (only with stepsOf's `data` option) */
  input?: string;
  output?: string;
}

export interface StepsOptions {
  /** keep each state's input and output (the console shows them; the ops report leaves them out) */
  data?: boolean;
}

/**
 * Every state an execution entered, in order, with its outcome and timing, from its history (AWS's
 * GetExecutionHistory shape; the local Step Functions service answers the same). A Task's failure is
 * the failure of the last Task entered and not yet exited; a retried Task counts its attempts (AWS:
 * each TaskScheduled; locally: StateRetried).
 */
export function stepsOf(events: readonly HistoryEvent[], executionStatus: string, options: StepsOptions = {}): Step[] {
  const steps: Step[] = [];
  const open: Step[] = [];
  let redrive = 0;
  const at = (e: HistoryEvent) => (e.timestamp instanceof Date ? e.timestamp : new Date(e.timestamp ?? 0));
  const byId = new Map(events.map((e) => [e.id, e]));
  const stepByEntry = new Map<number | undefined, Step>();
  const lastOpenTask = () => [...open].reverse().find((s) => s.type === 'Task');
  /** The step an event belongs to: back along previousEventId to the state's entry, else the last open Task. */
  const stepOf = (event: HistoryEvent): Step | undefined => {
    let cursor: HistoryEvent | undefined = event;
    for (let hops = 0; cursor && hops < 20; hops++) {
      const step = stepByEntry.get(cursor.id);
      if (step && cursor !== event) return step;
      cursor = cursor.previousEventId !== undefined ? byId.get(cursor.previousEventId) : undefined;
    }
    return lastOpenTask();
  };
  for (const event of events) {
    const type: string = event.type ?? '';
    if (type === 'ExecutionRedriven') {
      redrive = event.executionRedrivenEventDetails?.redriveCount ?? redrive + 1;
      // what was left open when the execution stopped is entered again by the redrive
      for (const step of open.splice(0)) step.status = step.status === 'running' ? 'failed' : step.status;
      continue;
    }
    if (type.endsWith('StateEntered')) {
      const step: Step = {
        name: event.stateEnteredEventDetails?.name ?? '?',
        type: type.slice(0, -'StateEntered'.length),
        status: 'running',
        enteredAt: at(event).toISOString(),
        depth: open.filter((s) => s.type === 'Parallel' || s.type === 'Map').length,
        ...(type === 'TaskStateEntered' ? { attempts: 1 } : {}),
        ...(redrive ? { redrive } : {}),
        ...(options.data && event.stateEnteredEventDetails?.input !== undefined ? { input: event.stateEnteredEventDetails.input } : {}),
      };
      steps.push(step);
      open.push(step);
      stepByEntry.set(event.id, step);
    } else if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name;
      const index = open.map((s) => s.name).lastIndexOf(name ?? '');
      if (index < 0) continue;
      const [step] = open.splice(index, 1) as [Step];
      step.exitedAt = at(event).toISOString();
      step.durationMs = Date.parse(step.exitedAt) - Date.parse(step.enteredAt);
      step.status = step.error ? 'caught' : 'succeeded';
      if (options.data && event.stateExitedEventDetails?.output !== undefined) step.output = event.stateExitedEventDetails.output;
    } else if (type === 'TaskScheduled' || type === 'StateRetried') {
      // AWS schedules the task again after a failure; locally a StateRetried event says so
      const task = stepOf(event);
      if (task && (type === 'StateRetried' || task.error !== undefined)) {
        task.attempts = (task.attempts ?? 1) + 1;
        if (task.error !== undefined) task.retriedAfter = task.error;
        delete task.error;
        delete task.cause;
      }
    } else if (type === 'TaskFailed' || type === 'TaskTimedOut' || type === 'LambdaFunctionFailed') {
      const details = event.taskFailedEventDetails ?? event.taskTimedOutEventDetails ?? event.lambdaFunctionFailedEventDetails;
      const task = stepOf(event);
      if (task) {
        task.error = details?.error ?? type;
        if (details?.cause) task.cause = details.cause;
      }
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      const details = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
      const innermost = open[open.length - 1];
      if (innermost && innermost.error === undefined && details?.error) {
        innermost.error = details.error;
        if (details.cause) innermost.cause = details.cause;
      }
    }
  }
  const stopped = executionStatus !== 'RUNNING';
  for (const step of open) step.status = stopped ? (step.error || step === open[open.length - 1] ? 'failed' : 'not finished') : 'running';
  return steps;
}

/** The top-level state an execution stopped in, if it failed in a Fail state (a redrive fails again there). */
export function failedInFailState(steps: readonly Step[]): Step | undefined {
  const last = [...steps].reverse().find((s) => s.status === 'failed');
  return last?.type === 'Fail' ? last : undefined;
}
