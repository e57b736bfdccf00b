import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One Stripe event as the webhook recorded it in the inbox (pk `STRIPE_EVENT#<id>`, sk `EVENT`):
 * the work we owe once Stripe had its 2xx. `executionArn` is absent while (or if) the execution was
 * never marked started; `replays` are the operator's replays (`ops replay`).
 */
export interface InboxEvent {
  eventId: string;
  type: string;
  workflow: string;
  orderId?: string;
  /** the workflow's input as recorded (what a start or replay passes again) */
  input: unknown;
  receivedAt?: string;
  startedAt?: string;
  executionArn?: string;
  replays: string[];
}

/**
 * Every event of the inbox, read with a paged, consistent scan (the table has no index on the
 * inbox; fine for the local table and for an operator's occasional sweep). Throws the SDK's error
 * when the table cannot be read.
 */
export async function scanInbox(db: DynamoDBDocumentClient, tableName: string): Promise<InboxEvent[]> {
  const events: InboxEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :prefix) AND sk = :sk',
        ExpressionAttributeValues: { ':prefix': 'STRIPE_EVENT#', ':sk': 'EVENT' },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      events.push({
        eventId: String(item.eventId ?? String(item.pk).slice('STRIPE_EVENT#'.length)),
        type: String(item.type ?? ''),
        workflow: String(item.workflow ?? ''),
        ...(item.orderId ? { orderId: String(item.orderId) } : {}),
        input: item.input,
        ...(item.receivedAt ? { receivedAt: String(item.receivedAt) } : {}),
        ...(item.startedAt ? { startedAt: String(item.startedAt) } : {}),
        ...(item.executionArn ? { executionArn: String(item.executionArn) } : {}),
        replays: (item.replays as string[] | undefined) ?? [],
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return events.sort((a, b) => String(a.receivedAt).localeCompare(String(b.receivedAt)));
}

/**
 * The execution name an inbox event's (first) execution has or must have: the recorded ARN's last
 * segment, else the event id (what the webhook names it).
 */
export function executionNameOf(event: InboxEvent): string {
  return event.executionArn ? event.executionArn.slice(event.executionArn.lastIndexOf(':') + 1) : event.eventId;
}
