// What every console page and action is given: the local stack's clients and services.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Target } from '../../scripts/ops/target';
import type { PrintifyStandIn } from '../printify';
import type { SesLocal } from '../ses-local';
import type { LocalStepFunctions } from '../step-functions-service';
import type { LaidOutGraph } from './graph';

export interface ConsoleContext {
  /** the document client of the ops target (DynamoDB Local), and the table */
  db: DynamoDBDocumentClient;
  tableName: string;
  /** the local Step Functions service itself: its listExecutions / describeExecution / history */
  stepFunctions: LocalStepFunctions;
  /** the target the ops commands act on (the local Step Functions API and DynamoDB Local) */
  target: Target;
  ses: Pick<SesLocal, 'sentEmails'>;
  printify: Pick<PrintifyStandIn, 'orders' | 'deliveries' | 'baseUrl' | 'shopId'>;
  /** where test events are posted, and the secret they are signed with */
  stripeWebhookUrl: string;
  stripeWebhookSecret: string;
  /** layouts per state machine ARN, computed once (the definitions do not change while running) */
  graphs: Map<string, Promise<LaidOutGraph>>;
}

/** The workflow name (fulfilment, refund, …) of a state machine or execution ARN, or '?'. */
export function workflowOf(context: Pick<ConsoleContext, 'target'>, arn: string): string {
  const machineArn = arn.includes(':execution:') ? arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '') : arn;
  return context.target.stateMachines.find((m) => m.arn === machineArn)?.workflow ?? '?';
}

/** The Stripe event an execution ran for: its name, less a replay's `-replay-<n>` suffix. */
export const eventIdOf = (executionName: string): string => executionName.replace(/-replay-\d+$/, '');
