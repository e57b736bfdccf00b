import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { isConditionFailure } from './dynamodb';

/** Where the scheduled reconciler resumes: a Unix second (Stripe's `created`). */
export interface ReconcilerCheckpoint {
  /** The stored `createdGte`, or undefined before the first run. */
  read(): Promise<number | undefined>;
  /** Moves the checkpoint forward to `createdGte`; never back (a slower concurrent run loses). */
  advance(createdGte: number): Promise<void>;
}

/** The checkpoint item `RECONCILER#stripe-events` / `CHECKPOINT` (GetItem, UpdateItem). */
export class DynamoReconcilerCheckpoint implements ReconcilerCheckpoint {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async read(): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.stripeReconcilerCheckpoint(), ConsistentRead: true }),
    );
    return typeof Item?.createdGte === 'number' ? Item.createdGte : undefined;
  }

  async advance(createdGte: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.stripeReconcilerCheckpoint(),
          UpdateExpression: 'SET createdGte = :c, updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(createdGte) OR createdGte <= :c',
          ExpressionAttributeValues: { ':c': createdGte, ':now': this.now().toISOString() },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
