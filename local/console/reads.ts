// What the console reads, as small functions over the DynamoDB document client (the single table:
// see README "Data model" and lambdas/domain/keys.ts), the local Step Functions service and the
// local SES and Printify stand-in. Everything an operator command also shows (an execution's steps,
// an order's report) is read through scripts/ops instead, so that both say the same.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../../lambdas/domain/order';
import type { PrintifyStandIn, StandInOrder, WebhookDelivery } from '../printify';
import type { SentEmail, SesLocal } from '../ses-local';
import type { ExecutionStatus, LocalExecution, LocalStepFunctions } from '../step-functions-service';

type Item = Record<string, unknown>;

/** One accepted Stripe event (inbox item `STRIPE_EVENT#<id>`), as the events page lists it. */
export interface InboxEvent {
  eventId: string;
  type: string;
  workflow: string;
  orderId?: string;
  receivedAt?: string;
  /** the first execution, then every replay, oldest first */
  executionArns: string[];
  /** 'started' once its execution was started; 'recorded, not started' until then */
  outcome: 'started' | 'recorded, not started';
  /** the status of its newest execution (undefined: none, or unknown to this Step Functions) */
  executionStatus?: ExecutionStatus;
}

/** One execution as the executions page lists it. */
export interface ExecutionRow {
  executionArn: string;
  name: string;
  workflow: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
  /** from the execution's input (every workflow's input carries it, except subscription payments) */
  orderId?: string;
  /** the Stripe event type, from the execution's input */
  eventType?: string;
}

export interface ExecutionFilter {
  status?: string;
  workflow?: string;
  order?: string;
}

/** Every item whose pk starts with `prefix` (a scan: the local table is small). Throws what DynamoDB throws. */
async function scanPrefix(db: DynamoDBDocumentClient, tableName: string, prefix: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': prefix },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** The status of an execution this Step Functions runs, or undefined (none such). */
export function executionStatus(stepFunctions: LocalStepFunctions, executionArn: string): ExecutionStatus | undefined {
  try {
    return stepFunctions.describeExecution(executionArn).status;
  } catch {
    return undefined;
  }
}

/** The event inbox, newest first, with each event's newest execution status. */
export async function listInbox(
  db: DynamoDBDocumentClient,
  tableName: string,
  stepFunctions: LocalStepFunctions,
  limit = 200,
): Promise<InboxEvent[]> {
  const items = await scanPrefix(db, tableName, 'STRIPE_EVENT#');
  return items
    .map((item): InboxEvent => {
      const executionArns = [item.executionArn, ...((item.replays as unknown[] | undefined) ?? [])].filter(
        (a): a is string => typeof a === 'string',
      );
      const newest = executionArns[executionArns.length - 1];
      const status = newest ? executionStatus(stepFunctions, newest) : undefined;
      return {
        eventId: String(item.eventId ?? String(item.pk).slice('STRIPE_EVENT#'.length)),
        type: String(item.type ?? ''),
        workflow: String(item.workflow ?? ''),
        ...(typeof item.orderId === 'string' ? { orderId: item.orderId } : {}),
        ...(typeof item.receivedAt === 'string' ? { receivedAt: item.receivedAt } : {}),
        executionArns,
        outcome: item.executionArn ? 'started' : 'recorded, not started',
        ...(status ? { executionStatus: status } : {}),
      };
    })
    .sort((a, b) => String(b.receivedAt).localeCompare(String(a.receivedAt)))
    .slice(0, limit);
}

/** A text field of an execution's input (orderId, eventType), if it has one. */
function inputField(execution: Pick<LocalExecution, 'input'>, field: 'orderId' | 'eventType'): string | undefined {
  try {
    const value = (JSON.parse(execution.input) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The order id in an execution's input, if any. */
export const orderIdOf = (execution: Pick<LocalExecution, 'input'>): string | undefined => inputField(execution, 'orderId');

/** Executions of every workflow, newest first, filtered by status, workflow name and order id. */
export function listExecutionRows(
  stepFunctions: LocalStepFunctions,
  workflowOf: (stateMachineArn: string) => string,
  filter: ExecutionFilter = {},
): ExecutionRow[] {
  return stepFunctions
    .listExecutions()
    .map((e): ExecutionRow => {
      const orderId = orderIdOf(e);
      const eventType = inputField(e, 'eventType');
      return {
        executionArn: e.executionArn,
        name: e.name,
        workflow: workflowOf(e.stateMachineArn),
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        redriveCount: e.redriveCount,
        ...(orderId ? { orderId } : {}),
        ...(eventType ? { eventType } : {}),
      };
    })
    .filter((e) => (!filter.status || e.status === filter.status) && (!filter.workflow || e.workflow === filter.workflow))
    .filter((e) => !filter.order || e.orderId === filter.order);
}

/** Every order, newest first. */
export async function listOrders(db: DynamoDBDocumentClient, tableName: string): Promise<Order[]> {
  const items = await scanPrefix(db, tableName, 'ORDER#');
  return (items.filter((i) => i.sk === 'ORDER') as unknown as Order[]).sort((a, b) =>
    String(b.createdAt).localeCompare(String(a.createdAt)),
  );
}

/** The mail the local SES sent about an order (its subject or body names the order), oldest first. */
export async function emailsAbout(ses: Pick<SesLocal, 'sentEmails'>, orderId: string): Promise<SentEmail[]> {
  const emails = await ses.sentEmails();
  return emails.filter((e) => e.subject.includes(orderId) || Boolean(e.html?.includes(orderId)) || Boolean(e.text?.includes(orderId)));
}

/**
 * The Printify order as the stand-in holds it, and the webhook deliveries about our order (the
 * Printify webhook answers with the order id it applied an event to).
 */
export function printifyView(
  printify: Pick<PrintifyStandIn, 'orders' | 'deliveries'>,
  order: Pick<Order, 'orderId' | 'printifyOrderId'>,
): {
  printifyOrder?: StandInOrder;
  deliveries: WebhookDelivery[];
} {
  const printifyOrder = order.printifyOrderId ? printify.orders().find((o) => o.id === order.printifyOrderId) : undefined;
  const deliveries = printify.deliveries().filter((d) => d.body.includes(`"orderId":"${order.orderId}"`));
  return { ...(printifyOrder ? { printifyOrder } : {}), deliveries };
}
