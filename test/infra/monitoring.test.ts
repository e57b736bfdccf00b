import { App } from 'aws-cdk-lib';
import { projectContext } from '../../lib/config/cdk-context';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { WORKFLOWS } from '../../lambdas/domain/stripe-events';
import { METRIC, METRICS_NAMESPACE } from '../../lambdas/shared/metric-names';
import { STATE_MACHINE_ARN_ENV } from '../../lambdas/shared/workflows';
import { OtakumoriStack } from '../../lib/otakumori-stack';
import { TEST_STACK_PROPS } from '../fixtures/stack-props';

/** CloudFormation JSON is untyped. */
type Json = any;

function synth(props: { alarmEmail?: string } = {}) {
  const app = new App({ context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new OtakumoriStack(app, 'Test', { ...TEST_STACK_PROPS, ...props });
  return Template.fromStack(stack);
}

let template: Template;
let resources: Record<string, Json>;
beforeAll(() => {
  template = synth();
  resources = template.toJSON().Resources;
});

const ofType = (type: string): [string, Json][] => Object.entries(resources).filter(([, r]) => r.Type === type);
const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as Json);
const alarmNamed = (suffix: string): Json => {
  const found = alarms().find((a) => a.AlarmName === `Test-${suffix}`);
  if (!found)
    throw new Error(
      `no alarm ${suffix}; have ${alarms()
        .map((a) => a.AlarmName)
        .join(', ')}`,
    );
  return found;
};
const functionByEntry = (entry: string): [string, Json] => {
  const found = ofType('AWS::Lambda::Function').find(([, r]) => r.Metadata?.['otakumori:entry'] === entry);
  if (!found) throw new Error(`no function for ${entry}`);
  return found;
};
const serviceOf = (entry: string) => functionByEntry(entry)[1].Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as string;
/** The metrics an alarm reads: its single metric, or each metric of its expression. */
const metricsOf = (alarm: Json): Json[] =>
  alarm.Metrics
    ? (alarm.Metrics as Json[])
        .filter((m) => m.MetricStat)
        .map((m) => ({ ...m.MetricStat.Metric, Stat: m.MetricStat.Stat, Period: m.MetricStat.Period }))
    : [
        {
          Namespace: alarm.Namespace,
          MetricName: alarm.MetricName,
          Dimensions: alarm.Dimensions,
          Stat: alarm.Statistic,
          Period: alarm.Period,
        },
      ];
const webhookStateMachineRef = (workflow: (typeof WORKFLOWS)[number]) =>
  functionByEntry('lambdas/webhook/handler.ts')[1].Properties.Environment.Variables[STATE_MACHINE_ARN_ENV[workflow]].Ref as string;

describe('alarms', () => {
  it('all notify the one alarm topic, on alarm and back to OK, and say which runbook entry to read', () => {
    const [[topicId]] = ofType('AWS::SNS::Topic') as [[string, Json]];
    expect(ofType('AWS::SNS::Topic')).toHaveLength(1);
    expect(alarms().length).toBeGreaterThanOrEqual(5 + WORKFLOWS.length);
    for (const alarm of alarms()) {
      expect({ name: alarm.AlarmName, actions: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({
        name: alarm.AlarmName,
        actions: [{ Ref: topicId }],
        ok: [{ Ref: topicId }],
      });
      expect(alarm.AlarmDescription).toMatch(/Runbook: docs\/operations.md "\w+"/);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('WebhookFailing: 3 or more answers that were not 2xx (4xx or 5xx) from the webhook API in 5 minutes', () => {
    const alarm = alarmNamed('WebhookFailing');
    expect(alarm).toMatchObject({
      Threshold: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
    });
    const [apiId] = ofType('AWS::ApiGatewayV2::Api')[0]!;
    expect(metricsOf(alarm).map((m) => [m.Namespace, m.MetricName, m.Dimensions, m.Stat, m.Period])).toEqual(
      expect.arrayContaining([
        ['AWS/ApiGateway', '5xx', [{ Name: 'ApiId', Value: { Ref: apiId } }], 'Sum', 300],
        ['AWS/ApiGateway', '4xx', [{ Name: 'ApiId', Value: { Ref: apiId } }], 'Sum', 300],
      ]),
    );
  });

  it("FulfilmentSlow: an order's fulfilment (event to Printify order, or the fulfilment execution) over 5 minutes", () => {
    const alarm = alarmNamed('FulfilmentSlow');
    expect(alarm).toMatchObject({ Threshold: 300, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = metricsOf(alarm);
    expect(metrics).toContainEqual(
      expect.objectContaining({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.fulfilmentTime,
        Dimensions: [
          { Name: 'service', Value: serviceOf('lambdas/fulfilment/handler.ts') },
          { Name: 'stage', Value: TEST_STACK_PROPS.stage },
        ],
        Stat: 'Maximum',
      }),
    );
    expect(metrics).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/States',
        MetricName: 'ExecutionTime',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: webhookStateMachineRef('fulfilment') } }],
        Stat: 'Maximum',
      }),
    );
  });

  it('PrintifyOrderFailed: any order fulfillment_failed, by the fulfilment task or by a Printify webhook (canceled, had issues)', () => {
    const alarm = alarmNamed('PrintifyOrderFailed');
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(metricsOf(alarm)).toEqual(
      ['lambdas/fulfilment/handler.ts', 'lambdas/printify-webhook/handler.ts'].map((entry) => ({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.printifyOrderFailed,
        Dimensions: [
          { Name: 'service', Value: serviceOf(entry) },
          { Name: 'stage', Value: TEST_STACK_PROPS.stage },
        ],
        Stat: 'Sum',
        Period: 300,
      })),
    );
  });

  it.each([
    ['DisputeOpened', METRIC.disputeOpened, 'lambdas/fulfilment/handler.ts'],
    ['PaymentMismatch', METRIC.paymentMismatch, 'lambdas/fulfilment/handler.ts'],
    ['PaidNotFulfilled', METRIC.paidNotFulfilled, 'lambdas/fulfilment/handler.ts'],
    ['OrderWaitingForMapping', METRIC.printifyMappingMissing, 'lambdas/fulfilment/handler.ts'],
    ['NegativePetalBalance', METRIC.negativePetalBalance, 'lambdas/petals/handler.ts'],
  ])('%s: any %s from the function that emits it', (name, metric, entry) => {
    const alarm = alarmNamed(name);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(metricsOf(alarm)).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: [
          { Name: 'service', Value: serviceOf(entry) },
          { Name: 'stage', Value: TEST_STACK_PROPS.stage },
        ],
        Stat: 'Sum',
        Period: 300,
      },
    ]);
  });

  it.each(WORKFLOWS)('WorkflowFailed-%s: any failed, timed-out or aborted execution', (workflow) => {
    const alarm = alarmNamed(`WorkflowFailed-${workflow}`);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const machine = { Ref: webhookStateMachineRef(workflow) };
    expect(metricsOf(alarm).map((m) => [m.Namespace, m.MetricName, m.Dimensions])).toEqual(
      ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => [
        'AWS/States',
        name,
        [{ Name: 'StateMachineArn', Value: machine }],
      ]),
    );
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotated key that CloudWatch may use, and refuses plain HTTP', () => {
    const [[, topic]] = ofType('AWS::SNS::Topic') as [[string, Json]];
    const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(resources[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
    expect(JSON.stringify(resources[keyId].Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('has no subscription unless an alarm email is given (context alarmEmail)', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synth({ alarmEmail: 'oncall@example.com' });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });
});

describe('dashboard', () => {
  it('shows every alarm, and every business metric the pipeline emits', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Json]];
    const [, parts] = dashboard.Properties.DashboardBody['Fn::Join'] as [string, Json[]];
    // tokens (ARNs, names) become placeholders: what is left is the dashboard's JSON
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
    const widgets = body.widgets as Json[];
    const alarmWidget = widgets.find((w) => w.type === 'alarm');
    expect(alarmWidget.properties.alarms).toHaveLength(alarms().length);
    const shown = new Set(widgets.filter((w) => w.type === 'metric').flatMap((w) => (w.properties.metrics as Json[]).map((m) => m[1])));
    for (const name of Object.values(METRIC)) expect({ name, shown: shown.has(name) }).toEqual({ name, shown: true });
    for (const name of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'ExecutionTime',
      '5xx',
      '4xx',
      'Errors',
      'Throttles',
    ]) {
      expect({ name, shown: shown.has(name) }).toEqual({ name, shown: true });
    }
  });
});

describe('logging and tracing', () => {
  it('every Lambda traces with X-Ray and emits Powertools metrics and logs into the pipeline namespace', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(5);
    for (const [id, fn] of functions) {
      expect({ id, tracing: fn.Properties.TracingConfig }).toEqual({ id, tracing: { Mode: 'Active' } });
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.any(String),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      const logGroup = resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('every state machine traces with X-Ray and logs every state (without execution data) to a log group with retention', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(WORKFLOWS.length);
    for (const [, machine] of machines) {
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      const logging = machine.Properties.LoggingConfiguration;
      expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('the webhook API logs each request (no headers, no body) with retention, and is throttled', () => {
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Json]];
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: expect.any(Number),
      ThrottlingRateLimit: expect.any(Number),
    });
    const access = stage.Properties.AccessLogSettings;
    const format = JSON.parse(access.Format);
    expect(Object.values(format)).toEqual(expect.arrayContaining(['$context.requestId', '$context.routeKey', '$context.status']));
    expect(access.Format).not.toMatch(/header|body|authorization/i);
    const logGroupId = access.DestinationArn['Fn::GetAtt'][0];
    expect(resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
  });
});
