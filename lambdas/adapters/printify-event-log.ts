import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import type { PrintifyEventLogPort, PrintifyEventRecord } from '../ports/printify';

/**
 * The Printify webhook events applied to an order, on the order's partition. Written with
 * UpdateItem (an upsert: the webhook's grant has it); a redelivery keeps the first receipt time.
 *
 * Item: pk `ORDER#<orderId>`, sk `PRINTIFY_EVENT#<eventId>`, eventId, topic, at, kind, orderStatus, receivedAt.
 */
export class PrintifyEventLog implements PrintifyEventLogPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(orderId: string, event: PrintifyEventRecord): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.printifyEvent(orderId, event.eventId),
        UpdateExpression:
          'SET eventId = :eventId, topic = :topic, #at = :at, kind = :kind, orderStatus = :orderStatus, receivedAt = if_not_exists(receivedAt, :now)',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: {
          ':eventId': event.eventId,
          ':topic': event.topic,
          ':at': event.at,
          ':kind': event.kind,
          ':orderStatus': event.orderStatus,
          ':now': this.now().toISOString(),
        },
      }),
    );
  }
}
