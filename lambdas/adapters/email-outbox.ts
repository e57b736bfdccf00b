import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import type { ClaimResult, EmailOutboxPort } from '../ports/email-outbox';
import { isConditionFailure } from './dynamodb';

export type { ClaimResult };

/**
 * Emails are claimed in the table before they are sent, so that a retried or duplicated task sends
 * each email once. A claim whose sender died is taken over after its lease (the only case in which
 * a customer could get an email twice: SES accepted it and the task died before recording that).
 */
export class EmailOutbox implements EmailOutboxPort {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly leaseMs = 60_000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claim(ownerId: string, emailId: string, details: Record<string, unknown>): Promise<ClaimResult> {
    const now = this.now();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.email(ownerId, emailId),
            ...details,
            emailId,
            status: 'sending',
            claimedAt: now.toISOString(),
            leaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR #status IN (:failed, :undeliverable) OR (#status = :sending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':undeliverable': 'undeliverable',
            ':sending': 'sending',
            ':now': now.toISOString(),
          },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.email(ownerId, emailId), ConsistentRead: true }),
      );
      return Item?.status === 'sent' ? 'already-sent' : 'in-progress';
    }
  }

  async markSent(ownerId: string, emailId: string, messageId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.email(ownerId, emailId),
        UpdateExpression: 'SET #status = :sent, messageId = :id, sentAt = :now REMOVE leaseUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':id': messageId, ':now': this.now().toISOString() },
      }),
    );
  }

  /** A conditional put: only a new email or one whose send failed (released) becomes undeliverable. */
  async markUndeliverable(ownerId: string, emailId: string, details: Record<string, unknown>, reason: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.email(ownerId, emailId),
            ...details,
            emailId,
            status: 'undeliverable',
            lastError: reason.slice(0, 1000),
            failedAt: this.now().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed' },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /** Gives the claim back after a failed send, so that the next retry may send. */
  async release(ownerId: string, emailId: string, reason: string): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.email(ownerId, emailId),
          UpdateExpression: 'SET #status = :failed, lastError = :reason REMOVE leaseUntil',
          ConditionExpression: '#status = :sending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':sending': 'sending', ':reason': reason.slice(0, 1000) },
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
}
