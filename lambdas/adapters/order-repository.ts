import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidInputError, OrderNotFoundError } from '../domain/errors';
import { keys, PAYMENT_INTENT_INDEX } from '../domain/keys';
import type { Order } from '../domain/order';
import { statusesThatMayBecome, type OrderStatus } from '../domain/order-status';
import { isConditionFailure } from './dynamodb';
import { setExpression } from './update-expression';

export interface TransitionResult {
  transitioned: boolean;
  order: Order;
}

/** Orders in the single table. Status changes only through `transition`, guarded by the table. */
export class OrderRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.order(orderId), ConsistentRead: true }),
    );
    return Item as Order | undefined;
  }

  async require(orderId: string): Promise<Order> {
    const order = await this.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  /** Eventually consistent (a GSI): a miss right after the payment was recorded is retried. */
  async findOrderIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: PAYMENT_INTENT_INDEX,
        KeyConditionExpression: 'paymentIntentId = :pi',
        ExpressionAttributeValues: { ':pi': paymentIntentId },
        Limit: 1,
      }),
    );
    const orderId = Items?.[0]?.orderId;
    return typeof orderId === 'string' ? orderId : undefined;
  }

  /** Sets attributes on an existing order; `condition` narrows when (OrderNotFound if absent). */
  async update(
    orderId: string,
    values: Record<string, unknown>,
    condition?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
  ): Promise<Order | undefined> {
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
      return Attributes as Order;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.require(orderId); // throws OrderNotFound when that was the reason
      return undefined; // the extra condition did not hold
    }
  }

  /** Sets only the attributes the order does not have yet (never overwrites). */
  async fillMissing(orderId: string, values: Record<string, unknown>): Promise<void> {
    const fill = setExpression(values, 'm', { onlyIfMissing: true });
    if (!fill.expression) return;
    const stamp = setExpression({ updatedAt: this.now().toISOString() }, 'u');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(orderId),
          UpdateExpression: `${fill.expression}, ${stamp.expression.replace(/^SET /, '')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { ...fill.names, ...stamp.names },
          ExpressionAttributeValues: { ...fill.values, ...stamp.values },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new OrderNotFoundError(orderId);
    }
  }

  /**
   * Moves the order to `to` if the transition table allows it from the order's current status,
   * atomically with `values`. Returns the order as it is afterwards either way.
   */
  async transition(orderId: string, to: OrderStatus, values: Record<string, unknown> = {}): Promise<TransitionResult> {
    const from = statusesThatMayBecome(to);
    if (from.length === 0) throw new InvalidInputError(`no order may become ${to}`);
    const names = { '#status': 'status' };
    const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
    const updated = await this.update(
      orderId,
      { ...values, status: to },
      { expression: `#status IN (${Object.keys(fromValues).join(', ')})`, names, values: fromValues },
    );
    if (updated) return { transitioned: true, order: updated };
    return { transitioned: false, order: await this.require(orderId) };
  }
}
