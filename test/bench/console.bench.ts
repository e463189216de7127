// Local console benchmark (`npm run bench -- console`): the time to load the overview, images and stream
// views in headless Chromium (from the start of navigation until every part of the view shows its data,
// as the page marks it) with 1,000 uploads (each with its
// three variants), 10,000 lake records (100 GZIP objects in 4 types × 25 days, plus 1,000 failed records in
// 20 error objects) and 10,000 items in the events table present, against the same views of a cloud on an
// empty data directory, in the same run, alternating A/B and B/A (median of 7 rounds after a warm-up). Target: at
// most 2× the empty views (the views read a page at a time). The data is written straight into the stores
// (variants under the keys the image function uses, lake objects as Firehose names them, items as the
// loader writes them) by a cloud whose triggers are filtered away, so the fill takes seconds, not the
// image function's time for 1,000 photos; the measured clouds then run the real definitions on it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { DEFAULT_VARIANTS, variantKey } from '../../pipelines/image-resize/variants.ts';
import { pipelines } from '../../pipelines/index.ts';
import { toItem } from '../../pipelines/stream-etl/loader.ts';
import { parseEventRecord } from '../../pipelines/stream-etl/schema.ts';
import type { PipelineDefinition } from '../../pipelines/types.ts';
import { launch, missingBrowser } from '../console/browser.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { type Benchmark, type BenchResult, median } from './harness.ts';

const gzipAsync = promisify(gzip);
const UPLOADS = 1_000;
const LAKE_OBJECTS = 100;
const RECORDS_PER_OBJECT = 100;
const ERROR_OBJECTS = 20;
const FAILED_PER_OBJECT = 50;
const ROUNDS = 7;
const root = path.resolve(fileURLToPath(new URL('../../.local/', import.meta.url)));

/** The definitions with every S3 trigger filtered to a prefix nothing is written under. */
function untriggered(): PipelineDefinition[] {
  return pipelines.map((p) => ({
    ...p,
    functions: p.functions.map((f) =>
      f.trigger.kind === 's3'
        ? { ...f, trigger: { ...f.trigger, filter: { prefix: '__bench-fill-only/' } } }
        : f,
    ),
  }));
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function fill(dataDir: string): Promise<void> {
  const cloud = await startTestCloud({ dataDir, pipelines: untriggered(), keepData: true });
  const s3 = new S3Client(cloud.clientConfig);
  const dynamo = new DynamoDBClient(cloud.clientConfig);
  const base = sharp({
    create: { width: 320, height: 200, channels: 3, background: { r: 200, g: 120, b: 40 } },
  });
  const original = await base.clone().jpeg({ quality: 80 }).toBuffer();
  const variants = await Promise.all(
    DEFAULT_VARIANTS.map(async (v) => ({
      spec: v,
      body: await sharp(original)
        .resize({
          width: Math.min(v.width, 320),
          height: v.height ? Math.min(v.height, 200) : undefined,
          fit: v.fit,
        })
        .toFormat(v.format)
        .toBuffer(),
    })),
  );
  const keys = Array.from({ length: UPLOADS }, (_, i) => `bench/${String(i).padStart(4, '0')} photo.jpg`);
  await inBatches(keys, 16, async (key) => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: original, ContentType: 'image/jpeg' }),
    );
    for (const v of variants) {
      await s3.send(
        new PutObjectCommand({
          Bucket: 'display',
          Key: variantKey(v.spec, key),
          Body: v.body,
          ContentType: v.spec.format === 'jpeg' ? 'image/jpeg' : 'image/webp',
          Metadata: {
            'source-bucket': 'uploads',
            'source-key': encodeURIComponent(key),
            variant: v.spec.name,
          },
        }),
      );
    }
  });
  const types = ['page.view', 'click', 'order.created', 'signup'];
  const t0 = Date.parse('2026-10-01T00:00:00Z');
  const events = Array.from({ length: LAKE_OBJECTS * RECORDS_PER_OBJECT }, (_, i) => {
    const r = parseEventRecord({
      source: `bench-${i % 10}`,
      type: types[i % 4],
      time: new Date(t0 + Math.floor(i / 400) * 86_400_000 + i * 1000).toISOString(),
      data: { i },
    });
    if (!r.ok) throw new Error(r.reason);
    return r.event;
  });
  await inBatches(
    Array.from({ length: LAKE_OBJECTS }, (_, o) => o),
    8,
    async (o) => {
      const chunk = events.filter((_, i) => i % LAKE_OBJECTS === o).slice(0, RECORDS_PER_OBJECT);
      const first = chunk[0]!;
      const key = `events/type=${first.type}/dt=${first.time.slice(0, 10)}/events-1-2026-10-01-00-00-00-${String(o).padStart(8, '0')}.gz`;
      const body = await gzipAsync(chunk.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body }));
    },
  );
  await inBatches(
    Array.from({ length: ERROR_OBJECTS }, (_, o) => o),
    8,
    async (o) => {
      const lines = Array.from({ length: FAILED_PER_OBJECT }, (_, i) =>
        JSON.stringify({
          attemptsMade: 1,
          arrivalTimestamp: t0,
          errorCode: 'Lambda.ProcessingFailedStatus',
          errorMessage: 'ProcessingFailed status set for record',
          attemptEndingTimestamp: t0 + 100,
          rawData: Buffer.from(`{"source":"bench","broken":${o * 1000 + i}, not JSON`).toString('base64'),
          lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:stream-transform',
        }),
      );
      const key = `errors/processing-failed/dt=2026-10-01/events-1-2026-10-01-00-00-00-e${String(o).padStart(7, '0')}.gz`;
      await s3.send(
        new PutObjectCommand({ Bucket: 'lake', Key: key, Body: await gzipAsync(`${lines.join('\n')}\n`) }),
      );
    },
  );
  const batches = Array.from({ length: Math.ceil(events.length / 25) }, (_, b) =>
    events.slice(b * 25, b * 25 + 25),
  );
  await inBatches(batches, 8, async (batch) => {
    let request: Record<string, Array<{ PutRequest: { Item: ReturnType<typeof toItem> } }>> | undefined = {
      events: batch.map((e) => ({ PutRequest: { Item: toItem(e) } })),
    };
    while (request && Object.keys(request).length) {
      const out = await dynamo.send(new BatchWriteItemCommand({ RequestItems: request }));
      request = out.UnprocessedItems as typeof request;
    }
  });
  s3.destroy();
  dynamo.destroy();
  await cloud.stop();
}

/** Each view and the marks its parts set once they show their data (client/lib.ts useRenderedMark). */
const VIEWS: Array<{ name: string; hash: string; marks: string[] }> = [
  { name: 'overview', hash: 'overview', marks: ['overview'] },
  { name: 'images', hash: 'images/image-resize', marks: ['images'] },
  { name: 'stream', hash: 'stream/stream-etl', marks: ['failed', 'lake', 'items'] },
];

/**
 * ms from the start of navigation to the view showing its data: the latest of its marks, read in the page
 * (polling from here would add the browser's delay in answering, which grows while it decodes thumbnails).
 */
async function loadView(page: Page, cloud: TestCloud, view: (typeof VIEWS)[number]): Promise<number> {
  await page.goto('about:blank');
  await page.goto(`${cloud.endpoint}/_local/console/#/${view.hash}`, { waitUntil: 'domcontentloaded' });
  return page
    .waitForFunction(
      (marks: string[]) => {
        const times = marks.map((m) => performance.getEntriesByName(`console:${m}`)[0]?.startTime);
        return times.every((t) => t !== undefined) ? Math.max(...(times as number[])) : false;
      },
      { timeout: 60_000, polling: 50 },
      view.marks,
    )
    .then((h) => h.jsonValue() as Promise<number>);
}

const bench: Benchmark = async () => {
  if (missingBrowser) throw new Error(`the console bench needs Chromium: ${missingBrowser}`);
  await mkdir(root, { recursive: true });
  const scratch = await mkdtemp(path.join(root, 'bench-console-'));
  const fullDir = path.join(scratch, 'full');
  const emptyDir = path.join(scratch, 'empty');
  let browser: Browser | undefined;
  const clouds: TestCloud[] = [];
  try {
    const filling = performance.now();
    await fill(fullDir);
    const fillMs = performance.now() - filling;
    const full = await startTestCloud({ dataDir: fullDir, keepData: true });
    clouds.push(full);
    const empty = await startTestCloud({ dataDir: emptyDir, keepData: true });
    clouds.push(empty);
    browser = await launch();
    // One tab for both clouds (a background tab is throttled by the browser, which would favour one side).
    const tab = await browser.newPage();
    await tab.setViewport({ width: 1280, height: 900 });
    const pageFull = tab;
    const pageEmpty = tab;
    const rows: BenchResult[] = [];
    for (const view of VIEWS) {
      // Warm-up (the first load also bundles the script and, for images, measures each object once).
      const coldFull = await loadView(pageFull, full, view);
      await loadView(pageEmpty, empty, view);
      const a: number[] = [];
      const b: number[] = [];
      // A B B A A B …: neither side always runs right after the other.
      for (let i = 0; i < ROUNDS; i++) {
        if (i % 2 === 0) {
          a.push(await loadView(pageFull, full, view));
          b.push(await loadView(pageEmpty, empty, view));
        } else {
          b.push(await loadView(pageEmpty, empty, view));
          a.push(await loadView(pageFull, full, view));
        }
      }
      rows.push({
        name: `console: ${view.name} view load with ${UPLOADS.toLocaleString('en')} uploads and ${(LAKE_OBJECTS * RECORDS_PER_OBJECT).toLocaleString('en')} lake records`,
        unit: 'ms',
        project: median(a),
        baseline: median(b),
        baselineLabel: 'the same view, empty data dir',
        higherIsBetter: false,
        target: { ratio: 0.5, description: 'at most 2× the empty view' },
        notes: `first load with data ${Math.round(coldFull)} ms; rounds ${a.map(Math.round).join('/')} vs ${b.map(Math.round).join('/')} ms; fill ${Math.round(fillMs / 1000)} s`,
      });
    }
    return rows;
  } finally {
    await browser?.close();
    for (const c of clouds) await c.stop();
    await rm(scratch, { recursive: true, force: true });
  }
};

export default bench;
