// Producer tests with the real AWS SDK against a real HTTP server speaking Firehose JSON 1.1 on
// 127.0.0.1 (test/support/fake-firehose.ts) that injects partial failures: every record is
// delivered exactly once or reported with its index and error; only failed records are resent; chunks
// respect Firehose's limits.
import { FirehoseClient } from '@aws-sdk/client-firehose';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkIndexes, FIREHOSE_LIMITS, putRecords } from '../../pipelines/stream-etl/producer.ts';
import { type FakeFirehose, type FakeFirehoseOptions, startFakeFirehose } from '../support/fake-firehose.ts';

let server: FakeFirehose | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(opts: FakeFirehoseOptions) {
  server = await startFakeFirehose(opts);
  // maxAttempts 1: the SDK's own retries are off, so every retry seen here is the producer's.
  const client = new FirehoseClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { server, client };
}

const noSleep = async () => {};
const records = (n: number, pad = 0) =>
  Array.from({ length: n }, (_, i) => ({
    source: 'test',
    type: 'tick',
    time: i,
    data: { i, pad: 'x'.repeat(pad) },
  }));
const indexOf = (b: Buffer) => (JSON.parse(b.toString()) as { data: { i: number } }).data.i;

function expectDeliveredOnce(delivered: Buffer[], n: number, reported: number[]) {
  const seen = delivered.map(indexOf).sort((a, b) => a - b);
  expect(new Set(seen).size).toBe(seen.length); // no duplicates
  const expected = Array.from({ length: n }, (_, i) => i).filter((i) => !reported.includes(i));
  expect(seen).toEqual(expected);
}

describe('stream producer', () => {
  it('resends only failed records until all are delivered exactly once', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const { server, client } = await setup({
      // ~30% of records fail on each attempt, and the 3rd call fails as a whole (throttled).
      failRecord: () => (random() < 0.3 ? 'ServiceUnavailableException' : undefined),
      failCall: (c) => (c.call === 3 ? 'ThrottlingException' : undefined),
      callErrorStatus: () => 400,
    });
    const input = records(2_000);
    const retries: number[] = [];
    const result = await putRecords(input, {
      streamName: 'events',
      client,
      maxAttempts: 20,
      sleep: noSleep,
      onRetry: (r) => retries.push(r.pending),
    });
    expect(result.failed).toEqual([]);
    expect(result.sent).toBe(2_000);
    expectDeliveredOnce(server.delivered, 2_000, []);
    expect(server.limitViolations).toEqual([]);
    // Each round resends strictly fewer records: only the failed ones.
    expect(retries.length).toBeGreaterThan(1);
    for (let i = 1; i < retries.length; i++) expect(retries[i]).toBeLessThan(retries[i - 1]!);
    const sentPerRound = server.calls.reduce((n, c) => n + c.records.length, 0);
    expect(sentPerRound).toBeLessThan(2_000 * 2); // not the whole batch again each round
  });

  it('reports records that keep failing, by index and error, and delivers the rest once', async () => {
    const poisoned = new Set([3, 499, 500, 1_234]);
    const { server, client } = await setup({
      failRecord: (data) => (poisoned.has(indexOf(data)) ? 'InternalFailure' : undefined),
    });
    const result = await putRecords(records(1_500), {
      streamName: 'events',
      client,
      maxAttempts: 4,
      sleep: noSleep,
    });
    expect(result.sent).toBe(1_496);
    expect(result.failed.map((f) => f.index)).toEqual([3, 499, 500, 1_234]);
    for (const f of result.failed) {
      expect(f).toMatchObject({
        errorCode: 'InternalFailure',
        errorMessage: 'injected InternalFailure',
        attempts: 4,
      });
    }
    expectDeliveredOnce(server.delivered, 1_500, [...poisoned]);
    // Rounds after the first carry only the poisoned records.
    expect(server.calls.slice(-3).map((c) => c.records.length)).toEqual([4, 4, 4]);
  });

  it('keeps chunks within 500 records and 4 MiB, and rejects a record over 1,000 KiB up front', async () => {
    const { server, client } = await setup({});
    const input: Array<Record<string, unknown> | string> = records(30, 300_000); // ~9 MB in all
    input.push('y'.repeat(FIREHOSE_LIMITS.maxRecordBytes + 1)); // index 30
    input.push(...records(1_200).map((r) => ({ ...r, data: { i: 31 + r.data.i } })));
    const result = await putRecords(input, { streamName: 'events', client, sleep: noSleep });
    expect(server.limitViolations).toEqual([]);
    expect(result.failed).toEqual([
      expect.objectContaining({ index: 30, errorCode: 'RecordTooLarge', attempts: 0 }),
    ]);
    expect(result.sent).toBe(1_230);
    expect(server.delivered.some((d) => d.length > FIREHOSE_LIMITS.maxRecordBytes)).toBe(false);
    for (const c of server.calls) {
      expect(c.records.length).toBeLessThanOrEqual(500);
      expect(c.records.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
    }
    expect(server.calls.length).toBeGreaterThanOrEqual(5); // ≥3 for the big records, ≥3 for the 1,200 small
  });

  it('reports every record at once when the call can never succeed (unknown stream)', async () => {
    const { server, client } = await setup({});
    const result = await putRecords(records(10), { streamName: 'nope', client, sleep: noSleep });
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.index)).toEqual([...Array(10).keys()]);
    expect(result.failed[0]).toMatchObject({ errorCode: 'ResourceNotFoundException', attempts: 1 });
    expect(server.calls).toHaveLength(1);
  });

  it('does not retry a configuration error (no credentials): reports it after one attempt', async () => {
    const { server } = await setup({});
    const noCreds = new FirehoseClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: async () => {
        const err = new Error('Could not load credentials from any providers');
        err.name = 'CredentialsProviderError';
        throw err;
      },
    });
    const result = await putRecords(records(3), { streamName: 'events', client: noCreds, sleep: noSleep });
    expect(result.failed.map((f) => [f.index, f.errorCode, f.attempts])).toEqual([
      [0, 'CredentialsProviderError', 1],
      [1, 'CredentialsProviderError', 1],
      [2, 'CredentialsProviderError', 1],
    ]);
    expect(server.calls).toHaveLength(0);
  });

  it('waits with exponential backoff and jitter between rounds', async () => {
    const { client } = await setup({ failRecord: () => 'ServiceUnavailableException' });
    const waits: number[] = [];
    await putRecords(records(3), {
      streamName: 'events',
      client,
      maxAttempts: 5,
      baseDelayMs: 100,
      random: () => 0.999,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(waits).toEqual([99, 199, 399, 799]); // full jitter at its ceiling: 100·2^k
  });

  it('delivers once or reports, for any failure pattern (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_200 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 4 }),
        async (n, pattern, maxAttempts) => {
          const { server, client } = await setup({
            failRecord: (_d, call, pos) =>
              pattern[(call * 31 + pos) % pattern.length] ? 'InternalFailure' : undefined,
            failCall: (c) =>
              pattern[c.call % pattern.length] && c.call % 5 === 0
                ? 'ServiceUnavailableException'
                : undefined,
          });
          try {
            const result = await putRecords(records(n), {
              streamName: 'events',
              client,
              maxAttempts,
              sleep: noSleep,
            });
            const reported = result.failed.map((f) => f.index);
            expect(result.sent + reported.length).toBe(n);
            expectDeliveredOnce(server.delivered, n, reported);
          } finally {
            await server.close();
          }
        },
      ),
      { numRuns: 25 },
    );
    server = undefined;
  });

  it('chunks by count and bytes', () => {
    const sizes = [3, 3, 3, 3, 3];
    expect(chunkIndexes([0, 1, 2, 3, 4], sizes, 2, 100)).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunkIndexes([0, 1, 2, 3, 4], sizes, 500, 7)).toEqual([[0, 1], [2, 3], [4]]);
  });
});
