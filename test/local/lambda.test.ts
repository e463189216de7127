// Lambda semantics on the local cloud, with the test-only pipeline in fixtures/: AWS-shaped S3 and SNS
// events honouring trigger filters, a real-shaped context and environment, two retries then the DLQ,
// timeouts, a missing handler module, and Firehose's transform, partitioning, naming and error output.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../infra/local/config.ts';
import type { DeadLetter } from '../../infra/local/dlq.ts';
import {
  type FunctionConfig,
  FunctionPool,
  localWorkerCap,
  localYoungGenerationMb,
} from '../../infra/local/lambda.ts';
import { Utf8Text } from '../../infra/local/lambda-protocol.ts';
import { imageResize } from '../../pipelines/image-resize/definition.ts';
import { allFunctions } from '../../pipelines/index.ts';
import { decodeS3Key, S3EventSchema, SnsEventSchema } from '../../shared/events/index.ts';
import { startTestCloud, type TestCloud, waitFor } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

interface Captured {
  event: unknown;
  context: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

let cloud: TestCloud;
let captureDir: string;
let s3: S3Client;
let sns: SNSClient;
let fh: FirehoseClient;

beforeAll(async () => {
  captureDir = await mkdtemp(path.join(tmpdir(), 'local-cloud-capture-'));
  cloud = await startTestCloud({
    pipelines: [testPipeline],
    env: { CAPTURE_DIR: captureDir },
    firehoseBuffer: { sizeBytes: 64 * 1024 * 1024, intervalMs: 60_000 },
  });
  s3 = new S3Client(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  fh = new FirehoseClient(cloud.clientConfig);
});

afterAll(async () => {
  for (const c of [s3, sns, fh]) c?.destroy();
  await cloud?.stop();
  await rm(captureDir, { recursive: true, force: true });
});

async function captured(fn: string): Promise<Captured[]> {
  try {
    const text = await readFile(path.join(captureDir, `${fn}.jsonl`), 'utf8');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Captured);
  } catch {
    return [];
  }
}

describe('S3 notifications', () => {
  it('are AWS-shaped, URL-encode keys, and honour prefix/suffix filters and event types', async () => {
    const key = 'in/My Photos/Été/a+b (1).txt';
    const body = Buffer.from('notification body');
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: key, Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'in/ignored.jpg', Body: 'x' })); // suffix mismatch
    await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'out/ignored.txt', Body: 'x' })); // prefix mismatch
    await s3.send(new DeleteObjectCommand({ Bucket: 'inbox', Key: key }));
    await cloud.settle();

    const events = await captured('capture-s3');
    expect(events).toHaveLength(2);
    const [created, removed] = events.map((e) => S3EventSchema.parse(e.event).Records[0]!);
    expect(created?.eventVersion).toBe('2.1');
    expect(created?.eventSource).toBe('aws:s3');
    expect(created?.eventName).toBe('ObjectCreated:Put');
    expect(created?.s3.bucket.name).toBe('inbox');
    expect(created?.s3.bucket.arn).toBe('arn:aws:s3:::inbox');
    expect(created?.s3.object.key).toBe('in/My+Photos/%C3%89t%C3%A9/a%2Bb+%281%29.txt');
    expect(decodeS3Key(created!.s3.object.key)).toBe(key);
    expect(created?.s3.object.size).toBe(body.length);
    expect(created?.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
    expect(created?.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(removed?.eventName).toBe('ObjectRemoved:Delete');
    expect(removed?.s3.object.size).toBeUndefined();
    expect(removed!.s3.object.sequencer! > created!.s3.object.sequencer!).toBe(true);
  });

  it('give the handler a Lambda-shaped context and its resolved environment', async () => {
    const [first] = await captured('capture-s3');
    expect(first?.context).toMatchObject({
      functionName: 'capture-s3',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:capture-s3',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/capture-s3',
    });
    expect(first?.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first?.context.remainingMs).toBeGreaterThan(5_000);
    expect(first?.context.remainingMs).toBeLessThanOrEqual(10_000);
    expect(first?.env).toEqual({
      AWS_ENDPOINT_URL: cloud.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'capture-s3',
      TARGET_BUCKET: 'inbox',
      TARGET_TOPIC: 'arn:aws:sns:us-east-1:000000000000:test-topic',
      SLACK_WEBHOOK_URL: `${cloud.endpoint}/_local/webhooks`,
    });
  });
});

describe('SNS deliveries', () => {
  it('carry the full Lambda SNS envelope', async () => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:test-topic',
        Message: '{"hello":"world"}',
        Subject: 'Hi there',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'high' } },
      }),
    );
    await cloud.settle();
    const [delivery] = await captured('capture-sns');
    const record = SnsEventSchema.parse(delivery?.event).Records[0]!;
    expect(record.EventSource).toBe('aws:sns');
    expect(record.EventVersion).toBe('1.0');
    expect(record.EventSubscriptionArn).toMatch(
      /^arn:aws:sns:us-east-1:000000000000:test-topic:[0-9a-f-]{36}$/,
    );
    expect(record.Sns).toMatchObject({
      Type: 'Notification',
      MessageId: out.MessageId,
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:test-topic',
      Subject: 'Hi there',
      Message: '{"hello":"world"}',
      SignatureVersion: '1',
      MessageAttributes: { severity: { Type: 'String', Value: 'high' } },
    });
    expect(record.Sns.Signature).toBeTruthy();
    expect(record.Sns.SigningCertUrl).toMatch(/^https:\/\//);
    expect(record.Sns.UnsubscribeUrl).toMatch(/^https:\/\//);
  });
});

describe('SNS message structure', () => {
  it('delivers the lambda entry of a MessageStructure=json message', async () => {
    const before = (await captured('capture-sns')).length;
    await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:test-topic',
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'for everyone', lambda: 'for functions' }),
      }),
    );
    await cloud.settle();
    const latest = (await captured('capture-sns')).slice(before);
    expect(latest.map((c) => SnsEventSchema.parse(c.event).Records[0]?.Sns.Message)).toEqual([
      'for functions',
    ]);
  });
});

describe('concurrency', () => {
  it('runs at most reservedConcurrency invocations of a function at once', async () => {
    for (let i = 0; i < 12; i++) {
      await sns.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:busy-topic', Message: `m${i}` }),
      );
    }
    await cloud.settle();
    const lines = (await captured('two-at-a-time')) as unknown as Array<{ phase: 'start' | 'end' }>;
    expect(lines).toHaveLength(24);
    let running = 0;
    let peak = 0;
    for (const l of lines) {
      running += l.phase === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
  });
});

describe('worker pool sizing and idle release', () => {
  // Worker count is the local stand-in for concurrent sandboxes; Lambda never runs more concurrent
  // executions of a function than its reserved concurrency ("Reserved concurrency is the maximum number of
  // concurrent instances", docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
  it('caps every function at the cores (at least two unless CPU-bound), within reservedConcurrency', () => {
    const cpu = { reservedConcurrency: 20, local: { cpuBound: true } };
    expect(localWorkerCap(cpu, {}, 2)).toBe(2);
    expect(localWorkerCap(cpu, {}, 1)).toBe(1);
    expect(localWorkerCap(cpu, {}, 64)).toBe(20);
    expect(localWorkerCap({ local: { cpuBound: true } }, {}, 64)).toBe(4); // no reservation: the default
    expect(localWorkerCap({ reservedConcurrency: 10 }, {}, 2)).toBe(2); // the stream loader on 2 cores
    expect(localWorkerCap({ reservedConcurrency: 10 }, {}, 1)).toBe(2); // not CPU-bound: at least two
    expect(localWorkerCap({ reservedConcurrency: 10 }, {}, 3)).toBe(3);
    expect(localWorkerCap({ reservedConcurrency: 10 }, {}, 64)).toBe(10);
    // The default is what a function without reservedConcurrency wants; it does not lift the host's cap.
    expect(localWorkerCap({ reservedConcurrency: 10 }, { LOCAL_DEFAULT_CONCURRENCY: 8 }, 2)).toBe(2);
    expect(localWorkerCap({}, { LOCAL_DEFAULT_CONCURRENCY: 8 }, 16)).toBe(8);
    expect(localWorkerCap({ reservedConcurrency: 2 }, {}, 64)).toBe(2);
    expect(localWorkerCap({}, {}, 2)).toBe(2);
    expect(localWorkerCap({}, {}, 64)).toBe(4);
    // The former sizing, kept as the benchmark's baseline.
    expect(localWorkerCap(cpu, { LOCAL_POOL_SIZING: 'reserved' }, 2)).toBe(20);
    expect(localWorkerCap({ reservedConcurrency: 10 }, { LOCAL_POOL_SIZING: 'reserved' }, 2)).toBe(10);
    // The image function is the CPU-bound one; the sizing reads that from its definition.
    expect(imageResize.functions[0]?.local?.cpuBound).toBe(true);
  });

  it("gives a function with large requests Lambda's young generation, up to V8's default for a worker", () => {
    // Lambda's Node.js bootstrap: --max-semi-space-size = memory / 10 / 2 MB, which V8 rounds up to a power
    // of two; V8's young generation is three semi-spaces (two, and the new large-object space); V8's own
    // default for a worker is 48 MB. Without the hint: the small local default.
    const large = (memoryMb: number) => localYoungGenerationMb({ memoryMb, local: { largeRequests: true } });
    expect(large(64)).toBe(12);
    expect(large(128)).toBe(24);
    expect(large(256)).toBe(48);
    expect(large(10_240)).toBe(DEFAULTS.workerYoungGenerationCapMb);
    expect(localYoungGenerationMb({ memoryMb: 1024 })).toBe(DEFAULTS.workerYoungGenerationMb);
    const fns = new Map(allFunctions().map((f) => [f.id, f]));
    expect(localYoungGenerationMb(fns.get('events-api-ingest')!)).toBe(48);
    // The stream pipeline's functions keep the local default: the Firehose soak's memory budget counts them.
    expect(localYoungGenerationMb(fns.get('stream-transform')!)).toBe(12);
    expect(localYoungGenerationMb(fns.get('stream-loader')!)).toBe(12);
  });

  it("bounds each worker's V8 heap: old generation at memoryMb, young generation at the local default", async () => {
    // A plain ES module in a temporary directory: allocates short-lived objects (which live in the young
    // generation) and reports the heap's limit and the young generation's semi-space pair.
    const dir = await mkdtemp(path.join(tmpdir(), 'local-heap-'));
    const entryPath = path.join(dir, 'heap.mjs');
    await writeFile(
      entryPath,
      `import v8 from 'node:v8';
export async function handler() {
  let keep = [];
  for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 5000) keep = []; }
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return { limitMb: v8.getHeapStatistics().heap_size_limit / 2 ** 20, newSpaceMb: space.space_size / 2 ** 20 };
}
`,
    );
    const pool = new FunctionPool(
      {
        id: 'heap',
        entry: 'heap.mjs',
        entryPath,
        handlerName: 'handler',
        memoryMb: 128,
        timeoutSeconds: 20,
        concurrency: 1,
        env: {},
      },
      () => {},
    );
    try {
      const r = await pool.invoke({});
      if (!r.ok) throw new Error(`${r.error.errorType}: ${r.error.errorMessage}`);
      const { limitMb, newSpaceMb } = r.value as { limitMb: number; newSpaceMb: number };
      // V8's heap limit is the old generation plus the young one (V8's own default young generation for a
      // worker is 48 MB, i.e. two 16 MB semi-spaces).
      expect(limitMb).toBe(128 + DEFAULTS.workerYoungGenerationMb);
      // The two semi-spaces are two thirds of the young generation (the new large-object space the rest).
      expect(newSpaceMb).toBeGreaterThan(0);
      expect(newSpaceMb).toBeLessThanOrEqual((DEFAULTS.workerYoungGenerationMb * 2) / 3);
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  const pools: FunctionPool[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));
  const whoami = (concurrency: number, idleMs: number) => {
    const entry = 'test/local/fixtures/whoami.ts';
    const config: FunctionConfig = {
      id: 'whoami',
      entry,
      entryPath: path.resolve(entry),
      handlerName: 'handler',
      memoryMb: 128,
      timeoutSeconds: 20,
      concurrency,
      idleMs,
      env: {},
    };
    const pool = new FunctionPool(config, () => {});
    pools.push(pool);
    return pool;
  };
  type Who = { threadId: number; invocations: number };
  const call = async (pool: FunctionPool, event: { sleepMs?: number } = {}): Promise<Who> => {
    const r = await pool.invoke(event);
    if (!r.ok) throw new Error(`${r.error.errorType}: ${r.error.errorMessage}`);
    return r.value as Who;
  };

  it('never starts more workers than the cap, however many invocations queue', async () => {
    const cap = localWorkerCap({ reservedConcurrency: 50, local: { cpuBound: true } }, {}, 3);
    const pool = whoami(cap, 0);
    const results = await Promise.all(Array.from({ length: 9 }, () => call(pool, { sleepMs: 100 })));
    expect(new Set(results.map((r) => r.threadId)).size).toBe(3);
    expect(pool.workerCount).toBe(3);
    // All 9 ran, the queued ones on the warm workers (how they spread over the 3 depends on timing).
    expect(results.reduce((n, r) => Math.max(n, r.invocations), 0)).toBeGreaterThan(1);
  });

  it('reuses a warm worker, releases it once idle, and starts a new one on the next invocation', async () => {
    const pool = whoami(4, 300);
    const first = await call(pool);
    // Busy past the idle timeout: not released mid-invocation, and still warm for the next call.
    const second = await call(pool, { sleepMs: 600 });
    expect(second).toEqual({ threadId: first.threadId, invocations: 2 });
    expect(pool.workerCount).toBe(1);
    await waitFor(() => pool.workerCount === 0, { what: 'the idle worker to be released' });
    const third = await call(pool);
    expect(third.threadId).not.toBe(first.threadId);
    expect(third.invocations).toBe(1); // a cold start: module state is new
    expect(pool.workerCount).toBe(1);
  });

  it('keeps idle workers when idleMs is 0', async () => {
    const pool = whoami(2, 0);
    const first = await call(pool);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pool.workerCount).toBe(1);
    expect(await call(pool)).toEqual({ threadId: first.threadId, invocations: 2 });
  });
});

describe('text handed over as bytes (Utf8Text)', () => {
  it('reaches the handler as the string Buffer#toString would give, its bytes moved rather than copied', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-utf8-'));
    const entryPath = path.join(dir, 'echo.mjs');
    await writeFile(
      entryPath,
      'export async function handler(event) { return { body: event.body, type: typeof event.body, other: event.other }; }\n',
    );
    const pool = new FunctionPool(
      {
        id: 'echo',
        entry: 'echo.mjs',
        entryPath,
        handlerName: 'handler',
        memoryMb: 128,
        timeoutSeconds: 10,
        concurrency: 1,
        env: {},
      },
      () => {},
    );
    try {
      // Multi-byte characters (2, 3 and 4 bytes in UTF-8), a chunk boundary inside one of them, and an
      // invalid sequence, which decodes to U+FFFD as Buffer#toString decodes it on the main thread.
      const text = `${'Café ☕ 𝄞 '.repeat(20_000)}end`;
      const whole = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0xc3])]);
      const expected = whole.toString('utf8');
      const owned = new Uint8Array(whole); // a copy that is the whole of its own ArrayBuffer
      const given = new Utf8Text(owned);
      const r = await pool.invoke({ body: given, other: 'plain' });
      if (!r.ok) throw new Error(`${r.error.errorType}: ${r.error.errorMessage}`);
      expect(r.value).toEqual({ body: expected, type: 'string', other: 'plain' });
      // Transferred to the worker: the bytes are gone from this thread; the length is kept for logs.
      expect(owned.byteLength).toBe(0);
      expect(given.byteLength).toBe(whole.byteLength);

      // A slice of Node's shared buffer pool is copied, so nothing else in the pool is detached with it.
      const pooled = Buffer.from('small café', 'utf8');
      expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
      const neighbour = Buffer.from('neighbour', 'utf8');
      const s = await pool.invoke({ body: new Utf8Text(pooled) });
      if (!s.ok) throw new Error(`${s.error.errorType}: ${s.error.errorMessage}`);
      expect((s.value as { body: string }).body).toBe('small café');
      expect(pooled.toString('utf8')).toBe('small café');
      expect(neighbour.toString('utf8')).toBe('neighbour');
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('failures', () => {
  it('a handler that throws is retried twice, then lands in the DLQ with its event and error', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'doomed', Key: 'boom.txt', Body: 'x' }));
    await cloud.settle();
    const attempts = await captured('always-fails');
    expect(attempts).toHaveLength(3);
    const dlq = await cloud.local<DeadLetter[]>('dlq');
    const entries = dlq.filter((d) => d.functionId === 'always-fails');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      functionId: 'always-fails',
      attempts: 3,
      error: { errorType: 'DeliberateFailure', errorMessage: 'this handler always fails' },
    });
    expect(entries[0]?.error.logTail).toContain('about to fail on purpose');
    const event = S3EventSchema.parse(entries[0]?.event);
    expect(event.Records[0]?.s3.object.key).toBe('boom.txt');

    // Its trigger listens to ObjectCreated only: a delete invokes nothing.
    await s3.send(new DeleteObjectCommand({ Bucket: 'doomed', Key: 'boom.txt' }));
    await cloud.settle();
    expect(await captured('always-fails')).toHaveLength(3);
  });

  it('a handler past its timeout is stopped and dead-lettered as Sandbox.Timedout', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'sluggish', Key: 'slow.txt', Body: 'x' }));
    await cloud.settle();
    const entry = (await cloud.local<DeadLetter[]>('dlq')).find((d) => d.functionId === 'too-slow');
    expect(entry?.error.errorType).toBe('Sandbox.Timedout');
    expect(entry?.error.errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
  });

  it('a missing handler module fails clearly into the DLQ while the cloud keeps running', async () => {
    await sns.send(
      new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:ghost-topic', Message: 'boo' }),
    );
    await cloud.settle();
    const entry = (await cloud.local<DeadLetter[]>('dlq')).find((d) => d.functionId === 'not-written-yet');
    expect(entry?.error.errorType).toBe('Runtime.ImportModuleError');
    expect(entry?.error.errorMessage).toContain('test/local/fixtures/does-not-exist.ts');
    expect((await fetch(`${cloud.endpoint}/_local/health`)).status).toBe(200);
  });
});

describe('Firehose delivery', () => {
  it('transforms, partitions, names and compresses objects like Firehose, and writes failures in its format', async () => {
    const records = [
      { kind: 'alpha', n: 1 },
      { kind: 'beta', n: 2 },
      { kind: 'alpha', n: 3 },
      { kind: 'drop', n: 4 },
      { kind: 'nokey', n: 5 },
    ].map((r) => ({ Data: Buffer.from(JSON.stringify(r)) }));
    records.push({ Data: Buffer.from('not json') });
    const before = Date.now();
    const put = await fh.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'test-stream', Records: records }),
    );
    expect(put.FailedPutCount).toBe(0);
    // A 60 s buffer interval: nothing is written until the buffer is flushed.
    const early = await s3.send(new ListObjectsV2Command({ Bucket: 'test-lake', Prefix: 'data/' }));
    expect(early.KeyCount ?? 0).toBe(0);
    await cloud.settle();

    const year = new Date().getUTCFullYear();
    const keys =
      (await s3.send(new ListObjectsV2Command({ Bucket: 'test-lake' }))).Contents?.map((o) => o.Key!) ?? [];
    const okKeys = keys.filter((k) => k.startsWith('data/'));
    expect(okKeys).toHaveLength(2);
    const name =
      /^data\/kind=(alpha|beta)\/year=(\d{4})\/test-stream-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f-]{36}\.gz$/;
    for (const k of okKeys) expect(k).toMatch(name);
    const read = async (key: string) => {
      const out = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: key }));
      return gunzipSync(Buffer.from(await out.Body!.transformToByteArray())).toString('utf8');
    };
    const alpha = okKeys.find((k) => k.includes('kind=alpha'))!;
    expect(alpha).toContain(`year=${year}/`);
    expect(await read(alpha)).toBe('{"kind":"alpha","n":1}\n{"kind":"alpha","n":3}\n');

    const failed = keys.filter((k) => k.startsWith('failed/'));
    const byType = new Map<string, string[]>();
    for (const k of failed) {
      const m =
        /^failed\/(processing-failed|partitioning-failed)\/(\d{4}-\d{2}-\d{2})\/test-stream-1-.+\.gz$/.exec(
          k,
        );
      expect(m, k).not.toBeNull();
      byType.set(m![1]!, [...(byType.get(m![1]!) ?? []), ...(await read(k)).split('\n').filter(Boolean)]);
    }
    const processing = (byType.get('processing-failed') ?? []).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(processing).toHaveLength(1);
    expect(Object.keys(processing[0]!).sort()).toEqual(
      [
        'attemptEndingTimestamp',
        'attemptsMade',
        'arrivalTimestamp',
        'errorCode',
        'errorMessage',
        'lambdaArn',
        'rawData',
      ].sort(),
    );
    expect(processing[0]).toMatchObject({
      errorCode: 'Lambda.ProcessingFailedStatus',
      attemptsMade: 1,
      rawData: Buffer.from('not json').toString('base64'),
      lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-transform',
    });
    expect(processing[0]!.arrivalTimestamp as number).toBeGreaterThanOrEqual(before);
    const partitioning = (byType.get('partitioning-failed') ?? []).map(
      (l) => JSON.parse(l) as { rawData: string },
    );
    expect(partitioning.map((p) => Buffer.from(p.rawData, 'base64').toString())).toEqual([
      '{"kind":"nokey","n":5}',
    ]); // the raw input, for replay
    // The dropped record is nowhere.
    const all = await Promise.all(keys.map(read));
    expect(all.join('')).not.toContain('"n":4');
  });

  it('sends every record of a transform that keeps failing to processing-failed after 4 attempts', async () => {
    const data = ['a', 'b', 'c'].map((x) => Buffer.from(x));
    await fh.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'broken-stream',
        Records: data.map((Data) => ({ Data })),
      }),
    );
    await cloud.settle();
    expect(await captured('failing-transform')).toHaveLength(4);
    const keys = (
      await s3.send(new ListObjectsV2Command({ Bucket: 'test-lake', Prefix: 'broken' }))
    ).Contents?.map((o) => o.Key!);
    expect(keys).toHaveLength(1);
    expect(keys?.[0]).toMatch(/^broken-failed\/processing-failed\/broken-stream-1-[\d-]{19}-[0-9a-f-]{36}$/);
    const out = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: keys![0] }));
    const lines = (await out.Body!.transformToString())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Buffer.from(l.rawData as string, 'base64').toString())).toEqual(['a', 'b', 'c']);
    expect(lines.every((l) => l.errorCode === 'Lambda.FunctionError' && l.attemptsMade === 4)).toBe(true);
    expect(String(lines[0]?.errorMessage)).toContain('this handler always fails');
  });
});
