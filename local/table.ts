import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { LocalTableSchema } from './stack-template';

/**
 * Creates the table on DynamoDB Local exactly as the template declares it (keys and indexes), unless
 * it is there already; resolves which, once it is ACTIVE.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, schema: LocalTableSchema): Promise<'created' | 'existing'> {
  let outcome: 'created' | 'existing' = 'created';
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: schema.keySchema,
        AttributeDefinitions: schema.attributeDefinitions,
        ...(schema.globalSecondaryIndexes.length
          ? {
              GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((gsi) => ({
                IndexName: gsi.IndexName,
                KeySchema: gsi.KeySchema,
                Projection: gsi.Projection,
              })),
            }
          : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    outcome = 'existing';
  }
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return outcome;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
