// `npm start` as a real child process: records still buffered when it receives SIGTERM are all in the
// lake after it exits (the buffer interval is far longer than the test). Runs main.ts with the test-only
// pipeline (LOCAL_PIPELINES_MODULE) so that it depends on no pipeline's handler code.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/child-cloud.ts';
import { startTestCloud, waitFor } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dataDir: string | undefined;
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('SIGTERM', () => {
  it('flushes every Firehose buffer before exit: no accepted record is lost', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'local-cloud-sigterm-'));
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        LOCAL_PORT: String(port),
        LOCAL_DATA_DIR: dataDir,
        LOCAL_PIPELINES_MODULE: 'test/local/fixtures/pipeline.ts',
        LOCAL_FIREHOSE_BUFFER_BYTES: String(64 * 1024 * 1024),
        LOCAL_FIREHOSE_BUFFER_INTERVAL_MS: '600000',
        CAPTURE_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${endpoint}/_local/health`)).status === 200, {
      timeoutMs: 30_000,
      what: `npm start to be healthy (output so far: ${output})`,
    });

    const fh = new FirehoseClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const total = 2_000;
    for (let start = 0; start < total; start += 500) {
      const records = Array.from({ length: 500 }, (_, i) => ({
        Data: Buffer.from(JSON.stringify({ kind: (start + i) % 2 ? 'odd' : 'even', n: start + i })),
      }));
      const out = await fh.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'test-stream', Records: records }),
      );
      expect(out.FailedPutCount).toBe(0);
    }
    fh.destroy();
    // Nothing is delivered yet: the buffer holds every record.
    const lakeBefore = await fetch(`${endpoint}/test-lake?list-type=2&prefix=data/`).then((r) => r.text());
    expect(lakeBefore).not.toContain('<Key>');

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).toBe(0);
    expect(output).toContain('SIGTERM: flushing');

    // Read the lake back through a fresh local cloud on the same data directory.
    const cloud = await startTestCloud({ pipelines: [testPipeline], dataDir, env: { CAPTURE_DIR: dataDir } });
    try {
      const s3 = new S3Client(cloud.clientConfig);
      const keys =
        (await s3.send(new ListObjectsV2Command({ Bucket: 'test-lake', Prefix: 'data/' }))).Contents ?? [];
      const seen: number[] = [];
      for (const { Key } of keys) {
        const out = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key }));
        const text = gunzipSync(Buffer.from(await out.Body!.transformToByteArray())).toString('utf8');
        for (const line of text.split('\n').filter(Boolean)) seen.push((JSON.parse(line) as { n: number }).n);
      }
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      s3.destroy();
    } finally {
      await cloud.stop();
    }
  }, 60_000);
});
