// What the transform function reports about each batch: each failed record logged with its reason (bounded
// per invocation), a summary line, and CloudWatch metrics (EMF) per outcome and failure code. Firehose
// itself keeps no reason for ProcessingFailed records (its error objects say only "ProcessingFailed status
// set for record"), so these logs and metrics are where the reasons live. handlers/stream-transform.ts
// calls it after transform.ts's pure `transformRecords`.
import { createHash } from 'node:crypto';
import type { FirehoseTransformEvent } from '../../shared/events/firehose.ts';
import type { Logger } from '../../shared/logger.ts';
import { type Metrics, MetricUnit } from '../../shared/metrics.ts';
import type { FailureCode, TransformOptions, TransformOutcome } from './transform.ts';

/** Individually logged failures per invocation; the rest are summarised by code, so logs stay bounded. */
export const MAX_LOGGED_FAILURES = 50;

const metricName: Record<FailureCode, string> = {
  'invalid-base64': 'FailedInvalidBase64',
  empty: 'FailedEmpty',
  'not-utf8': 'FailedNotUtf8',
  'invalid-json': 'FailedInvalidJson',
  schema: 'FailedSchema',
  unprocessable: 'FailedUnprocessable',
  'too-large': 'FailedTooLarge',
  'response-limit': 'FailedResponseLimit',
};

/** Logs the batch's failures and summary and adds its metrics to `metrics` (the caller publishes them). */
export function reportTransform(
  input: FirehoseTransformEvent,
  outcome: TransformOutcome,
  options: TransformOptions,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
): void {
  const byCode: Partial<Record<FailureCode, number>> = {};
  for (const f of outcome.failures) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
  const logged = outcome.failures.slice(0, MAX_LOGGED_FAILURES);
  const byId = logged.length ? new Map(input.records.map((r) => [r.recordId, r])) : undefined;
  for (const f of logged) {
    const raw = byId?.get(f.recordId);
    logger.warn('record failed transformation', {
      recordId: f.recordId,
      code: f.code,
      reason: f.reason,
      approximateArrivalTimestamp: raw?.approximateArrivalTimestamp,
      // sha256 of the base64 text, i.e. of the `rawData` field of the record's error-prefix object, so an
      // operator can find it there without the data itself appearing in logs.
      rawDataSha256: raw ? createHash('sha256').update(raw.data).digest('hex') : undefined,
    });
  }
  if (outcome.failures.length > MAX_LOGGED_FAILURES) {
    logger.warn('more failed records not logged individually', {
      notLogged: outcome.failures.length - MAX_LOGGED_FAILURES,
    });
  }
  if (outcome.responseBytes > options.maxResponseBytes) {
    // Only possible when the batch's original data alone exceeds the limit (a misconfigured limit, as
    // Firehose's request is itself capped at 6 MB); every record is ProcessingFailed and kept.
    logger.error('response exceeds the configured limit even with every record failed', {
      responseBytes: outcome.responseBytes,
      limit: options.maxResponseBytes,
    });
  }

  logger.info('batch transformed', {
    invocationId: input.invocationId,
    records: input.records.length,
    ...outcome.counts,
    failuresByCode: byCode,
    responseBytes: outcome.responseBytes,
  });
  metrics.addMetric('RecordsOk', MetricUnit.Count, outcome.counts.ok);
  metrics.addMetric('RecordsDropped', MetricUnit.Count, outcome.counts.dropped);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, outcome.counts.failed);
  for (const [code, n] of Object.entries(byCode)) {
    metrics.addMetric(metricName[code as FailureCode], MetricUnit.Count, n);
  }
}
