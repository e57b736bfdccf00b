import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { workflowName } from '../../scripts/ops/target';
import { failedInFailState, stepsOf } from '../../scripts/ops/timeline';

/** A history as AWS's GetExecutionHistory returns it (the local service answers the same shape). */
const t = (s: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, s));
const ev = (id: number, type: string, s: number, more: Partial<HistoryEvent> = {}): HistoryEvent =>
  ({ id, type, timestamp: t(s), ...(id > 1 ? { previousEventId: id - 1 } : {}), ...more }) as HistoryEvent;
const entered = (id: number, type: string, name: string, s: number, previousEventId = id - 1) =>
  ev(id, `${type}StateEntered`, s, { previousEventId, stateEnteredEventDetails: { name, input: '{}' } });
const exited = (id: number, type: string, name: string, s: number, previousEventId = id - 1) =>
  ev(id, `${type}StateExited`, s, { previousEventId, stateExitedEventDetails: { name, output: '{}' } });

describe('an execution timeline from AWS history', () => {
  const history: HistoryEvent[] = [
    ev(1, 'ExecutionStarted', 0),
    entered(2, 'Task', 'Record payment', 0),
    ev(3, 'TaskScheduled', 0),
    ev(4, 'TaskStarted', 0),
    ev(5, 'TaskFailed', 1, {
      taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'TransientError', cause: 'throttled' },
    }),
    ev(6, 'TaskScheduled', 3),
    ev(7, 'TaskStarted', 3),
    ev(8, 'TaskSucceeded', 4),
    exited(9, 'Task', 'Record payment', 4),
    entered(10, 'Parallel', 'Fulfil', 4),
    // two branches, interleaved: the email fails after the Printify task was entered
    entered(11, 'Task', 'Send confirmation email', 4, 10),
    entered(12, 'Task', 'Create Printify order', 4, 10),
    ev(13, 'TaskScheduled', 4, { previousEventId: 11 }),
    ev(14, 'TaskScheduled', 4, { previousEventId: 12 }),
    ev(15, 'TaskFailed', 5, {
      previousEventId: 13,
      taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'States.TaskFailed', cause: 'SES down' },
    }),
    exited(16, 'Task', 'Send confirmation email', 5, 15),
    ev(17, 'TaskSucceeded', 6, { previousEventId: 14 }),
    exited(18, 'Task', 'Create Printify order', 6, 17),
    exited(19, 'Parallel', 'Fulfil', 6),
    entered(20, 'Fail', 'Fulfil: some steps failed', 6),
    ev(21, 'ExecutionFailed', 6, { executionFailedEventDetails: { error: 'FulfilmentIncomplete', cause: 'see the failed branch' } }),
  ];
  const steps = stepsOf(history, 'FAILED');
  const step = (name: string) => steps.find((s) => s.name === name)!;

  it('has every state in order, with its duration and depth', () => {
    expect(steps.map((s) => [s.name, s.depth])).toEqual([
      ['Record payment', 0],
      ['Fulfil', 0],
      ['Send confirmation email', 1],
      ['Create Printify order', 1],
      ['Fulfil: some steps failed', 0],
    ]);
    expect(step('Record payment')).toMatchObject({
      type: 'Task',
      status: 'succeeded',
      durationMs: 4000,
      attempts: 2,
      retriedAfter: 'TransientError',
    });
    expect(step('Fulfil')).toMatchObject({ type: 'Parallel', status: 'succeeded', durationMs: 2000 });
  });

  it("attributes a branch's failure to its own task (previousEventId), not to the last task entered", () => {
    expect(step('Send confirmation email')).toMatchObject({ status: 'caught', error: 'States.TaskFailed', cause: 'SES down' });
    expect(step('Create Printify order')).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(step('Create Printify order').error).toBeUndefined();
  });

  it('ends in the Fail state with the execution error, which a redrive would only repeat', () => {
    expect(step('Fulfil: some steps failed')).toMatchObject({ type: 'Fail', status: 'failed', error: 'FulfilmentIncomplete' });
    expect(failedInFailState(steps)?.name).toBe('Fulfil: some steps failed');
  });

  it('a task that failed for good is the failed step; a redrive enters it again', () => {
    const failedTask: HistoryEvent[] = [
      ev(1, 'ExecutionStarted', 0),
      entered(2, 'Task', 'Award subscription petals', 0),
      ev(3, 'TaskScheduled', 0),
      ev(4, 'TaskFailed', 1, { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'TransientError' } }),
      ev(5, 'ExecutionFailed', 1, { executionFailedEventDetails: { error: 'TransientError' } }),
      ev(6, 'ExecutionRedriven', 9, { executionRedrivenEventDetails: { redriveCount: 1 } }),
      entered(7, 'Task', 'Award subscription petals', 9),
      ev(8, 'TaskScheduled', 9),
      ev(9, 'TaskSucceeded', 10),
      exited(10, 'Task', 'Award subscription petals', 10),
      ev(11, 'ExecutionSucceeded', 10),
    ];
    const redriven = stepsOf(failedTask, 'SUCCEEDED');
    expect(redriven.map((s) => [s.status, s.redrive ?? 0, s.error])).toEqual([
      ['failed', 0, 'TransientError'],
      ['succeeded', 1, undefined],
    ]);
    expect(failedInFailState(stepsOf(failedTask.slice(0, 5), 'FAILED'))).toBeUndefined();
  });
});

describe('workflow names of the ops target', () => {
  it('reads them from a local logical id or from a deployed stack output', () => {
    expect(workflowName('WorkflowsFulfilmentC216901F')).toBe('fulfilment');
    expect(workflowName('WorkflowsCheckoutExpiredD371ECC5')).toBe('checkoutExpired');
    expect(workflowName('SubscriptionPaymentStateMachineArn')).toBe('subscriptionPayment');
    expect(workflowName('DisputeStateMachineArn')).toBe('dispute');
  });
});

describe("a timeline with each state's input and output (the console's)", () => {
  const history = [
    ev(1, 'ExecutionStarted', 0),
    ev(2, 'TaskStateEntered', 0, { stateEnteredEventDetails: { name: 'Record payment', input: '{"orderId":"ord_1"}' } }),
    ev(3, 'TaskStateExited', 1, { stateExitedEventDetails: { name: 'Record payment', output: '{"paid":true}' } }),
  ];

  it('keeps them only when asked: the ops report stays as it was', () => {
    expect(stepsOf(history, 'SUCCEEDED', { data: true })[0]).toMatchObject({ input: '{"orderId":"ord_1"}', output: '{"paid":true}' });
    expect(stepsOf(history, 'SUCCEEDED')[0]).not.toHaveProperty('input');
    expect(stepsOf(history, 'SUCCEEDED')[0]).not.toHaveProperty('output');
  });
});
