import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { isConditionFailure } from './dynamodb';

export type InboxState = 'new' | 'recorded-not-started' | 'started';

export interface InboxRecord {
  eventId: string;
  type: string;
  livemode: boolean;
  workflow: string;
  orderId?: string;
  input: unknown;
}

export interface EventInbox {
  record(event: InboxRecord): Promise<InboxState>;
  forget(eventId: string): Promise<void>;
  markStarted(eventId: string, executionArn: string): Promise<void>;
}

/** The Stripe event inbox: every accepted event once, with the execution it started. */
export class StripeEventInbox implements EventInbox {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records the event if it is new; otherwise says how far its first delivery got. */
  async record(event: InboxRecord): Promise<InboxState> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.stripeEvent(event.eventId), ...event, receivedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'new';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.stripeEvent(event.eventId), ConsistentRead: true }),
    );
    return Item?.executionArn ? 'started' : 'recorded-not-started';
  }

  /** Removes a record whose execution could not be started (never one that was started). */
  async forget(eventId: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.stripeEvent(eventId),
        ConditionExpression: 'attribute_not_exists(executionArn)',
      }),
    );
  }

  async markStarted(eventId: string, executionArn: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.stripeEvent(eventId),
        UpdateExpression: 'SET executionArn = :arn, startedAt = if_not_exists(startedAt, :now)',
        // never create a stub record: one that a concurrent, failed delivery forgot is written again
        // by Stripe's next delivery
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':arn': executionArn, ':now': this.now().toISOString() },
      }),
    );
  }
}
