// Lambda entry point of the events API's REQUEST authorizer (API Gateway HTTP API, simple responses):
// looks up the presented API key in API_KEYS_TABLE and answers with its scopes (pipelines/events-api).
import type { Context } from 'aws-lambda';
import { loadAuthorizerConfig } from '../pipelines/events-api/config.ts';
import { KeyStore } from '../pipelines/events-api/key-store.ts';
import { authorize } from '../pipelines/events-api/routes.ts';
import { dynamoClient } from '../shared/aws/dynamodb.ts';
// The event modules themselves, not the library's index: every zod schema the index re-exports would be
// bundled and built at cold start, since esbuild cannot tell that building a schema has no side effects.
import { parseEvent } from '../shared/events/errors.ts';
import { HttpAuthorizerEventSchema, type HttpAuthorizerResult } from '../shared/events/http.ts';
import { createLogger } from '../shared/logger.ts';

const config = loadAuthorizerConfig();
const logger = createLogger('events-authorizer');
const keys = new KeyStore(dynamoClient(), config.API_KEYS_TABLE);

export async function handler(event: unknown, context: Context): Promise<HttpAuthorizerResult> {
  logger.addContext(context);
  const request = parseEvent(HttpAuthorizerEventSchema, event, 'HTTP API authorizer event');
  const result = await authorize(request, (id) =>
    keys.get(id, (problem) => logger.warn('unreadable API key item', { id, problem })),
  );
  // Never the key itself: only its id when it was recognised.
  logger.info(result.isAuthorized ? 'authorized' : 'refused', {
    route: request.routeKey,
    keyId: result.context?.keyId,
  });
  return result;
}
