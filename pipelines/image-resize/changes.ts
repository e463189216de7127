// The image function's work for one S3 notification: each change handed to pipeline.ts (ObjectCreated →
// render variants, ObjectRemoved → delete them, anything else ignored), every outcome logged and counted as
// CloudWatch metrics (EMF). A change that fails does not stop the others: its error is logged and returned,
// so the caller fails the invocation after every record has been tried. A CloudFront invalidation that
// keeps failing is such an error, and also shows as CdnInvalidationFailures. handlers/image-resize.ts wires
// it to Lambda.
import type { S3ObjectChange } from '../../shared/events/index.ts';
import type { Logger } from '../../shared/logger.ts';
import { type Metrics, MetricUnit } from '../../shared/metrics.ts';
import { CdnInvalidationError } from './cdn.ts';
import { type ImageDeps, type Outcome, processUpload, removeVariants } from './pipeline.ts';

/** Handles every change; returns the outcomes and the errors of the changes that failed. */
export async function handleChanges(
  changes: readonly S3ObjectChange[],
  deps: ImageDeps & { logger: Logger },
  metrics: Metrics,
): Promise<{ outcomes: Outcome[]; failures: unknown[] }> {
  const { logger } = deps;
  const outcomes: Outcome[] = [];
  const failures: unknown[] = [];
  for (const change of changes) {
    if (change.action === 'other') {
      // Restore, replication, tagging, ACL, storage-class events: the image itself did not change.
      logger.info('Ignored: not a creation or removal', { key: change.key, eventName: change.eventName });
      continue;
    }
    try {
      const outcome =
        change.action === 'created' ? await processUpload(change, deps) : await removeVariants(change, deps);
      outcomes.push(outcome);
      report(outcome, logger, metrics);
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
  return { outcomes, failures };
}

function report(o: Outcome, logger: Logger, metrics: Metrics): void {
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
