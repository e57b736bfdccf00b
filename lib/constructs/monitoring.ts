import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../lambdas/domain/stripe-events';
import { METRIC, METRICS_NAMESPACE, STAGE_DIMENSION, type MetricName } from '../../lambdas/shared/metric-names';
import type { PipelineFunction } from './pipeline-function';

export interface MonitoringProps {
  readonly api: HttpApi;
  readonly webhook: PipelineFunction;
  readonly fulfilment: PipelineFunction;
  readonly petals: PipelineFunction;
  readonly email: PipelineFunction;
  readonly printifyWebhook: PipelineFunction;
  /** the Stripe reconciler: alarms when it finds events the webhook missed, or fails. @default none */
  readonly reconciler?: PipelineFunction;
  /** every function of the pipeline, for the errors, throttles and duration graphs */
  readonly functions: readonly PipelineFunction[];
  readonly stateMachines: Readonly<Record<WorkflowName, StateMachine>>;
  /** subscribed to the alarm topic when given (context `alarmEmail`) */
  readonly alarmEmail?: string;
  readonly dashboardName?: string;
}

/** Names of the alarms, as the runbook (docs/operations.md) refers to them. */
export const ALARMS = {
  webhookFailing: 'WebhookFailing',
  fulfilmentSlow: 'FulfilmentSlow',
  printifyOrderFailed: 'PrintifyOrderFailed',
  orderWaitingForMapping: 'OrderWaitingForMapping',
  negativePetalBalance: 'NegativePetalBalance',
  disputeOpened: 'DisputeOpened',
  paymentMismatch: 'PaymentMismatch',
  paidNotFulfilled: 'PaidNotFulfilled',
  /** the reconciler found Stripe events the webhook never recorded: the endpoint is unhealthy */
  reconcilerMissedEvents: 'ReconcilerMissedEvents',
  /** the reconciler failed (Stripe's API refused the key, or an event could not be delivered) */
  reconcilerFailing: 'ReconcilerFailing',
  chargeOrderMismatch: 'ChargeOrderMismatch',
  /** a refund event claimed more than was charged, or a currency neither charged nor the order's */
  refundClaimImpossible: 'RefundClaimImpossible',
  refundedAfterProduction: 'RefundedAfterProduction',
  /** one per workflow: `WorkflowFailed-<workflow>` */
  workflowFailed: 'WorkflowFailed',
} as const;

const FIVE_MINUTES = Duration.minutes(5);

/**
 * What an on-call engineer needs: one SNS topic that every alarm notifies (encrypted, TLS only, an
 * optional email subscription), alarms for what the business cares about, and a dashboard of the
 * same metrics. The business metrics are the Lambdas' Powertools metrics (namespace Otakumori,
 * dimensions `service` and `stage`); the rest are API Gateway's, Step Functions' and Lambda's own.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Otaku-mori alarm topic',
      enableKeyRotation: true,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Otaku-mori order pipeline alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const api5xx = props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const api4xx = props.api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const webhookFailures = new MathExpression({
      expression: 'FILL(server, 0) + FILL(client, 0)',
      usingMetrics: { server: api5xx, client: api4xx },
      period: FIVE_MINUTES,
      label: 'Webhook answers that were not 2xx',
    });
    this.alarm(ALARMS.webhookFailing, webhookFailures, {
      threshold: 3,
      description:
        'The webhook answered 4xx or 5xx 3 or more times in 5 minutes: Stripe (or Printify) is retrying, or a signing secret is wrong. Runbook: docs/operations.md "WebhookFailing".',
    });

    const fulfilmentTime = this.business(props.fulfilment, METRIC.fulfilmentTime, 'Maximum');
    const fulfilmentExecutionSeconds = props.stateMachines.fulfilment.metricTime({ period: FIVE_MINUTES, statistic: 'Maximum' });
    this.alarm(
      ALARMS.fulfilmentSlow,
      new MathExpression({
        expression: 'MAX([FILL(printify, 0), FILL(execution, 0) / 1000])',
        usingMetrics: { printify: fulfilmentTime, execution: fulfilmentExecutionSeconds },
        period: FIVE_MINUTES,
        label: 'Slowest fulfilment (s)',
      }),
      {
        threshold: 300,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description:
          'An order\'s fulfilment took over 5 minutes (Stripe\'s event to the Printify order, or a fulfilment execution). Runbook: docs/operations.md "FulfilmentSlow".',
      },
    );
    // Both ways an order ends fulfillment_failed: creating it failed, or Printify canceled it or
    // reported issues later (its webhook).
    this.alarm(
      ALARMS.printifyOrderFailed,
      new MathExpression({
        expression: 'FILL(creating, 0) + FILL(reported, 0)',
        usingMetrics: {
          creating: this.business(props.fulfilment, METRIC.printifyOrderFailed),
          reported: this.business(props.printifyWebhook, METRIC.printifyOrderFailed),
        },
        period: FIVE_MINUTES,
        label: 'Orders fulfillment_failed',
      }),
      {
        threshold: 1,
        description:
          'A Printify order could not be created, or Printify canceled it or reported issues with it; the order is fulfillment_failed. Runbook: docs/operations.md "PrintifyOrderFailed".',
      },
    );
    this.alarm(ALARMS.orderWaitingForMapping, this.business(props.fulfilment, METRIC.printifyMappingMissing), {
      threshold: 1,
      description:
        'A paid order has a product without a Printify mapping; it waits in pending_mapping. Runbook: docs/operations.md "OrderWaitingForMapping".',
    });
    this.alarm(ALARMS.negativePetalBalance, this.business(props.petals, METRIC.negativePetalBalance), {
      threshold: 1,
      description: 'A customer\'s petal balance went below zero. Runbook: docs/operations.md "NegativePetalBalance".',
    });
    this.alarm(ALARMS.disputeOpened, this.business(props.fulfilment, METRIC.disputeOpened), {
      threshold: 1,
      description: 'A customer disputed a charge; Stripe gives the shop days to respond. Runbook: docs/operations.md "DisputeOpened".',
    });
    this.alarm(ALARMS.paymentMismatch, this.business(props.fulfilment, METRIC.paymentMismatch), {
      threshold: 1,
      description:
        'A payment did not match what its order owes (amount or currency); the order is held in payment_mismatch. Runbook: docs/operations.md "PaymentMismatch".',
    });
    this.alarm(ALARMS.paidNotFulfilled, this.business(props.fulfilment, METRIC.paidNotFulfilled), {
      threshold: 1,
      description:
        'A customer paid and the pipeline did not fulfil the payment (held, or another payment of an order). Runbook: docs/operations.md "PaidNotFulfilled".',
    });
    if (props.reconciler) {
      this.alarm(ALARMS.reconcilerMissedEvents, this.business(props.reconciler, METRIC.reconcilerMissedEvents), {
        threshold: 1,
        description:
          'The reconciler found Stripe events the webhook never recorded (it has delivered them now): the Stripe endpoint was down, disabled or has a wrong secret. Runbook: docs/operations.md "ReconcilerMissedEvents".',
      });
      this.alarm(ALARMS.reconcilerFailing, props.reconciler.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), {
        threshold: 1,
        description:
          'The Stripe reconciler failed: a wrong or revoked restricted key, Stripe unreachable, or events it could not deliver. Runbook: docs/operations.md "ReconcilerMissedEvents".',
      });
    }
    // refunds and disputes the operator must look at: any one is worth a page
    const refundAlarms: [string, MetricName, string][] = [
      [
        ALARMS.chargeOrderMismatch,
        METRIC.chargeOrderMismatch,
        'A refund or dispute named an order whose payment it is not; nothing was touched.',
      ],
      [
        ALARMS.refundClaimImpossible,
        METRIC.refundClaimImpossible,
        "A refund event claimed more than the order was charged, or a currency neither charged nor the order's; nothing was touched.",
      ],
      [ALARMS.refundedAfterProduction, METRIC.refundedAfterProduction, 'An order was fully refunded after Printify produced it.'],
    ];
    for (const [name, metric, means] of refundAlarms) {
      this.alarm(name, this.business(props.fulfilment, metric), {
        threshold: 1,
        description: `${means} Runbook: docs/operations.md "${name}".`,
      });
    }
    for (const [workflow, machine] of Object.entries(props.stateMachines) as [WorkflowName, StateMachine][]) {
      this.alarm(
        `${ALARMS.workflowFailed}-${workflow}`,
        new MathExpression({
          expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
          usingMetrics: {
            failed: machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
            timedOut: machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
            aborted: machine.metricAborted({ period: FIVE_MINUTES, statistic: 'Sum' }),
          },
          period: FIVE_MINUTES,
          label: `${workflow} executions failed, timed out or aborted`,
        }),
        {
          threshold: 1,
          description: `A ${workflow} execution failed, timed out or was aborted. Runbook: docs/operations.md "WorkflowFailed".`,
        },
      );
    }
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Otaku-mori order pipeline\nAlarms go to the alarm topic; what each means and the command that fixes it: docs/operations.md, "Runbook".',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
    const wf = props.webhook;
    this.dashboard.addWidgets(
      this.graph('Webhook outcomes', [
        this.business(wf, METRIC.webhookAccepted),
        this.business(wf, METRIC.webhookDuplicate),
        this.business(wf, METRIC.webhookIgnored),
        this.business(wf, METRIC.webhookRejected),
        this.business(wf, METRIC.webhookFailed),
      ]),
      this.graph('Webhook API', [props.api.metricCount({ period: FIVE_MINUTES }), api4xx, api5xx]),
      this.graph('Fulfilment time (s)', [
        fulfilmentTime,
        this.business(props.fulfilment, METRIC.fulfilmentTime, 'p50'),
        new MathExpression({
          expression: 'execution / 1000',
          usingMetrics: { execution: fulfilmentExecutionSeconds },
          label: 'fulfilment execution (max)',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      this.graph('Printify', [
        this.business(props.fulfilment, METRIC.printifyOrderCreated),
        this.business(props.fulfilment, METRIC.printifyAttemptFailed),
        this.business(props.fulfilment, METRIC.printifyOrderFailed),
        this.business(props.fulfilment, METRIC.printifyMappingMissing),
      ]),
      this.graph('Printify webhooks', [
        this.business(props.printifyWebhook, METRIC.printifyOrderShipped),
        this.business(props.printifyWebhook, METRIC.printifyOrderDelivered),
        this.business(props.printifyWebhook, METRIC.printifyOrderCanceled),
        this.business(props.printifyWebhook, METRIC.printifyOrderHasIssues),
        this.business(props.printifyWebhook, METRIC.printifyWebhookUnknownOrder),
        this.business(props.printifyWebhook, METRIC.printifyWebhookUnappliable),
        this.business(props.printifyWebhook, METRIC.printifyShipmentAfterRefund),
        this.business(props.printifyWebhook, METRIC.printifyWebhookRejected),
        this.business(props.printifyWebhook, METRIC.printifyWebhookFailed),
      ]),
      this.graph('Petals', [
        this.business(props.petals, METRIC.petalsAwarded),
        this.business(props.petals, METRIC.petalsDeducted),
        this.business(props.petals, METRIC.negativePetalBalance),
      ]),
      this.graph('Emails', [
        this.business(props.email, METRIC.emailSent),
        this.business(props.email, METRIC.emailFailed),
        this.business(props.email, METRIC.emailUndeliverable),
      ]),
      this.graph('Disputes opened', [this.business(props.fulfilment, METRIC.disputeOpened)]),
      this.graph('Payments held or not fulfilled', [
        this.business(props.fulfilment, METRIC.paymentMismatch),
        this.business(props.fulfilment, METRIC.paidNotFulfilled),
      ]),
      this.graph('Refunds and disputes', [
        this.business(props.fulfilment, METRIC.chargeOrderMismatch),
        this.business(props.fulfilment, METRIC.chargeWithoutOrder),
        this.business(props.fulfilment, METRIC.refundReversed),
        this.business(props.fulfilment, METRIC.refundClaimImpossible),
        this.business(props.fulfilment, METRIC.refundedAfterProduction),
        this.business(props.fulfilment, METRIC.disputeStatusUnknown),
      ]),
    );
    if (props.reconciler) {
      this.dashboard.addWidgets(
        this.graph('Reconciliation with Stripe', [
          this.business(props.reconciler, METRIC.reconcilerMissedEvents),
          this.business(props.reconciler, METRIC.reconcilerFailed),
        ]),
      );
    }
    const machines = Object.entries(props.stateMachines) as [WorkflowName, StateMachine][];
    this.dashboard.addWidgets(
      this.graph(
        'Executions started',
        machines.map(([w, m]) => m.metricStarted({ period: FIVE_MINUTES, label: w })),
        6,
      ),
      this.graph(
        'Executions succeeded',
        machines.map(([w, m]) => m.metricSucceeded({ period: FIVE_MINUTES, label: w })),
        6,
      ),
      this.graph(
        'Executions failed, timed out, aborted',
        machines.flatMap(([w, m]) => [
          m.metricFailed({ period: FIVE_MINUTES, label: `${w} failed` }),
          m.metricTimedOut({ period: FIVE_MINUTES, label: `${w} timed out` }),
          m.metricAborted({ period: FIVE_MINUTES, label: `${w} aborted` }),
        ]),
        12,
      ),
    );
    // one line a function, named by its construct id: two functions may share a service name
    // (PrintifyFunction reports as the fulfilment service)
    this.dashboard.addWidgets(
      this.graph(
        'Lambda errors',
        props.functions.map((f) => f.metricErrors({ period: FIVE_MINUTES, label: f.node.id })),
        6,
      ),
      this.graph(
        'Lambda throttles',
        props.functions.map((f) => f.metricThrottles({ period: FIVE_MINUTES, label: f.node.id })),
        6,
      ),
      this.graph(
        'Lambda duration (p99, ms)',
        props.functions.map((f) => f.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: f.node.id })),
        6,
      ),
      this.graph(
        'Task failures (incl. retried)',
        props.functions.map((f) => this.business(f, METRIC.taskFailed, 'Sum', f.serviceName)),
        6,
      ),
    );
  }

  /** One of the pipeline's own metrics, as a function publishes it (dimensions `service` and `stage`). */
  private business(fn: PipelineFunction, name: MetricName, statistic = 'Sum', label?: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: fn.serviceName, [STAGE_DIMENSION]: fn.stage },
      statistic,
      period: FIVE_MINUTES,
      label: label ?? (statistic === 'Sum' ? name : `${name} (${statistic})`),
    });
  }

  private alarm(
    name: string,
    metric: IMetric,
    options: { threshold: number; description: string; comparison?: ComparisonOperator },
  ): Alarm {
    const alarm = new Alarm(this, name, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: options.description,
      metric,
      threshold: options.threshold,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  private graph(title: string, metrics: IMetric[], width = 8): GraphWidget {
    return new GraphWidget({ title, left: metrics, width, height: 6 });
  }
}
