// POST /events and the GET routes as API Gateway invokes them (payload format 2.0 events from the shared
// builders, parsed by Powertools' schemas): scopes from the authorizer's context are enforced; a body that
// is not JSON, has the wrong content type or is over the limits gets a 4xx naming the problem; a batch
// answers per record; records Firehose failed (a fault injected into `send`) are reported as failed.
// Expected statuses: 202 for accepted work, 400/413/415 for the request's own faults, 503 only when
// nothing could be sent (retryable), as documented in pipelines/events-api/README.md.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_LIMITS } from '../../pipelines/events-api/ingest.ts';
import { handleIngest, handleQuery } from '../../pipelines/events-api/routes.ts';
import type { ProduceResult } from '../../pipelines/stream-etl/producer.ts';
import type { NormalisedEvent } from '../../pipelines/stream-etl/schema.ts';
import { buildHttpApiEvent, type HttpApiEvent, HttpApiEventSchema } from '../../shared/events/index.ts';
import { makeEvent, T0, writeEvents } from '../support/events.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';

const post = (
  body: string | Uint8Array,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  scopes = 'write',
) =>
  HttpApiEventSchema.parse(
    buildHttpApiEvent({
      method: 'POST',
      path: '/events',
      routeKey: 'POST /events',
      headers,
      body,
      authorizerContext: { scopes },
    }),
  );

function sender(failIndexes: Set<number> = new Set()) {
  const sent: NormalisedEvent[][] = [];
  const send = async (events: NormalisedEvent[]): Promise<ProduceResult> => {
    sent.push(events);
    return {
      sent: events.length - failIndexes.size,
      failed: [...failIndexes].map((index) => ({
        index,
        errorCode: 'ServiceUnavailableException',
        errorMessage: 'Slow down.',
        attempts: 4,
      })),
      calls: 1,
      rounds: 4,
    };
  };
  return { sent, send };
}

const json = (r: { body?: string }) => JSON.parse(r.body ?? 'null') as Record<string, unknown>;

describe('POST /events', () => {
  const good = { source: 'dev-1', type: 'reading', time: '2026-12-01T10:00:00Z', data: { v: 1 } };

  it('accepts one event, sends it normalised, and answers its eventId', async () => {
    const { sent, send } = sender();
    const r = await handleIngest(post(JSON.stringify(good)), send);
    expect(r.statusCode).toBe(202);
    const body = json(r) as { accepted: number; results: Array<{ eventId: string }> };
    expect(body.accepted).toBe(1);
    expect(sent[0]![0]).toMatchObject({
      source: 'dev-1',
      time: '2026-12-01T10:00:00.000Z',
      eventId: body.results[0]!.eventId,
    });
    // The same event again gets the same id: a resend lands on the same table item.
    const again = await handleIngest(
      post(JSON.stringify({ ...good, time: Date.parse(good.time) })),
      sender().send,
    );
    expect((json(again) as { results: Array<{ eventId: string }> }).results[0]!.eventId).toBe(
      body.results[0]!.eventId,
    );
  });

  it('answers per record in a batch: accepted, rejected with the reason, failed to send', async () => {
    const { send } = sender(new Set([1])); // the second valid record: Firehose kept failing it
    const r = await handleIngest(
      post(JSON.stringify([good, { ...good, tpye: 'x' }, { ...good, data: 2 }, { ...good, time: 'noon' }])),
      send,
    );
    expect(r.statusCode).toBe(202);
    const body = json(r) as {
      accepted: number;
      rejected: number;
      failed: number;
      results: Array<Record<string, unknown>>;
    };
    expect([body.accepted, body.rejected, body.failed]).toEqual([1, 2, 1]);
    expect(body.results.map((x) => x.status)).toEqual(['accepted', 'rejected', 'failed', 'rejected']);
    expect(body.results[1]!.reason).toMatch(/tpye/);
    expect(body.results[2]).toMatchObject({ retryable: true, reason: /ServiceUnavailable/ });
  });

  it('refuses bad requests with a 4xx that names the problem, never sending anything', async () => {
    const { sent, send } = sender();
    const cases: Array<[HttpApiEvent, number, RegExp]> = [
      [post('{"source":'), 400, /not JSON/],
      [post('[]'), 400, /no events/],
      [post(JSON.stringify(good), { 'Content-Type': 'text/plain' }), 415, /application\/json/],
      [post(JSON.stringify(good), {}), 415, /application\/json/],
      [
        post(JSON.stringify(Array.from({ length: INGEST_LIMITS.maxRecords + 1 }, () => good))),
        413,
        /at most 500/,
      ],
      [post(`"${'x'.repeat(INGEST_LIMITS.maxBodyBytes)}"`), 413, /at most 4194304/],
      [post(JSON.stringify([{ nope: 1 }, 42])), 400, /.*/],
    ];
    for (const [event, status, message] of cases) {
      const r = await handleIngest(event, send);
      expect(r.statusCode, r.body).toBe(status);
      expect(r.body).toMatch(message);
    }
    expect(sent).toEqual([]);
  });

  it('answers 503 (retry later) when no valid record could be sent', async () => {
    const r = await handleIngest(post(JSON.stringify([good])), sender(new Set([0])).send);
    expect(r.statusCode).toBe(503);
    expect(r.headers?.['retry-after']).toBe('1');
  });

  it('reads a base64 body as API Gateway passes binary media', async () => {
    const r = await handleIngest(post(Buffer.from(JSON.stringify(good))), sender().send);
    expect(r.statusCode).toBe(202);
  });

  it('needs the write scope', async () => {
    const r = await handleIngest(post(JSON.stringify(good), undefined, 'read'), sender().send);
    expect(r.statusCode).toBe(403);
  });
});

describe('GET /events and /events/latest', () => {
  let db: TestDynamo;
  beforeAll(async () => {
    db = await startDynalite();
    await writeEvents(
      db,
      Array.from({ length: 30 }, (_, i) => makeEvent('dev-r', i)),
    );
  }, 60_000);
  afterAll(() => db?.close());
  const get = (path: string, query: string, scopes = 'read') =>
    HttpApiEventSchema.parse(
      buildHttpApiEvent({
        method: 'GET',
        path,
        rawQueryString: query,
        routeKey: `GET ${path}`,
        authorizerContext: { scopes },
      }),
    );
  const deps = () => ({ dynamo: db.client, table: db.tableName, cursorKey: randomBytes(32) });

  it('answers a page with the x-cache header saying the cache is off', async () => {
    const q = `source=dev-r&from=${new Date(T0).toISOString()}&to=${new Date(T0 + 3_600_000).toISOString()}&limit=10`;
    const r = await handleQuery(get('/events', q), deps());
    expect(r.statusCode).toBe(200);
    expect(r.headers?.['x-cache']).toBe('off');
    const body = json(r) as { events: unknown[]; cursor?: string };
    expect(body.events).toHaveLength(10);
    expect(body.cursor).toEqual(expect.any(String));
  });

  it('answers 400 naming every bad parameter and a forged cursor', async () => {
    const r = await handleQuery(get('/events', 'from=x&limit=0'), deps());
    expect(r.statusCode).toBe(400);
    expect(
      (json(r) as { problems: Array<{ parameter: string }> }).problems.map((p) => p.parameter).sort(),
    ).toEqual(['from', 'limit', 'source', 'to']);
    const forged = await handleQuery(
      get(
        '/events',
        `source=dev-r&from=${new Date(T0).toISOString()}&to=${new Date(T0 + 1).toISOString()}&cursor=abc.def`,
      ),
      deps(),
    );
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toMatch(/cursor/);
  });

  it('serves the latest events newest first, and needs the read scope', async () => {
    const r = await handleQuery(get('/events/latest', 'source=dev-r&limit=2'), deps());
    expect((json(r) as { events: Array<{ data: { i: number } }> }).events.map((e) => e.data.i)).toEqual([
      29, 28,
    ]);
    expect((await handleQuery(get('/events/latest', 'source=dev-r', 'write'), deps())).statusCode).toBe(403);
  });
});
