import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, LEDGER_PREFIX } from '../domain/keys';

export interface LedgerEntry {
  userId: string;
  entryId: string;
  type: 'purchase_bonus' | 'adjust';
  amount: number;
  reason: string;
  source: 'purchase' | 'refund' | 'subscription' | 'dispute';
  description: string;
  metadata: Record<string, string | number>;
  createdAt: string;
}

/** What else must hold, in the same transaction, for the entry to be written. */
export interface OrderGuard {
  orderId: string;
  /** attributes set on the order */
  set: Record<string, number>;
  /** condition on the order, e.g. that petalsDeducted is still what was read */
  condition: string;
  values: Record<string, unknown>;
}

/**
 * The petal ledger: an entry with a deterministic key, the balance and (for orders) the order's
 * own petal counters are written in one transaction, so an entry is never counted twice and the
 * balance always equals the sum of the entries.
 */
export class PetalLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the entry (if `entry.amount` is not 0) and adds it to the balance. Throws
   * TransactionCanceledException when the entry exists already or the guard does not hold.
   */
  async append(entry: LedgerEntry, guard?: OrderGuard): Promise<void> {
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
    if (entry.amount !== 0) {
      items.push(
        {
          Put: {
            TableName: this.tableName,
            Item: { ...keys.ledgerEntry(entry.userId, entry.entryId), ...entry },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: keys.petalBalance(entry.userId),
            UpdateExpression: 'ADD balance :amount SET userId = :userId, updatedAt = :now',
            ExpressionAttributeValues: { ':amount': entry.amount, ':userId': entry.userId, ':now': entry.createdAt },
          },
        },
      );
    }
    if (guard) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ...guard.values, ':now': entry.createdAt };
      const sets = Object.entries(guard.set).map(([name, value], i) => {
        names[`#g${i}`] = name;
        values[`:g${i}`] = value;
        return `#g${i} = :g${i}`;
      });
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.order(guard.orderId),
          UpdateExpression: `SET ${sets.join(', ')}, updatedAt = :now`,
          ConditionExpression: `attribute_exists(pk) AND (${guard.condition})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      });
    }
    if (items.length === 0) return;
    await this.db.send(new TransactWriteCommand({ TransactItems: items }));
  }

  async balance(userId: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.petalBalance(userId), ConsistentRead: true }),
    );
    return typeof Item?.balance === 'number' ? Item.balance : 0;
  }

  async entries(userId: string): Promise<LedgerEntry[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.petalBalance(userId).pk, ':prefix': LEDGER_PREFIX },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []) as LedgerEntry[];
  }
}
