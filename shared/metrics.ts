// CloudWatch metrics through Powertools Metrics (EMF log lines), one instance per function: every
// pipeline publishes into one namespace, `EventPipelines` unless POWERTOOLS_METRICS_NAMESPACE says otherwise.
import { Metrics } from '@aws-lambda-powertools/metrics';

export const DEFAULT_METRICS_NAMESPACE = 'EventPipelines';

export function createMetrics(serviceName: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
    serviceName,
  });
}

export { MetricUnit } from '@aws-lambda-powertools/metrics';
export type { Metrics };
