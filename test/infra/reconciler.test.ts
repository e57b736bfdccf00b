import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Pass, StateMachine, DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/domain/stripe-events';
import { STATE_MACHINE_ARN_ENV } from '../../lambdas/shared/workflows';
import { StripeReconciler } from '../../lib/constructs/reconciler';
import { OtakumoriStack } from '../../lib/otakumori-stack';
import { TEST_STACK_PROPS } from '../fixtures/stack-props';

/** CloudFormation JSON is untyped. */
type Json = any;

function construct(props: { schedule?: ScheduleExpression; livemode?: boolean } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'R');
  const table = new Table(stack, 'T', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
  });
  const stateMachines = Object.fromEntries(
    WORKFLOWS.map((w) => [
      w,
      new StateMachine(stack, `SM-${w}`, { definitionBody: DefinitionBody.fromChainable(new Pass(stack, `P-${w}`)) }),
    ]),
  ) as Record<WorkflowName, StateMachine>;
  const reconciler = new StripeReconciler(stack, 'Reconciler', { table, stateMachines, stage: 'test', ...props });
  return { template: Template.fromStack(stack), stack, reconciler };
}

describe('StripeReconciler', () => {
  it('schedules the function hourly with EventBridge Scheduler, through a role that may invoke only it', () => {
    const { template, stack, reconciler } = construct();
    const fnId = stack.getLogicalId(reconciler.fn.node.defaultChild as never);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
    const scheduleRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([, r]) =>
      JSON.stringify((r as Json).Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    )![0];
    const statements = policies
      .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === scheduleRole))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.flatMap((s: Json) => [s.Action].flat())).toEqual(['lambda:InvokeFunction']);
  });

  it('takes another schedule when given one', () => {
    const { template } = construct({ schedule: ScheduleExpression.rate(Duration.minutes(15)) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)' });
  });

  it('gives the function its configuration: the secret ARN (never a key), Stripe API URL, livemode, state machines', () => {
    const { template, stack, reconciler } = construct({ livemode: true });
    const variables =
      template.toJSON().Resources[stack.getLogicalId(reconciler.fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      STRIPE_API_KEY_ARN: { Ref: stack.getLogicalId(reconciler.apiKey.node.defaultChild as never) },
      STRIPE_API_URL: 'https://api.stripe.com',
      STRIPE_LIVEMODE: 'true',
      RECONCILER_GRACE_SECONDS: '300',
      TABLE_NAME: { Ref: expect.any(String) },
    });
    for (const w of WORKFLOWS) expect(variables[STATE_MACHINE_ARN_ENV[w]]).toEqual({ Ref: expect.stringContaining('SM') });
    expect(variables.STRIPE_API_KEY).toBeUndefined();
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('restricted') });
  });

  it('grants exactly what the function uses: the inbox and checkpoint actions, StartExecution, its own secret', () => {
    const { template, stack, reconciler } = construct();
    const roleId = stack.getLogicalId(reconciler.fn.role!.node.defaultChild as never);
    const statements = (Object.values(template.findResources('AWS::IAM::Policy')) as Json[])
      .filter((p) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement) as Json[];
    const actions = new Set(statements.flatMap((s) => [s.Action].flat()));
    expect([...actions].sort()).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'secretsmanager:GetSecretValue',
        'states:StartExecution',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const secret = statements.find((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(secret.Resource).toEqual({ Ref: stack.getLogicalId(reconciler.apiKey.node.defaultChild as never) });
    const starts = statements.filter((s) => s.Action === 'states:StartExecution');
    expect(starts).toHaveLength(WORKFLOWS.length);
  });
});

describe('the stack with the reconciler', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(new OtakumoriStack(app, 'Test', TEST_STACK_PROPS));

  it('alarms when the reconciler finds missed events (ReconcilerMissedEvents >= 1) or fails', () => {
    const [missed] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'Test-ReconcilerMissedEvents' } }),
    ) as Json[];
    expect(missed.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: expect.any(String) }],
    });
    expect(JSON.stringify(missed.Properties.Metrics)).toMatch(/"MetricName":"ReconcilerMissedEvents","Namespace":"Otakumori"/);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-ReconcilerFailing',
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
    });
  });

  it('outputs the ARN of the secret for the restricted key', () => {
    template.hasOutput('StripeReconcilerApiKeySecretArn', { Value: { Ref: Match.stringLikeRegexp('StripeReconcilerStripeApiKey') } });
  });
});
