// A local cloud without a cache server (LOCAL_CACHE=off, or no valkey-server/redis-server on PATH): the
// cache resolves to an empty URL, so the events API's functions run uncached (`x-cache: off`, every read
// from DynamoDB, as pipelines/events-api/README.md says for a missing CACHE_URL), health reports the cache
// off with the reason, and the start screen warns that functions using it run uncached, and why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvironment } from '../../infra/local/resources.ts';
import { startScreen } from '../../infra/local/start-screen.ts';
import { ref } from '../../pipelines/types.ts';
import { eventsApi } from '../support/events-api.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud({ cache: false });
}, 120_000);
afterAll(() => cloud?.stop());

describe('a local cloud without a cache server', () => {
  it('runs the events API uncached and says so, with the reason', async () => {
    expect(cloud.services.caches.state('events-cache')).toEqual({
      name: 'events-cache',
      status: 'off',
      url: '',
      reason: 'LOCAL_CACHE=off',
    });
    const health = await cloud.local<{
      resourceStates: Record<string, unknown>;
      functions: Array<{ id: string; subscribed: boolean; trigger: string }>;
    }>('health');
    expect(health.resourceStates['cache:events-cache']).toMatchObject({ status: 'off', url: '' });
    // The API's functions are wired to their routes and as its authorizer.
    expect(health.functions.filter((f) => f.id.startsWith('events-api-'))).toEqual([
      expect.objectContaining({ id: 'events-api-authorizer', subscribed: true }),
      expect.objectContaining({
        id: 'events-api-ingest',
        subscribed: true,
        trigger: 'http POST /events (API events)',
      }),
      expect.objectContaining({ id: 'events-api-query', subscribed: true }),
    ]);
    // Refs as functions get them: a cache without a server is an empty URL, an API its base URL.
    const fn = {
      ...cloud.resources.functions[0]!,
      environment: { C: ref.cache('events-cache'), A: ref.api('events') },
    };
    expect(resolveEnvironment(cloud.resources, fn, () => '', cloud.services)).toEqual({
      C: '',
      A: `${cloud.endpoint}/_api/events`,
    });
    const screen = startScreen(cloud, new Map(), '1 MiB / 5 s');
    expect(screen).toContain('Valkey caches    events-cache: none (uncached)');
    expect(screen).toContain(
      '⚠ cache events-cache is off: LOCAL_CACHE=off. The functions using it run uncached (every read goes to DynamoDB).',
    );
    const api = eventsApi(cloud);
    try {
      const { key } = await api.createKey(['read', 'write']);
      const post = await api.post(key, {
        source: 'uncached',
        type: 't',
        time: '2024-05-05T05:05:05Z',
        data: {},
      });
      expect(post.status).toBe(202);
      await cloud.settle();
      for (let i = 0; i < 2; i++) {
        const r = await api.get<{ events: unknown[] }>(key, '/events', {
          source: 'uncached',
          from: '2024-05-05T00:00:00Z',
          to: '2024-05-06T00:00:00Z',
        });
        expect(r.status).toBe(200);
        expect(r.json.events).toHaveLength(1);
        expect(r.headers.get('x-cache')).toBe('off');
      }
    } finally {
      api.close();
    }
  }, 90_000);
});
