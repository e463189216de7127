// Firehose soak driver, shared by the bench (firehose-journal.bench.ts) and run by hand
// (`node --import tsx test/bench/soak.ts [seconds]`): starts the local cloud as `npm start` does (its
// command and environment, MALLOC_ARENA_MAX included) as a child process on the real pipelines with a
// temporary data dir, sends PutRecordBatch (500 realistic records a call) from `concurrency` producers as
// fast as the local cloud answers, for `seconds`, and reports records accepted, calls throttled, the
// child's peak RSS (VmHWM, which covers every worker thread) and CPU time, and optionally how long the
// pipelines behind Firehose took to catch up afterwards.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { freePort } from '../support/child-cloud.ts';
import { realisticRecord } from './stream.bench.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SoakResult {
  seconds: number;
  accepted: number;
  rejectedRecords: number;
  throttledCalls: number;
  calls: number;
  peakRssMb: number;
  /** CPU time the child used during the soak (user + system, all threads), s: steadier than records/s on a shared host. */
  cpuSeconds: number;
  /**
   * With `settle`: ms from the producers' stop until /_local/settle answered (every buffer delivered,
   * every lake object loaded), i.e. how far the pipelines behind Firehose lag; undefined if it took
   * longer than `settle` ms.
   */
  settleMs?: number;
}

/** User + system CPU time of a process (all its threads), s, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), i.e. 12 and 13 after the command name and state.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function vm(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function soak(opts: {
  seconds: number;
  concurrency?: number;
  env?: Record<string, string>;
  /** After the soak, wait up to this many ms for the cloud to settle and report how long it took. */
  settle?: number;
}): Promise<SoakResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'firehose-soak-'));
  const port = await freePort();
  // `npm start`'s own command (package.json's start script: MALLOC_ARENA_MAX and `exec node …`), run by
  // sh without npm around it: `exec` makes the child the cloud's node process itself, so its pid is the
  // one measured, with the environment `npm start` gives it.
  const { scripts } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const child = spawn('sh', ['-c', scripts.start], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      LOCAL_PORT: String(port),
      LOCAL_DATA_DIR: dataDir,
      ...opts.env,
    },
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
  const cpuAtStart = cpuSeconds(child.pid!);
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
  const cpu = cpuSeconds(child.pid!) - cpuAtStart;
  let settleMs: number | undefined;
  if (opts.settle) {
    const t = performance.now();
    const settled = await fetch(`${endpoint}/_local/settle`, {
      method: 'POST',
      signal: AbortSignal.timeout(opts.settle),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (settled) settleMs = Math.round(performance.now() - t);
  }
  client.destroy();
  child.kill('SIGTERM');
  await once(child, 'exit');
  await rm(dataDir, { recursive: true, force: true });
  return {
    seconds: opts.seconds,
    accepted,
    rejectedRecords,
    throttledCalls,
    calls,
    peakRssMb,
    cpuSeconds: cpu,
    settleMs,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(await soak({ seconds: Number(process.argv[2] ?? 60) }));
}
