import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidInputError, OrderNotFoundError } from '../domain/errors';
import { idsOfKeys, keys } from '../domain/keys';
import type { Order } from '../domain/order';
import { statusesThatMayBecome, type OrderStatus } from '../domain/order-status';
import type { OrderChanges, OrdersPort, ParcelFields, TransitionGuard, TransitionResult } from '../ports/orders';
import { isConditionFailure, partitionKeysOfPaymentIntent } from './dynamodb';
import { expectedCondition, fillMissingExpression, setExpression } from './update-expression';

export type { TransitionResult };

interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/**
 * The orders port on DynamoDB: each guarded change is one conditional UpdateItem, so concurrent
 * callers cannot both win. Status changes only through `transition`, guarded by the table.
 */
export class OrderRepository implements OrdersPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.order(orderId), ConsistentRead: true }));
    // Identified by its key: an order written without an orderId attribute still has one.
    return Item ? ({ ...Item, orderId } as Order) : undefined;
  }

  async require(orderId: string): Promise<Order> {
    const order = await this.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  /** A query of the sparse GSI byPaymentIntent (eventually consistent). */
  async findOrderIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined> {
    const pks = await partitionKeysOfPaymentIntent(this.db, this.tableName, paymentIntentId);
    return pks.map((pk) => idsOfKeys.order(pk)).find((id) => id !== undefined);
  }

  async set(orderId: string, changes: OrderChanges): Promise<Order> {
    return (await this.updateIf(orderId, changes))!;
  }

  async compareAndSet(
    orderId: string,
    expected: Record<string, string | number | undefined>,
    changes: OrderChanges,
  ): Promise<Order | undefined> {
    if (Object.keys(expected).length === 0) return this.updateIf(orderId, changes);
    return this.updateIf(orderId, changes, expectedCondition(expected));
  }

  async recordPrintifyStatusIfNewer(orderId: string, printifyStatus: string, at: string): Promise<boolean> {
    const updated = await this.updateIf(
      orderId,
      { printifyStatus, printifyStatusAt: at },
      { expression: 'attribute_not_exists(printifyStatusAt) OR printifyStatusAt <= :at', values: { ':at': at } },
    );
    return updated !== undefined;
  }

  async showNewerParcel(orderId: string, parcel: ParcelFields): Promise<Order | undefined> {
    const newer = parcel.shippedAt
      ? { expression: 'attribute_not_exists(shippedAt) OR shippedAt <= :shippedAt', values: { ':shippedAt': parcel.shippedAt } }
      : undefined;
    return this.updateIf(orderId, { ...parcel }, newer);
  }

  /** Sets attributes on an existing order; `condition` narrows when (OrderNotFound if absent, undefined if it did not hold). */
  private async updateIf(orderId: string, values: OrderChanges, condition?: Condition): Promise<Order | undefined> {
    const set = setExpression({ ...values, updatedAt: this.now().toISOString() });
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(orderId),
          UpdateExpression: set.expression,
          ConditionExpression: `attribute_exists(pk)${condition ? ` AND (${condition.expression})` : ''}`,
          ExpressionAttributeNames: { ...set.names, ...condition?.names },
          ExpressionAttributeValues: { ...set.values, ...condition?.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...Attributes, orderId } as Order;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.require(orderId); // throws OrderNotFound when that was the reason
      return undefined; // the extra condition did not hold
    }
  }

  async fillMissing(orderId: string, values: OrderChanges): Promise<void> {
    const fill = fillMissingExpression(values, this.now().toISOString());
    if (fill.fills === 0) return;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(orderId),
          UpdateExpression: fill.expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: fill.names,
          ExpressionAttributeValues: fill.values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new OrderNotFoundError(orderId);
    }
  }

  /** The transition table's allowed `from` statuses for `to` become the write's condition. */
  async transition(orderId: string, to: OrderStatus, values: OrderChanges = {}, guard: TransitionGuard = {}): Promise<TransitionResult> {
    const from = statusesThatMayBecome(to);
    if (from.length === 0) throw new InvalidInputError(`no order may become ${to}`);
    const names = { '#status': 'status' };
    const fromValues: Record<string, unknown> = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
    let expression = `#status IN (${Object.keys(fromValues).join(', ')})`;
    if (guard.notRetriedAfter !== undefined) {
      expression += ' AND (attribute_not_exists(retriedAt) OR retriedAt <= :notRetriedAfter)';
      fromValues[':notRetriedAfter'] = guard.notRetriedAfter;
    }
    const updated = await this.updateIf(orderId, { ...values, status: to }, { expression, names, values: fromValues });
    if (updated) return { transitioned: true, order: updated };
    return { transitioned: false, order: await this.require(orderId) };
  }
}
