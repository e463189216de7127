// Cold-start cost of the alarm function as deployed: bundles handlers/alarm-to-slack.ts with esbuild using
// the options of infra/cdk/bundle-options.ts that NodejsFunction uses (ESM, node22, minified, module-first main
// fields, AWS SDK bundled in), and an empty handler the same way; reports the bundle sizes and the time to
// import each in fresh Node processes (alternating, median of several runs), plus the share of the
// bundle taken by zod, the AWS SDK and Powertools (from esbuild's metafile).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { DEPLOYED_BUNDLE } from '../../infra/cdk/bundle-options.ts';
import { type Benchmark, median } from './harness.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RUNS = 9;
const BUDGET = 1_000_000; // 1 MB

async function bundle(entry: string, outfile: string): Promise<{ bytes: number; metafile: Metafile }> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    ...DEPLOYED_BUNDLE,
    mainFields: [...DEPLOYED_BUNDLE.mainFields],
    metafile: true,
    logLevel: 'error',
    absWorkingDir: ROOT,
  });
  const out = Object.values(result.metafile.outputs)[0]!;
  return { bytes: out.bytes, metafile: result.metafile };
}

/** Milliseconds to import `file` in a fresh Node process (measured inside the child). */
function importMs(file: string, env: NodeJS.ProcessEnv): number {
  const script =
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    'process.stdout.write(String(performance.now() - t));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
  });
  return Number(out);
}

function shareOf(metafile: Metafile, test: (path: string) => boolean): number {
  const out = Object.values(metafile.outputs)[0]!;
  return Object.entries(out.inputs)
    .filter(([path]) => test(path))
    .reduce((sum, [, v]) => sum + v.bytesInOutput, 0);
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

const bench: Benchmark = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alarm-bench-'));
  try {
    const emptyEntry = join(dir, 'empty-handler.ts');
    writeFileSync(emptyEntry, 'export const handler = async (_event: unknown) => ({ ok: true });\n');
    const project = await bundle(join(ROOT, 'handlers/alarm-to-slack.ts'), join(dir, 'alarm.mjs'));
    const empty = await bundle(emptyEntry, join(dir, 'empty.mjs'));

    // The handler validates its configuration at import (cold start): give it a valid local one.
    const env = {
      ...process.env,
      SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/services/T/B/x',
      IDEMPOTENCY_TABLE: 'idempotency',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_LAMBDA_FUNCTION_NAME: 'alarm-to-slack',
    };
    const projectMs: number[] = [];
    const emptyMs: number[] = [];
    importMs(join(dir, 'alarm.mjs'), env); // warm the file cache once
    for (let i = 0; i < RUNS; i++) {
      projectMs.push(importMs(join(dir, 'alarm.mjs'), env));
      emptyMs.push(importMs(join(dir, 'empty.mjs'), env));
    }

    const zod = shareOf(project.metafile, (p) => p.includes('node_modules/zod/'));
    const zodLocales = shareOf(project.metafile, (p) => p.includes('node_modules/zod/v4/locales/'));
    const sdk = shareOf(project.metafile, (p) => /node_modules\/(@aws-sdk|@smithy|@aws\/)/.test(p));
    const powertools = shareOf(project.metafile, (p) => p.includes('node_modules/@aws-lambda-powertools/'));
    const own = shareOf(project.metafile, (p) => !p.includes('node_modules/'));
    const breakdown =
      `bundle: AWS SDK ${kb(sdk)}, zod ${kb(zod)} (of which locales ${kb(zodLocales)}), ` +
      `Powertools ${kb(powertools)}, project code ${kb(own)}; Node ${process.version}, ${RUNS} runs`;

    return [
      {
        name: 'alarm-to-slack: bundle size (minified, SDK bundled)',
        unit: 'bytes',
        project: project.bytes,
        baseline: empty.bytes,
        baselineLabel: 'empty handler',
        higherIsBetter: false,
        notes: breakdown,
      },
      {
        name: 'alarm-to-slack: bundle size vs 1 MB budget',
        unit: 'bytes',
        project: project.bytes,
        baseline: BUDGET,
        baselineLabel: '1 MB budget',
        higherIsBetter: false,
        target: { ratio: 1, description: 'bundle under 1 MB' },
      },
      {
        name: 'alarm-to-slack: import time (fresh process, median)',
        unit: 'ms',
        project: median(projectMs),
        baseline: median(emptyMs),
        baselineLabel: 'empty handler',
        higherIsBetter: false,
        notes: `runs: handler ${projectMs.map((m) => m.toFixed(0)).join('/')} ms, empty ${emptyMs
          .map((m) => m.toFixed(1))
          .join('/')} ms`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
