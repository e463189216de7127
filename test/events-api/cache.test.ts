// The query cache on a real Valkey/Redis server and a real DynamoDB (dynalite): a repeated query is a hit;
// after the loader's bump, a page covering the written (source, day) is read fresh at once, including a
// backfilled event with an old timestamp, while pages of other days and sources stay cached; a paused
// (hung) or stopped server degrades to DynamoDB with the error reported, never an error to the caller.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysCovered, MAX_CACHED_DAYS, QueryCache } from '../../pipelines/events-api/cache.ts';
import { parseRangeQuery, queryRange, type RangeQuery } from '../../pipelines/events-api/query.ts';
import { makeEvent, T0, writeEvents } from '../support/events.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';
import { requireValkey, startValkey, type TestValkey } from '../support/valkey.ts';

const available = requireValkey('events-api cache.test.ts');
const key = randomBytes(32);
let db: TestDynamo;
let valkey: TestValkey;

const range = (source: string, fromMs: number, toMs: number): RangeQuery => {
  const parsed = parseRangeQuery({
    source,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    limit: '1000',
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.query;
};

describe('daysCovered', () => {
  it('lists the UTC days of [from, to), and gives up past the cached maximum', () => {
    expect(daysCovered('2026-11-30T22:00:00.000Z', '2026-12-01T00:00:00.000Z')).toEqual(['2026-11-30']);
    expect(daysCovered('2026-11-30T22:00:00.000Z', '2026-12-01T00:00:00.001Z')).toEqual([
      '2026-11-30',
      '2026-12-01',
    ]);
    expect(daysCovered('2026-01-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBeUndefined();
    expect(daysCovered('2026-11-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z')).toHaveLength(MAX_CACHED_DAYS);
  });
});

describe.runIf(available)('QueryCache', () => {
  beforeAll(async () => {
    [db, valkey] = await Promise.all([startDynalite(), startValkey()]);
    await writeEvents(
      db,
      Array.from({ length: 300 }, (_, i) => makeEvent('dev-a', i)),
    );
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await valkey?.stop();
  });

  const cached = (cache: QueryCache, q: RangeQuery) =>
    cache.read(['range', q], { source: q.source, days: daysCovered(q.from, q.to)! }, () =>
      queryRange(db.client, db.tableName, q, key, { consistent: true }),
    );

  it('serves a repeated query from the cache, and a bump of a covered day makes it fresh at once', async () => {
    const cache = new QueryCache({ url: valkey.url });
    try {
      const q = range('dev-a', T0, T0 + 300 * 60_000); // 2026-11-30 22:00 → 12-01 03:00: two days
      const first = await cached(cache, q);
      expect(first.hit).toBe(false);
      expect(first.value.events).toHaveLength(300);
      expect((await cached(cache, q)).hit).toBe(true);

      // A backfilled event two hours in the past of the range's start day (old timestamp, new write).
      const backfill = { ...makeEvent('dev-a', -60), eventId: 'backfilled' };
      backfill.time = new Date(T0 + 30_000).toISOString();
      await writeEvents(db, [backfill]);
      // Without the bump the cache still answers the old page: the bump is what makes it fresh.
      expect((await cached(cache, q)).value.events).toHaveLength(300);
      expect(await cache.bumpGenerations([{ source: 'dev-a', day: backfill.time.slice(0, 10) }])).toBe(true);
      const after = await cached(cache, q);
      expect(after.hit).toBe(false);
      expect(after.value.events).toHaveLength(301);
      expect(after.value.events.map((e) => e.eventId)).toContain('backfilled');

      // A page of another day of the source, or of another source, is not invalidated by that bump.
      const nextDay = range('dev-a', Date.parse('2026-12-01T01:00:00Z'), Date.parse('2026-12-01T02:00:00Z'));
      await cached(cache, nextDay);
      await cache.bumpGenerations([
        { source: 'dev-a', day: '2026-11-30' },
        { source: 'dev-b', day: '2026-12-01' },
      ]);
      expect((await cached(cache, nextDay)).hit).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('degrades to DynamoDB when the server hangs or is down, reporting each failure', async () => {
    const errors: string[] = [];
    const cache = new QueryCache({
      url: valkey.url,
      commandTimeoutMs: 100,
      onError: (op) => errors.push(op),
    });
    try {
      const q = range('dev-a', T0 + 60_000, T0 + 11 * 60_000); // i = 1..10, not the backfill above
      await cached(cache, q);
      valkey.pause(); // SIGSTOP: connected, but never answers
      const started = Date.now();
      const hung = await cached(cache, q);
      expect(hung.hit).toBe(false);
      expect(hung.value.events).toHaveLength(10);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(errors).toContain('read');
      expect(await cache.bumpGenerations([{ source: 'dev-a', day: '2026-11-30' }])).toBe(false);
      expect(errors).toContain('bump');
      valkey.resume();
      await valkey.stop(); // down: refused connections
      const down = await cached(cache, q);
      expect(down.value.events).toHaveLength(10);
    } finally {
      valkey.resume();
      await cache.close();
    }
  });
});
