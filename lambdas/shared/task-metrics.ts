import { METRIC } from './metric-names';
import { MetricUnit, type MetricPoint } from './metrics';

/** What the task wrapper knows of a task: its payload's discriminators and the execution input. */
export interface TaskFacts {
  action?: string;
  template?: string;
  input?: { created?: number };
}

const count = (name: MetricPoint['name'], value = 1): MetricPoint => ({ name, value, unit: MetricUnit.Count });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The business metrics a task's result says happened, read from the use cases' result fields:
 * the Printify order (created / waits for a mapping) and the time from Stripe's event to it, the
 * final Printify failure (recorded by markFulfillmentFailed), petals written by a purchase or an
 * invoice, emails sent.
 */
export function metricsOfResult(task: TaskFacts, result: unknown, now: Date = new Date()): MetricPoint[] {
  if (!isObject(result)) return [];
  const points: MetricPoint[] = [];
  if (task.template !== undefined) {
    if (result.outcome === 'sent') points.push(count(METRIC.emailSent));
    return points;
  }
  switch (task.action) {
    case 'createPrintifyOrder':
      if (result.outcome === 'created') {
        points.push(count(METRIC.printifyOrderCreated));
        if (typeof task.input?.created === 'number') {
          const seconds = Math.max(0, now.getTime() / 1000 - task.input.created);
          points.push({ name: METRIC.fulfilmentTime, value: Math.round(seconds * 1000) / 1000, unit: MetricUnit.Seconds });
        }
      }
      if (result.outcome === 'pending_mapping') points.push(count(METRIC.printifyMappingMissing));
      break;
    case 'markFulfillmentFailed':
      points.push(count(METRIC.printifyOrderFailed));
      break;
    case 'settleOrder': {
      const written = Array.isArray(result.written) ? (result.written as unknown[]).map(String) : [];
      if (written.some((id) => id.startsWith('purchase#')) && typeof result.awarded === 'number' && result.awarded > 0) {
        points.push(count(METRIC.petalsAwarded, result.awarded));
      }
      break;
    }
    case 'awardInvoice':
      if (result.written === true && typeof result.petals === 'number' && result.petals > 0) points.push(count(METRIC.petalsAwarded, result.petals));
      break;
  }
  if (typeof result.petalsDeducted === 'number' && result.petalsDeducted > 0) points.push(count(METRIC.petalsDeducted, result.petalsDeducted));
  if (typeof result.balance === 'number' && result.balance < 0) points.push(count(METRIC.negativePetalBalance));
  return points;
}

/** The metrics of a failed attempt: TaskFailed (in total and by error type); Printify and email by name. */
export function metricsOfFailure(task: TaskFacts, errorType: string): MetricPoint[] {
  const points: MetricPoint[] = [count(METRIC.taskFailed), { ...count(METRIC.taskFailed), dimensions: { errorType } }];
  if (task.action === 'createPrintifyOrder') points.push(count(METRIC.printifyAttemptFailed));
  if (task.template !== undefined) points.push(count(METRIC.emailFailed));
  return points;
}
