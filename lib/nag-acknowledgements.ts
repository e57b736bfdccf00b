import { Token, Validations, type CfnElement, type Stack } from 'aws-cdk-lib';
import { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { PipelineFunction } from './constructs/pipeline-function';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/** Each cdk-nag AwsSolutions finding this stack accepts, and why. Anything else fails `cdk synth`. */
export const NAG_REASONS = {
  lambdaBasicExecutionRole:
    'AWSLambdaBasicExecutionRole is the minimal managed policy for a function to write its own logs (CreateLogStream, PutLogEvents); nothing else is managed (asserted in test/infra/stack.test.ts).',
  lambdaXray:
    'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions, so X-Ray requires Resource "*" (the only "*" a function gets, asserted in test/infra/stack.test.ts).',
  stateMachineLogsAndXray:
    'Step Functions logging (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permissions: AWS documents Resource "*" for them.',
  lambdaQualifiers:
    'The Lambda task may invoke this one named function and its versions and aliases ("<function ARN>:*", added by LambdaInvoke); no other function.',
  scheduleQualifiers:
    'The schedule may invoke this one function and its versions and aliases ("<function ARN>:*", added by the scheduler LambdaInvoke target); no other function.',
  sesIdentity:
    "ses:SendEmail is authorized against every identity of the message (the sender and, in the SES sandbox, each recipient); customers' addresses are not known in advance. Scoped to this account's and region's SES identities.",
  thirdPartySecret:
    "A webhook signing secret or API token shared with Stripe or Printify: Stripe's signing secret and Printify's token are issued in their dashboards, and the Printify webhook secret is registered with Printify (npm run printify-webhooks). Changing one is a coordinated, by-hand step on both sides (docs/deploy.md); a rotation Lambda could not do it.",
  signedWebhook:
    'Stripe and Printify cannot send IAM or JWT credentials: each webhook authenticates its caller by the HMAC signature of the raw body (Stripe-Signature, X-Pfy-Signature) before anything is read or written; the stage is throttled and bodies are capped.',
} as const;

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });
}

/** Records the acknowledgements on the constructs they are about (never on the whole stack). */
export function acknowledgeNagFindings(stack: Stack): void {
  const all = stack.node.findAll();
  const functions = all.filter((c): c is PipelineFunction => c instanceof PipelineFunction);
  // cdk-nag names a finding by the ARN as synthesized: concrete when the stack has an environment
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  // with a concrete region the partition is written out too (the target-partitions flag)
  const partition = Token.isUnresolved(stack.region) ? '<AWS::Partition>' : (RegionInfo.get(stack.region).partition ?? '<AWS::Partition>');
  for (const fn of functions) {
    acknowledge(
      fn,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      NAG_REASONS.lambdaBasicExecutionRole,
    );
    acknowledge(fn, 'IAM5[Resource::*]', NAG_REASONS.lambdaXray);
    acknowledge(fn, `IAM5[Resource::arn:${partition}:ses:${region}:${account}:identity/*]`, NAG_REASONS.sesIdentity);
  }
  for (const machine of all.filter((c): c is StateMachine => c instanceof StateMachine)) {
    acknowledge(machine, 'IAM5[Resource::*]', NAG_REASONS.stateMachineLogsAndXray);
    for (const fn of functions) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
      acknowledge(machine, `IAM5[Resource::<${logicalId}.Arn>:*]`, NAG_REASONS.lambdaQualifiers);
    }
  }
  for (const secret of all.filter((c): c is Secret => c instanceof Secret)) acknowledge(secret, 'SMG4', NAG_REASONS.thirdPartySecret);
  for (const route of all.filter((c): c is HttpRoute => c instanceof HttpRoute)) acknowledge(route, 'APIG4', NAG_REASONS.signedWebhook);
}
