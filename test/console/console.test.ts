// The local console in headless Chromium, against a real local cloud running every pipeline (plus a flaky
// test pipeline for dead letters): an uploaded photo's three variant thumbnails appear without a reload
// and go when the upload is deleted; a published alarm shows as Slack would render it (Block Kit, per
// docs.slack.dev/reference/block-kit: header, fields, buttons, the attachment's coloured bar); records
// that fail the transform are listed decoded (Firehose's error-record format, "Handle failure in data
// transformation" in the Firehose developer guide), fixed, replayed, and the table count changes; a dead
// letter is re-driven; two events posted to the events API are queried back through the console's proxy. Skipped without Chromium unless CI=true (see browser.ts).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelines } from '../../pipelines/index.ts';
import { buildAlarmMessage } from '../../shared/events/builders.ts';
import { photo } from '../support/images.ts';
import { startTestCloud, type TestCloud, waitFor } from '../support/local-cloud.ts';
import { launch, missingBrowser, screenshot } from './browser.ts';
import { flakyPipeline } from './fixtures/flaky-pipeline.ts';

if (missingBrowser && process.env.CI === 'true') {
  throw new Error(`CI=true and the console's browser tests cannot run: ${missingBrowser}`);
}
if (missingBrowser) console.warn(`skipping the console's browser tests: ${missingBrowser}`);

describe.skipIf(!!missingBrowser)('local console in headless Chromium', { timeout: 180_000 }, () => {
  let cloud: TestCloud;
  let browser: Browser;
  let page: Page;
  let s3: S3Client;
  let scratch: string;
  let marker: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'console-test-'));
    marker = path.join(scratch, 'flaky-ok');
    cloud = await startTestCloud({ pipelines: [...pipelines, flakyPipeline], env: { FLAKY_MARKER: marker } });
    s3 = new S3Client(cloud.clientConfig);
    browser = await launch();
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    s3?.destroy();
    await cloud?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const open = async (hash: string, testId: string) => {
    await page.goto(`${cloud.endpoint}/_local/console/#/${hash}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector(`[data-testid="${testId}"]`);
    await page.waitForSelector('[data-testid="live"].on');
  };

  it('is listed by GET /_local and refuses other origins', async () => {
    const listing = (await cloud.local<{ endpoints: string[] }>('')).endpoints;
    expect(listing.some((l) => l.startsWith('GET /_local/console '))).toBe(true);
    expect(listing.some((l) => l.startsWith('POST /_local/console/api/dlq/redrive '))).toBe(true);
    const refused = await fetch(`${cloud.endpoint}/_local/console/api/overview`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(refused.status).toBe(403);
  });

  it('shows an upload’s three variant thumbnails as they are made, and removes them with the upload', async () => {
    await open('images/image-resize', 'images');
    await page.waitForSelector('[data-testid="no-uploads"]');
    // Uploaded while the page is open: the cards must arrive through the live updates, not a reload.
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'uploads',
        Key: 'trip/autumn.jpg',
        Body: photo('autumn.jpg'),
        ContentType: 'image/jpeg',
      }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'uploads', Key: 'trip/notes.jpg', Body: 'not a photo at all' }),
    );
    const card = '[data-testid="upload"][data-key="trip/autumn.jpg"]';
    await page.waitForFunction(
      (sel) => {
        const imgs = Array.from(
          document.querySelectorAll(`${sel} [data-testid="variant"] img`),
        ) as HTMLImageElement[];
        return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      },
      { timeout: 90_000 },
      card,
    );
    const variants = await page.$$eval(`${card} [data-testid="variant"]`, (els) =>
      els.map((e) => ({
        name: e.getAttribute('data-variant'),
        caption: e.querySelector('figcaption')?.textContent,
      })),
    );
    expect(variants.map((v) => v.name)).toEqual(['thumb', 'medium', 'large']);
    // The thumb is a 200×200 cover crop (pipelines/image-resize/variants.ts DEFAULT_VARIANTS), a JPEG.
    expect(variants[0]!.caption).toContain('200×200 jpeg');
    expect(variants[1]!.caption).toContain('webp');
    await page.waitForSelector('[data-testid="upload"][data-key="trip/notes.jpg"] [data-testid="rejected"]', {
      timeout: 60_000,
    });
    const rejected = await page.$eval(
      '[data-key="trip/notes.jpg"] [data-testid="rejected"]',
      (e) => e.textContent,
    );
    expect(rejected).toMatch(/Rejected: \S+/);
    expect(navigations).toEqual([]);
    await screenshot(page, 'images');

    await page.click(`${card} [data-testid="delete-upload"]`);
    await page.waitForFunction((sel) => !document.querySelector(sel), { timeout: 30_000 }, card);
    // The deleted upload stays on the page until the function has removed its three variants.
    await page.waitForSelector('[data-testid="deleted-upload"][data-key="trip/autumn.jpg"]');
    await page.waitForSelector('[data-testid="deleted-upload"][data-key="trip/autumn.jpg"][data-left="0"]', {
      timeout: 60_000,
    });
    expect(
      await page.$$eval('[data-testid="deleted-upload"] [data-testid="variant-gone"]', (els) => els.length),
    ).toBe(3);
    await cloud.settle();
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'display', Prefix: 'thumb/trip/autumn' }));
    expect(left.KeyCount).toBe(0);
  });

  it('renders a published alarm as Slack would, with its state and link', async () => {
    await open('slack/alarm-to-slack', 'slack');
    const sns = new SNSClient(cloud.clientConfig);
    const alarm = buildAlarmMessage({ name: 'checkout-latency-p99', state: 'ALARM' });
    await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:alarms',
        Subject: 'ALARM: "checkout-latency-p99" in US East (N. Virginia)',
        Message: JSON.stringify(alarm),
      }),
    );
    sns.destroy();
    await page.waitForSelector('[data-testid="slack-message"] .s-header', { timeout: 60_000 });
    const shown = await page.$eval('[data-testid="slack-message"]', (m) => ({
      header: m.querySelector('.s-header')?.textContent ?? '',
      headerEmoji: m.querySelector('.s-header [data-emoji]')?.getAttribute('data-emoji'),
      text: m.textContent ?? '',
      links: Array.from(m.querySelectorAll('a.s-button')).map((a) => (a as HTMLAnchorElement).href),
      bar: getComputedStyle(m.querySelector('[data-testid="slack-attachment"]')!).borderLeftColor,
    }));
    expect(shown.header).toContain('checkout-latency-p99');
    expect(shown.headerEmoji).toBe('red_circle'); // the ALARM state's emoji (alarm-to-slack/format.ts)
    expect(shown.text).toContain('ALARM');
    expect(shown.links.some((l) => l.startsWith('https://') && l.includes('cloudwatch'))).toBe(true);
    expect(shown.bar).toBe('rgb(209, 50, 18)'); // #D13212, the ALARM colour (alarm-to-slack/format.ts)
    await screenshot(page, 'slack');
    await page.click('[data-testid="raw-toggle"]');
    const raw = await page.$eval('[data-testid="raw-payload"]', (e) => JSON.parse(e.textContent ?? '{}'));
    expect(raw.blocks[0].type).toBe('header');
  });

  it('lists failed records decoded, replays them once fixed, and the table count changes', async () => {
    const firehose = new FirehoseClient(cloud.clientConfig);
    const valid = (i: number) =>
      JSON.stringify({
        source: 'console-test',
        type: 'page.view',
        time: new Date(Date.UTC(2026, 10, 1, 12, i)).toISOString(),
        data: { i },
      });
    const broken = (i: number) => `{"source":"console-test","type":"broken","i":${i}, this is not JSON`;
    const records = [0, 1, 2, 3, 4, 5].map(valid).concat([0, 1, 2].map(broken));
    const put = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'events',
        Records: records.map((r) => ({ Data: Buffer.from(`${r}\n`) })),
      }),
    );
    firehose.destroy();
    expect(put.FailedPutCount).toBe(0);
    await cloud.settle();

    await open('stream/stream-etl', 'stream');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="failed-record"]').length === 3,
      {
        timeout: 30_000,
      },
    );
    const failed = await page.$$eval('[data-testid="failed-record"]', (rows) =>
      rows.map((r) => ({
        data: r.querySelector('[data-testid="failed-data"]')?.textContent?.trim(),
        reason: r.querySelector('[data-testid="failed-reason"]')?.textContent ?? '',
        text: r.textContent ?? '',
      })),
    );
    expect(failed.map((f) => f.data).sort()).toEqual([0, 1, 2].map(broken).sort());
    for (const f of failed) {
      expect(f.text).toContain('Lambda.ProcessingFailedStatus');
      expect(f.reason).not.toBe('would be accepted');
      expect(f.reason.length).toBeGreaterThan(3);
    }
    const count = () => page.$eval('[data-testid="query-count"]', (e) => Number(e.textContent));
    await page.type('[data-testid="q-pk"]', 'console-test');
    await page.click('[data-testid="query"]');
    await page.waitForSelector('[data-testid="query-count"]');
    await waitFor(async () => (await count()) === 6, { what: '6 items of console-test' });
    await screenshot(page, 'stream');

    // Fix two of the three records, replay: the table gains exactly those two.
    for (const i of [0, 1]) {
      await page.click(
        '[data-testid="failed-record"]:not(:has([data-testid="failed-reason"].good)) [data-testid="fix"]',
      );
      await page.waitForSelector('[data-testid="fix-text"]');
      await page.$eval(
        '[data-testid="fix-text"]',
        (el, text) => {
          (el as HTMLTextAreaElement).value = text;
          el.dispatchEvent(new Event('input', { bubbles: true }));
        },
        valid(10 + i),
      );
      await page.click('[data-testid="fix-save"]');
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="failed-reason"].good').length === n,
        { timeout: 20_000 },
        i + 1,
      );
    }
    await page.click('[data-testid="replay"]');
    await page.waitForSelector('[data-testid="replay-report"]', { timeout: 30_000 });
    expect(await page.$eval('[data-testid="replay-report"]', (e) => e.textContent)).toContain(
      '2 re-sent, 1 still invalid',
    );
    await cloud.settle();
    await waitFor(async () => (await count()) === 8, {
      what: 'the count to reach 8 without a reload',
      timeoutMs: 30_000,
    });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="failed-record"]').length === 1);
  });

  it('re-drives a dead letter once its cause is fixed, and discards another', async () => {
    const sns = new SNSClient(cloud.clientConfig);
    const publish = (n: number) =>
      sns.send(
        new PublishCommand({
          TopicArn: 'arn:aws:sns:us-east-1:000000000000:flaky-jobs',
          Message: `job ${n}`,
        }),
      );
    await publish(1);
    await publish(2);
    sns.destroy();
    await cloud.settle();
    await waitFor(async () => (await cloud.local<unknown[]>('dlq')).length === 2, {
      what: 'two dead letters',
    });

    await open('dlq', 'dlq');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="dead-letter"]').length === 2);
    expect(await page.$eval('[data-testid="dead-letter"]', (e) => e.textContent)).toContain('NotYet');
    await screenshot(page, 'dead-letters');
    // Still failing: the re-drive reports it and the dead letter stays.
    await page.click('[data-testid="redrive"]');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="dlq-note"]')?.textContent?.includes('failed again'),
    );
    expect((await cloud.local<unknown[]>('dlq')).length).toBe(2);

    await writeFile(marker, 'ok');
    expect(existsSync(marker)).toBe(true);
    // The failed re-drive's news makes the view reload its list; a click that lands on a button being
    // replaced is lost, so click again until one re-drive reports (one success leaves one dead letter).
    for (let attempt = 1; ; attempt++) {
      await page.click('[data-testid="redrive"]');
      const succeeded = await page
        .waitForFunction(
          () => document.querySelector('[data-testid="dlq-note"]')?.textContent?.includes('succeeded'),
          { timeout: 10_000 },
        )
        .then(
          () => true,
          () => false,
        );
      if (succeeded) break;
      if (attempt === 3) throw new Error('no re-drive succeeded after three clicks');
    }
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="dead-letter"]').length === 1);
    await page.click('[data-testid="discard"]');
    await page.waitForSelector('[data-testid="no-dead-letters"]');
    expect(await cloud.local<unknown[]>('dlq')).toEqual([]);
  }, 90_000);

  it('posts two events to the events API and queries them back, a page at a time', async () => {
    await open('api/events-api', 'api');
    const setValue = (sel: string, value: string) =>
      page.$eval(
        sel,
        (el, v) => {
          (el as HTMLInputElement).value = v;
          el.dispatchEvent(new Event('input', { bubbles: true }));
        },
        value,
      );
    const now = Date.now();
    const events = [0, 1].map((i) => ({
      source: 'console-browser',
      type: 'reading',
      time: new Date(now - (1 - i) * 1000).toISOString(),
      data: { i },
    }));
    await setValue('[data-testid="post-body"]', JSON.stringify(events, null, 1));
    await page.click('[data-testid="post-send"]');
    await page.waitForSelector('[data-testid="post-status"]', { timeout: 30_000 });
    // 202 with one result per record (pipelines/events-api/ingest.ts; API Gateway passes the
    // integration's status through: "Working with AWS Lambda proxy integrations for HTTP APIs").
    expect(await page.$eval('[data-testid="post-status"]', (e) => e.textContent)).toBe('202');
    expect(await page.$eval('[data-testid="post-accepted"]', (e) => e.textContent)).toBe('2');
    expect(await page.$$eval('[data-testid="post-result"]', (rows) => rows.length)).toBe(2);

    // Firehose buffers before the stream pipeline writes the table: settle flushes at once.
    expect((await fetch(`${cloud.endpoint}/_local/settle`, { method: 'POST' })).status).toBe(200);
    await setValue('[data-testid="api-source"]', 'console-browser');
    await setValue('[data-testid="api-from"]', new Date(now - 60_000).toISOString());
    await setValue('[data-testid="api-to"]', new Date(now + 60_000).toISOString());
    await setValue('[data-testid="api-limit"]', '20');
    await page.click('[data-testid="api-run"]');
    await page.waitForSelector('[data-testid="api-count"]', { timeout: 30_000 });
    expect(await page.$eval('[data-testid="api-status"]', (e) => e.textContent)).toBe('200');
    const rows = await page.$$eval('[data-testid="api-event"]', (els) => els.map((e) => e.textContent ?? ''));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.includes('console-browser') && r.includes('reading'))).toBe(true);
    expect(await page.$eval('[data-testid="api-cache"]', (e) => e.textContent)).toMatch(/^(hit|miss|off)$/);
    await screenshot(page, 'api');

    // One a page: the second page (the cursor passed back) holds the other event.
    await setValue('[data-testid="api-limit"]', '1');
    await page.click('[data-testid="api-run"]');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="api-event"]').length === 1 &&
        !(document.querySelector('[data-testid="api-next"]') as HTMLButtonElement).disabled,
      { timeout: 30_000 },
    );
    const first = await page.$eval('[data-testid="api-event"]', (e) => e.textContent);
    await page.click('[data-testid="api-next"]');
    await page.waitForFunction(
      (f) => {
        const rows = document.querySelectorAll('[data-testid="api-event"]');
        return rows.length === 1 && rows[0]!.textContent !== f;
      },
      { timeout: 30_000 },
      first,
    );
    expect(await page.$eval('[data-testid="api-event"]', (e) => e.textContent)).toContain('console-browser');
  });

  it('shows every pipeline with live counters on the overview', async () => {
    await open('overview', 'overview');
    for (const p of ['image-resize', 'alarm-to-slack', 'stream-etl', 'flaky'])
      await page.waitForSelector(`[data-testid="pipeline-${p}"]`);
    const invocations = () =>
      page.$eval('[data-testid="fn-alarm-to-slack"] [data-testid="invocations"]', (e) =>
        Number(e.textContent),
      );
    const before = await invocations();
    expect(before).toBeGreaterThanOrEqual(1);
    const sns = new SNSClient(cloud.clientConfig);
    await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:alarms',
        Message: JSON.stringify(buildAlarmMessage({ name: 'queue-depth', state: 'OK' })),
      }),
    );
    sns.destroy();
    await waitFor(async () => (await invocations()) === before + 1, {
      what: 'the counter to move live',
      timeoutMs: 30_000,
    });
    expect(await page.$eval('[data-testid="activity"]', (e) => e.textContent)).toContain('alarm-to-slack');
    await screenshot(page, 'overview');
  });
});
