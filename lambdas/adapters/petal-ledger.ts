import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, LEDGER_PREFIX } from '../domain/keys';
import type { LedgerEntry } from '../domain/petals';
import type { AppendResult, OrderPetalGuard, PetalLedgerPort } from '../ports/petal-ledger';
import { transactionConditionFailures } from './dynamodb';

export type { LedgerEntry, OrderPetalGuard };

/**
 * The petal ledger: an entry with a deterministic key, the balance and (for orders) the order's
 * own petal counters are written in one transaction, so an entry is never counted twice and the
 * balance always equals the sum of the entries.
 */
export class PetalLedger implements PetalLedgerPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * One TransactWriteItems: Put of the entry (if `entry.amount` is not 0; condition: no such
   * entry), ADD to the balance, and the guard as a conditional Update of the order. A transaction
   * cancelled by its conditions becomes `exists` (the entry's) or `stale` (the order's).
   */
  async append(entry: LedgerEntry, guard?: OrderPetalGuard): Promise<AppendResult> {
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
    const entryWritten = items.length > 0;
    if (guard) {
      const condition = guardCondition(guard);
      items.push({
        Update: {
          TableName: this.tableName,
          Key: guard.invoiceId !== undefined ? keys.invoice(guard.invoiceId) : keys.order(guard.orderId),
          UpdateExpression: `SET #counter = :counter, updatedAt = :now`,
          ConditionExpression: `attribute_exists(pk) AND (${condition.expression})`,
          ExpressionAttributeNames: { '#counter': condition.counter },
          ExpressionAttributeValues: { ...condition.values, ':counter': condition.value, ':now': entry.createdAt },
        },
      });
    }
    if (items.length === 0) return 'written';
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return 'written';
    } catch (error) {
      const failed = transactionConditionFailures(error);
      if (!failed) throw error;
      return entryWritten && failed[0] ? 'exists' : 'stale';
    }
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

/** The order's petal counter the guard sets, and the condition (on the counter) that must hold. */
function guardCondition(guard: OrderPetalGuard): { counter: string; value: number; expression: string; values: Record<string, unknown> } {
  switch (guard.kind) {
    case 'award':
      return { counter: 'petalsAwarded', value: guard.petalsAwarded, expression: 'attribute_not_exists(#counter)', values: {} };
    case 'deduct':
      return {
        counter: 'petalsDeducted',
        value: guard.deductedAfter,
        expression: guard.deductedBefore === 0 ? 'attribute_not_exists(#counter) OR #counter = :before' : '#counter = :before',
        values: { ':before': guard.deductedBefore },
      };
  }
}
