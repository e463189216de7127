// The stream loader tells the events API's cache what it loaded (handlers/stream-loader.ts with CACHE_URL,
// pipelines/stream-etl/loader.ts `forget`): after it loads an object, every cached page that covers a
// (source, day) of that object is read afresh, including a day long past (a backfill), while pages of other
// sources stay cached; with the cache server gone the loader still loads and succeeds. Real components: the
// local S3 engine, dynalite and a real Valkey/Redis server (CI installs redis-server).
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCache } from '../../pipelines/events-api/cache.ts';
import { resetClients } from '../../shared/aws/client-cache.ts';
import { buildS3Event } from '../../shared/events/index.ts';
import { functionContext } from '../support/lambda.ts';
import { startTestS3, type TestS3 } from '../support/s3-engine.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';
import { requireValkey, startValkey, type TestValkey } from '../support/valkey.ts';

const run = requireValkey('loader cache');

let engine: TestS3;
let db: TestDynamo;
let valkey: TestValkey;
let s3: S3Client;
let reader: QueryCache;

const context = (): Context => functionContext('stream-loader');

beforeAll(async () => {
  if (!run) return;
  [engine, db, valkey] = await Promise.all([startTestS3(), startDynalite('events-table'), startValkey()]);
  await engine.backend.ensureBucket('lake');
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_S3: engine.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    EVENTS_TABLE: 'events-table',
    CACHE_URL: valkey.url,
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'SILENT',
  });
  resetClients();
  s3 = new S3Client({
    endpoint: engine.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  reader = new QueryCache({ url: valkey.url, connectWaitMs: 2_000 });
}, 60_000);

afterAll(async () => {
  delete process.env.CACHE_URL;
  await reader?.close();
  s3?.destroy();
  await Promise.allSettled([engine?.cleanup(), db?.close(), valkey?.stop()]);
});

const event = (source: string, time: string, id: string) =>
  JSON.stringify({ eventId: id, source, type: 'reading', time, data: { id } });

/** Reads a page through the cache; `loads` counts how often it had to be loaded (a miss). */
async function page(scope: { source: string; days?: string[] }, loads: { n: number }) {
  const out = await reader.read(['page', scope], scope, async () => {
    loads.n++;
    return { loaded: loads.n };
  });
  return out.hit;
}

async function load(key: string, lines: string[]) {
  const { handler } = await import('../../handlers/stream-loader.ts');
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: gzipSync(`${lines.join('\n')}\n`) }));
  return handler(buildS3Event({ bucket: 'lake', key }), context());
}

describe.runIf(run)('stream loader and the events API cache', () => {
  it('makes every cached page covering a loaded (source, day) fresh, backfills included, and no other', async () => {
    const backfillDay = { source: 'meter-1', days: ['2020-02-03'] };
    const latest = { source: 'meter-1' };
    const otherSource = { source: 'meter-2', days: ['2020-02-03'] };
    const otherDay = { source: 'meter-1', days: ['2020-02-04'] };
    const counts = new Map([backfillDay, latest, otherSource, otherDay].map((s) => [s, { n: 0 }]));
    for (const [scope, n] of counts) {
      expect(await page(scope, n)).toBe(false);
      expect(await page(scope, n)).toBe(true); // cached
    }
    // An event of meter-1 with a timestamp years old (a backfill), loaded now.
    const result = await load('events/type=reading/dt=2020-02-03/backfill.gz', [
      event('meter-1', '2020-02-03T10:00:00.000Z', 'b1'),
    ]);
    expect(result).toEqual({ written: 1, badLines: 0 });
    // pipelines/events-api/README.md, "Cache and its freshness bound": once the loader's invocation has
    // finished, no query covering its events answers from the cache.
    expect(await page(backfillDay, counts.get(backfillDay)!)).toBe(false);
    expect(await page(latest, counts.get(latest)!)).toBe(false);
    // Pages of another source or another day are not touched.
    expect(await page(otherSource, counts.get(otherSource)!)).toBe(true);
    expect(await page(otherDay, counts.get(otherDay)!)).toBe(true);
  });

  it('still loads, and succeeds, with the cache server gone', async () => {
    await valkey.stop();
    const result = await load('events/type=reading/dt=2020-02-05/after-stop.gz', [
      event('meter-3', '2020-02-05T10:00:00.000Z', 'c1'),
      event('meter-3', '2020-02-05T11:00:00.000Z', 'c2'),
    ]);
    expect(result).toEqual({ written: 2, badLines: 0 });
    expect((await db.scanAll()).filter((i) => i.pk?.S === 'meter-3')).toHaveLength(2);
  }, 30_000);
});
