// Every function publishes into one metrics namespace, EventPipelines by default, or the one named by
// POWERTOOLS_METRICS_NAMESPACE; checked on the EMF document Powertools would print.
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, DEFAULT_METRICS_NAMESPACE, MetricUnit } from '../../shared/metrics.ts';

const saved = process.env.POWERTOOLS_METRICS_NAMESPACE;
afterEach(() => {
  if (saved === undefined) delete process.env.POWERTOOLS_METRICS_NAMESPACE;
  else process.env.POWERTOOLS_METRICS_NAMESPACE = saved;
});

function namespaceOf(serviceName: string): { namespace: string; service: unknown } {
  const metrics = createMetrics(serviceName);
  metrics.addMetric('Things', MetricUnit.Count, 1);
  const emf = metrics.serializeMetrics();
  return { namespace: emf._aws.CloudWatchMetrics[0]!.Namespace, service: emf.service };
}

describe('createMetrics', () => {
  it('publishes into the EventPipelines namespace by default, with the function as service', () => {
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    expect(namespaceOf('stream-loader')).toEqual({
      namespace: DEFAULT_METRICS_NAMESPACE,
      service: 'stream-loader',
    });
    expect(DEFAULT_METRICS_NAMESPACE).toBe('EventPipelines');
  });

  it('honours POWERTOOLS_METRICS_NAMESPACE', () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Team/Pipelines';
    expect(namespaceOf('image-resize').namespace).toBe('Team/Pipelines');
  });
});
