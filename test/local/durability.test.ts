// Durability and lifecycle of the local cloud as real processes (child_process, real signals): what a
// service answered with success survives SIGKILL at any instant (the journal), Ctrl-C / SIGTERM to the
// whole process group stops it with nothing lost and the prompt back only once it has exited, a restart
// at once comes up with its data, and one data directory serves one cloud at a time.
// The expectations come from AWS's contracts: a PutRecordBatch entry with a RecordId and no ErrorCode is
// a record Firehose has accepted (Firehose API reference, PutRecordBatch: RequestResponses); Amazon S3
// sends an event notification for every stored object, at least once (S3 user guide, "Amazon S3 Event
// Notifications"); the stream pipeline's items have deterministic keys (pipelines/stream-etl/schema.ts),
// so redelivery never duplicates an item.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient, type DynamoDBClientConfig, paginateScan } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, it } from 'vitest';
import { eventKeys, parseEventRecord } from '../../pipelines/stream-etl/schema.ts';
import { type ChildCloud, lockHolder, spawnCloud } from '../support/child-cloud.ts';
import { startTestCloud } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';
import { pipelines as streamOnly } from './fixtures/stream-etl-only.ts';

const STREAM_ENV = {
  LOCAL_PIPELINES_MODULE: 'test/local/fixtures/stream-etl-only.ts',
  // Small buffers: deliveries, lake writes and loads run all through the stream, so a kill can land in
  // any of them.
  LOCAL_FIREHOSE_BUFFER_BYTES: String(256 * 1024),
  LOCAL_FIREHOSE_BUFFER_INTERVAL_MS: '200',
  LOCAL_ASYNC_RETRY_DELAY_MS: '50',
};
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const dirs: string[] = [];
const children: ChildCloud[] = [];

afterAll(async () => {
  for (const c of children)
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), `local-cloud-${name}-`));
  dirs.push(d);
  return d;
}

async function cloudIn(
  dataDir: string,
  opts: { npm?: boolean; port?: number; env?: Record<string, string> } = {},
): Promise<ChildCloud> {
  const c = await spawnCloud({ dataDir, ...opts, env: { ...STREAM_ENV, ...opts.env } });
  children.push(c);
  await c.waitHealthy();
  return c;
}

/** n valid stream-pipeline records and the table key each must end up under. */
function makeRecords(n: number, tag: string): { records: Buffer[]; keys: string[] } {
  const records: Buffer[] = [];
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const value = {
      eventId: `${tag}-${i}`,
      source: `durability-${tag}`,
      type: 'click',
      time: Date.UTC(2024, 4, 1) + i * 1000,
      data: { i, note: 'x'.repeat(i % 200) },
    };
    const parsed = parseEventRecord(value);
    if (!parsed.ok) throw new Error(parsed.reason);
    const k = eventKeys(parsed.event);
    records.push(Buffer.from(`${JSON.stringify(value)}\n`));
    keys.push(`${k.pk}|${k.sk}`);
  }
  return { records, keys };
}

/**
 * Sends the records still in `pending` with PutRecordBatch (500 a call, `concurrency` calls in flight,
 * `pauseMs` between a worker's calls), removing each one the answer accepted. Stops quietly when the
 * cloud goes away (a kill), leaving the rest.
 */
async function stream(
  endpoint: string,
  records: Buffer[],
  pending: Set<number>,
  onAccepted?: (acceptedSoFar: number) => void,
  { concurrency = 4, pauseMs = 0 } = {},
): Promise<void> {
  const client = new FirehoseClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const chunks: number[][] = [];
  const order = [...pending];
  for (let i = 0; i < order.length; i += 500) chunks.push(order.slice(i, i + 500));
  let accepted = 0;
  let down = false;
  const worker = async () => {
    while (chunks.length > 0 && !down) {
      const chunk = chunks.shift()!;
      try {
        const out = await client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: 'events',
            Records: chunk.map((i) => ({ Data: records[i]! })),
          }),
        );
        out.RequestResponses?.forEach((r, pos) => {
          if (r.RecordId && !r.ErrorCode) {
            pending.delete(chunk[pos]!);
            accepted++;
          }
        });
        onAccepted?.(accepted);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'ServiceUnavailableException') chunks.push(chunk);
        else down = true; // connection refused or reset: the cloud was killed or is stopping
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  client.destroy();
}

/** The journal's raw bytes (its entries are JSON or record bytes, so names and ids show through). */
async function journalText(dataDir: string): Promise<string> {
  const dir = path.join(dataDir, 'journal');
  return (await Promise.all((await readdir(dir)).map((f) => readFile(path.join(dir, f), 'latin1')))).join('');
}

async function scanKeys(clientConfig: DynamoDBClientConfig): Promise<string[]> {
  const ddb = new DynamoDBClient(clientConfig);
  const keys: string[] = [];
  for await (const page of paginateScan({ client: ddb }, { TableName: 'events' })) {
    for (const item of page.Items ?? []) keys.push(`${item.pk!.S}|${item.sk!.S}`);
  }
  ddb.destroy();
  return keys;
}

/**
 * Restarts in-process on the data dir (replaying the journal), sends what is still pending, settles, and
 * returns the table's keys.
 */
async function settledTable(
  dataDir: string,
  records: Buffer[] = [],
  pending = new Set<number>(),
): Promise<string[]> {
  const cloud = await startTestCloud({ pipelines: streamOnly, dataDir });
  try {
    await stream(cloud.endpoint, records, pending);
    expect(pending.size).toBe(0);
    await cloud.settle();
    return await scanKeys(cloud.clientConfig);
  } finally {
    await cloud.stop();
  }
}

describe('accepted means durable (journal)', () => {
  it('SIGKILL at random points of a 10,000-record stream loses no record PutRecordBatch accepted; the events table is exact after restart and settle', async () => {
    const dataDir = await tempDir('sigkill');
    const { records, keys } = makeRecords(10_000, 'kill');
    const pending = new Set(records.map((_, i) => i));
    const kills: string[] = [];
    // Three runs, each killed at a random instant 0.3–2.5 s after it is up: while records stream in (paced,
    // so that the stream spans the runs), while buffers are delivered and objects loaded, or while the
    // previous run's journal is replayed. Then a last start sends whatever was never accepted.
    for (let run = 0; run < 3; run++) {
      const c = await cloudIn(dataDir);
      const remaining = pending.size;
      const started = Date.now();
      const killAfterMs = 300 + Math.random() * 2_200;
      const killer = setTimeout(() => c.child.kill('SIGKILL'), killAfterMs);
      await stream(c.endpoint, records, pending, undefined, { concurrency: 1, pauseMs: 150 });
      await c.exited;
      clearTimeout(killer);
      expect(c.child.signalCode).toBe('SIGKILL');
      kills.push(
        `run ${run}: killed ${Math.round(killAfterMs)} ms after start, ${remaining - pending.size} of ${remaining} accepted (${Date.now() - started} ms)`,
      );
    }
    const table = await settledTable(dataDir, records, pending);
    expect(table.length, kills.join('; ')).toBe(keys.length);
    expect(new Set(table)).toEqual(new Set(keys));
  }, 240_000);

  it('SIGKILL right after a lake object is written: after restart the loader still loads it (its S3 notification was journaled before the PUT was answered)', async () => {
    const dataDir = await tempDir('lake-kill');
    const c = await cloudIn(dataDir);
    const { records, keys } = makeRecords(50, 'lake');
    const s3 = new S3Client({ endpoint: c.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    // The object Firehose would write: GZIP NDJSON under the loader's prefix.
    await s3.send(
      new PutObjectCommand({
        Bucket: 'lake',
        Key: 'events/type=click/dt=2024-05-01/killed-right-after.gz',
        Body: gzipSync(Buffer.concat(records)),
      }),
    );
    c.child.kill('SIGKILL');
    s3.destroy();
    await c.exited;
    // The notification is still pending in the journal (the loader had not run, or had not finished).
    expect(await journalText(dataDir)).toContain('killed-right-after.gz');
    expect(new Set(await settledTable(dataDir))).toEqual(new Set(keys));
  }, 60_000);

  it('SIGKILL right after Publish answered: the delivery to the subscribed function still happens after restart (journaled before the MessageId was answered)', async () => {
    const dataDir = await tempDir('sns-kill');
    const env = { LOCAL_PIPELINES_MODULE: 'test/local/fixtures/pipeline.ts', CAPTURE_DIR: dataDir };
    const c = await spawnCloud({ dataDir, env });
    children.push(c);
    await c.waitHealthy();
    const sns = new SNSClient({ endpoint: c.endpoint, region: 'us-east-1', credentials });
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:test-topic',
        Message: 'survives kill -9',
      }),
    );
    c.child.kill('SIGKILL');
    sns.destroy();
    await c.exited;
    expect(await journalText(dataDir)).toContain(MessageId!);
    const cloud = await startTestCloud({ pipelines: [testPipeline], dataDir, env: { CAPTURE_DIR: dataDir } });
    await cloud.settle();
    await cloud.stop();
    const captured = (await readFile(path.join(dataDir, 'capture-sns.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as { event: { Records: Array<{ Sns: { MessageId: string; Message: string } }> } },
      );
    const delivered = captured.filter((l) => l.event.Records[0]?.Sns.MessageId === MessageId);
    expect(delivered.length).toBeGreaterThanOrEqual(1); // at least once, as SNS delivers
    expect(delivered[0]?.event.Records[0]?.Sns.Message).toBe('survives kill -9');
  }, 60_000);
});

describe('stopping and restarting', () => {
  it('SIGTERM to the process group of `npm start` under load: exits 0 with nothing accepted lost, the prompt returns only after the cloud exited, and a restart at once on the same port and data comes up healthy', async () => {
    const dataDir = await tempDir('group-term');
    const { records, keys } = makeRecords(4_000, 'term');
    // A short grace period, so that the stop also cuts deliveries short and leaves them to the journal.
    const first = await cloudIn(dataDir, { npm: true, env: { LOCAL_STOP_GRACE_MS: '300' } });
    const holder = await lockHolder(dataDir);
    expect(holder?.endpoint).toBe(first.endpoint);
    const pending = new Set(records.map((_, i) => i));
    let signalled = false;
    await stream(first.endpoint, records, pending, (n) => {
      if (n >= 1_500 && !signalled) {
        signalled = true;
        process.kill(-first.child.pid!, 'SIGTERM'); // the whole group, as a terminal does
      }
    });
    await first.exited; // npm re-raises the signal on itself once its script has exited
    expect(first.output(), first.output()).toContain('Local cloud stopped.');
    // npm has exited (the prompt is back): the cloud itself must be gone and its lock released.
    expect(() => process.kill(holder!.pid, 0)).toThrow();
    expect(await lockHolder(dataDir)).toBeUndefined();
    expect(first.output()).not.toMatch(/\n\s+at /); // no stack trace

    const second = await cloudIn(dataDir, { npm: true, port: first.port });
    try {
      await fetch(`${second.endpoint}/_local/settle`, { method: 'POST' });
      const table = new Set(await scanKeys({ endpoint: second.endpoint, region: 'us-east-1', credentials }));
      const accepted = keys.filter((_, i) => !pending.has(i));
      expect(accepted.length).toBeGreaterThanOrEqual(1_500);
      for (const k of accepted) expect(table.has(k), k).toBe(true);
      for (const k of table) expect(keys).toContain(k); // nothing that was never sent
    } finally {
      process.kill(-second.child.pid!, 'SIGINT');
      await second.exited;
      expect(second.output()).toContain('Local cloud stopped.');
    }
  }, 150_000);

  it('refuses a second cloud on the same data directory with a message naming the running one (pid, endpoint), not a stack trace', async () => {
    const dataDir = await tempDir('second');
    const first = await cloudIn(dataDir);
    try {
      const second = await spawnCloud({ dataDir, env: STREAM_ENV });
      children.push(second);
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`pid ${first.child.pid}`);
      expect(second.output()).toContain(first.endpoint);
      expect(second.output()).not.toMatch(/\n\s+at /);
      expect((await fetch(`${first.endpoint}/_local/health`)).status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    }
  }, 60_000);

  it('takes over a stale lock left by a process that no longer runs', async () => {
    const dataDir = await tempDir('stale');
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await writeFile(
      path.join(dataDir, 'local-cloud.lock'),
      JSON.stringify({ pid: gone.pid, endpoint: 'http://127.0.0.1:1', since: new Date().toISOString() }),
    );
    const cloud = await startTestCloud({ pipelines: streamOnly, dataDir });
    try {
      expect((await lockHolder(dataDir))?.pid).toBe(process.pid);
    } finally {
      await cloud.stop();
    }
    expect(await lockHolder(dataDir)).toBeUndefined();
  });
});
