// Lambda entry point of POST /events: validates the event(s) and sends them to the `events` delivery
// stream with the stream pipeline's producer (pipelines/events-api/ingest.ts).
import type { Context } from 'aws-lambda';
import { loadIngestConfig } from '../pipelines/events-api/config.ts';
import { handleIngest } from '../pipelines/events-api/routes.ts';
import { putRecords } from '../pipelines/stream-etl/producer.ts';
// The event modules themselves, not the library's index: every zod schema the index re-exports would be
// bundled and built at cold start, since esbuild cannot tell that building a schema has no side effects.
import { parseEvent } from '../shared/events/errors.ts';
import { HttpApiEventSchema, type HttpResult } from '../shared/events/http.ts';
import { createLogger } from '../shared/logger.ts';

const config = loadIngestConfig();
const logger = createLogger('events-ingest');

export async function handler(event: unknown, context: Context): Promise<HttpResult> {
  logger.addContext(context);
  const request = parseEvent(HttpApiEventSchema, event, 'HTTP API event');
  // Within API Gateway's 30 s: a few quick rounds, then what is still failing is answered as failed.
  const result = await handleIngest(request, (events) =>
    putRecords(events, { streamName: config.EVENTS_STREAM, maxAttempts: 4, maxDelayMs: 1_000 }),
  );
  logger.info('ingest', { status: result.statusCode });
  return result;
}
