import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, STAGE_DIMENSION, STAGE_ENV, type MetricName } from './metric-names';

// A function whose logs are silenced (the tests' local stack) prints no metric lines either.
if (process.env.POWERTOOLS_LOG_LEVEL === 'SILENT' && process.env.POWERTOOLS_METRICS_DISABLED === undefined) {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}

const stage = process.env[STAGE_ENV];

/**
 * Business metrics as CloudWatch embedded metric format (a JSON log line, no API call). Namespace
 * and service come from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME; the `stage`
 * dimension from STAGE (on every metric, single metrics included: they copy default dimensions).
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  ...(stage ? { defaultDimensions: { [STAGE_DIMENSION]: stage } } : {}),
});

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** Records one occurrence (or `value`) of a named outcome and publishes it at once. */
export function countMetric(name: MetricName, value = 1, unit: Unit = MetricUnit.Count): void {
  metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}

/** The same metric once more with extra dimensions (e.g. a rejection's reason), published at once. */
export function countMetricBy(name: MetricName, dimensions: Record<string, string>, value = 1, unit: Unit = MetricUnit.Count): void {
  const single = metrics.singleMetric();
  for (const [dimension, dimensionValue] of Object.entries(dimensions)) single.addDimension(dimension, dimensionValue);
  single.addMetric(name, unit, value);
}

export interface MetricPoint {
  name: MetricName;
  value: number;
  unit: Unit;
  dimensions?: Record<string, string>;
}

export function emit(points: readonly MetricPoint[]): void {
  for (const point of points) {
    if (point.dimensions) countMetricBy(point.name, point.dimensions, point.value, point.unit);
    else countMetric(point.name, point.value, point.unit);
  }
}

export { MetricUnit };
