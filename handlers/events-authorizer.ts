// Lambda entry point of the events API's REQUEST authorizer (API Gateway HTTP API, simple responses):
// looks up the presented API key in API_KEYS_TABLE and answers with its scopes (pipelines/events-api).
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { loadAuthorizerConfig } from '../pipelines/events-api/config.ts';
import { ApiKeyItemSchema } from '../pipelines/events-api/keys.ts';
import { authorize } from '../pipelines/events-api/routes.ts';
import { dynamoClient } from '../shared/aws/dynamodb.ts';
import { HttpAuthorizerEventSchema, type HttpAuthorizerResult, parseEvent } from '../shared/events/index.ts';
import { createLogger } from '../shared/logger.ts';

const config = loadAuthorizerConfig();
const logger = createLogger('events-authorizer');

export async function handler(event: unknown, context: Context): Promise<HttpAuthorizerResult> {
  logger.addContext(context);
  const request = parseEvent(HttpAuthorizerEventSchema, event, 'HTTP API authorizer event');
  const result = await authorize(request, async (id) => {
    const out = await dynamoClient().send(
      new GetItemCommand({ TableName: config.API_KEYS_TABLE, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const parsed = ApiKeyItemSchema.safeParse({
      id: out.Item.id?.S,
      hash: out.Item.hash?.S,
      name: out.Item.name?.S,
      scopes: out.Item.scopes?.SS,
      created: out.Item.created?.S,
      revoked: out.Item.revoked?.BOOL ?? false,
    });
    if (!parsed.success)
      logger.warn('unreadable API key item', { id, problem: parsed.error.issues[0]?.message });
    return parsed.success ? parsed.data : undefined;
  });
  // Never the key itself: only its id when it was recognised.
  logger.info(result.isAuthorized ? 'authorized' : 'refused', {
    route: request.routeKey,
    keyId: result.context?.keyId,
  });
  return result;
}
