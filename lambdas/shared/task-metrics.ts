import type { Signal } from '../domain/signals';
import { METRIC, type MetricName } from './metric-names';
import { MetricUnit, type MetricPoint } from './metrics';

/** What the task wrapper knows of a task: its payload's discriminators and the execution input. */
export interface TaskFacts {
  action?: string;
  template?: string;
  input?: { created?: number };
}

const count = (name: MetricPoint['name'], value = 1): MetricPoint => ({ name, value, unit: MetricUnit.Count });

const COUNTED: Record<Exclude<Signal['kind'], 'petals-awarded' | 'petals-deducted'>, MetricName> = {
  'printify-order-created': METRIC.printifyOrderCreated,
  'printify-mapping-missing': METRIC.printifyMappingMissing,
  'printify-order-failed': METRIC.printifyOrderFailed,
  'printify-order-canceled': METRIC.printifyOrderCanceled,
  'printify-order-has-issues': METRIC.printifyOrderHasIssues,
  'printify-order-shipped': METRIC.printifyOrderShipped,
  'printify-order-delivered': METRIC.printifyOrderDelivered,
  'printify-webhook-unknown-order': METRIC.printifyWebhookUnknownOrder,
  'printify-webhook-unappliable': METRIC.printifyWebhookUnappliable,
  'printify-shipment-after-refund': METRIC.printifyShipmentAfterRefund,
  'dispute-opened': METRIC.disputeOpened,
  'dispute-status-unknown': METRIC.disputeStatusUnknown,
  'charge-order-mismatch': METRIC.chargeOrderMismatch,
  'charge-without-order': METRIC.chargeWithoutOrder,
  'refund-claim-impossible': METRIC.refundClaimImpossible,
  'refund-reversed': METRIC.refundReversed,
  'refunded-after-production': METRIC.refundedAfterProduction,
  'email-sent': METRIC.emailSent,
  'email-undeliverable': METRIC.emailUndeliverable,
  'negative-petal-balance': METRIC.negativePetalBalance,
  'payment-mismatch': METRIC.paymentMismatch,
  'paid-not-fulfilled': METRIC.paidNotFulfilled,
};

/**
 * The one mapping from what use cases say happened (their `signals`) to business metrics: each
 * signal counts once under its metric; petals count their number (nothing for 0); a created
 * Printify order also records FulfilmentTime, the seconds from Stripe's event (`eventCreated`,
 * unix seconds, when the caller knows it) to `now`.
 */
export function metricsOfSignals(
  signals: readonly Signal[],
  context: { eventCreated?: number | undefined; now?: Date } = {},
): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const signal of signals) {
    if (signal.kind === 'petals-awarded' || signal.kind === 'petals-deducted') {
      if (signal.petals > 0)
        points.push(count(signal.kind === 'petals-awarded' ? METRIC.petalsAwarded : METRIC.petalsDeducted, signal.petals));
      continue;
    }
    points.push(count(COUNTED[signal.kind]));
    if (signal.kind === 'printify-order-created' && typeof context.eventCreated === 'number') {
      const seconds = Math.max(0, (context.now ?? new Date()).getTime() / 1000 - context.eventCreated);
      points.push({ name: METRIC.fulfilmentTime, value: Math.round(seconds * 1000) / 1000, unit: MetricUnit.Seconds });
    }
  }
  return points;
}

/** The signals a task's result reports (none when it has no `signals` list). */
export function signalsOf(result: unknown): Signal[] {
  const signals = typeof result === 'object' && result !== null ? (result as { signals?: unknown }).signals : undefined;
  return Array.isArray(signals) ? (signals as Signal[]) : [];
}

/** The metrics of a failed attempt: TaskFailed (in total and by error type); Printify and email by name. */
export function metricsOfFailure(task: TaskFacts, errorType: string): MetricPoint[] {
  const points: MetricPoint[] = [count(METRIC.taskFailed), { ...count(METRIC.taskFailed), dimensions: { errorType } }];
  if (task.action === 'createPrintifyOrder') points.push(count(METRIC.printifyAttemptFailed));
  if (task.template !== undefined) points.push(count(METRIC.emailFailed));
  return points;
}
