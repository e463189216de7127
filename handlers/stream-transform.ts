// Lambda entry point for the Firehose data transformation of the `events` stream: validates the event,
// runs the pure transform (pipelines/stream-etl/transform.ts) and reports each failed record with its
// reason and the batch's counts (pipelines/stream-etl/report.ts) as logs and CloudWatch metrics (EMF).
import type { Context } from 'aws-lambda';
import { loadTransformConfig } from '../pipelines/stream-etl/config.ts';
import { reportTransform } from '../pipelines/stream-etl/report.ts';
import { transformRecords } from '../pipelines/stream-etl/transform.ts';
import { parseEvent } from '../shared/events/errors.ts';
import { FirehoseTransformEventSchema, type FirehoseTransformResponse } from '../shared/events/firehose.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';

const options = loadTransformConfig();
const logger = createLogger('stream-transform');
const metrics = createMetrics('stream-transform');

export async function handler(event: unknown, context: Context): Promise<FirehoseTransformResponse> {
  logger.addContext(context);
  // An event that is not a transformation event is a wiring error: throw, Firehose retries and then
  // writes the whole batch under the error prefix, so nothing is lost.
  const input = parseEvent(FirehoseTransformEventSchema, event, 'Firehose transformation event');
  const outcome = transformRecords(input.records, options);
  reportTransform(input, outcome, options, { logger, metrics });
  metrics.publishStoredMetrics();
  return outcome.response;
}
