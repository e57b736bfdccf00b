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
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { partitionKeysOfPaymentIntent } from '../../lambdas/adapters/dynamodb';
import { executionArnFor } from '../../lambdas/adapters/workflow-starter';
import { EMAIL_PREFIX, idsOfKeys, keys, LEDGER_PREFIX, PRINTIFY_EVENT_PREFIX } from '../../lambdas/domain/keys';
import { type Order, type OrderItem, unfulfilledPaymentsOf } from '../../lambdas/domain/order';
import type { ShippingAddress } from '../../lambdas/domain/workflow-input';
import type { ShipmentFields } from '../../lambdas/printify-webhook/use-case';
import { failedInFailState, stepsOf, type Step, type StepsOptions } from './timeline';
import { OpsError, type Target, UsageError } from '../cli/target';

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

/** One moment of an order's life, as its item records it; the last (`now …`, the current status) has no time of its own. */
export interface OrderMoment {
  at?: string;
  what: string;
}

export interface OrderReport {
  /** the order item as stored */
  order: Item;
  /** its status history, oldest first: the moments the order item records (statuses are not kept one by one) */
  history: OrderMoment[];
  /** minor units of `currency` */
  amounts: { currency: string; total: number; refunded: number; disputed?: number; disputeStatus?: string };
  address?: ShippingAddress;
  items: OrderItem[];
  /**
   * the Printify order: Printify's id, and its status as Printify last reported it (order:updated),
   * else what its latest recorded webhook event said (`statusFrom`: that event's topic)
   */
  printify?: { orderId: string; status?: string; statusAt?: string; statusFrom?: string; sentToProductionAt?: string };
  tracking?: { carrier?: string; number?: string; url?: string; shippedAt?: string };
  delivery?: { deliveredAt: string };
  /** Printify's webhook events applied to the order, oldest first */
  printifyEvents: Item[];
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
  const emails = await query(keys.order(orderId).pk, EMAIL_PREFIX);
  // by Printify's time, then (events of the same second) by when they were received
  const printifyEvents = (await query(keys.order(orderId).pk, PRINTIFY_EVENT_PREFIX)).sort(
    (a, b) => String(a.at).localeCompare(String(b.at)) || String(a.receivedAt).localeCompare(String(b.receivedAt)),
  );

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
  const facts = orderFacts(order as unknown as Order & ShipmentFields);
  const latest = printifyEvents.at(-1);
  if (facts.printify && !facts.printify.status && latest) {
    facts.printify = { ...facts.printify, status: String(latest.kind), statusAt: String(latest.at), statusFrom: String(latest.topic) };
  }
  return {
    order,
    ...facts,
    printifyEvents,
    ...(balance !== undefined ? { petalBalance: balance } : {}),
    ledger,
    emails,
    events,
    executions,
  };
}

/** The moments an order item records, in the order they happen (a status change has no item of its own). */
const MOMENTS: [keyof (Order & ShipmentFields), string][] = [
  ['createdAt', 'created (pending)'],
  ['paidAt', 'paid'],
  ['printifyAttemptedAt', 'Printify order first attempted'],
  ['printifySentToProductionAt', 'in production (Printify sent it to production)'],
  ['shippedAt', 'shipped'],
  ['deliveredAt', 'delivered'],
];

/** What `ops order` shows of the order item itself: history, amounts, address, items, Printify, tracking, delivery. */
export function orderFacts(
  order: Order & ShipmentFields,
): Omit<OrderReport, 'order' | 'printifyEvents' | 'petalBalance' | 'ledger' | 'emails' | 'events' | 'executions'> {
  const history: OrderMoment[] = MOMENTS.filter(([key]) => typeof order[key] === 'string').map(([key, what]) => ({
    at: order[key] as string,
    what,
  }));
  for (const [refundId, refund] of Object.entries(order.refunds ?? {})) {
    history.push({
      at: new Date(refund.at * 1000).toISOString(),
      what: `refund ${refundId}: ${refund.amount} ${order.currency} ${refund.status}`,
    });
  }
  if (order.printifyStatus && order.printifyStatusAt)
    history.push({ at: order.printifyStatusAt, what: `Printify status ${order.printifyStatus}` });
  if (order.heldPayment) history.push({ at: order.heldPayment.heldAt, what: `payment held: ${order.heldPayment.reason}` });
  if (order.holdResolution) history.push({ at: order.holdResolution.at, what: `hold resolved: ${order.holdResolution.action}` });
  for (const [key, payment] of Object.entries(unfulfilledPaymentsOf(order))) {
    history.push({ at: payment.at, what: `paid, not fulfilled: ${key} ${payment.amountTotal ?? '?'} ${payment.currency ?? ''}`.trim() });
    if (payment.resolution) history.push({ at: payment.resolution.at, what: `unfulfilled payment ${key} ${payment.resolution.action}` });
  }
  if (order.disputeEventAt)
    history.push({ at: new Date(order.disputeEventAt * 1000).toISOString(), what: `dispute ${order.disputeStatus ?? ''}`.trim() });
  // by time to the second: Stripe's and Printify's times have whole seconds, ours milliseconds, so
  // within one second the moments keep their lifecycle order (the sort is stable)
  const second = (at?: string) => Math.floor((at ? Date.parse(at) : Number.NaN) / 1000) || 0;
  history.sort((a, b) => second(a.at) - second(b.at));
  // the current status, last: the order item keeps no time of the change to it (updatedAt is its last write)
  history.push({
    what: `now ${order.status}${order.status === 'shipped' && order.deliveredAt ? ' (delivered)' : ''}${order.failureReason ? `: ${order.failureReason}` : ''}`,
  });
  const tracking = {
    ...(order.carrier ? { carrier: order.carrier } : {}),
    ...(order.trackingNumber ? { number: order.trackingNumber } : {}),
    ...(order.trackingUrl ? { url: order.trackingUrl } : {}),
    ...(order.shippedAt ? { shippedAt: order.shippedAt } : {}),
  };
  return {
    history,
    amounts: {
      currency: order.currency,
      total: order.amountTotal,
      refunded: order.amountRefunded ?? 0,
      ...(order.disputeAmount !== undefined ? { disputed: order.disputeAmount } : {}),
      ...(order.disputeAmount !== undefined && order.disputeStatus ? { disputeStatus: order.disputeStatus } : {}),
    },
    ...(order.shippingAddress ? { address: order.shippingAddress } : {}),
    items: order.items ?? [],
    ...(order.printifyOrderId
      ? {
          printify: {
            orderId: order.printifyOrderId,
            ...(order.printifyStatus ? { status: order.printifyStatus } : {}),
            ...(order.printifyStatusAt ? { statusAt: order.printifyStatusAt } : {}),
            ...(order.printifySentToProductionAt ? { sentToProductionAt: order.printifySentToProductionAt } : {}),
          },
        }
      : {}),
    ...(Object.keys(tracking).length ? { tracking } : {}),
    ...(order.deliveredAt ? { delivery: { deliveredAt: order.deliveredAt } } : {}),
  };
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
  /** the Stripe event it ran for (its name, less a replay's suffix), its type, and the order it is about, from the inbox */
  eventId: string;
  eventType?: string;
  /** the order it is about: the event's own, else the order (or invoice) holding its payment intent */
  orderId?: string;
  invoiceId?: string;
  /** the payment intent a refund or dispute event names, when it names no order */
  paymentIntentId?: string;
}

/** The Stripe event an execution ran for: its name, less a replay's `-replay-<n>` suffix. */
export const eventIdOfExecution = (name: string): string => name.replace(/-replay-\d+$/, '');

/** The inbox records of these events (those the webhook recorded), by event id; BatchGet, 100 keys at a time. */
async function inboxRecords(target: Target, eventIds: readonly string[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Set(eventIds)];
  for (let i = 0; i < unique.length; i += 100) {
    let keysLeft: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => keys.stripeEvent(id));
    for (let round = 0; keysLeft?.length && round < 5; round++) {
      const page: BatchGetCommandOutput = await target.db.send(
        new BatchGetCommand({ RequestItems: { [target.tableName]: { Keys: keysLeft } } }),
      );
      for (const item of page.Responses?.[target.tableName] ?? []) found.set(String(item.eventId), item);
      keysLeft = page.UnprocessedKeys?.[target.tableName]?.Keys;
    }
  }
  return found;
}

/** Executions of every workflow (or one), newest first, filtered by status and start time. */
export async function listExecutions(target: Target, query: ExecutionsQuery): Promise<ExecutionSummary[]> {
  const machines = query.workflow ? target.stateMachines.filter((m) => m.workflow === query.workflow) : target.stateMachines;
  if (query.workflow && machines.length === 0) {
    throw new UsageError(
      `--workflow ${query.workflow}: no such workflow; workflows: ${target.stateMachines.map((m) => m.workflow).join(', ')}`,
    );
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
          eventId: eventIdOfExecution(e.name ?? ''),
        });
      }
      nextToken = page.nextToken;
    } while (nextToken && found.length < query.limit);
  }
  const newest = found.sort((a, b) => String(b.startDate).localeCompare(String(a.startDate))).slice(0, query.limit);
  const records = await inboxRecords(
    target,
    newest.map((e) => e.eventId),
  );
  // A refund, dispute or failed-refund event names a payment intent, not an order: its order (or
  // invoice) is the item that records that payment intent (the GSI byPaymentIntent).
  const holders = new Map<string, Promise<unknown[]>>();
  const holderOf = (paymentIntentId: string) => {
    let pks = holders.get(paymentIntentId);
    if (!pks) {
      pks = partitionKeysOfPaymentIntent(target.db, target.tableName, paymentIntentId).catch(() => []);
      holders.set(paymentIntentId, pks);
    }
    return pks;
  };
  return Promise.all(
    newest.map(async (e) => {
      const record = records.get(e.eventId);
      const input = record?.input as Item | undefined;
      const named = record?.orderId ?? input?.orderId;
      const paymentIntentId = record?.paymentIntentId ?? input?.paymentIntentId;
      let orderId = typeof named === 'string' && named ? named : undefined;
      let invoiceId: string | undefined;
      if (!orderId && typeof paymentIntentId === 'string' && paymentIntentId) {
        const pks = await holderOf(paymentIntentId);
        orderId = pks.map((pk) => idsOfKeys.order(pk)).find((id) => id !== undefined);
        if (!orderId) invoiceId = pks.map((pk) => idsOfKeys.invoice(pk)).find((id) => id !== undefined);
      }
      return {
        ...e,
        ...(typeof record?.type === 'string' ? { eventType: record.type } : {}),
        ...(orderId ? { orderId } : {}),
        ...(invoiceId ? { invoiceId } : {}),
        ...(typeof paymentIntentId === 'string' && paymentIntentId ? { paymentIntentId } : {}),
      };
    }),
  );
}

/** What an execution is about, for a listing: its order, else its invoice, else its payment intent. */
export function subjectOfExecution(e: Pick<ExecutionSummary, 'orderId' | 'invoiceId' | 'paymentIntentId'>): string {
  if (e.orderId) return `order ${e.orderId}`;
  if (e.invoiceId) return `invoice ${e.invoiceId}`;
  if (e.paymentIntentId) return `payment ${e.paymentIntentId}`;
  return 'no order';
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
