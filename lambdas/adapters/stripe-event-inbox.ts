import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { isConditionFailure } from './dynamodb';

/**
 * What a record call found: `new` when this call wrote the item (it "won" the event), `known` when
 * an item for the event id was already there. A known item says the event was received; it does
 * NOT say its execution exists (a crash between the put and StartExecution leaves an item whose
 * execution was never started), so the caller asks Step Functions before answering "duplicate".
 */
export type InboxState = 'new' | 'known';

/** One inbox item's attributes (besides its keys and `receivedAt`). */
export interface InboxRecord {
  eventId: string;
  type: string;
  livemode: boolean;
  workflow: string;
  orderId?: string;
  input: unknown;
  /**
   * The execution the event starts, derived from its state machine's ARN and the event id
   * (executionArnFor), so it is written in the same put as the record: the execution it names
   * may not exist yet.
   */
  executionArn: string;
}

/** The Stripe event inbox as the webhook and the reconciler use it. */
export interface EventInbox {
  /**
   * Records the event if no item has its id (one conditional PutItem). Returns `new` or `known`;
   * throws on any other DynamoDB failure (the caller answers 5xx so that Stripe retries).
   */
  record(event: InboxRecord): Promise<InboxState>;
  /** Removes the item of an event whose execution could not be started; throws on failure. */
  forget(eventId: string): Promise<void>;
}

/**
 * The Stripe event inbox (`STRIPE_EVENT#<eventId>` / `EVENT`): every accepted event once, with the
 * ARN of the execution it starts. Two DynamoDB actions: PutItem (conditional) and DeleteItem.
 */
export class StripeEventInbox implements EventInbox {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
      if (isConditionFailure(error)) return 'known';
      throw error;
    }
  }

  /**
   * Deletes the item. Only the delivery that wrote it (record returned `new`) calls this, after its
   * StartExecution failed: Stripe's retry then records and starts the event as new.
   */
  async forget(eventId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.stripeEvent(eventId) }));
  }
}
