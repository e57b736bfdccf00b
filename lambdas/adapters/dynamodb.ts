import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { PAYMENT_INTENT_INDEX } from '../domain/keys';

/**
 * One document client per Lambda container. The endpoint comes from the SDK's standard
 * AWS_ENDPOINT_URL_DYNAMODB variable when set (DynamoDB Local), so nothing here knows where it runs.
 */
export function createDocumentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * For a transaction cancelled only by its conditions (not throttling or a conflict), which of its
 * items' conditions failed, by position (DynamoDB's CancellationReasons are in TransactItems
 * order); undefined for any other error.
 */
export function transactionConditionFailures(error: unknown): boolean[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  const onlyConditions =
    reasons.some((r) => r.Code === 'ConditionalCheckFailed') &&
    reasons.every((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'None');
  return onlyConditions ? reasons.map((r) => r.Code === 'ConditionalCheckFailed') : undefined;
}

/**
 * The partition keys of the items (orders, subscription invoices) that record this payment
 * intent, from the sparse GSI byPaymentIntent (eventually consistent).
 */
export async function partitionKeysOfPaymentIntent(
  db: DynamoDBDocumentClient,
  tableName: string,
  paymentIntentId: string,
): Promise<unknown[]> {
  const { Items } = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: PAYMENT_INTENT_INDEX,
      KeyConditionExpression: 'paymentIntentId = :pi',
      ExpressionAttributeValues: { ':pi': paymentIntentId },
    }),
  );
  return (Items ?? []).map((item) => item.pk);
}
