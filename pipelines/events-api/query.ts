// The events API's reads, on the stream pipeline's `events` table (pk = source, sk = `<ISO time>#<eventId>`,
// written by the loader): events of one source in a time range, oldest first, in pages with a cursor; and
// the latest N events of a source, newest first. Both are a DynamoDB Query on one partition's sort-key
// range (never a Scan). Query parameters are validated here, each problem named for a 400.
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { normaliseTime } from '../stream-etl/schema.ts';
import { decodeCursor, encodeCursor, type QueryIdentity } from './cursor.ts';

export const QUERY_LIMITS = {
  /** Largest page of GET /events. */
  maxLimit: 1000,
  defaultLimit: 100,
  /** Largest N of GET /events/latest. */
  maxLatest: 100,
  defaultLatest: 20,
  /**
   * DynamoDB Query calls one page may make when `type` filters most items out (each reads ≤ 1 MB): past
   * this the page ends early with a cursor, so a sparse type costs bounded time per request.
   */
  maxCallsPerPage: 8,
} as const;

export interface StoredEvent {
  eventId: string;
  source: string;
  type: string;
  time: string;
  data: unknown;
}

export interface RangeQuery extends QueryIdentity {
  limit: number;
  cursor?: string | undefined;
}

export interface LatestQuery {
  source: string;
  type?: string | undefined;
  limit: number;
}

export interface Page {
  events: StoredEvent[];
  /** Present when more events may follow; pass it back as `cursor`. */
  cursor?: string;
}

export type Parsed<T> =
  | { ok: true; query: T }
  | { ok: false; problems: Array<{ parameter: string; problem: string }> };

type Params = Record<string, string | undefined> | undefined;

const TEXT_MAX = 256;

function text(params: Params, name: string, problems: Parsed<never> & { ok: false }, required: boolean) {
  const v = params?.[name];
  if (v === undefined || v === '') {
    if (required) problems.problems.push({ parameter: name, problem: 'is required' });
    return undefined;
  }
  if (v.length > TEXT_MAX)
    problems.problems.push({ parameter: name, problem: `must be at most ${TEXT_MAX} characters` });
  return v;
}

function int(
  params: Params,
  name: string,
  problems: Parsed<never> & { ok: false },
  max: number,
  dflt: number,
) {
  const v = params?.[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1 || Number(v) > max) {
    problems.problems.push({ parameter: name, problem: `must be a whole number from 1 to ${max}` });
    return dflt;
  }
  return Number(v);
}

function time(params: Params, name: string, problems: Parsed<never> & { ok: false }) {
  const v = text(params, name, problems, true);
  if (v === undefined) return undefined;
  const t = normaliseTime(v);
  if (!t.ok) {
    problems.problems.push({
      parameter: name,
      problem: `${t.reason} (e.g. 2026-12-01T10:00:00Z or epoch ms)`,
    });
    return undefined;
  }
  return t.time;
}

const KNOWN_RANGE = new Set(['source', 'from', 'to', 'type', 'limit', 'cursor']);
const KNOWN_LATEST = new Set(['source', 'type', 'limit']);

function unknown(params: Params, known: Set<string>, problems: Parsed<never> & { ok: false }) {
  for (const k of Object.keys(params ?? {})) {
    if (!known.has(k))
      problems.problems.push({
        parameter: k,
        problem: `is not a parameter of this route (${[...known].join(', ')})`,
      });
  }
}

/** `GET /events?source=&from=&to=[&type=][&limit=][&cursor=]`: `from` inclusive, `to` exclusive. */
export function parseRangeQuery(params: Params): Parsed<RangeQuery> {
  const problems = { ok: false as const, problems: [] as Array<{ parameter: string; problem: string }> };
  unknown(params, KNOWN_RANGE, problems);
  const source = text(params, 'source', problems, true);
  const from = time(params, 'from', problems);
  const to = time(params, 'to', problems);
  const type = text(params, 'type', problems, false);
  const limit = int(params, 'limit', problems, QUERY_LIMITS.maxLimit, QUERY_LIMITS.defaultLimit);
  const cursor = text(params, 'cursor', problems, false);
  if (from && to && from >= to)
    problems.problems.push({ parameter: 'to', problem: 'must be later than from' });
  if (problems.problems.length || !source || !from || !to) return problems;
  return { ok: true, query: { source, from, to, type, order: 'asc', limit, cursor } };
}

/** `GET /events/latest?source=[&type=][&limit=]`. */
export function parseLatestQuery(params: Params): Parsed<LatestQuery> {
  const problems = { ok: false as const, problems: [] as Array<{ parameter: string; problem: string }> };
  unknown(params, KNOWN_LATEST, problems);
  const source = text(params, 'source', problems, true);
  const type = text(params, 'type', problems, false);
  const limit = int(params, 'limit', problems, QUERY_LIMITS.maxLatest, QUERY_LIMITS.defaultLatest);
  if (problems.problems.length || !source) return problems;
  return { ok: true, query: { source, type, limit } };
}

export class CursorError extends Error {
  override name = 'CursorError';
}

function toEvent(item: Record<string, AttributeValue>): StoredEvent {
  const s = (name: string) => item[name]?.S ?? '';
  let data: unknown = null;
  try {
    data = JSON.parse(s('data') || 'null');
  } catch {
    data = s('data');
  }
  return { eventId: s('eventId'), source: s('source'), type: s('type'), time: s('time'), data };
}

function filter(type: string | undefined): Partial<QueryCommandInput> {
  return type ? { FilterExpression: '#type = :type', ExpressionAttributeNames: { '#type': 'type' } } : {};
}

/**
 * One page of a range query. Reads `limit + 1` matching items when it can, so that a cursor is returned
 * only when another event does follow (no empty last page); with a `type` filter that DynamoDB applies
 * after reading, it stops after QUERY_LIMITS.maxCallsPerPage calls and returns a cursor where it stopped.
 * `consistent`: strongly consistent reads (used when the page will be cached, see cache.ts).
 */
export async function queryRange(
  client: DynamoDBClient,
  table: string,
  q: RangeQuery,
  cursorKey: Uint8Array,
  opts: { consistent?: boolean } = {},
): Promise<Page> {
  let after: string | undefined;
  if (q.cursor) {
    const c = decodeCursor(q.cursor, q, cursorKey);
    if (!c.ok) throw new CursorError(c.reason);
    after = c.sk;
  }
  const events: StoredEvent[] = [];
  let start: Record<string, AttributeValue> | undefined = after
    ? { pk: { S: q.source }, sk: { S: after } }
    : undefined;
  for (let call = 0; call < QUERY_LIMITS.maxCallsPerPage; call++) {
    const wanted = q.limit + 1 - events.length;
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        // sk = `<time>#<eventId>` with fixed-width ISO times: every sk of a time in [from, to) sorts between
        // `from` and `to` (no sk equals `to` itself: it always has `#…` after the time).
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': { S: q.source },
          ':from': { S: q.from },
          ':to': { S: q.to },
          ...(q.type ? { ':type': { S: q.type } } : {}),
        },
        ...filter(q.type),
        ScanIndexForward: true,
        Limit: q.type ? QUERY_LIMITS.maxLimit : wanted,
        ...(start ? { ExclusiveStartKey: start } : {}),
        ...(opts.consistent ? { ConsistentRead: true } : {}),
      }),
    );
    for (const item of out.Items ?? []) events.push(toEvent(item));
    start = out.LastEvaluatedKey;
    if (events.length > q.limit || !start) break;
  }
  if (events.length > q.limit) {
    const page = events.slice(0, q.limit);
    const last = page[page.length - 1]!;
    return { events: page, cursor: encodeCursor(q, `${last.time}#${last.eventId}`, cursorKey) };
  }
  // Stopped by the call budget with more of the range unread: continue from where DynamoDB stopped.
  return start?.sk?.S ? { events, cursor: encodeCursor(q, start.sk.S, cursorKey) } : { events };
}

/** The latest `limit` events of a source (of one type, if given), newest first. */
export async function queryLatest(
  client: DynamoDBClient,
  table: string,
  q: LatestQuery,
  opts: { consistent?: boolean } = {},
): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let start: Record<string, AttributeValue> | undefined;
  for (let call = 0; call < QUERY_LIMITS.maxCallsPerPage && events.length < q.limit; call++) {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: q.source }, ...(q.type ? { ':type': { S: q.type } } : {}) },
        ...filter(q.type),
        ScanIndexForward: false,
        Limit: q.type ? QUERY_LIMITS.maxLimit : q.limit - events.length,
        ...(start ? { ExclusiveStartKey: start } : {}),
        ...(opts.consistent ? { ConsistentRead: true } : {}),
      }),
    );
    for (const item of out.Items ?? []) if (events.length < q.limit) events.push(toEvent(item));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return events;
}
