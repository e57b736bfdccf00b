import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb';
import { DYNAMODB_LOCAL_CREDENTIALS, freePort, startDynamoDbLocal } from '../../local/dynamodb-local';
import { LOCAL_REGION, readLocalStack, synthesizeTemplate } from '../../local/stack-template';
import { ensureTable } from '../../local/table';

/**
 * AWS's DynamoDB Local on a free port, with the table `tableName` exactly as the stack declares it
 * (from the synthesized template), and a document client on it. `stop` ends both.
 */
export async function startDynamoDbTable(tableName: string): Promise<{ db: DynamoDBDocumentClient; stop: () => Promise<void> }> {
  const dynamodb = await startDynamoDbLocal({ port: await freePort() });
  const client = new DynamoDBClient({ endpoint: dynamodb.url, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS });
  await ensureTable(client, tableName, readLocalStack(synthesizeTemplate(), tableName).table);
  return {
    db: createDocumentClient(client),
    stop: async () => {
      client.destroy();
      await dynamodb.stop();
    },
  };
}
