// Local cloud worker-pool benchmark (`npm run bench -- local-pool`): 100 photos uploaded at once to the
// `uploads` bucket of a local cloud running in a child process (all pipelines, as `npm start` runs them),
// until every variant is in `display`. Compares the project's setup (workers capped at the cores for
// CPU-bound functions, idle workers released, MALLOC_ARENA_MAX=2 as `npm start` sets it) with the old one
// (one worker per unit of reservedConcurrency, never released, glibc's default arenas:
// LOCAL_POOL_SIZING=reserved, LOCAL_WORKER_IDLE_MS=0), in the same run. A run still unfinished after
// RUN_LIMIT_MS is stopped and reported as such. For exploring: POOL_BENCH_UPLOADS sets the number of
// photos, POOL_BENCH_PROGRESS=1 prints the cloud's memory (process.memoryUsage) every 3 s. Memory is the resident set of the child's whole process tree (the workers are threads of that
// process, but any child process would be counted too), sampled from /proc every 50 ms, and the root's
// VmHWM (kernel-tracked peak) as a floor. Targets: peak under 1 GB, finishing no slower, memory returned
// once idle.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_VARIANTS } from '../../pipelines/image-resize/variants.ts';
import { startTestCloud } from '../support/local-cloud.ts';
import type { Benchmark } from './harness.ts';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const PHOTOS = resolve(ROOT, 'test/fixtures/photos');
const UPLOADS = Number(process.env.POOL_BENCH_UPLOADS ?? 100);
/** Idle timeout for the project's run: short, so the bench stays bounded. */
const IDLE_MS = 2_000;
/** A run that has not finished by then is stopped and reported as unfinished (keeps the bench bounded). */
const RUN_LIMIT_MS = 150_000;

export interface CloudRun {
  /** ms from the first PUT until every variant of every upload is in `display` (or RUN_LIMIT_MS). */
  finishMs: number;
  /** Variants in `display` at the end (all of them when the run finished). */
  variants: number;
  expected: number;
  /** Events dead-lettered (every attempt failed, e.g. timed out). */
  deadLetters: number;
  /** Peak RSS of the local cloud's process tree during the run, MB. */
  peakMb: number;
  /** RSS just before the uploads (cloud started, no worker yet), MB. */
  startMb: number;
  /** RSS right after the last variant landed, MB. */
  doneMb: number;
  /** RSS after IDLE_MS + a margin with nothing to do, MB. */
  idleMb: number;
}

const kb = (status: string, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);

/** Pids of `pid` and all its descendants (via /proc/<pid>/task/<tid>/children). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {}
    }
  }
  return out;
}

/** Sum of VmRSS over the process tree, MB. */
function treeRssMb(pid: number): number {
  let total = 0;
  for (const p of tree(pid)) {
    try {
      total += kb(readFileSync(`/proc/${p}/status`, 'utf8'), 'VmRSS');
    } catch {}
  }
  return total / 1024;
}

const hwmMb = (pid: number) => kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM') / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the local cloud in a child with `env`; resolves with its endpoint once it is listening. */
function startChild(
  env: Record<string, string>,
  dataDir: string,
): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: ROOT,
    env: { ...process.env, MALLOC_ARENA_MAX: undefined, ...env, POOL_BENCH_CHILD: dataDir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"endpoint":"([^"]+)"/.exec(buf);
      if (m) resolvePromise({ child, endpoint: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`bench cloud exited early (${code})`)));
  });
}

/** One run: a fresh local cloud in a child with `env`, 100 photos at once, then idle. */
export async function runCloud(env: Record<string, string>, idleWaitMs: number): Promise<CloudRun> {
  const files = readdirSync(PHOTOS)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort();
  const bodies = files.map((f) => readFileSync(resolve(PHOTOS, f)));
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-pool-'));
  const { child, endpoint } = await startChild(env, dataDir);
  const pid = child.pid!;
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    forcePathStyle: true,
  });
  try {
    await sleep(500);
    const startMb = treeRssMb(pid);
    let peakMb = startMb;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, treeRssMb(pid));
    }, 50);
    const expected = UPLOADS * DEFAULT_VARIANTS.length;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) =>
        s3.send(
          new PutObjectCommand({
            Bucket: 'uploads',
            Key: `bench/${i}-${files[i % files.length]}`,
            Body: bodies[i % bodies.length],
          }),
        ),
      ),
    );
    let variants = 0;
    let deadLetters = 0;
    for (;;) {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: 'display', MaxKeys: 1000 }));
      variants = out.KeyCount ?? 0;
      if (variants >= expected) break;
      const dlq = (await (await fetch(`${endpoint}/_local/dlq`)).json()) as unknown[];
      deadLetters = dlq.length;
      // Done when nothing more can arrive: every upload has its variants or is dead-lettered.
      if (variants + deadLetters * DEFAULT_VARIANTS.length >= expected) break;
      if (performance.now() - t0 > RUN_LIMIT_MS) break;
      await sleep(200);
    }
    const finishMs = Math.min(performance.now() - t0, RUN_LIMIT_MS);
    clearInterval(sampler);
    const doneMb = treeRssMb(pid);
    peakMb = Math.max(peakMb, hwmMb(pid));
    const finished = variants >= expected;
    if (finished) await sleep(idleWaitMs);
    const idleMb = finished ? treeRssMb(pid) : Number.NaN;
    return { finishMs, variants, expected, deadLetters, peakMb, startMb, doneMb, idleMb };
  } finally {
    s3.destroy();
    // An unfinished run may still have invocations and retries queued: do not wait for them.
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (r: CloudRun) =>
  `${r.variants < r.expected ? `UNFINISHED after ${RUN_LIMIT_MS / 1000} s: ${r.variants}/${r.expected} variants, ${r.deadLetters} dead-lettered, ` : `${(r.finishMs / 1000).toFixed(1)} s, `}peak ${r.peakMb.toFixed(0)} MB, idle ${r.idleMb.toFixed(0)} MB (start ${r.startMb.toFixed(0)}, done ${r.doneMb.toFixed(0)})`;

const bench: Benchmark = async () => {
  const idleWait = IDLE_MS + 3_000;
  const baseline = await runCloud({ LOCAL_POOL_SIZING: 'reserved', LOCAL_WORKER_IDLE_MS: '0' }, idleWait);
  const project = await runCloud(
    { LOCAL_POOL_SIZING: 'cores', LOCAL_WORKER_IDLE_MS: String(IDLE_MS), MALLOC_ARENA_MAX: '2' },
    idleWait,
  );
  const done = (r: CloudRun) => r.variants >= r.expected;
  const label = 'old sizing: reservedConcurrency workers, never released, default malloc arenas';
  const detail = `project ${fmt(project)}; baseline ${fmt(baseline)}`;
  return [
    {
      name: `local cloud: peak RSS, ${UPLOADS} photos uploaded at once`,
      unit: 'MB',
      project: project.peakMb,
      baseline: baseline.peakMb,
      baselineLabel: label,
      higherIsBetter: false,
      notes: `process tree of the local cloud; target < 1024 MB: ${project.peakMb < 1024 ? 'met' : 'NOT met'}. ${detail}`,
    },
    {
      name: `local cloud: time until all ${UPLOADS * DEFAULT_VARIANTS.length} variants exist`,
      unit: 'ms',
      project: project.finishMs,
      baseline: baseline.finishMs,
      baselineLabel: label,
      higherIsBetter: false,
      target: { ratio: 0.95, description: 'no slower (5% noise allowance)' },
      notes: `${done(project) ? '' : 'PROJECT DID NOT FINISH. '}${
        done(baseline)
          ? ''
          : `the baseline did not finish within ${RUN_LIMIT_MS / 1000} s, so its figure (the limit) and the ratio are lower bounds`
      }`,
    },
    {
      name: `local cloud: RSS when idle (${idleWait / 1000} s after the last variant)`,
      unit: 'MB',
      project: project.idleMb,
      baseline: done(baseline) ? baseline.idleMb : baseline.doneMb,
      baselineLabel: label,
      higherIsBetter: false,
      notes: `LOCAL_WORKER_IDLE_MS=${IDLE_MS} in the project's run; RSS before the uploads: project ${project.startMb.toFixed(0)}, baseline ${baseline.startMb.toFixed(0)} MB${
        done(baseline) ? '' : '; the baseline never went idle, its figure is the RSS when it was stopped'
      }`,
    },
  ];
};

// Child mode: run the local cloud (every pipeline, quiet, in the parent's temporary data dir) until the
// parent kills it, or exits when the parent is gone (stdin closes).
if (process.env.POOL_BENCH_CHILD) {
  const cloud = await startTestCloud({ dataDir: process.env.POOL_BENCH_CHILD });
  process.stdout.write(`${JSON.stringify({ endpoint: cloud.endpoint })}\n`);
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
  if (process.env.POOL_BENCH_PROGRESS) {
    const mb = (n: number) => (n / 2 ** 20).toFixed(0);
    setInterval(() => {
      const m = process.memoryUsage();
      process.stderr.write(
        `child rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`,
      );
    }, 3_000).unref();
  }
}

export default bench;
