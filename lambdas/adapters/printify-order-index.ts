import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import type { PrintifyOrderIndexPort } from '../ports/printify';

/**
 * Printify's order id -> our order id, so that a Printify webhook (which names only Printify's
 * order) finds our order. Written with UpdateItem (an upsert: no PutItem grant needed) when the
 * Printify order is recorded; writing it again is harmless.
 *
 * Item: pk `PRINTIFY_ORDER#<printifyOrderId>`, sk `ORDER`, orderId.
 */
export class PrintifyOrderIndex implements PrintifyOrderIndexPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(printifyOrderId: string, orderId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.printifyOrder(printifyOrderId),
        UpdateExpression: 'SET orderId = :orderId, printifyOrderId = :printifyOrderId',
        ExpressionAttributeValues: { ':orderId': orderId, ':printifyOrderId': printifyOrderId },
      }),
    );
  }

  async orderIdOf(printifyOrderId: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.printifyOrder(printifyOrderId), ConsistentRead: true }),
    );
    return typeof Item?.orderId === 'string' ? Item.orderId : undefined;
  }
}
