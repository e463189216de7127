// Stream pipeline benchmark (`npm run bench -- stream`). Transform: records/s on a ~6 MB Firehose batch of
// realistic records, against a floor measured in the same run (base64 decode → JSON.parse →
// JSON.stringify → base64 encode, no validation), alternating A/B; targets: the transform ≥ 75% of the floor,
// the handler (with its event validation, logging and metrics) ≥ 70%. Loader:
// items/s into dynalite (started here, in memory) with the BatchWriteItem loader against one PutItem per
// item, both with the same number of requests in flight, so the comparison is about batching alone.
import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_TRANSFORM_OPTIONS } from '../../pipelines/stream-etl/config.ts';
import { lineToItem, loadLines } from '../../pipelines/stream-etl/loader.ts';
import { type InputRecord, transformRecords } from '../../pipelines/stream-etl/transform.ts';
import { buildFirehoseTransformEvent, type FirehoseTransformEvent } from '../../shared/events/index.ts';
import { startDynalite } from '../support/stream-dynalite.ts';
import { type Benchmark, type BenchResult, timeAlternating } from './harness.ts';

const TYPES = ['page.view', 'click', 'add_to_cart', 'checkout.started', 'order.created', 'search'];
const PAGES = [
  '/',
  '/products/espresso-machine',
  '/cart',
  '/checkout/payment',
  '/search?q=grinder',
  '/account',
];
const AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

/** A plausible clickstream/order event (~500–900 bytes), some with eventId and epoch-ms time, some not. */
export function realisticRecord(i: number): Record<string, unknown> {
  const t = Date.UTC(2024, 4, 1) + i * 1_337;
  return {
    ...(i % 2 ? { eventId: randomUUID() } : {}),
    source: `web-shop-${i % 4}`,
    type: TYPES[i % TYPES.length],
    time: i % 3 ? t : new Date(t).toISOString().replace('Z', '+00:00'),
    data: {
      sessionId: `s-${(i * 7919) % 100_000}`,
      userId: i % 5 ? `u-${(i * 104729) % 1_000_000}` : null,
      page: PAGES[i % PAGES.length],
      referrer: i % 4 ? 'https://www.example.com/blog/how-to-brew' : null,
      userAgent: AGENT,
      locale: i % 7 ? 'en-GB' : 'fr-FR',
      cart: {
        currency: 'EUR',
        items: Array.from({ length: i % 4 }, (_, k) => ({
          sku: `SKU-${(i + k) % 5000}`,
          name: k % 2 ? 'Café crème beans, 1 kg' : 'Burr grinder',
          qty: 1 + (k % 3),
          price: 12.5 + k * 3.25,
        })),
      },
      flags: { returning: i % 3 === 0, consent: true },
    },
  };
}

/**
 * A transformation event of about `bytes` bytes of JSON. 5.5 MB is close to Lambda's 6 MB request cap and
 * still lets every normalised record fit the 6 MiB response (larger batches turn the overflow into
 * ProcessingFailed, which would flatter the transform). Real Firehose sends at most 3 MB per invocation.
 */
function batchOf(bytes: number): FirehoseTransformEvent {
  const records: Array<{ data: string }> = [];
  let size = 200;
  for (let i = 0; size < bytes; i++) {
    const data = JSON.stringify(realisticRecord(i));
    records.push({ data });
    size += Math.ceil(Buffer.byteLength(data) / 3) * 4 + 110;
  }
  return buildFirehoseTransformEvent({ records });
}

/** The floor: the least any transform must do — decode, parse, serialise, encode — with no validation. */
function floorTransform(records: readonly InputRecord[]) {
  return {
    records: records.map((r) => ({
      recordId: r.recordId,
      result: 'Ok' as const,
      data: Buffer.from(
        `${JSON.stringify(JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')))}\n`,
        'utf8',
      ).toString('base64'),
    })),
  };
}

async function transformBench(): Promise<BenchResult[]> {
  const event = batchOf(5_500_000);
  const n = event.records.length;
  const eventBytes = Buffer.byteLength(JSON.stringify(event));
  // Sanity: the project's answer is complete and within the response limit.
  const check = transformRecords(event.records, DEFAULT_TRANSFORM_OPTIONS);
  if (check.counts.ok !== n) throw new Error(`expected every record Ok, got ${JSON.stringify(check.counts)}`);

  const { a, b } = await timeAlternating(
    async () => transformRecords(event.records, DEFAULT_TRANSFORM_OPTIONS),
    async () => floorTransform(event.records),
    15,
  );

  // The handler adds zod validation of the whole event (base64 check per record), logging and metrics.
  process.env.LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { handler } = await import('../../handlers/stream-transform.ts');
  const ctx = {
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '1024',
    awsRequestId: 'bench',
    logGroupName: 'bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  const h = await timeAlternating(
    async () => handler(event, ctx),
    async () => floorTransform(event.records),
    9,
  );

  const perSec = (ms: number) => (n / ms) * 1000;
  const target = { ratio: 0.75, description: 'of the floor' };
  return [
    {
      name: 'stream transform: records/s (5.5 MB batch)',
      unit: 'records/s',
      project: Math.round(perSec(a)),
      baseline: Math.round(perSec(b)),
      baselineLabel: 'floor: decode→parse→stringify→encode',
      higherIsBetter: true,
      target,
      notes: `${n} records, event ${(eventBytes / 1e6).toFixed(2)} MB; median ms: transform ${a.toFixed(1)}, floor ${b.toFixed(1)}`,
    },
    {
      name: 'stream transform handler (incl. event validation): records/s',
      unit: 'records/s',
      project: Math.round(perSec(h.a)),
      baseline: Math.round(perSec(h.b)),
      baselineLabel: 'same floor',
      higherIsBetter: true,
      target: { ratio: 0.7, description: 'of the floor' },
      notes: `median ms: handler ${h.a.toFixed(1)}, floor ${h.b.toFixed(1)} (zod parse of the event is the lead's shared schema)`,
    },
  ];
}

async function loaderBench(): Promise<BenchResult[]> {
  const N = 2_000;
  const CONCURRENCY = 4;
  const lines = Array.from({ length: N }, (_, i) => JSON.stringify(realisticRecord(i)));
  const items = lines.map((l) => {
    const r = lineToItem(l);
    if (!r.ok) throw new Error(r.reason);
    return r.item;
  });
  const batchDb = await startDynalite('events-batch');
  const putDb = await startDynalite('events-put');
  try {
    const project = async () => {
      await loadLines(lines, {
        client: batchDb.client,
        tableName: batchDb.tableName,
        concurrency: CONCURRENCY,
      });
    };
    const baseline = async () => {
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const Item = items[next++]!;
          await putDb.client.send(new PutItemCommand({ TableName: putDb.tableName, Item }));
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };
    const { a, b } = await timeAlternating(project, baseline, 3);
    const stored = (await batchDb.scanAll()).length;
    if (stored !== N) throw new Error(`loader stored ${stored} of ${N} items`);
    return [
      {
        name: 'stream loader: items/s into dynalite',
        unit: 'items/s',
        project: Math.round((N / a) * 1000),
        baseline: Math.round((N / b) * 1000),
        baselineLabel: `one PutItem per item, ${CONCURRENCY} in flight`,
        higherIsBetter: true,
        notes: `${N} items (parse + validate + write for the loader); BatchWriteItem 25/call, ${CONCURRENCY} calls in flight; median ms: loader ${a.toFixed(0)}, PutItem ${b.toFixed(0)}`,
      },
    ];
  } finally {
    await batchDb.close();
    await putDb.close();
  }
}

const bench: Benchmark = async () => [...(await transformBench()), ...(await loaderBench())];
export default bench;
