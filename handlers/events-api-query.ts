// Lambda entry point of GET /events and GET /events/latest: reads the `events` table, through the Valkey
// cache when CACHE_URL is set (pipelines/events-api/routes.ts, cache.ts). A cache failure is logged and
// counted (metric CacheErrors) and the read goes to DynamoDB.
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { QueryCache } from '../pipelines/events-api/cache.ts';
import { loadQueryConfig } from '../pipelines/events-api/config.ts';
import { handleQuery } from '../pipelines/events-api/routes.ts';
import { dynamoClient } from '../shared/aws/dynamodb.ts';
import { secretsClient } from '../shared/aws/secrets.ts';
// The event modules themselves, not the library's index: every zod schema the index re-exports would be
// bundled and built at cold start, since esbuild cannot tell that building a schema has no side effects.
import { parseEvent } from '../shared/events/errors.ts';
import { HttpApiEventSchema, type HttpResult } from '../shared/events/http.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetrics, MetricUnit } from '../shared/metrics.ts';

const config = loadQueryConfig();
const logger = createLogger('events-query');
const metrics = createMetrics('events-query');
const cache = config.CACHE_URL
  ? new QueryCache({
      url: config.CACHE_URL,
      ttlSeconds: config.CACHE_TTL_SECONDS,
      onError: (operation, error) => {
        logger.warn('cache unavailable, reading DynamoDB', { operation, error: String(error) });
        metrics.addMetric('CacheErrors', MetricUnit.Count, 1);
      },
    })
  : undefined;

let cursorKey: Promise<Uint8Array> | undefined;
function loadCursorKey(): Promise<Uint8Array> {
  cursorKey ??= (async () => {
    if (config.CURSOR_KEY) return Buffer.from(config.CURSOR_KEY, 'utf8');
    const out = await secretsClient().send(
      new GetSecretValueCommand({ SecretId: config.CURSOR_KEY_SECRET_ARN }),
    );
    if (!out.SecretString || out.SecretString.length < 32)
      throw new Error('the cursor key secret holds fewer than 32 characters');
    return Buffer.from(out.SecretString, 'utf8');
  })().catch((err: unknown) => {
    cursorKey = undefined; // try again on the next invocation
    throw err;
  });
  return cursorKey;
}

export async function handler(event: unknown, context: Context): Promise<HttpResult> {
  logger.addContext(context);
  const request = parseEvent(HttpApiEventSchema, event, 'HTTP API event');
  try {
    const result = await handleQuery(request, {
      dynamo: dynamoClient(),
      table: config.EVENTS_TABLE,
      cursorKey: await loadCursorKey(),
      cache,
    });
    logger.info('query', {
      route: request.rawPath,
      status: result.statusCode,
      cache: result.headers?.['x-cache'],
    });
    return result;
  } finally {
    // Only when the cache failed: Powertools warns on every empty publish.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
