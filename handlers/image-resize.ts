// Lambda entry point of the image pipeline: validates the S3 notification with the shared schema and hands
// its changes to pipelines/image-resize/changes.ts (render or delete variants, logs and metrics). Rejected
// uploads return normally (a permanent property of the upload: a retry cannot help) and show as a marker
// object, a metric and a log line; any other error is rethrown after every record has been tried, so
// Lambda retries the event and finally sends it to the dead-letter queue.
import type { Context } from 'aws-lambda';
import { handleChanges } from '../pipelines/image-resize/changes.ts';
import { type ImageConfig, loadImageConfig } from '../pipelines/image-resize/config.ts';
import type { Outcome } from '../pipelines/image-resize/pipeline.ts';
import { cloudFrontClient } from '../shared/aws/cloudfront.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { parseEvent } from '../shared/events/errors.ts';
import { S3EventSchema, s3Changes } from '../shared/events/s3.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';

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
  const { outcomes, failures } = await handleChanges(s3Changes(parsed), deps, metrics);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new AggregateError(failures, `${failures.length} of the event's changes failed`);
  return { outcomes };
}
