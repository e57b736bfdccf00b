import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { executionArnFor } from '../../lambdas/adapters/workflow-starter';
import { keys, LEDGER_PREFIX } from '../../lambdas/domain/keys';
import { failedInFailState, stepsOf, type Step, type StepsOptions } from './timeline';
import { OpsError, type Target } from '../cli/target';

type Item = Record<string, unknown>;

export interface ExecutionReport {
  eventId?: string;
  eventType?: string;
  workflow: string;
  executionArn: string;
  name: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  durationMs?: number;
  redriveCount: number;
  redriveDate?: string;
  error?: string;
  cause?: string;
  steps: Step[];
}

export interface OrderReport {
  order: Item;
  petalBalance?: number;
  ledger: Item[];
  emails: Item[];
  events: { eventId: string; type: string; workflow: string; receivedAt?: string; executionArns: string[] }[];
  executions: ExecutionReport[];
}

const iso = (date?: Date) => (date ? date.toISOString() : undefined);
const workflowOf = (target: Target, executionArn: string) =>
  target.stateMachines.find((m) => executionArn.startsWith(`${m.arn.replace(':stateMachine:', ':execution:')}:`))?.workflow ?? '?';

async function history(target: Target, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function describe(target: Target, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  try {
    return await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') throw new OpsError(`no execution ${executionArn}`);
    throw error;
  }
}

/** One execution: its status and every state it entered, with outcome and timing (and, with `steps.data`, each state's input and output). */
export async function executionReport(
  target: Target,
  executionArn: string,
  event?: { eventId: string; type: string },
  steps: StepsOptions = {},
): Promise<ExecutionReport> {
  const described = await describe(target, executionArn);
  const events = await history(target, executionArn);
  const start = described.startDate;
  const stop = described.stopDate;
  return {
    ...(event ? { eventId: event.eventId, eventType: event.type } : {}),
    workflow: workflowOf(target, executionArn),
    executionArn,
    name: described.name ?? '',
    status: described.status ?? '?',
    startDate: iso(start),
    stopDate: iso(stop),
    ...(start && stop ? { durationMs: stop.getTime() - start.getTime() } : {}),
    redriveCount: described.redriveCount ?? 0,
    ...(described.redriveDate ? { redriveDate: iso(described.redriveDate) } : {}),
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
    steps: stepsOf(events, described.status ?? '', steps),
  };
}

async function inboxRecord(target: Target, eventId: string): Promise<Item> {
  const { Item } = await target.db.send(
    new GetCommand({ TableName: target.tableName, Key: keys.stripeEvent(eventId), ConsistentRead: true }),
  );
  if (!Item)
    throw new OpsError(`no recorded Stripe event ${eventId} in ${target.tableName} (only events the webhook accepted are recorded)`);
  return Item;
}

const executionsOfRecord = (record: Item) =>
  [record.executionArn, ...((record.replays as string[] | undefined) ?? [])].filter((a): a is string => typeof a === 'string');

/**
 * An order and everything that happened to it: its ledger entries and emails, and every execution
 * of every Stripe event about it (by order id, or by its payment intent for charge events), state
 * by state. The events are found by scanning the event inbox. An execution that no longer exists
 * is listed with status MISSING and no steps (`ops reconcile` runs it again).
 */
export async function orderReport(target: Target, orderId: string): Promise<OrderReport> {
  const { Item: order } = await target.db.send(
    new GetCommand({ TableName: target.tableName, Key: keys.order(orderId), ConsistentRead: true }),
  );
  if (!order) throw new OpsError(`no order ${orderId} in ${target.tableName}`);
  const userId = order.userId as string | undefined;
  const query = async (pk: string, prefix: string) => {
    const { Items } = await target.db.send(
      new QueryCommand({
        TableName: target.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  };
  const ledger = userId
    ? (await query(keys.petalBalance(userId).pk, LEDGER_PREFIX)).filter((e) => (e.metadata as Item | undefined)?.orderId === orderId)
    : [];
  const balance = userId
    ? ((await target.db.send(new GetCommand({ TableName: target.tableName, Key: keys.petalBalance(userId), ConsistentRead: true }))).Item
        ?.balance as number | undefined)
    : undefined;
  const emails = await query(keys.order(orderId).pk, 'EMAIL#');

  const records: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  const paymentIntentId = order.paymentIntentId as string | undefined;
  do {
    const page = await target.db.send(
      new ScanCommand({
        TableName: target.tableName,
        FilterExpression: `begins_with(pk, :prefix) AND (orderId = :orderId${paymentIntentId ? ' OR #input.paymentIntentId = :pi' : ''})`,
        ExpressionAttributeValues: {
          ':prefix': 'STRIPE_EVENT#',
          ':orderId': orderId,
          ...(paymentIntentId ? { ':pi': paymentIntentId } : {}),
        },
        ...(paymentIntentId ? { ExpressionAttributeNames: { '#input': 'input' } } : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    records.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  const events = records
    .map((r) => ({
      eventId: r.eventId as string,
      type: r.type as string,
      workflow: r.workflow as string,
      ...(r.receivedAt ? { receivedAt: r.receivedAt as string } : {}),
      executionArns: executionsOfRecord(r),
    }))
    .sort((a, b) => String(a.receivedAt).localeCompare(String(b.receivedAt)));
  const executions: ExecutionReport[] = [];
  for (const event of events) {
    for (const arn of event.executionArns) {
      try {
        executions.push(await executionReport(target, arn, event));
      } catch (error) {
        if (!(error instanceof OpsError)) throw error;
        // the execution is gone (a local run killed mid-flight): the order's own records still tell
        executions.push({
          eventId: event.eventId,
          eventType: event.type,
          workflow: workflowOf(target, arn),
          executionArn: arn,
          name: arn.slice(arn.lastIndexOf(':') + 1),
          status: 'MISSING',
          redriveCount: 0,
          steps: [],
        });
      }
    }
  }
  executions.sort((a, b) => String(a.startDate).localeCompare(String(b.startDate)));
  return { order, ...(balance !== undefined ? { petalBalance: balance } : {}), ledger, emails, events, executions };
}

export interface ExecutionsQuery {
  status?: ExecutionStatus;
  workflow?: string;
  since?: Date;
  until?: Date;
  limit: number;
}

export interface ExecutionSummary {
  workflow: string;
  name: string;
  executionArn: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  durationMs?: number;
  redriveCount: number;
}

/** Executions of every workflow (or one), newest first, filtered by status and start time. */
export async function listExecutions(target: Target, query: ExecutionsQuery): Promise<ExecutionSummary[]> {
  const machines = query.workflow ? target.stateMachines.filter((m) => m.workflow === query.workflow) : target.stateMachines;
  if (query.workflow && machines.length === 0) {
    throw new OpsError(`no workflow ${query.workflow}; workflows: ${target.stateMachines.map((m) => m.workflow).join(', ')}`);
  }
  const found: ExecutionSummary[] = [];
  for (const machine of machines) {
    let nextToken: string | undefined;
    pages: do {
      const page = await target.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: machine.arn,
          ...(query.status ? { statusFilter: query.status } : {}),
          maxResults: 100,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const e of page.executions ?? []) {
        const started = e.startDate;
        // newest first: once before `since`, the rest is older still
        if (query.since && started && started < query.since) break pages;
        if (query.until && started && started > query.until) continue;
        found.push({
          workflow: machine.workflow,
          name: e.name ?? '',
          executionArn: e.executionArn ?? '',
          status: e.status ?? '?',
          startDate: iso(started),
          stopDate: iso(e.stopDate),
          ...(started && e.stopDate ? { durationMs: e.stopDate.getTime() - started.getTime() } : {}),
          redriveCount: e.redriveCount ?? 0,
        });
      }
      nextToken = page.nextToken;
    } while (nextToken && found.length < query.limit);
  }
  return found.sort((a, b) => String(b.startDate).localeCompare(String(a.startDate))).slice(0, query.limit);
}

async function waitUntilStopped(target: Target, executionArn: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await describe(target, executionArn);
    if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') return;
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An execution ARN, or the event id an execution (or its latest replay) was named after. */
async function executionFor(target: Target, executionOrEventId: string): Promise<string> {
  if (executionOrEventId.startsWith('arn:')) return executionOrEventId;
  const arns = executionsOfRecord(await inboxRecord(target, executionOrEventId));
  if (arns.length === 0) throw new OpsError(`event ${executionOrEventId} was recorded but no execution was started for it: replay it`);
  // the newest execution that did not succeed, else the newest
  for (const arn of [...arns].reverse()) {
    const { status } = await describe(target, arn);
    if (status !== 'SUCCEEDED') return arn;
  }
  return arns[arns.length - 1]!;
}

export interface RedriveOptions {
  wait: boolean;
  waitMs: number;
  /** redrive even an execution that failed in a Fail state (it fails there again) */
  force: boolean;
}

/**
 * RedriveExecution: the execution continues from the state that failed, with that state's input;
 * the states that succeeded are not run again. For a FAILED, ABORTED or TIMED_OUT execution of the
 * last 14 days, after the cause is fixed.
 */
export async function redrive(target: Target, executionOrEventId: string, options: RedriveOptions): Promise<ExecutionReport> {
  const executionArn = await executionFor(target, executionOrEventId);
  const before = await executionReport(target, executionArn);
  if (before.status === 'RUNNING') throw new OpsError(`${before.name} is still running: nothing to redrive`);
  if (before.status === 'SUCCEEDED')
    throw new OpsError(`${before.name} succeeded: nothing to redrive (to run its event again: ops replay)`);
  const failState = failedInFailState(before.steps);
  if (failState && !options.force) {
    throw new OpsError(
      `${before.name} ended in the Fail state "${failState.name}" (${before.error ?? 'failed'}): a redrive runs that state again and fails again. ` +
        'The steps that failed were caught inside the workflow; once their cause is fixed, run the event again with `ops replay` ' +
        '(every step is idempotent), or pass --force to redrive anyway.',
    );
  }
  try {
    await target.sfn.send(new RedriveExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionNotRedrivable')
      throw new OpsError(`${before.name} cannot be redriven: ${error.message}`);
    throw error;
  }
  if (options.wait) await waitUntilStopped(target, executionArn, options.waitMs);
  return executionReport(target, executionArn);
}

export interface ReplayOptions {
  wait: boolean;
  waitMs: number;
}

/**
 * Runs a recorded Stripe event again: a new execution of its workflow with the same normalised
 * input, named `<event id>-replay-<n>` (execution names are unique), recorded on the event's inbox
 * item. Safe because every effect is idempotent: what already happened is not done twice.
 */
export async function replay(target: Target, eventId: string, options: ReplayOptions): Promise<ExecutionReport> {
  const record = await inboxRecord(target, eventId);
  const workflow = record.workflow as string;
  const machine = target.stateMachines.find((m) => m.workflow === workflow);
  if (!machine) throw new OpsError(`event ${eventId} belongs to workflow ${workflow}, which ${target.description} does not have`);
  for (const arn of executionsOfRecord(record)) {
    const { status, name } = await describe(target, arn).catch(() => ({ status: undefined, name: arn }));
    if (status === 'RUNNING') throw new OpsError(`${name} is still running: wait for it (or stop it) before replaying ${eventId}`);
  }
  const replays = (record.replays as string[] | undefined) ?? [];
  const name = `${eventId}-replay-${replays.length + 1}`;
  const started = await target.sfn.send(
    new StartExecutionCommand({ stateMachineArn: machine.arn, name, input: JSON.stringify(record.input) }),
  );
  const executionArn = started.executionArn ?? executionArnFor(machine.arn, name);
  await target.db.send(
    new UpdateCommand({
      TableName: target.tableName,
      Key: keys.stripeEvent(eventId),
      UpdateExpression: 'SET replays = list_append(if_not_exists(replays, :none), :arn)',
      ExpressionAttributeValues: { ':none': [], ':arn': [executionArn] },
    }),
  );
  if (options.wait) await waitUntilStopped(target, executionArn, options.waitMs);
  return executionReport(target, executionArn, { eventId, type: record.type as string });
}
