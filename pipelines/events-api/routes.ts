// The events API's three functions as plain functions of an API Gateway event (payload format 2.0), with
// their dependencies passed in, so handlers/ only wires clients and tests drive them with real ones:
// - `authorize`: the REQUEST authorizer. Looks the presented key up (API_KEYS_TABLE) and answers with the
//   key's scopes in the context; it does not decide per route, because API Gateway caches its answer per
//   identity source (the key), and one cached answer is then reused for every route.
// - `handleIngest` (POST /events, needs scope `write`) and `handleQuery` (GET /events and
//   GET /events/latest, need scope `read`) check the scope from that context.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  authorizerContext,
  bodyBytes,
  bodyText,
  type HttpApiEvent,
  type HttpAuthorizerEvent,
  type HttpAuthorizerResult,
  type HttpResult,
  header,
  jsonResult,
} from '../../shared/events/http.ts';
import type { QueryCache } from './cache.ts';
import { daysCovered } from './cache-days.ts';
import { ingest, type SendEvents } from './ingest.ts';
import { type ApiKeyItem, keyFromAuthorization, parseApiKey, type Scope, secretMatches } from './keys.ts';
import { CursorError, parseLatestQuery, parseRangeQuery, queryLatest, queryRange } from './query.ts';

export async function authorize(
  event: HttpAuthorizerEvent,
  lookup: (id: string) => Promise<ApiKeyItem | undefined>,
): Promise<HttpAuthorizerResult> {
  const parsed = parseApiKey(keyFromAuthorization(header(event, 'authorization')));
  if (!parsed) return { isAuthorized: false };
  const item = await lookup(parsed.id);
  if (!item || !secretMatches(item, parsed.secret)) return { isAuthorized: false };
  return {
    isAuthorized: true,
    context: { keyId: item.id, keyName: item.name, scopes: item.scopes.join(' ') },
  };
}

/** 403 unless the authorizer's context grants `scope`. */
function forbidden(event: HttpApiEvent, scope: Scope): HttpResult | undefined {
  const scopes = String(authorizerContext(event).scopes ?? '').split(' ');
  if (scopes.includes(scope)) return undefined;
  return jsonResult(403, { error: 'Forbidden', message: `this API key lacks the "${scope}" scope` });
}

export async function handleIngest(event: HttpApiEvent, send: SendEvents): Promise<HttpResult> {
  const denied = forbidden(event, 'write');
  if (denied) return denied;
  const answer = await ingest(
    { contentType: header(event, 'content-type'), body: bodyText(event), bodyBytes: bodyBytes(event) },
    send,
  );
  return jsonResult(answer.status, answer.body, answer.headers);
}

export interface QueryDeps {
  dynamo: DynamoDBClient;
  table: string;
  cursorKey: Uint8Array;
  /** Absent when the API runs without a cache. */
  cache?: QueryCache | undefined;
}

export async function handleQuery(event: HttpApiEvent, deps: QueryDeps): Promise<HttpResult> {
  const denied = forbidden(event, 'read');
  if (denied) return denied;
  const path = event.rawPath.replace(/\/+$/, '');
  const params = event.queryStringParameters;
  const badRequest = (problems: Array<{ parameter: string; problem: string }>) =>
    jsonResult(400, {
      error: 'InvalidParameters',
      message: problems.map((p) => `${p.parameter}: ${p.problem}`).join('; '),
      problems,
    });
  const cacheHeader = (hit: boolean | undefined) => ({
    'x-cache': hit === undefined ? 'off' : hit ? 'hit' : 'miss',
  });

  if (path.endsWith('/events/latest')) {
    const parsed = parseLatestQuery(params);
    if (!parsed.ok) return badRequest(parsed.problems);
    const q = parsed.query;
    if (!deps.cache)
      return jsonResult(
        200,
        { events: await queryLatest(deps.dynamo, deps.table, q) },
        cacheHeader(undefined),
      );
    const { value, hit } = await deps.cache.read(['latest', q], { source: q.source }, () =>
      queryLatest(deps.dynamo, deps.table, q, { consistent: true }),
    );
    return jsonResult(200, { events: value }, cacheHeader(hit));
  }

  const parsed = parseRangeQuery(params);
  if (!parsed.ok) return badRequest(parsed.problems);
  const q = parsed.query;
  try {
    const days = deps.cache && daysCovered(q.from, q.to);
    if (!deps.cache || !days) {
      const page = await queryRange(deps.dynamo, deps.table, q, deps.cursorKey);
      return jsonResult(200, page, cacheHeader(undefined));
    }
    const { value, hit } = await deps.cache.read(['range', q], { source: q.source, days }, () =>
      queryRange(deps.dynamo, deps.table, q, deps.cursorKey, { consistent: true }),
    );
    return jsonResult(200, value, cacheHeader(hit));
  } catch (err) {
    if (err instanceof CursorError) return badRequest([{ parameter: 'cursor', problem: err.message }]);
    throw err;
  }
}
