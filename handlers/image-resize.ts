// Lambda entry point of the image pipeline: validates the S3 notification with the shared schema, then
// hands each change (ObjectCreated → render variants, ObjectRemoved → delete them) to the pipeline logic in
// pipelines/image-resize/. Rejected uploads return normally (a permanent property of the upload: a retry
// cannot help) and show as a marker object, a metric and a log line; any other error is rethrown after
// every record has been tried, so Lambda retries the event and finally sends it to the dead-letter queue.
// A CloudFront invalidation that keeps failing is such an error, and also shows as CdnInvalidationFailures.
import type { Context } from 'aws-lambda';
import { CdnInvalidationError } from '../pipelines/image-resize/cdn.ts';
import { type ImageConfig, loadImageConfig } from '../pipelines/image-resize/config.ts';
import { type Outcome, processUpload, removeVariants } from '../pipelines/image-resize/pipeline.ts';
import { cloudFrontClient } from '../shared/aws/cloudfront.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { parseEvent, S3EventSchema, s3Changes } from '../shared/events/index.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, MetricUnit } from '../shared/metrics.ts';

const logger = createLogger('image-resize');
const metrics = createMetrics('image-resize');

// Read and validated once per container, on the first invocation; a bad setting (e.g. DISPLAY_BUCKET equal
// to SOURCE_BUCKET) fails every invocation with a ConfigError naming it, before any object is touched.
let config: ImageConfig | undefined;

/** Time kept in reserve at the end of an invocation: no retry wait starts inside it. */
const RESERVE_MS = 5_000;

export async function handler(event: unknown, context: Context): Promise<{ outcomes: Outcome[] }> {
  config ??= loadImageConfig();
  logger.addContext(context);
  const parsed = parseEvent(S3EventSchema, event, 'S3 event');
  const deps = {
    s3: s3Client(),
    ...(config.cdnDistributionId ? { cloudfront: cloudFrontClient() } : {}),
    config,
    logger,
    deadline: Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS,
  };
  const outcomes: Outcome[] = [];
  const failures: unknown[] = [];
  for (const change of s3Changes(parsed)) {
    if (change.action === 'other') {
      // Restore, replication, tagging, ACL, storage-class events: the image itself did not change.
      logger.info('Ignored: not a creation or removal', { key: change.key, eventName: change.eventName });
      continue;
    }
    try {
      const outcome =
        change.action === 'created' ? await processUpload(change, deps) : await removeVariants(change, deps);
      outcomes.push(outcome);
      report(outcome);
    } catch (err) {
      failures.push(err);
      if (err instanceof CdnInvalidationError) {
        // The variants are right in S3 but CloudFront may serve the old ones for up to a year: an alarm on
        // this metric catches it even when a later retry succeeds.
        metrics.addMetric('CdnInvalidationFailures', MetricUnit.Count, 1);
        logger.error('CloudFront invalidation failed', {
          key: change.key,
          distributionId: err.distributionId,
          paths: err.paths,
          error: err,
        });
      }
      logger.error('Change failed; the event will be retried', {
        key: change.key,
        eventName: change.eventName,
        error: err as Error,
      });
    }
  }
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new AggregateError(failures, `${failures.length} of the event's changes failed`);
  return { outcomes };
}

function report(o: Outcome): void {
  // Invalidation paths cost money past 1,000 a month (README.md): counted so that the bill can be watched.
  if (o.status !== 'skipped' && o.invalidated.length > 0) {
    metrics.addMetric('CdnPathsInvalidated', MetricUnit.Count, o.invalidated.length);
  }
  switch (o.status) {
    case 'processed':
      metrics.addMetric('ImagesProcessed', MetricUnit.Count, 1);
      metrics.addMetric('VariantsWritten', MetricUnit.Count, o.written.length);
      logger.info('Variants written', {
        sourceKey: o.sourceKey,
        eTag: o.eTag,
        written: o.written,
        invalidated: o.invalidated,
      });
      break;
    case 'rejected': {
      metrics.addMetric('ImagesRejected', MetricUnit.Count, 1);
      // And one per reason, so an alarm can watch e.g. only `corrupt`.
      const single = metrics.singleMetric();
      single.addDimension('reason', o.reason);
      single.addMetric('ImagesRejected', MetricUnit.Count, 1);
      logger.warn('Upload rejected', {
        sourceKey: o.sourceKey,
        reason: o.reason,
        detail: o.message,
        marker: o.marker,
        invalidated: o.invalidated,
      });
      break;
    }
    case 'removed':
      metrics.addMetric('VariantsDeleted', MetricUnit.Count, o.deleted.length);
      logger.info('Variants removed', {
        sourceKey: o.sourceKey,
        deleted: o.deleted,
        invalidated: o.invalidated,
      });
      break;
    case 'skipped':
      logger.info('Change skipped', { sourceKey: o.sourceKey, why: o.why });
      break;
  }
}
