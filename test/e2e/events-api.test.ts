// End-to-end test of the events API on the local cloud (the project's own pipelines, unmodified), driven
// only over HTTP at the API's local address with keys made as `npm run api-key` makes them: who is refused,
// what POST /events accepts and refuses, that accepted events come back from GET once the stream pipeline
// has loaded them (each once, even when resent), paging through 2,500 events with cursors, and cursors
// that were edited or belong to another query. Where each expected answer comes from is said per test:
// API Gateway's documentation for what the gateway itself answers (401, 403 from the authorizer, 413 over
// its payload quota), the pipeline's README (pipelines/events-api/README.md) for what the functions answer.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../pipelines/events-api/keys.ts';
import { type EventsApi, eventsApi } from '../support/events-api.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

interface StoredEvent {
  eventId: string;
  source: string;
  type: string;
  time: string;
  data: unknown;
}
interface Page {
  events: StoredEvent[];
  cursor?: string;
}
interface Problems {
  error: string;
  problems: Array<{ parameter: string; problem: string }>;
}
interface IngestBody {
  accepted: number;
  rejected: number;
  failed: number;
  results: Array<{ index: number; status: string; eventId?: string; reason?: string }>;
}

let cloud: TestCloud;
let api: EventsApi;
let dynamo: DynamoDBClient;
let readWrite: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  api = eventsApi(cloud);
  dynamo = new DynamoDBClient(cloud.clientConfig);
  readWrite = (await api.createKey(['read', 'write'])).key;
});

afterAll(async () => {
  api?.close();
  dynamo?.destroy();
  await cloud?.stop();
});

/** Every page of a range query, following cursors. */
async function allPages(params: Record<string, string>): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const r = await api.get<Page>(readWrite, '/events', { ...params, ...(cursor ? { cursor } : {}) });
    expect(r.status, r.text).toBe(200);
    pages.push(r.json);
    cursor = r.json.cursor;
  } while (cursor);
  return pages;
}

describe('events API on the local cloud: authentication', () => {
  it('refuses calls without a key (401), with an unknown, malformed or revoked key (403), and keys without the route’s scope (403)', async () => {
    // API Gateway, "Working with AWS Lambda authorizers for HTTP APIs": an identity source that is missing
    // gets 401 without calling the authorizer; an authorizer answering isAuthorized: false gets 403.
    for (const r of [await api.post(null, { any: 1 }), await api.get(null, '/events', { source: 'x' })]) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ message: 'Unauthorized' });
    }
    const unknown = createApiKey('never stored', ['read', 'write']).key;
    const revoked = await api.createKey(['read', 'write']);
    expect(await api.revokeKey(revoked.id)).toBe(true);
    for (const key of [unknown, 'not-a-key', revoked.key]) {
      for (const r of [
        await api.post(key, { source: 's', type: 't', time: 0, data: {} }),
        await api.get(key, '/events/latest', { source: 's' }),
      ]) {
        expect(r.status, `${key.slice(0, 12)}: ${r.text}`).toBe(403);
        expect(r.json).toEqual({ message: 'Forbidden' });
      }
    }
    // The README (Routes): POST needs the `write` scope, both GET routes need `read`; the function says so.
    const readOnly = (await api.createKey(['read'])).key;
    const writeOnly = (await api.createKey(['write'])).key;
    const post = await api.post(readOnly, { source: 's', type: 't', time: 0, data: {} });
    expect(post.status).toBe(403);
    expect(post.json).toMatchObject({ message: 'this API key lacks the "write" scope' });
    for (const path of ['/events', '/events/latest']) {
      const r = await api.get(writeOnly, path, {
        source: 's',
        from: '2024-01-01T00:00:00Z',
        to: '2024-01-02T00:00:00Z',
      });
      expect(r.status, path).toBe(403);
      expect(r.json).toMatchObject({ message: 'this API key lacks the "read" scope' });
    }
    expect((await api.get(readOnly, '/events/latest', { source: 's' })).status).toBe(200);
  }, 90_000);

  it('is refused to pages of other sites, and open to pages of this machine, like the rest of the edge', async () => {
    // infra/local/README.md (Who can reach it): on AWS the API has CORS off, so no page of another origin
    // can call it with a key; the edge's guard refuses such pages outright, in API Gateway's error shape.
    const url = `${api.base}/events/latest?source=s`;
    const refused = await fetch(url, {
      headers: { authorization: `Bearer ${readWrite}`, origin: 'https://evil.example' },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/not a page on this machine/);
    const local = await fetch(url, {
      headers: { authorization: `Bearer ${readWrite}`, origin: 'http://localhost:5173' },
    });
    expect(local.status).toBe(200);
  }, 90_000);
});

describe('events API on the local cloud: POST /events', () => {
  it('accepts valid events, rejects invalid ones with reasons, refuses bad bodies with 4xx, and loads a resent event once', async () => {
    const source = 'e2e-post';
    const day = '2024-02-03';
    const valid = [
      { eventId: 'dup-1', source, type: 'reading', time: `${day}T10:00:00Z`, data: { v: 1 } },
      { source, type: 'reading', time: `${day}T10:00:01Z`, data: { v: 2 } },
      { source, type: 'alert', time: Date.parse(`${day}T10:00:02Z`), data: { v: 3 } },
    ];
    const invalid = [
      { type: 'reading', time: `${day}T10:00:03Z`, data: {} }, // no source
      { source, type: 'reading', time: 'yesterday', data: {} }, // not a time
    ];
    // The README (POST /events): 202 with one result per record, rejected ones with the reason.
    const r = await api.post<IngestBody>(readWrite, [valid[0], invalid[0], valid[1], invalid[1], valid[2]]);
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ accepted: 3, rejected: 2, failed: 0 });
    expect(r.json.results.map((x) => x.status)).toEqual([
      'accepted',
      'rejected',
      'accepted',
      'rejected',
      'accepted',
    ]);
    expect(r.json.results[0]!.eventId).toBe('dup-1');
    expect(r.json.results[1]!.reason).toMatch(/source/);
    expect(r.json.results[3]!.reason).toMatch(/time/);
    // Resending after a timeout: the same event again is accepted and must not become a second item.
    const again = await api.post<IngestBody>(readWrite, valid[0]);
    expect(again.status).toBe(202);
    expect(again.json.results[0]).toMatchObject({ status: 'accepted', eventId: 'dup-1' });

    // The README: not JSON → 400, another content type → 415, over 500 events or 4 MiB → 413.
    const notJson = await api.post<{ error: string }>(readWrite, null, { raw: '{"source": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toBe('InvalidJson');
    const wrongType = await api.post<{ error: string }>(readWrite, null, {
      raw: JSON.stringify(valid[1]),
      contentType: 'text/plain',
    });
    expect(wrongType.status).toBe(415);
    const tooMany = await api.post<{ error: string }>(
      readWrite,
      Array.from({ length: 501 }, (_, i) => ({ ...valid[1], data: { i } })),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.error).toBe('TooManyRecords');
    const tooBig = await api.post<{ error: string }>(readWrite, [
      { ...valid[1], data: { blob: 'x'.repeat(4 * 1024 * 1024 + 1) } },
    ]);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.error).toBe('PayloadTooLarge');
    const empty = await api.post<{ error: string }>(readWrite, []);
    expect(empty.status).toBe(400);

    // After the stream pipeline has loaded them: GET returns exactly the three valid events, oldest first.
    await cloud.settle();
    const page = await api.get<Page>(readWrite, '/events', {
      source,
      from: `${day}T00:00:00Z`,
      to: `${day}T23:59:59Z`,
    });
    expect(page.status, page.text).toBe(200);
    expect(page.json.events.map((e) => e.data)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    expect(page.json.events[0]).toMatchObject({ eventId: 'dup-1', type: 'reading' });
    expect(page.json.cursor).toBeUndefined();
    const typed = await api.get<Page>(readWrite, '/events', {
      source,
      from: `${day}T00:00:00Z`,
      to: `${day}T23:59:59Z`,
      type: 'alert',
    });
    expect(typed.json.events.map((e) => e.data)).toEqual([{ v: 3 }]);
    // One table item for the resent event (keys: pk = source, sk = time#eventId).
    const items = await dynamo.send(
      new QueryCommand({
        TableName: 'events',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: source } },
      }),
    );
    expect(items.Items?.filter((i) => i.eventId?.S === 'dup-1')).toHaveLength(1);
    expect(items.Count).toBe(3);
  }, 90_000);

  it('answers 413 at the gateway for a body over the HTTP API payload quota (its message, not the function’s)', async () => {
    // API Gateway quotas ("Amazon API Gateway quotas for configuring and running an HTTP API"): payload
    // size 10 MB; larger requests are refused by the gateway with 413.
    const r = await api.post(readWrite, null, { raw: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ message: 'Request Entity Too Large' });
  }, 90_000);
});

describe('events API on the local cloud: GET /events', () => {
  const source = 'e2e-pager';
  const day = '2024-03-10';
  const TOTAL = 2_500;

  beforeAll(async () => {
    // 2,500 events 30 s apart over one day, posted in batches of 500 in shuffled order.
    const events = Array.from({ length: TOTAL }, (_, i) => ({
      eventId: `p-${String(i).padStart(4, '0')}`,
      source,
      type: i % 10 === 0 ? 'rare' : 'common',
      time: new Date(Date.parse(`${day}T00:00:00Z`) + i * 30_000).toISOString(),
      data: { i },
    }));
    const shuffled = events
      .map((e, i) => ({ e, k: (i * 7919) % TOTAL }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.e);
    for (let i = 0; i < TOTAL; i += 500) {
      const r = await api.post<IngestBody>(readWrite, shuffled.slice(i, i + 500));
      expect(r.status, r.text).toBe(202);
      expect(r.json.accepted).toBe(500);
    }
    await cloud.settle();
  }, 120_000);

  const range = { source, from: `${day}T00:00:00Z`, to: `${day}T23:59:59.999Z` };

  it('pages through 2,500 events with cursors (limits 100 and 1,000), each exactly once, oldest first', async () => {
    // The README (GET /events): oldest first, `limit` up to 1,000, a cursor only when more events follow.
    for (const limit of [100, 1_000]) {
      const pages = await allPages({ ...range, limit: String(limit) });
      expect(pages).toHaveLength(Math.ceil(TOTAL / limit));
      for (const p of pages.slice(0, -1)) expect(p.events.length).toBe(limit);
      const ids = pages.flatMap((p) => p.events.map((e) => e.eventId));
      expect(ids).toHaveLength(TOTAL);
      expect(new Set(ids).size).toBe(TOTAL);
      expect(ids).toEqual(Array.from({ length: TOTAL }, (_, i) => `p-${String(i).padStart(4, '0')}`));
      const times = pages.flatMap((p) => p.events.map((e) => Date.parse(e.time)));
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]!);
    }
    // With a type filter, the pages hold exactly that type, still each once.
    const rare = (await allPages({ ...range, type: 'rare', limit: '100' })).flatMap((p) => p.events);
    expect(rare).toHaveLength(TOTAL / 10);
    expect(new Set(rare.map((e) => e.eventId)).size).toBe(TOTAL / 10);
    expect(rare.every((e) => e.type === 'rare')).toBe(true);
  }, 90_000);

  it('refuses an edited cursor and a cursor of another query with 400 naming the cursor', async () => {
    const first = await api.get<Page>(readWrite, '/events', { ...range, limit: '10' });
    const cursor = first.json.cursor!;
    expect(cursor).toBeTruthy();
    // The README (Cursors cannot be forged): an edited cursor, or one of another source, range or type.
    const i = Math.floor(cursor.length / 2);
    const edited = `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
    const attempts = [
      { ...range, limit: '10', cursor: edited },
      { ...range, source: 'e2e-post', limit: '10', cursor },
      { ...range, to: `${day}T12:00:00Z`, limit: '10', cursor },
      { ...range, type: 'rare', limit: '10', cursor },
    ];
    for (const params of attempts) {
      const r = await api.get<Problems>(readWrite, '/events', params);
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(r.json.problems.map((p) => p.parameter)).toEqual(['cursor']);
    }
    // The genuine cursor still works, and continues where the first page stopped.
    const next = await api.get<Page>(readWrite, '/events', { ...range, limit: '10', cursor });
    expect(next.status).toBe(200);
    expect(next.json.events[0]!.eventId).toBe('p-0010');
  }, 90_000);

  it('serves the latest events newest first, and names every bad parameter in a 400', async () => {
    // The README (GET /events/latest): the newest `limit` events of a source, newest first.
    const latest = await api.get<Page>(readWrite, '/events/latest', { source, limit: '3' });
    expect(latest.status).toBe(200);
    expect(latest.json.events.map((e) => e.eventId)).toEqual(['p-2499', 'p-2498', 'p-2497']);
    // The README: bad parameters get a 400 listing every problem.
    const bad = await api.get<Problems>(readWrite, '/events', {
      from: 'soon',
      to: '2024-01-01T00:00:00Z',
      limit: '5000',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('InvalidParameters');
    expect(bad.json.problems.map((p) => p.parameter).sort()).toEqual(['from', 'limit', 'source']);
  }, 90_000);
});
