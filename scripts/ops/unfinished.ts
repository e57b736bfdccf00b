import { DescribeExecutionCommand, RedriveExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { executionArnFor } from '../../lambdas/adapters/workflow-starter';
import { keys } from '../../lambdas/domain/keys';
import { executionNameOf, scanInbox, type InboxEvent } from '../../local/inbox-scan';
import { executionReport, replay } from './commands';
import { failedInFailState } from './timeline';
import type { Target } from '../cli/target';

/**
 * Why an accepted event is not finished:
 * - missing: no execution of it exists (never started, or lost, e.g. a local run killed mid-burst)
 * - FAILED, TIMED_OUT, ABORTED: its newest execution stopped so, and none succeeded
 * - running-long: an execution has been running longer than the threshold
 */
export type UnfinishedReason = 'missing' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'running-long';

export interface UnfinishedEvent {
  eventId: string;
  type: string;
  workflow: string;
  orderId?: string;
  receivedAt?: string;
  reason: UnfinishedReason;
  /** the execution the reason is about (for missing: the one that should exist) */
  executionArn?: string;
  /** for running-long: how long it has run, in ms */
  runningMs?: number;
}

/**
 * Every inbox event (every Stripe event the webhook acknowledged) whose work is not done: none of
 * its executions (the first and the operator's replays) succeeded, and none is running for less
 * than `stuckAfterMs` (an event received less than `stuckAfterMs` ago with no execution yet is
 * taken as in progress too: the webhook may be between recording and starting it). Reads the
 * inbox with a table scan and each execution with DescribeExecution.
 */
export async function unfinishedEvents(target: Target, options: { stuckAfterMs: number; now?: Date }): Promise<UnfinishedEvent[]> {
  const now = (options.now ?? new Date()).getTime();
  const found: UnfinishedEvent[] = [];
  for (const event of await scanInbox(target.db, target.tableName)) {
    const machine = target.stateMachines.find((m) => m.workflow === event.workflow);
    const base = {
      eventId: event.eventId,
      type: event.type,
      workflow: event.workflow,
      ...(event.orderId ? { orderId: event.orderId } : {}),
      ...(event.receivedAt ? { receivedAt: event.receivedAt } : {}),
    };
    const expected = event.executionArn ?? (machine ? executionArnFor(machine.arn, executionNameOf(event)) : undefined);
    const arns = [expected, ...event.replays].filter((a): a is string => typeof a === 'string');
    const described = [];
    for (const arn of arns) {
      try {
        const d = await target.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        described.push({ arn, status: d.status ?? '?', startDate: d.redriveDate ?? d.startDate });
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ExecutionDoesNotExist')) throw error;
      }
    }
    if (described.some((d) => d.status === 'SUCCEEDED')) continue;
    const running = described.find((d) => d.status === 'RUNNING' || d.status === 'PENDING_REDRIVE');
    if (running) {
      const runningMs = now - (running.startDate?.getTime() ?? now);
      if (runningMs > options.stuckAfterMs) found.push({ ...base, reason: 'running-long', executionArn: running.arn, runningMs });
      continue;
    }
    const newest = described[described.length - 1];
    if (newest) {
      found.push({ ...base, reason: newest.status as UnfinishedReason, executionArn: newest.arn });
      continue;
    }
    const age = now - (event.receivedAt ? Date.parse(event.receivedAt) : 0);
    if (event.executionArn || age > options.stuckAfterMs)
      found.push({ ...base, reason: 'missing', ...(expected ? { executionArn: expected } : {}) });
  }
  return found;
}

export interface ReconcileAction {
  eventId: string;
  reason: UnfinishedReason;
  /** start: the missing execution, with its name and the recorded input; redrive: RedriveExecution; replay: `ops replay`; none: left alone */
  action: 'start' | 'redrive' | 'replay' | 'none';
  executionArn?: string;
  /** why `none`, or what failed */
  note?: string;
  /** false with --dry-run */
  done: boolean;
}

/**
 * Re-drives every unfinished event (see unfinishedEvents): a missing execution is started with
 * the name it should have and the recorded input (and recorded on the inbox item if it was not);
 * a FAILED, TIMED_OUT or ABORTED one is redriven where Step Functions allows it and the failure was
 * not a Fail state (which would only fail again), else replayed; one running too long is left alone
 * (it may still finish: stop it first to have it replayed). Every effect is idempotent, so an
 * action that turns out unneeded changes nothing. With dryRun, says what it would do. Does not
 * wait for the executions; an action that fails is reported in `note` and the sweep goes on.
 */
export async function reconcile(target: Target, options: { stuckAfterMs: number; dryRun: boolean }): Promise<ReconcileAction[]> {
  const actions: ReconcileAction[] = [];
  const inbox = new Map((await scanInbox(target.db, target.tableName)).map((e) => [e.eventId, e]));
  for (const unfinished of await unfinishedEvents(target, options)) {
    const event = inbox.get(unfinished.eventId)!;
    const base = { eventId: unfinished.eventId, reason: unfinished.reason };
    let action: ReconcileAction['action'];
    let note: string | undefined;
    if (unfinished.reason === 'running-long') {
      action = 'none';
      note = 'still running: wait, or stop it and reconcile again';
    } else if (unfinished.reason === 'missing') {
      action = 'start';
    } else {
      const report = await executionReport(target, unfinished.executionArn!);
      const described = await target.sfn.send(new DescribeExecutionCommand({ executionArn: unfinished.executionArn! }));
      action = described.redriveStatus === 'REDRIVABLE' && !failedInFailState(report.steps) ? 'redrive' : 'replay';
    }
    if (options.dryRun || action === 'none') {
      actions.push({
        ...base,
        action,
        ...(unfinished.executionArn ? { executionArn: unfinished.executionArn } : {}),
        ...(note ? { note } : {}),
        done: false,
      });
      continue;
    }
    try {
      const executionArn = await act(target, event, unfinished, action);
      actions.push({ ...base, action, executionArn, done: true });
    } catch (error) {
      actions.push({ ...base, action, done: false, note: error instanceof Error ? error.message : String(error) });
    }
  }
  return actions;
}

/** Does one reconcile action; returns the execution that now does the event's work. Throws the SDK's error. */
async function act(
  target: Target,
  event: InboxEvent,
  unfinished: UnfinishedEvent,
  action: 'start' | 'redrive' | 'replay',
): Promise<string> {
  if (action === 'redrive') {
    await target.sfn.send(new RedriveExecutionCommand({ executionArn: unfinished.executionArn! }));
    return unfinished.executionArn!;
  }
  if (action === 'replay') return (await replay(target, event.eventId, { wait: false, waitMs: 0 })).executionArn;
  const machine = target.stateMachines.find((m) => m.workflow === event.workflow);
  if (!machine) throw new Error(`workflow ${event.workflow} is not in ${target.description}`);
  const name = executionNameOf(event);
  let executionArn: string;
  try {
    const started = await target.sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine.arn, name, input: JSON.stringify(event.input) }),
    );
    executionArn = started.executionArn ?? executionArnFor(machine.arn, name);
  } catch (error) {
    // started meanwhile (by Stripe's redelivery): that is the execution we wanted
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    executionArn = executionArnFor(machine.arn, name);
  }
  if (!event.executionArn) {
    await target.db.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: keys.stripeEvent(event.eventId),
        UpdateExpression: 'SET executionArn = if_not_exists(executionArn, :arn), startedAt = if_not_exists(startedAt, :now)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':arn': executionArn, ':now': new Date().toISOString() },
      }),
    );
  }
  return executionArn;
}
