// Replay of the lake's error prefix on the real local cloud (Firehose → transform → S3 → loader →
// DynamoDB): records the local Firehose itself wrote under errors/processing-failed/ (still invalid),
// plus error objects shaped exactly as Firehose writes them for dynamic-partitioning overflow
// (`activePartitionExceeded`, GZIP) and for a failed transform invocation (`Lambda.FunctionError`, whole
// batch, uncompressed). Replay must add exactly the valid records to the table, skip and report the
// invalid ones, and a second run must change nothing. Error record format: Firehose developer guide,
// "Handle failure in data transformation"; overflow destination: "Buffer data for dynamic partitioning"
// (records past the active-partition limit go to the error prefix, type `activePartitionExceeded`).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DROP_TYPES, DEFAULT_TRANSFORM_OPTIONS } from '../../pipelines/stream-etl/config.ts';
import { putRecords } from '../../pipelines/stream-etl/producer.ts';
import {
  DEFAULT_ERROR_ROOT,
  judgeErrorLine,
  type ReplayReport,
  replayErrors,
  replayedKey,
} from '../../pipelines/stream-etl/replay.ts';
import { parseEventRecord } from '../../pipelines/stream-etl/schema.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let cloud: TestCloud;
let s3: S3Client;
let firehose: FirehoseClient;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  s3 = new S3Client(cloud.clientConfig);
  firehose = new FirehoseClient(cloud.clientConfig);
  dynamo = new DynamoDBClient(cloud.clientConfig);
});
afterAll(async () => {
  s3?.destroy();
  firehose?.destroy();
  dynamo?.destroy();
  await cloud?.stop();
});

const SOURCE = 'replay-test';
const event = (i: number, extra: Record<string, unknown> = {}) => ({
  eventId: `ev-${i}`,
  source: SOURCE,
  type: 'order.created',
  time: `2024-05-01T12:00:${String(i).padStart(2, '0')}Z`,
  data: { i },
  ...extra,
});

/** The events table's eventIds for this test's source. */
async function tableIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateScan({ client: dynamo }, { TableName: 'events' })) {
    for (const item of page.Items ?? []) if (item.pk?.S === SOURCE) ids.push(item.eventId!.S!);
  }
  return ids.sort();
}

async function errorKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'lake', Prefix: 'errors/' })) {
    for (const o of page.Contents ?? []) keys.push(o.Key!);
  }
  return keys.sort();
}

async function objectText(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: key }));
  const bytes = Buffer.from(await out.Body!.transformToByteArray());
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** One error-prefix line, with the fields and value forms Firehose writes. */
function errorLine(raw: string | Buffer, errorCode: string, errorMessage: string): string {
  const now = Date.now();
  return JSON.stringify({
    attemptsMade: 4,
    arrivalTimestamp: now - 60_000,
    errorCode,
    errorMessage,
    attemptEndingTimestamp: now,
    rawData: Buffer.from(raw).toString('base64'),
    lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:stream-transform',
  });
}

const day = new Date().toISOString().slice(0, 10);
const objectName = (gz: boolean) =>
  `events-1-${new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-')}-${randomUUID()}${gz ? '.gz' : ''}`;

const run = (extra: Partial<Parameters<typeof replayErrors>[0]> = {}): Promise<ReplayReport> =>
  replayErrors({
    bucket: 'lake',
    streamName: 'events',
    s3,
    firehose,
    produce: { baseDelayMs: 10 },
    ...extra,
  });

describe('replay of the error prefix on the local cloud', () => {
  const overflowKey = `errors/activePartitionExceeded/dt=${day}/${objectName(true)}`;
  const lambdaFailedKey = `errors/processing-failed/dt=${day}/${objectName(false)}`;
  let localFailedKey: string;

  it('starts from a stream with valid records in the table and invalid ones under the error prefix', async () => {
    const invalid = [
      JSON.stringify({ ...event(41), time: 'yesterday' }), // schema: time
      JSON.stringify({ eventId: 'ev-42', type: 'x', time: 0, data: 1 }), // schema: no source
      'not json at all',
    ];
    const result = await putRecords([...[1, 2, 3, 4, 5].map((i) => event(i)), ...invalid], {
      streamName: 'events',
      client: firehose,
    });
    expect(result.failed).toEqual([]);
    await cloud.settle();
    expect(await tableIds()).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5']);
    const keys = await errorKeys();
    expect(keys).toHaveLength(1);
    localFailedKey = keys[0]!;
    expect(localFailedKey).toMatch(/^errors\/processing-failed\/dt=\d{4}-\d\d-\d\d\/events-1-.*\.gz$/);
    expect((await objectText(localFailedKey)).trim().split('\n')).toHaveLength(3);

    // Partition overflow: Firehose had already run the transform, so rawData is its output (normalised
    // lines). One of them (ev-5) was also delivered before, to show that replay cannot duplicate it.
    const normalised = (e: ReturnType<typeof event>) => {
      const parsed = parseEventRecord(e);
      if (!parsed.ok) throw new Error(parsed.reason);
      return `${JSON.stringify(parsed.event)}\n`;
    };
    const overflow = [event(5), event(6), event(7), event(8), event(9)].map((e) =>
      errorLine(
        normalised(e),
        'DynamicPartitioning.ActivePartitionsLimitExceeded',
        'Active partition count exceeded the limit',
      ),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'lake', Key: overflowKey, Body: gzipSync(`${overflow.join('\n')}\n`) }),
    );
    // A transform invocation that failed as a whole (e.g. a timeout before the fix): the raw records,
    // valid and invalid alike, in an uncompressed object.
    const lambdaFailed = [
      JSON.stringify(event(10)),
      JSON.stringify({ ...event(43), tpye: 'typo' }), // schema: unknown field
      JSON.stringify(event(11)),
    ].map((raw) =>
      errorLine(
        raw,
        'Lambda.FunctionError',
        'The Lambda function was successfully invoked but it returned an error result.',
      ),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'lake', Key: lambdaFailedKey, Body: `${lambdaFailed.join('\n')}\n` }),
    );
  });

  it('reports in a dry run what it would do, and changes nothing', async () => {
    const before = await errorKeys();
    const report = await run({ dryRun: true });
    expect(report).toMatchObject({
      dryRun: true,
      objectsRead: 3,
      recordsFound: 11,
      resent: 7,
      stillInvalid: 4,
      failed: 0,
      objectsMoved: 0,
      objectsRewritten: 0,
    });
    await cloud.settle();
    expect(await tableIds()).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5']);
    expect(await errorKeys()).toEqual(before);
  });

  let first: ReplayReport;
  it('re-sends exactly the records the schema accepts; the table gains exactly those', async () => {
    first = await run({ runId: 'run-1' });
    expect(first).toMatchObject({
      dryRun: false,
      objectsRead: 3,
      recordsFound: 11,
      resent: 7,
      stillInvalid: 4,
      dropped: 0,
      failed: 0,
      objectsMoved: 1,
      objectsRewritten: 1,
    });
    expect(first.invalidByCode).toEqual({ schema: 3, 'invalid-json': 1 });
    const reasons = first.invalid.map((r) => `${r.errorCode} ${r.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Lambda\.ProcessingFailedStatus schema violation: time: /),
        expect.stringMatching(/^Lambda\.ProcessingFailedStatus schema violation: source: /),
        expect.stringMatching(/^Lambda\.ProcessingFailedStatus invalid JSON/),
        expect.stringMatching(/^Lambda\.FunctionError schema violation: \(record\): .*tpye/),
      ]),
    );
    await cloud.settle();
    expect(await tableIds()).toEqual(
      ['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5', 'ev-6', 'ev-7', 'ev-8', 'ev-9', 'ev-10', 'ev-11'].sort(),
    );
  });

  it('marks what it replayed: moved under errors/replayed/, leftovers kept in place', async () => {
    const keys = await errorKeys();
    expect(keys).toEqual(
      [
        localFailedKey, // nothing in it could be replayed: untouched
        lambdaFailedKey, // rewritten with its one still-invalid line
        replayedKey(overflowKey, DEFAULT_ERROR_ROOT, 'run-1'),
        replayedKey(lambdaFailedKey, DEFAULT_ERROR_ROOT, 'run-1'),
      ].sort(),
    );
    expect(replayedKey(overflowKey, 'errors/', 'run-1')).toBe(
      `errors/replayed/run-1/activePartitionExceeded/dt=${day}/${overflowKey.split('/').pop()}`,
    );
    const leftover = (await objectText(lambdaFailedKey)).trim().split('\n');
    expect(leftover).toHaveLength(1);
    expect(Buffer.from(JSON.parse(leftover[0]!).rawData, 'base64').toString()).toContain('tpye');
    // The saved original is byte-for-byte what Firehose wrote (still GZIP for the overflow object).
    const saved = await objectText(replayedKey(overflowKey, DEFAULT_ERROR_ROOT, 'run-1'));
    expect(saved.trim().split('\n')).toHaveLength(5);
  });

  it('changes nothing when run again, and still reports the invalid records', async () => {
    const keys = await errorKeys();
    const again = await run({ runId: 'run-2' });
    expect(again).toMatchObject({
      objectsRead: 2,
      recordsFound: 4,
      resent: 0,
      stillInvalid: 4,
      failed: 0,
      objectsMoved: 0,
      objectsRewritten: 0,
    });
    await cloud.settle();
    expect(await tableIds()).toHaveLength(11);
    expect(await errorKeys()).toEqual(keys);
  });
});

describe('npm run replay (the CLI)', () => {
  it('runs against the endpoint given, prints the report, and exits 0 when nothing failed', async () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: '' };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'pipelines/stream-etl/replay-cli.ts',
        '--endpoint-url',
        cloud.endpoint,
        '--dry-run',
      ],
      { env },
    );
    // After the runs above, two objects remain, holding the four still-invalid records.
    expect(stdout).toMatch(/^DRY RUN: 2 error objects read, 4 records found$/m);
    expect(stdout).toMatch(/would re-send: 0$/m);
    expect(stdout).toMatch(/still invalid \(skipped, left in place\): 4 \(schema 3, invalid-json 1\)$/m);
  });

  it('refuses bad usage with exit code 2 and the usage text', async () => {
    const err = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'pipelines/stream-etl/replay-cli.ts',
      '--max-objects',
      'lots',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2, stderr: expect.stringMatching(/--max-objects must be a positive/) });
  });
});

describe('replay when the stream refuses records', () => {
  it('counts them as failed, leaves them in place, and sends them on the next run', async () => {
    const prefix = 'errors/activePartitionExceeded/dt=2000-01-01/';
    const key = `${prefix}${objectName(true)}`;
    const lines = [20, 21, 22].map((i) => errorLine(JSON.stringify(event(i)), 'E', 'overflow'));
    await s3.send(
      new PutObjectCommand({ Bucket: 'lake', Key: key, Body: gzipSync(`${lines.join('\n')}\n`) }),
    );
    // The local cloud's fault injection: the next records put fail with a per-record ErrorCode.
    const inject = (count: number) =>
      fetch(`${cloud.endpoint}/_local/firehose/faults`, {
        method: 'POST',
        body: JSON.stringify({ stream: 'events', count, errorCode: 'ServiceUnavailableException' }),
      });
    expect((await inject(3)).status).toBe(200);
    const refused = await run({ prefix, runId: 'refused', produce: { maxAttempts: 1 } });
    expect(refused).toMatchObject({ recordsFound: 3, resent: 0, failed: 3, objectsMoved: 0 });
    expect(refused.failures.map((f) => [f.line, f.errorCode])).toEqual([
      [1, 'ServiceUnavailableException'],
      [2, 'ServiceUnavailableException'],
      [3, 'ServiceUnavailableException'],
    ]);
    expect((await errorKeys()).filter((k) => k.startsWith(prefix))).toEqual([key]);

    await inject(0);
    const retried = await run({ prefix, runId: 'retried' });
    expect(retried).toMatchObject({ recordsFound: 3, resent: 3, failed: 0, objectsMoved: 1 });
    await cloud.settle();
    expect(await tableIds()).toEqual(expect.arrayContaining(['ev-20', 'ev-21', 'ev-22']));
    expect((await errorKeys()).filter((k) => k.startsWith(prefix))).toEqual([]);
  });
});

describe('replay when S3 fails for one object', () => {
  it('reports that object and goes on with the others', async () => {
    const prefix = 'errors/activePartitionExceeded/dt=2000-01-02/';
    const bad = `${prefix}a-${objectName(true)}`;
    const good = `${prefix}b-${objectName(true)}`;
    for (const [key, i] of [
      [bad, 30],
      [good, 31],
    ] as const) {
      const body = gzipSync(`${errorLine(JSON.stringify(event(i)), 'E', 'overflow')}\n`);
      await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body }));
    }
    // A client whose GetObject fails for one key, as an access-denied or KMS error would.
    const flaky = new S3Client(cloud.clientConfig);
    const send = flaky.send.bind(flaky) as (c: unknown) => Promise<unknown>;
    flaky.send = ((command: unknown) => {
      if (command instanceof GetObjectCommand && command.input.Key === bad) {
        return Promise.reject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      }
      return send(command);
    }) as S3Client['send'];
    try {
      const report = await run({ prefix, s3: flaky });
      expect(report.objectErrors).toEqual([{ key: bad, error: 'AccessDenied: Access Denied' }]);
      expect(report).toMatchObject({ objectsRead: 1, resent: 1, objectsMoved: 1 });
    } finally {
      flaky.destroy();
    }
    expect((await errorKeys()).filter((k) => k.startsWith(prefix))).toEqual([bad]);
  });
});

describe('error record lines', () => {
  const opts = DEFAULT_TRANSFORM_OPTIONS;
  const raw = JSON.stringify(event(1));

  it('accepts the documented spellings and value forms', () => {
    // Data format conversion errors use ErrorCode / ErrorMessage (or lastErrorCode); the transformation
    // failure page shows the numbers as strings.
    for (const line of [
      errorLine(raw, 'Lambda.ProcessingFailedStatus', 'ProcessingFailed status set for record'),
      JSON.stringify({ attemptsMade: '4', ErrorCode: 'X', ErrorMessage: 'y', rawData: btoa(raw) }),
      JSON.stringify({ lastErrorCode: 'X', rawData: btoa(raw), sequenceNumber: '1', subSequenceNumber: 0 }),
      JSON.stringify({ errorCode: 500, errorMessage: null, rawData: btoa(raw) }), // odd values: still read
    ]) {
      const v = judgeErrorLine(line, opts);
      expect(v.kind, line).toBe('send');
      if (v.kind === 'send') expect(v.bytes.toString()).toBe(raw);
    }
  });

  it('says why a line cannot be replayed', () => {
    expect(judgeErrorLine('{"no":"rawData"}', opts)).toMatchObject({
      kind: 'invalid',
      code: 'not-an-error-record',
    });
    expect(judgeErrorLine('garbage', opts)).toMatchObject({ kind: 'invalid', code: 'not-an-error-record' });
    expect(judgeErrorLine(JSON.stringify({ rawData: '%%%', errorCode: 'E' }), opts)).toMatchObject({
      kind: 'invalid',
      code: 'invalid-base64',
      errorCode: 'E',
    });
    const dropped = JSON.stringify({ ...event(1), type: DEFAULT_DROP_TYPES[0] });
    expect(judgeErrorLine(JSON.stringify({ rawData: btoa(dropped) }), opts)).toEqual({ kind: 'dropped' });
  });
});
