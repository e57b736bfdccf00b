import { Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleExpression, Schedule } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/domain/stripe-events';
import { STATE_MACHINE_ARN_ENV } from '../../lambdas/shared/workflows';
import { NAG_REASONS } from '../nag-acknowledgements';
import { PipelineFunction } from './pipeline-function';

export interface StripeReconcilerProps {
  /** the pipeline's table: the inbox (PutItem, DeleteItem) and the checkpoint item (GetItem, UpdateItem) */
  readonly table: ITable;
  /** every workflow's state machine: the reconciler starts executions as the webhook does */
  readonly stateMachines: Readonly<Record<WorkflowName, IStateMachine>>;
  /** the deployment's Stripe mode, as the webhook's STRIPE_LIVEMODE. @default false (test mode) */
  readonly livemode?: boolean;
  /** the stage (`staging`, `production`, `local`): the `stage` dimension of its metrics */
  readonly stage: string;
  /** how often it runs. @default ScheduleExpression.rate(Duration.hours(1)) */
  readonly schedule?: ScheduleExpression;
  /** Stripe's API. @default 'https://api.stripe.com' */
  readonly stripeApiUrl?: string;
  /**
   * Events younger than this are left for the next run (Stripe may still be delivering them).
   * @default Duration.minutes(5)
   */
  readonly grace?: Duration;
}

/**
 * The Stripe reconciler: a Lambda (lambdas/reconciler/handler.ts) that an EventBridge Scheduler
 * schedule invokes hourly, a Secrets Manager secret for its restricted API key (set it after the
 * first deploy: a restricted key with only "Events: Read", https://docs.stripe.com/keys#limit-access),
 * and exactly the permissions it uses: the table's PutItem/DeleteItem (the inbox) and
 * GetItem/UpdateItem (its checkpoint), StartExecution on each workflow, GetSecretValue on its secret.
 */
export class StripeReconciler extends Construct {
  readonly fn: PipelineFunction;
  /** holds the restricted key (rk_live_… / rk_test_…) */
  readonly apiKey: Secret;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: StripeReconcilerProps) {
    super(scope, id);
    this.apiKey = new Secret(this, 'StripeApiKey', {
      description: 'Stripe restricted API key that can only read events (rk_…), for the reconciler. Set it after the first deploy.',
    });
    this.fn = new PipelineFunction(scope, `${id}Function`, {
      stage: props.stage,
      entry: 'lambdas/reconciler/handler.ts',
      description: "Lists Stripe's events and delivers those the webhook missed",
      timeout: Duration.minutes(5),
      environment: {
        TABLE_NAME: props.table.tableName,
        STRIPE_API_KEY_ARN: this.apiKey.secretArn,
        STRIPE_API_URL: props.stripeApiUrl ?? 'https://api.stripe.com',
        STRIPE_LIVEMODE: String(props.livemode ?? false),
        RECONCILER_GRACE_SECONDS: String((props.grace ?? Duration.minutes(5)).toSeconds()),
        ...Object.fromEntries(WORKFLOWS.map((w) => [STATE_MACHINE_ARN_ENV[w], props.stateMachines[w].stateMachineArn])),
      },
    });
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.apiKey.secretArn] }));
    for (const w of WORKFLOWS) props.stateMachines[w].grantStartExecution(this.fn);

    // the schedule's own role: it may invoke this function (LambdaInvoke grants the function and
    // its versions and aliases, "<function ARN>:*") and nothing else
    const role = new Role(this, 'ScheduleRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    this.schedule = new Schedule(this, 'Hourly', {
      description: "Reconciles the inbox with Stripe's list of events",
      schedule: props.schedule ?? ScheduleExpression.rate(Duration.hours(1)),
      target: new LambdaInvoke(this.fn, { role, retryAttempts: 2, maxEventAge: Duration.hours(1) }),
    });
    const fnLogicalId = Stack.of(this).getLogicalId(this.fn.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason: NAG_REASONS.scheduleQualifiers,
    });
  }
}
