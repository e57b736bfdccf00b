import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import type { RateSlotsPort } from '../ports/rate-slots';

const isConditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException');

/** Rounds of the two conditional writes before giving up (each loses only to another reservation). */
const MAX_ROUNDS = 8;

/**
 * The quota items in DynamoDB: pk `QUOTA#<name>`, sk `QUOTA`, nextFreeMs (epoch ms). A reservation
 * is one conditional UpdateItem in the common case (the quota is busy: `nextFreeMs = nextFreeMs +
 * n × interval` if nextFreeMs >= now), or, on an idle quota, `nextFreeMs = now + n × interval` if
 * it is missing or past. Each write is atomic, so concurrent executions never get the same slot.
 * Needs dynamodb:UpdateItem (and GetItem, only when `maxWaitMs` refuses).
 */
export class DynamoRateSlots implements RateSlotsPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(
    quota: string,
    n: number,
    intervalMs: number,
    now: Date,
    options: { maxWaitMs?: number } = {},
  ): Promise<{ at: Date } | undefined> {
    const nowMs = now.getTime();
    const spanMs = n * intervalMs;
    const horizon = options.maxWaitMs === undefined ? undefined : nowMs + options.maxWaitMs;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        const { Attributes } = await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.quota(quota),
            UpdateExpression: 'SET nextFreeMs = nextFreeMs + :span',
            ConditionExpression: horizon === undefined ? 'nextFreeMs >= :now' : 'nextFreeMs >= :now AND nextFreeMs <= :horizon',
            ExpressionAttributeValues: { ':span': spanMs, ':now': nowMs, ...(horizon === undefined ? {} : { ':horizon': horizon }) },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return { at: new Date(Math.round((Attributes!.nextFreeMs as number) - spanMs)) };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.quota(quota),
            UpdateExpression: 'SET nextFreeMs = :next',
            ConditionExpression: 'attribute_not_exists(nextFreeMs) OR nextFreeMs < :now',
            ExpressionAttributeValues: { ':next': nowMs + spanMs, ':now': nowMs },
          }),
        );
        return { at: now };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      if (horizon !== undefined) {
        const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.quota(quota), ConsistentRead: true }));
        if (typeof Item?.nextFreeMs === 'number' && Item.nextFreeMs > horizon) return undefined;
      }
    }
    throw new Error(`quota ${quota}: no slot reserved after ${MAX_ROUNDS} rounds of contention`);
  }

  async pushBack(quota: string, until: Date): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.quota(quota),
          UpdateExpression: 'SET nextFreeMs = :until',
          ConditionExpression: 'attribute_not_exists(nextFreeMs) OR nextFreeMs < :until',
          ExpressionAttributeValues: { ':until': until.getTime() },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // later already: nothing to do
    }
  }
}
