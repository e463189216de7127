// Image pipeline benchmark: the project's renderer (one shrink-on-load decode, every variant derived from
// raw pixels, smaller from larger) against the common approach of one independent sharp pipeline per
// variant, each reading the full upload (`sharp(buf).rotate().resize(...)`), with the same output formats
// and qualities. Timed in the same run, alternating, on every photo in ../shared/fixtures/photos. Peak RSS
// for the 5K JPEG is measured in separate child processes (this file re-run with IMAGE_BENCH_CHILD set),
// so the two approaches do not share a heap or libvips' caches.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { renderVariants } from '../../pipelines/image-resize/render.ts';
import { DEFAULT_VARIANTS, type VariantSpec } from '../../pipelines/image-resize/variants.ts';
import { type Benchmark, type BenchResult, median } from './harness.ts';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const PHOTOS = resolve(ROOT, '../shared/fixtures/photos');
const BIG = 'volna-5k.jpg';
const LIMITS = { maxPixels: 100_000_000 };

// sharp's settings are process-wide: render.ts sets the project's (cache off, concurrency 1) at import;
// the baseline runs with sharp's defaults, as widely used resize functions do.
const PROJECT_CACHE = false;
const projectSettings = () => sharp.cache(PROJECT_CACHE);
const baselineSettings = () => sharp.cache(true);

const project = (buf: Buffer) => renderVariants(buf, DEFAULT_VARIANTS, LIMITS);

function independentPipeline(buf: Buffer, v: VariantSpec): Promise<Buffer> {
  let img = sharp(buf).rotate();
  img =
    v.fit === 'cover'
      ? img.resize(v.width, v.height, { fit: 'cover', withoutEnlargement: true })
      : img.resize({ width: v.width, height: v.height, fit: 'inside', withoutEnlargement: true });
  return (
    v.format === 'jpeg'
      ? img.flatten({ background: '#ffffff' }).jpeg({ quality: v.quality })
      : img.webp({ quality: v.quality, ...(v.effort !== undefined ? { effort: v.effort } : {}) })
  ).toBuffer();
}

/** The common approach as usually written: all variants at once (`Promise.all`). */
const baselineConcurrent = (buf: Buffer) =>
  Promise.all(DEFAULT_VARIANTS.map((v) => independentPipeline(buf, v)));

/** The same pipelines one after the other. */
async function baselineSequential(buf: Buffer) {
  const out: Buffer[] = [];
  for (const v of DEFAULT_VARIANTS) out.push(await independentPipeline(buf, v));
  return out;
}

interface Sample {
  wall: number;
  cpu: number;
}

async function measure(fn: () => Promise<unknown>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Child mode: process the 5K JPEG a few times with one approach, print peak RSS in MB. */
async function child(mode: string): Promise<void> {
  const buf = readFileSync(resolve(PHOTOS, BIG));
  if (mode === 'project') projectSettings();
  const run = mode === 'project' ? project : mode === 'baseline' ? baselineConcurrent : async () => {};
  for (let i = 0; i < 2; i++) await run(buf);
  // VmHWM (peak resident set of this process image). Not getrusage's maxRSS: Linux carries that over
  // from the forking parent across exec, so every child would report the parent's peak.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!hwm) throw new Error('no VmHWM in /proc/self/status');
  process.stdout.write(`${JSON.stringify({ maxRssMb: Number(hwm[1]) / 1024 })}\n`);
}

function peakRssMb(mode: 'project' | 'baseline' | 'idle'): number {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    cwd: ROOT,
    env: { ...process.env, IMAGE_BENCH_CHILD: mode },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = res.stdout.trim().split('\n').pop() ?? '';
  if (res.status !== 0 || !line.startsWith('{')) throw new Error(`RSS child (${mode}) failed: ${res.stderr}`);
  return (JSON.parse(line) as { maxRssMb: number }).maxRssMb;
}

const bench: Benchmark = async () => {
  const files = readdirSync(PHOTOS)
    .filter((f) => /\.(jpe?g|png|webp|gif|avif|tiff?)$/i.test(f))
    .sort();
  const rounds = 3;
  const perFile: Array<{ file: string; p: Sample; c: Sample; s: Sample; bcpu: number }> = [];
  for (const file of files) {
    const buf = readFileSync(resolve(PHOTOS, file));
    const runs = {
      p: () => {
        projectSettings();
        return project(buf);
      },
      c: () => {
        baselineSettings();
        return baselineConcurrent(buf);
      },
      s: () => {
        baselineSettings();
        return baselineSequential(buf);
      },
    };
    // Warm-up, then alternate P C S P C S ... so drift in machine speed hits all alike.
    for (const run of Object.values(runs)) await run();
    const samples: Record<keyof typeof runs, Sample[]> = { p: [], c: [], s: [] };
    for (let i = 0; i < rounds; i++) {
      for (const [k, run] of Object.entries(runs) as Array<[keyof typeof runs, () => Promise<unknown>]>) {
        samples[k].push(await measure(run));
      }
    }
    const med = (xs: Sample[]): Sample => ({
      wall: median(xs.map((x) => x.wall)),
      cpu: median(xs.map((x) => x.cpu)),
    });
    // Both baseline orders do the same work, so their CPU samples are pooled (a steadier median).
    const baselineCpu = median([...samples.c, ...samples.s].map((x) => x.cpu));
    perFile.push({ file, p: med(samples.p), c: med(samples.c), s: med(samples.s), bcpu: baselineCpu });
  }
  projectSettings();

  const mean = (pick: (r: (typeof perFile)[number]) => number) =>
    perFile.reduce((a, r) => a + pick(r), 0) / perFile.length;
  const detail = (pick: (r: (typeof perFile)[number]) => [number, number]) =>
    perFile
      .map((r) => {
        const [a, b] = pick(r);
        return `${r.file} ${a.toFixed(0)}/${b.toFixed(0)}`;
      })
      .join(', ');

  const rss = { project: peakRssMb('project'), baseline: peakRssMb('baseline'), idle: peakRssMb('idle') };
  const target = { ratio: 1.8, description: 'faster per image' };
  const rows: BenchResult[] = [
    {
      name: `image-resize: wall ms per image (${files.length} photos)`,
      unit: 'ms/image',
      project: mean((r) => r.p.wall),
      baseline: mean((r) => r.s.wall),
      baselineLabel: '3 independent pipelines, sequential',
      higherIsBetter: false,
      target,
      notes: `project/baseline ms: ${detail((r) => [r.p.wall, r.s.wall])}`,
    },
    {
      name: `image-resize: wall ms per image (${files.length} photos)`,
      unit: 'ms/image',
      project: mean((r) => r.p.wall),
      baseline: mean((r) => r.c.wall),
      baselineLabel: '3 independent pipelines, Promise.all',
      higherIsBetter: false,
      target,
      notes:
        `project/baseline ms: ${detail((r) => [r.p.wall, r.c.wall])}. The concurrent baseline spreads its ` +
        `redundant decodes over this machine's ${(await import('node:os')).availableParallelism()} cores; CPU time below is what a Lambda (~1.2 vCPU at 2 GB) pays`,
    },
    {
      name: `image-resize: CPU ms per image (${files.length} photos)`,
      unit: 'cpu-ms/image',
      project: mean((r) => r.p.cpu),
      baseline: mean((r) => r.bcpu),
      baselineLabel: '3 independent pipelines',
      higherIsBetter: false,
      target,
      notes: `user+system CPU of the process (all threads), median per photo; project/baseline: ${detail((r) => [r.p.cpu, r.bcpu])}`,
    },
    {
      name: `image-resize: peak RSS, ${BIG} (5120×2880)`,
      unit: 'MB',
      project: rss.project,
      baseline: rss.baseline,
      baselineLabel: '3 independent pipelines, Promise.all',
      higherIsBetter: false,
      notes: `separate child processes, 2 runs each, VmHWM; target < 300 MB: ${rss.project < 300 ? 'met' : 'NOT met'}; an idle child (node + tsx + sharp loaded) peaks at ${rss.idle.toFixed(0)} MB`,
    },
  ];
  return rows;
};

const childMode = process.env.IMAGE_BENCH_CHILD;
if (childMode) await child(childMode);

export default bench;
