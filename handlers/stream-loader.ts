// Lambda entry point for the stream loader: on each new object under `events/` in the lake bucket (an S3
// notification), streams the object into the events table (pipelines/stream-etl/loader.ts).
// Failure policy: a bad line is permanent (a retry reads the same bytes), so it is logged with its object
// key and line number and counted (metric LoaderBadLines), and the invocation still succeeds; the line
// stays in the lake object, so nothing is lost. A write that cannot complete (DynamoDB unavailable,
// UnprocessedItems left after every retry, no time left) or an unreadable object throws, so Lambda's
// asynchronous retries and the on-failure destination apply; keys are deterministic, so a retry that
// rewrites items already written creates no duplicates.

import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { loadLoaderConfig } from '../pipelines/stream-etl/config.ts';
import { loadLines, objectLines } from '../pipelines/stream-etl/loader.ts';
import { dynamoClient } from '../shared/aws/dynamodb.ts';
import { s3Client } from '../shared/aws/s3.ts';
import { parseEvent, S3EventSchema, s3Changes } from '../shared/events/index.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, MetricUnit } from '../shared/metrics.ts';

const config = loadLoaderConfig();
const logger = createLogger('stream-loader');
const metrics = createMetrics('stream-loader');

/** Time kept in reserve when computing the retry deadline, so the invocation ends on its own terms. */
const SAFETY_MS = 5_000;
const MAX_LOGGED_BAD_LINES = 50;

export async function handler(
  event: unknown,
  context: Context,
): Promise<{ written: number; badLines: number }> {
  logger.addContext(context);
  const changes = s3Changes(parseEvent(S3EventSchema, event, 'S3 event'));
  const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MS);
  let written = 0;
  let bad = 0;
  const errors: unknown[] = [];

  for (const change of changes) {
    if (change.action !== 'created' || !change.key.startsWith(config.lakePrefix)) {
      logger.info('ignored: not a new object under the lake prefix', {
        key: change.key,
        event: change.eventName,
      });
      continue;
    }
    try {
      const object = await s3Client().send(new GetObjectCommand({ Bucket: change.bucket, Key: change.key }));
      const body = object.Body as AsyncIterable<Uint8Array> | undefined;
      if (!body) throw new Error(`GetObject returned no body for ${change.key}`);
      const result = await loadLines(objectLines(body), {
        client: dynamoClient(),
        tableName: config.eventsTable,
        concurrency: config.concurrency,
        deadline,
        onRetry: (info) => logger.debug('retrying unprocessed items', { key: change.key, ...info }),
      });
      written += result.written;
      bad += result.badLines.length;
      for (const b of result.badLines.slice(0, MAX_LOGGED_BAD_LINES)) {
        logger.error('lake line not loaded', { bucket: change.bucket, key: change.key, ...b });
      }
      logger.info('object loaded', {
        key: change.key,
        lines: result.lines,
        written: result.written,
        badLines: result.badLines.length,
        calls: result.calls,
      });
    } catch (err) {
      if (err instanceof NoSuchKey) {
        // Deleted before we got to it (e.g. lifecycle or a replay cleanup): nothing left to load.
        logger.warn('object no longer exists; skipped', { key: change.key });
        continue;
      }
      logger.error('object could not be loaded', { key: change.key, error: err as Error });
      errors.push(err);
    }
  }

  metrics.addMetric('LoaderItemsWritten', MetricUnit.Count, written);
  metrics.addMetric('LoaderBadLines', MetricUnit.Count, bad);
  metrics.publishStoredMetrics();
  if (errors.length) {
    throw new AggregateError(errors, `${errors.length} of ${changes.length} objects could not be loaded`);
  }
  return { written, badLines: bad };
}
