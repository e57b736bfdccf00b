import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InvoiceRecord } from '../domain/invoice';
import { idsOfKeys, keys } from '../domain/keys';
import type { InvoiceChanges, InvoicesPort } from '../ports/invoices';
import { isConditionFailure, partitionKeysOfPaymentIntent } from './dynamodb';
import { expectedCondition, fillMissingExpression, setExpression } from './update-expression';

/** The invoices port on DynamoDB: each write is one (conditional) UpdateItem, which creates the item when absent. */
export class InvoiceRepository implements InvoicesPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(invoiceId: string): Promise<InvoiceRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.invoice(invoiceId), ConsistentRead: true }));
    return Item ? ({ ...Item, invoiceId } as InvoiceRecord) : undefined;
  }

  /** A query of the sparse GSI byPaymentIntent (eventually consistent), which holds orders and invoices alike. */
  async findInvoiceIdByPaymentIntent(paymentIntentId: string): Promise<string | undefined> {
    const pks = await partitionKeysOfPaymentIntent(this.db, this.tableName, paymentIntentId);
    return pks.map((pk) => idsOfKeys.invoice(pk)).find((id) => id !== undefined);
  }

  async fillMissing(invoiceId: string, changes: InvoiceChanges): Promise<InvoiceRecord> {
    const fill = fillMissingExpression(changes, this.now().toISOString());
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.invoice(invoiceId),
        UpdateExpression: fill.expression,
        ExpressionAttributeNames: fill.names,
        ExpressionAttributeValues: fill.values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { ...Attributes, invoiceId } as InvoiceRecord;
  }

  async compareAndSet(
    invoiceId: string,
    expected: Record<string, string | number | undefined>,
    changes: InvoiceChanges,
  ): Promise<InvoiceRecord | undefined> {
    const set = setExpression({ ...changes, updatedAt: this.now().toISOString() });
    const condition = Object.keys(expected).length > 0 ? expectedCondition(expected) : undefined;
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.invoice(invoiceId),
          UpdateExpression: set.expression,
          ...(condition ? { ConditionExpression: condition.expression } : {}),
          ExpressionAttributeNames: { ...set.names, ...condition?.names },
          ExpressionAttributeValues: { ...set.values, ...condition?.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...Attributes, invoiceId } as InvoiceRecord;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
