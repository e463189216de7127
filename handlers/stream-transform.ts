// Lambda entry point for the Firehose data transformation of the `events` stream: validates the event,
// runs the pure transform (pipelines/stream-etl/transform.ts), logs each failed record with its reason
// and counts results as CloudWatch metrics (EMF). Firehose itself keeps no reason for ProcessingFailed
// records (its error objects say only "ProcessingFailed status set for record"), so these logs and
// metrics are where the reasons live.
import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { loadTransformConfig } from '../pipelines/stream-etl/config.ts';
import { type FailureCode, transformRecords } from '../pipelines/stream-etl/transform.ts';
import {
  FirehoseTransformEventSchema,
  type FirehoseTransformResponse,
  parseEvent,
} from '../shared/events/index.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, MetricUnit } from '../shared/metrics.ts';

const options = loadTransformConfig();
const logger = createLogger('stream-transform');
const metrics = createMetrics('stream-transform');

/** Individually logged failures per invocation; the rest are summarised by code, so logs stay bounded. */
const MAX_LOGGED_FAILURES = 50;

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

export async function handler(event: unknown, context: Context): Promise<FirehoseTransformResponse> {
  logger.addContext(context);
  // An event that is not a transformation event is a wiring error: throw, Firehose retries and then
  // writes the whole batch under the error prefix, so nothing is lost.
  const input = parseEvent(FirehoseTransformEventSchema, event, 'Firehose transformation event');
  const outcome = transformRecords(input.records, options);

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
  metrics.publishStoredMetrics();
  return outcome.response;
}
