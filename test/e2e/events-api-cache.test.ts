// The events API's cache on the local cloud, with the real cache server `npm start` runs (valkey-server or
// redis-server; skipped locally without one, required in CI): a backfilled event (an old timestamp, in a
// range whose page is already cached) is in every answer to a query that starts once the loader's
// invocation has finished, which is the freshness bound of pipelines/events-api/README.md ("Cache and its
// freshness bound"); and with the cache server hung (SIGSTOP) and then dead (killed) the API keeps
// answering from DynamoDB with the right data and no 5xx (the README: "A cache that is down or slow is
// skipped: the read goes to DynamoDB"). The cloud prints one line per invocation (functionLogs: summary),
// which the test reads to know when the loader finished.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeadLetter } from '../../infra/local/dlq.ts';
import { type EventsApi, eventsApi } from '../support/events-api.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { requireValkey } from '../support/valkey.ts';

interface Page {
  events: Array<{ eventId: string; time: string; data: unknown }>;
  cursor?: string;
}

const available = requireValkey('events-api-cache.test.ts');
const source = 'e2e-backfill';
const day = '2023-06-01';
const range = { source, from: `${day}T00:00:00Z`, to: `${day}T23:59:59.999Z` };

let cloud: TestCloud;
let api: EventsApi;
let key: string;
/** Every invocation line the cloud printed, with the time it was printed. */
const printed: Array<{ at: number; line: string }> = [];

beforeAll(async () => {
  if (!available) return;
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push({ at: performance.now(), line: args.map(String).join(' ') });
  });
  cloud = await startTestCloud({ functionLogs: 'summary' });
  await cloud.services.caches.ready();
  api = eventsApi(cloud);
  key = (await api.createKey(['read', 'write'])).key;
  const seed = [1, 2, 3].map((h) => ({
    eventId: `seed-${h}`,
    source,
    type: 'reading',
    time: `${day}T1${h}:00:00Z`,
    data: { h },
  }));
  expect((await api.post(key, seed)).status).toBe(202);
  await cloud.settle();
}, 120_000);

afterAll(async () => {
  api?.close();
  await cloud?.stop();
  vi.restoreAllMocks();
});

const ids = (p: Page) => p.events.map((e) => e.eventId);

describe.runIf(available)('events API cache on the local cloud', () => {
  it('serves a cached page, and a backfilled event is in every answer to a query started after the loader finished', async () => {
    expect(cloud.services.caches.state('events-cache')).toMatchObject({ status: 'running' });
    const first = await api.get<Page>(key, '/events', range);
    expect(first.status).toBe(200);
    expect(ids(first.json)).toEqual(['seed-1', 'seed-2', 'seed-3']);
    expect(first.headers.get('x-cache')).toBe('miss');
    const second = await api.get<Page>(key, '/events', range);
    expect(second.headers.get('x-cache')).toBe('hit');

    // A backfill: an event of the same day, long ago, while that day's page sits in the cache.
    const posted = performance.now();
    const r = await api.post(key, {
      eventId: 'backfill-1',
      source,
      type: 'reading',
      time: `${day}T05:00:00Z`,
      data: { late: true },
    });
    expect(r.status).toBe(202);
    // Poll the cached query while the pipeline delivers and loads (settle() flushes the buffer at once).
    const polls: Array<{ start: number; end: number; has: boolean; cache: string | null; status: number }> =
      [];
    let settled = false;
    const settling = cloud.settle().then(() => {
      settled = true;
    });
    let seenAfterSettle = 0;
    while (seenAfterSettle < 5) {
      const start = performance.now();
      const a = await api.get<Page>(key, '/events', range);
      const has = a.status === 200 && ids(a.json).includes('backfill-1');
      polls.push({ start, end: performance.now(), has, cache: a.headers.get('x-cache'), status: a.status });
      if (settled) seenAfterSettle++;
    }
    await settling;
    const loaderEnds = printed.filter((p) => p.at > posted && /^λ stream-loader ✓/.test(p.line));
    expect(loaderEnds.length, printed.map((p) => p.line).join('\n')).toBeGreaterThanOrEqual(1);
    const loaderEnd = loaderEnds[0]!.at;

    expect(polls.every((p) => p.status === 200)).toBe(true);
    // Before the load, the cached page (without the backfill) was what the API served: freshness comes
    // from the loader's generation bumps, not from the entry expiring.
    expect(polls.some((p) => p.end < loaderEnd && p.cache === 'hit' && !p.has)).toBe(true);
    // The bound: every query started after the loader's invocation finished has the backfilled event.
    const after = polls.filter((p) => p.start >= loaderEnd);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((p) => !p.has)).toEqual([]);
    const firstSeen = polls.find((p) => p.has)!;
    const last = await api.get<Page>(key, '/events', range);
    expect(ids(last.json)).toEqual(['backfill-1', 'seed-1', 'seed-2', 'seed-3']);
    expect(last.headers.get('x-cache')).toBe('hit'); // cached again, with the backfill
    const took = polls.map((p) => p.end - p.start).sort((a, b) => a - b);
    const lastStale = polls.filter((p) => !p.has).at(-1);
    process.stdout.write(
      `events-api freshness: loader end → first answer with the backfill ${(firstSeen.end - loaderEnd).toFixed(1)} ms (that query started ${(firstSeen.start - loaderEnd).toFixed(1)} ms after it; last stale answer ended ${lastStale ? (lastStale.end - loaderEnd).toFixed(1) : '-'} ms after it, started ${lastStale ? (lastStale.start - loaderEnd).toFixed(1) : '-'} ms); ${polls.length} polls, GET median ${took[took.length >> 1]!.toFixed(1)} ms; ${after.length} started after the loader's end, all with the event\n`,
    );
  }, 90_000);

  it('keeps answering from DynamoDB, with the right data and no 5xx, when the cache server hangs and when it is killed', async () => {
    const server = cloud.services.caches.server('events-cache')!;
    expect(server).toBeDefined();
    // The URL functions were given before the server was up is the server's.
    expect(server.url).toBe(cloud.services.caches.url('events-cache'));
    const expected = ['backfill-1', 'seed-1', 'seed-2', 'seed-3'];
    server.pause(); // SIGSTOP: connections stay open, commands get no answer
    for (let i = 0; i < 3; i++) {
      const a = await api.get<Page>(key, '/events', range);
      expect(a.status, a.text).toBe(200);
      expect(ids(a.json)).toEqual(expected);
      expect(['miss', 'off']).toContain(a.headers.get('x-cache'));
      const latest = await api.get<Page>(key, '/events/latest', { source, limit: '1' });
      expect(latest.status).toBe(200);
    }
    // Writing still works, and a new event is read (from DynamoDB) once loaded, though the loader could not
    // tell the cache: it logs that and does not fail.
    const r = await api.post(key, {
      eventId: 'while-hung',
      source,
      type: 'reading',
      time: `${day}T06:00:00Z`,
      data: {},
    });
    expect(r.status).toBe(202);
    await cloud.settle();
    const hung = await api.get<Page>(key, '/events', range);
    expect(hung.status).toBe(200);
    expect(ids(hung.json)).toEqual(['backfill-1', 'while-hung', 'seed-1', 'seed-2', 'seed-3']);

    await server.stop(); // SIGKILL: the connection drops, reconnects are refused
    for (let i = 0; i < 5; i++) {
      const a = await api.get<Page>(key, '/events', range);
      expect(a.status, a.text).toBe(200);
      expect(ids(a.json)).toEqual(['backfill-1', 'while-hung', 'seed-1', 'seed-2', 'seed-3']);
      expect(['miss', 'off']).toContain(a.headers.get('x-cache'));
    }
    const dead = await cloud.local<DeadLetter[]>('dlq');
    expect(
      dead.filter((d) => d.functionId.startsWith('stream-') || d.functionId.startsWith('events-')),
    ).toEqual([]);
  }, 90_000);
});
