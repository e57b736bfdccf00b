import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/domain/keys';
import type { Order } from '../../lambdas/domain/order';
import type { WorkflowName } from '../../lambdas/domain/stripe-events';
import { DYNAMODB_LOCAL_CREDENTIALS, freePort } from '../../local/dynamodb-local';
import { Storefront } from '../fixtures/storefront';
import { signedRequest } from '../fixtures/stripe-events';
import { startLocalStack, type LocalStackOptions, type RunningLocalStack } from '../../local/local-stack';
import { LOCAL_REGION } from '../../local/stack-template';
import type { LocalExecution } from '../../local/step-functions-service';

/**
 * The whole local pipeline for one test file: DynamoDB Local in memory and every other service on
 * free ports, so that tests never collide with each other or with a running `npm start`.
 */
export class LocalPipeline {
  readonly db: DynamoDBDocumentClient;
  readonly storefront: Storefront;

  private constructor(readonly stack: RunningLocalStack) {
    this.db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS }),
    );
    this.storefront = new Storefront(this.db, stack.tableName);
  }

  static async start(options: LocalStackOptions = {}): Promise<LocalPipeline> {
    const stack = await startLocalStack({
      port: 0,
      sfnPort: 0,
      sesPort: await freePort(),
      printifyPort: await freePort(),
      stripeApiPort: 0,
      dynamodb: { port: await freePort(), inMemory: true },
      logLevel: process.env.TEST_LOG_LEVEL ?? 'SILENT',
      retryDelayScale: 0.001,
      ...options,
    });
    return new LocalPipeline(stack);
  }

  async stop(): Promise<void> {
    this.db.destroy();
    await this.stack.stop();
  }

  /** POSTs a Stripe event, signed as Stripe signs it (or as `sign` says). */
  async send(
    event: unknown,
    sign: { secret?: string; timestamp?: number; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const request = signedRequest(event, sign.secret ?? this.stack.stripeWebhookSecret, sign.timestamp);
    const response = await fetch(this.stack.urls.stripeWebhook, {
      method: 'POST',
      headers: { ...request.headers, ...sign.headers },
      body: sign.body ?? request.body,
    });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { raw: text };
    }
    return { status: response.status, body };
  }

  /** Sends the event and waits for the execution it started to finish. */
  async deliver(event: { id: string; type: string }): Promise<LocalExecution> {
    const response = await this.send(event);
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${JSON.stringify(response.body)}`);
    return this.execution(response.body.workflow as WorkflowName, event.id);
  }

  executionArn(workflow: WorkflowName, eventId: string): string {
    return `${this.stack.stateMachineArns[workflow].replace(':stateMachine:', ':execution:')}:${eventId}`;
  }

  async execution(workflow: WorkflowName, eventId: string): Promise<LocalExecution> {
    return this.stack.stepFunctions.waitFor(this.executionArn(workflow, eventId));
  }

  /** DescribeExecution through the AWS SDK, as an operator's tooling would. */
  async describeExecution(workflow: WorkflowName, eventId: string) {
    const sfn = new SFNClient({ endpoint: this.stack.urls.sfn, region: LOCAL_REGION, credentials: DYNAMODB_LOCAL_CREDENTIALS });
    try {
      return await sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn(workflow, eventId) }));
    } finally {
      sfn.destroy();
    }
  }

  async order(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.stack.tableName, Key: keys.order(orderId), ConsistentRead: true }),
    );
    return Item as Order | undefined;
  }

  async userItems(userId: string, prefix: string): Promise<Record<string, unknown>[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.stack.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `USER#${userId}`, ':prefix': prefix },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  }

  ledger(userId: string) {
    return this.userItems(userId, 'LEDGER#');
  }

  cart(userId: string) {
    return this.userItems(userId, 'CART#');
  }

  async balance(userId: string): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.stack.tableName, Key: keys.petalBalance(userId), ConsistentRead: true }),
    );
    return Item?.balance as number | undefined;
  }

  async stripeEventRecord(eventId: string) {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.stack.tableName, Key: keys.stripeEvent(eventId), ConsistentRead: true }),
    );
    return Item;
  }

  /** Every item in the table (for "nothing was written" checks). */
  async allItems(): Promise<Record<string, unknown>[]> {
    const { Items } = await this.db.send(new ScanCommand({ TableName: this.stack.tableName, ConsistentRead: true }));
    return Items ?? [];
  }

  async emailsTo(address: string) {
    return (await this.stack.ses.sentEmails()).filter((e) => e.to.includes(address));
  }
}
