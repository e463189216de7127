// Producer against the local cloud's Firehose (real JSON 1.1 endpoint, real AWS SDK), with the local
// cloud's own fault injection (POST /_local/firehose/faults: the next N records put fail with a per-record
// ErrorCode). Every record must come out of the pipeline in the lake exactly once, or be reported.
import { gunzipSync } from 'node:zlib';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putRecords } from '../../pipelines/stream-etl/producer.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let cloud: TestCloud;
let s3: S3Client;
let firehose: FirehoseClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  s3 = new S3Client(cloud.clientConfig);
  firehose = new FirehoseClient(cloud.clientConfig);
});
afterAll(async () => {
  s3?.destroy();
  firehose?.destroy();
  await cloud?.stop();
});

async function injectFaults(count: number, errorCode = 'ServiceUnavailableException') {
  const res = await fetch(`${cloud.endpoint}/_local/firehose/faults`, {
    method: 'POST',
    body: JSON.stringify({ stream: 'events', count, errorCode }),
  });
  expect(res.status).toBe(200);
}

/** Counts of `data.i` per `data.run` over every line in the lake under events/. */
async function lakeCounts(run: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'lake', Prefix: 'events/' })) {
    for (const o of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }));
      const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8');
      for (const line of text.split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as { data: { run: string; i: number } };
        if (e.data.run === run) counts.set(e.data.i, (counts.get(e.data.i) ?? 0) + 1);
      }
    }
  }
  return counts;
}

const batch = (run: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    source: 'producer-test',
    type: 'tick',
    time: 1714564800000 + i,
    data: { run, i },
  }));

describe('stream producer on the local cloud', () => {
  it('retries injected per-record failures until every record is delivered exactly once', async () => {
    await injectFaults(700); // of 1,200 records, the first 700 put fail once
    const result = await putRecords(batch('a', 1_200), {
      streamName: 'events',
      client: firehose,
      baseDelayMs: 10,
    });
    expect(result.failed).toEqual([]);
    expect(result.sent).toBe(1_200);
    expect(result.rounds).toBe(2);
    await cloud.settle();
    const counts = await lakeCounts('a');
    expect(counts.size).toBe(1_200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('reports the records it could not send, and only those are missing', async () => {
    await injectFaults(1_500, 'InternalFailure'); // more failures than 2 rounds of 1,000 can absorb
    const result = await putRecords(batch('b', 1_000), {
      streamName: 'events',
      client: firehose,
      maxAttempts: 2,
      baseDelayMs: 10,
    });
    expect(result.sent + result.failed.length).toBe(1_000);
    expect(result.failed.length).toBe(500);
    for (const f of result.failed) expect(f).toMatchObject({ errorCode: 'InternalFailure', attempts: 2 });
    await injectFaults(0);
    await cloud.settle();
    const counts = await lakeCounts('b');
    const reported = new Set(result.failed.map((f) => f.index));
    for (let i = 0; i < 1_000; i++) expect(counts.get(i) ?? 0, `record ${i}`).toBe(reported.has(i) ? 0 : 1);
  });
});
