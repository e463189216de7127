// The reads on a real DynamoDB (dynalite): a range query pages through 2,500 events of one source, each
// exactly once and oldest first; bounds are [from, to); other sources never leak in; `type` filters; the
// latest-N read is newest first; bad parameters are each named; a forged cursor is refused. Expected
// answers come from the data written here and DynamoDB's Query semantics (sort-key order, ExclusiveStartKey).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CursorError,
  parseLatestQuery,
  parseRangeQuery,
  queryLatest,
  queryRange,
  type StoredEvent,
} from '../../pipelines/events-api/query.ts';
import { makeEvent, T0, writeEvents } from '../support/events.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';

const key = randomBytes(32);
let db: TestDynamo;

const range = (params: Record<string, string>) => {
  const parsed = parseRangeQuery(params);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.query;
};

beforeAll(async () => {
  db = await startDynalite();
  await writeEvents(db, [
    ...Array.from({ length: 2_500 }, (_, i) => makeEvent('device-1', i)),
    ...Array.from({ length: 50 }, (_, i) => makeEvent('device-2', i)),
  ]);
}, 120_000);
afterAll(() => db?.close());

describe('GET /events range query', () => {
  it('pages through 2,500 events with cursors, each exactly once, oldest first', async () => {
    const seen: StoredEvent[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = range({
        source: 'device-1',
        from: new Date(T0).toISOString(),
        to: new Date(T0 + 2_500 * 60_000).toISOString(),
        limit: '1000',
        ...(cursor ? { cursor } : {}),
      });
      const page = await queryRange(db.client, db.tableName, q, key);
      seen.push(...page.events);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3); // 1000 + 1000 + 500, and no empty fourth page
    expect(seen).toHaveLength(2_500);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(2_500);
    expect(seen.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    expect(seen.every((e) => e.source === 'device-1')).toBe(true);
  });

  it('is half-open: from inclusive, to exclusive; epoch ms works as well as ISO', async () => {
    const q = range({
      source: 'device-1',
      from: String(T0 + 10 * 60_000),
      to: new Date(T0 + 13 * 60_000).toISOString(),
    });
    const page = await queryRange(db.client, db.tableName, q, key);
    expect(page.events.map((e) => (e.data as { i: number }).i)).toEqual([10, 11, 12]);
    expect(page.cursor).toBeUndefined();
  });

  it('filters by type, still paging exactly', async () => {
    const q = range({
      source: 'device-2',
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 50 * 60_000).toISOString(),
      type: 'alert',
      limit: '5',
    });
    const first = await queryRange(db.client, db.tableName, q, key);
    expect(first.events.map((e) => (e.data as { i: number }).i)).toEqual([0, 3, 6, 9, 12]);
    const rest = await queryRange(db.client, db.tableName, { ...q, limit: 100, cursor: first.cursor }, key);
    expect(rest.events.map((e) => (e.data as { i: number }).i)).toEqual([
      15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45, 48,
    ]);
  });

  it('refuses a cursor of another query or one edited by the client', async () => {
    const q = range({
      source: 'device-1',
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 2_500 * 60_000).toISOString(),
      limit: '10',
    });
    const { cursor } = await queryRange(db.client, db.tableName, q, key);
    const other = range({
      source: 'device-2',
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 2_500 * 60_000).toISOString(),
      limit: '10',
    });
    await expect(queryRange(db.client, db.tableName, { ...other, cursor }, key)).rejects.toBeInstanceOf(
      CursorError,
    );
    await expect(
      queryRange(db.client, db.tableName, { ...q, cursor: `${cursor}x` }, key),
    ).rejects.toBeInstanceOf(CursorError);
  });

  it('names every bad parameter', () => {
    const parsed = parseRangeQuery({
      from: 'yesterday',
      to: '2026-12-01T00:00:00Z',
      limit: '5000',
      sauce: '1',
    });
    expect(parsed.ok).toBe(false);
    const names = parsed.ok ? [] : parsed.problems.map((p) => p.parameter).sort();
    expect(names).toEqual(['from', 'limit', 'sauce', 'source']);
    const reversed = parseRangeQuery({
      source: 's',
      from: '2026-12-02T00:00:00Z',
      to: '2026-12-01T00:00:00Z',
    });
    expect(reversed.ok ? [] : reversed.problems).toEqual([
      { parameter: 'to', problem: 'must be later than from' },
    ]);
  });
});

describe('GET /events/latest', () => {
  it('returns the newest N of a source, newest first, optionally of one type', async () => {
    const parsed = parseLatestQuery({ source: 'device-1', limit: '3' });
    if (!parsed.ok) throw new Error('bad');
    const latest = await queryLatest(db.client, db.tableName, parsed.query);
    expect(latest.map((e) => (e.data as { i: number }).i)).toEqual([2499, 2498, 2497]);
    const alerts = await queryLatest(db.client, db.tableName, {
      source: 'device-1',
      type: 'alert',
      limit: 2,
    });
    expect(alerts.map((e) => (e.data as { i: number }).i)).toEqual([2499, 2496]);
  });
});
