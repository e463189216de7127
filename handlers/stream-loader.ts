// Lambda entry point for the stream loader: on each new object under `events/` in the lake bucket (an S3
// notification), streams the object into the events table (pipelines/stream-etl/loader.ts `loadChanges`).
// Failure policy: a bad line is permanent (a retry reads the same bytes), so it is logged with its object
// key and line number and counted (metric LoaderBadLines), and the invocation still succeeds; the line
// stays in the lake object, so nothing is lost. A write that cannot complete (DynamoDB unavailable,
// UnprocessedItems left after every retry, no time left) or an unreadable object throws, so Lambda's
// asynchronous retries and the on-failure destination apply; keys are deterministic, so a retry that
// rewrites items already written creates no duplicates. With CACHE_URL set, the events API's cache is
// told which (source, day) were loaded (pipelines/events-api/cache.ts `bumpGenerations`); a cache that
// cannot be reached is logged and counted (CacheErrors) and never fails the invocation.
import type { Context } from 'aws-lambda';
import { QueryCache } from '../pipelines/events-api/cache.ts';
import { loadLoaderConfig } from '../pipelines/stream-etl/config.ts';
import { loadChanges } from '../pipelines/stream-etl/loader.ts';
import { dynamoClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { parseEvent } from '../shared/events/errors.ts';
import { S3EventSchema, s3Changes } from '../shared/events/s3.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, MetricUnit } from '../shared/metrics.ts';

const config = loadLoaderConfig();
const logger = createLogger('stream-loader');
const metrics = createMetrics('stream-loader');
const cache = config.cacheUrl
  ? new QueryCache({
      url: config.cacheUrl,
      // Asynchronous work: waiting longer for the connection at a cold start costs no user anything.
      connectWaitMs: 2_000,
      commandTimeoutMs: 1_000,
      onError: (operation, error) => {
        logger.warn('cache unavailable', { operation, error: String(error) });
        metrics.addMetric('CacheErrors', MetricUnit.Count, 1);
      },
    })
  : undefined;

/** Time kept in reserve when computing the retry deadline, so the invocation ends on its own terms. */
const SAFETY_MS = 5_000;

export async function handler(
  event: unknown,
  context: Context,
): Promise<{ written: number; badLines: number }> {
  logger.addContext(context);
  const changes = s3Changes(parseEvent(S3EventSchema, event, 'S3 event'));
  const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MS);
  const { written, badLines, errors } = await loadChanges(changes, {
    s3: s3Client(),
    dynamo: dynamoClient(),
    config,
    logger,
    deadline,
    ...(cache ? { forget: (touched) => cache.bumpGenerations(touched) } : {}),
  });
  metrics.addMetric('LoaderItemsWritten', MetricUnit.Count, written);
  metrics.addMetric('LoaderBadLines', MetricUnit.Count, badLines);
  metrics.publishStoredMetrics();
  if (errors.length) {
    throw new AggregateError(errors, `${errors.length} of ${changes.length} objects could not be loaded`);
  }
  return { written, badLines };
}
