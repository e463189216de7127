// End-to-end test of the stream pipeline on the local cloud, driven only through the AWS SDK: 10,000
// records (1% invalid: bad JSON, schema violations, non-UTF-8; plus some heartbeats, dropped by design)
// go through the producer while the local Firehose fails some puts (fault injection), and must come out as
// exactly the valid records in `lake` (GZIP NDJSON under events/type=…/dt=…/) and in the `events` table,
// the invalid ones under the error prefix in Firehose's processing-failed format, and no duplicate item
// after the same batch is sent again.
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putRecords } from '../../pipelines/stream-etl/producer.ts';
import { eventKeys, parseEventRecord, partitionKeys } from '../../pipelines/stream-etl/schema.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const TOTAL = 10_000;
const INVALID = 100; // 1%
const HEARTBEATS = 50;

let cloud: TestCloud;
let s3: S3Client;
let dynamo: DynamoDBClient;
let firehose: FirehoseClient;

beforeAll(async () => {
  cloud = await startTestCloud({ firehoseBuffer: { sizeBytes: 512 * 1024, intervalMs: 200 } });
  s3 = new S3Client(cloud.clientConfig);
  dynamo = new DynamoDBClient(cloud.clientConfig);
  firehose = new FirehoseClient(cloud.clientConfig);
});

afterAll(async () => {
  await cloud?.stop();
  for (const c of [s3, dynamo, firehose]) c?.destroy();
});

/** The input: valid records (some with eventId, some without, varied types and time forms), 1% invalid. */
function makeBatch() {
  const records: Buffer[] = [];
  const valid: Array<{ bytes: Buffer }> = [];
  const invalid: Buffer[] = [];
  const types = ['page.view', 'click', 'order/created', 'Sign Up ✓'];
  const day = Date.UTC(2024, 4, 1);
  for (let i = 0; i < TOTAL; i++) {
    let bytes: Buffer;
    if (i % (TOTAL / INVALID) === 7) {
      const kind = ((i / (TOTAL / INVALID)) % 3) | 0;
      bytes =
        kind === 0
          ? Buffer.from(`{"source":"web","type":"click","time":${i},"data":`) // truncated JSON
          : kind === 1
            ? Buffer.from(JSON.stringify({ source: 'web', type: 'click', time: 'not a time', data: { i } }))
            : Buffer.concat([
                Buffer.from(`{"source":"web","type":"click","time":${i},"data":"`),
                Buffer.from([0xc3, 0x28, 0x22, 0x7d]),
              ]);
      invalid.push(bytes);
    } else if (i % (TOTAL / HEARTBEATS) === 11) {
      bytes = Buffer.from(JSON.stringify({ source: 'agent', type: 'heartbeat', time: day + i, data: {} }));
    } else {
      const time = i % 2 ? day + i * 60_000 : new Date(day + i * 60_000).toISOString().replace('Z', '+00:00');
      const record = {
        ...(i % 3 ? { eventId: `evt-${i}` } : {}),
        source: `shop-${i % 5}`,
        type: types[i % types.length],
        time,
        data: { i, amount: (i * 7) % 1000, note: i % 10 ? 'plain' : 'ünïcødé ✓ 😀' },
      };
      bytes = Buffer.from(JSON.stringify(record));
      valid.push({ bytes });
    }
    records.push(bytes);
  }
  return { records, valid, invalid };
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'lake', Prefix: prefix })) {
    for (const o of page.Contents ?? []) keys.push(o.Key!);
  }
  return keys;
}

async function readGzipLines(key: string): Promise<string[]> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: key }));
  const body = Buffer.from(await out.Body!.transformToByteArray());
  expect([body[0], body[1]]).toEqual([0x1f, 0x8b]); // GZIP, as the definition says
  return gunzipSync(body).toString('utf8').split('\n').filter(Boolean);
}

async function scanTable(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const page of paginateScan({ client: dynamo }, { TableName: 'events' })) {
    for (const item of page.Items ?? []) {
      const k = `${item.pk!.S}|${item.sk!.S}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return counts;
}

async function send(records: Buffer[]) {
  // Some puts fail (per-record ServiceUnavailableException) and must be retried by the producer.
  await fetch(`${cloud.endpoint}/_local/firehose/faults`, {
    method: 'POST',
    body: JSON.stringify({ stream: 'events', count: 250 }),
  });
  const result = await putRecords(records, { streamName: 'events', client: firehose, baseDelayMs: 20 });
  expect(result.failed).toEqual([]);
  expect(result.sent).toBe(records.length);
  expect(result.rounds).toBeGreaterThan(1); // the injected failures were retried
  await cloud.settle();
}

describe('stream pipeline end to end (local cloud)', () => {
  it('delivers exactly the valid records to lake and table, the invalid ones to the error prefix, and never duplicates items', async () => {
    const { records, valid, invalid } = makeBatch();
    const expected = new Map<string, { type: string; dt: string }>();
    for (const v of valid) {
      const parsed = parseEventRecord(JSON.parse(v.bytes.toString('utf8')));
      if (!parsed.ok) throw new Error(parsed.reason);
      const k = eventKeys(parsed.event);
      expected.set(`${k.pk}|${k.sk}`, partitionKeys(parsed.event));
    }
    expect(expected.size).toBe(TOTAL - INVALID - HEARTBEATS);

    await send(records);

    // Lake: exactly the valid records, each in the partition of its type and day.
    const lakeKeys = await listKeys('events/');
    expect(lakeKeys.length).toBeGreaterThan(0);
    const inLake = new Map<string, number>();
    for (const key of lakeKeys) {
      const m = /^events\/type=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key);
      expect(m, key).not.toBeNull();
      for (const line of await readGzipLines(key)) {
        const e = JSON.parse(line) as { eventId: string; source: string; time: string; type: string };
        const k = eventKeys(e);
        const id = `${k.pk}|${k.sk}`;
        inLake.set(id, (inLake.get(id) ?? 0) + 1);
        expect(expected.get(id), id).toEqual({ type: m![1], dt: m![2] });
        expect(e.type).not.toBe('heartbeat');
      }
    }
    expect([...inLake.keys()].sort()).toEqual([...expected.keys()].sort());
    expect([...inLake.values()].every((n) => n === 1)).toBe(true);

    // Error prefix: exactly the invalid records, raw bytes intact, in the processing-failed format.
    const errorKeys = await listKeys('errors/');
    expect(errorKeys.every((k) => k.startsWith('errors/processing-failed/'))).toBe(true);
    const failedRaw: string[] = [];
    for (const key of errorKeys) {
      for (const line of await readGzipLines(key)) {
        const doc = JSON.parse(line) as { errorCode: string; errorMessage: string; rawData: string };
        expect(doc.errorCode).toBe('Lambda.ProcessingFailedStatus');
        failedRaw.push(doc.rawData);
      }
    }
    expect(failedRaw.sort()).toEqual(invalid.map((b) => b.toString('base64')).sort());

    // Table: one item per valid record.
    const table = await scanTable();
    expect([...table.keys()].sort()).toEqual([...expected.keys()].sort());

    // The same batch again: the lake gets a second copy (Firehose is at-least-once), the table does not.
    await send(records);
    const again = await scanTable();
    expect(again.size).toBe(expected.size);
    expect([...again.values()].every((n) => n === 1)).toBe(true);

    expect(await cloud.local('dlq')).toEqual([]);
  }, 60_000);
});
