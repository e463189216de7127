// Firehose soak driver, shared by the bench (firehose-journal.bench.ts) and run by hand
// (`node --import tsx test/bench/soak.ts [seconds]`): starts `npm start`'s entry point as a child process
// on the real pipelines with a temporary data dir, sends PutRecordBatch (500 realistic records a call)
// from `concurrency` producers as fast as the local cloud answers, for `seconds`, and reports records
// accepted, calls throttled and the child's peak RSS (VmHWM, which covers every worker thread).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { realisticRecord } from './stream.bench.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SoakResult {
  seconds: number;
  accepted: number;
  rejectedRecords: number;
  throttledCalls: number;
  calls: number;
  peakRssMb: number;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

function vm(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function soak(opts: {
  seconds: number;
  concurrency?: number;
  env?: Record<string, string>;
}): Promise<SoakResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'firehose-soak-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, LOCAL_PORT: String(port), LOCAL_DATA_DIR: dataDir, ...opts.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${endpoint}/_local/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error('local cloud did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = new FirehoseClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
  const records = Array.from({ length: 500 }, (_, i) => ({
    Data: Buffer.from(`${JSON.stringify(realisticRecord(i))}\n`),
  }));
  let accepted = 0;
  let rejectedRecords = 0;
  let throttledCalls = 0;
  let calls = 0;
  const end = Date.now() + opts.seconds * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      calls++;
      try {
        const out = await client.send(
          new PutRecordBatchCommand({ DeliveryStreamName: 'events', Records: records }),
        );
        accepted += records.length - (out.FailedPutCount ?? 0);
        rejectedRecords += out.FailedPutCount ?? 0;
      } catch (err) {
        if ((err as Error).name !== 'ServiceUnavailableException') throw err;
        throttledCalls++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  const peakRssMb = vm(child.pid!, 'VmHWM');
  client.destroy();
  child.kill('SIGTERM');
  await once(child, 'exit');
  await rm(dataDir, { recursive: true, force: true });
  return { seconds: opts.seconds, accepted, rejectedRecords, throttledCalls, calls, peakRssMb };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(await soak({ seconds: Number(process.argv[2] ?? 60) }));
}
