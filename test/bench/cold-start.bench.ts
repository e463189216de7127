// Cold start of every deployed function against its SDK floor (`npm run bench -- cold-start`). The
// functions come from the pipeline definitions (pipelines/index.ts `allFunctions()`), so a pipeline added
// there is measured with no change here. Each handler is bundled as infra/cdk/functions.ts bundles it
// (DEPLOYED_BUNDLE with the target of the function's runtime, its native modules external); its floor is a
// bundle, built the same way, of only the AWS SDK imports that the handler's bundle makes (every value
// import of an `@aws-sdk/*` package in a module of the bundle that is not itself part of the SDK: the
// project's code, and libraries such as Powertools' idempotency that issue DynamoDB commands for it; each
// named import kept alive) plus the same native modules. Rows: bundle bytes, and the time to import the bundle in a fresh Node process (measured inside
// the child, handler and floor alternating, median of RUNS) as wall-clock and as CPU time, each against the
// floor; target ≤ 1.3× each.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { DEPLOYED_BUNDLE, esbuildTarget } from '../../infra/cdk/bundle-options.ts';
import { allFunctions, type EnvValue, type FunctionSpec } from '../../pipelines/index.ts';
import { runtimeOf } from '../../pipelines/types.ts';
import { type Benchmark, type BenchResult, median } from './harness.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RUNS = 21;
const TARGET = 1.3;

async function bundle(
  spec: FunctionSpec,
  entry: string,
  outfile: string,
): Promise<{ bytes: number; metafile: Metafile }> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    ...DEPLOYED_BUNDLE,
    target: esbuildTarget(runtimeOf(spec)),
    mainFields: [...DEPLOYED_BUNDLE.mainFields],
    external: [...(spec.nodeModules ?? [])],
    metafile: true,
    logLevel: 'error',
    absWorkingDir: ROOT,
  });
  const out = Object.values(result.metafile.outputs)[0]!;
  return { bytes: out.bytes, metafile: result.metafile };
}

/** A module of the AWS SDK itself (its clients, their Smithy runtime, their helpers). */
const inSdk = (path: string) => /node_modules\/(@aws-sdk|@smithy|@aws\/|@aws-crypto)/.test(path);

/**
 * The floor's entry: every value import of an `@aws-sdk/*` package made by a module of the handler's
 * bundle outside the SDK (what the handler needs of the SDK), and the function's native modules, each
 * kept alive.
 */
export function floorEntry(metafile: Metafile, nodeModules: readonly string[]): string {
  const imports = new Map<string, Set<string>>();
  for (const path of Object.keys(metafile.inputs)) {
    if (inSdk(path)) continue;
    const source = readFileSync(join(ROOT, path), 'utf8');
    for (const m of source.matchAll(
      /^import\s+(?!type\s)\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[^'"]+)['"]/gm,
    )) {
      const names = imports.get(m[2]!) ?? new Set<string>();
      for (const spec of m[1]!.split(',').map((s) => s.trim())) {
        if (spec && !spec.startsWith('type ')) names.add(spec.split(/\s+as\s+/)[0]!);
      }
      if (names.size) imports.set(m[2]!, names);
    }
  }
  const lines: string[] = [];
  const kept: string[] = [];
  for (const [pkg, names] of [...imports].sort(([a], [b]) => a.localeCompare(b))) {
    const aliased = [...names].sort().map((n) => {
      kept.push(`${n}_${kept.length}`);
      return `${n} as ${kept.at(-1)}`;
    });
    lines.push(`import { ${aliased.join(', ')} } from '${pkg}';`);
  }
  nodeModules.forEach((pkg, i) => {
    lines.push(`import * as native_${i} from '${pkg}';`);
    kept.push(`native_${i}`);
  });
  lines.push(`export const handler = async (_event: unknown) => [${kept.join(', ')}].length;`);
  return `${lines.join('\n')}\n`;
}

/** A made-up physical value for each environment entry: what CDK or the local cloud would resolve. */
function benchEnvironment(spec: FunctionSpec): Record<string, string> {
  const resolveValue = (v: EnvValue): string => {
    if (typeof v === 'string') return v;
    if (v.kind === 'secret') return `arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-${v.name}`;
    if (v.kind === 'cdn') return 'E2BENCH00000000';
    // No cache (as `-c cache=false` deploys): a URL would make the module connect, and the import measured
    // here would wait on a server that does not exist. The cache client's code is bundled either way.
    if (v.kind === 'cache') return '';
    if (v.kind === 'api') return 'https://bench.execute-api.us-east-1.amazonaws.com';
    return `bench-${v.name}`;
  };
  return Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, resolveValue(v)]));
}

/**
 * Milliseconds to import `file` in a fresh Node process, measured inside the child: wall-clock time, and the
 * CPU time (user + system, every thread of the process: V8's compile and GC threads too) spent meanwhile.
 * On the shared development machine the wall time also holds the time the child waited for a core; the
 * CPU time does not, so it is the steadier figure there.
 */
function importMs(file: string, env: NodeJS.ProcessEnv): { wall: number; cpu: number } {
  const script =
    `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    'const wall = performance.now() - t; const d = process.cpuUsage(c); ' +
    'process.stdout.write(JSON.stringify({ wall, cpu: (d.user + d.system) / 1000 }));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(out) as { wall: number; cpu: number };
}

function shareOf(metafile: Metafile, test: (path: string) => boolean): number {
  const out = Object.values(metafile.outputs)[0]!;
  return Object.entries(out.inputs)
    .filter(([path]) => test(path))
    .reduce((sum, [, v]) => sum + v.bytesInOutput, 0);
}

/**
 * Characters outside ASCII in a bundle. esbuild escapes them in strings but not in regular expression
 * literals, and a single one makes V8 hold the whole source as a two-byte string, slower to decode and scan.
 */
const nonAscii = (file: string): number => readFileSync(file, 'utf8').match(/[\u0080-\uffff]/g)?.length ?? 0;

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

function breakdown(metafile: Metafile): string {
  const zod = shareOf(metafile, (p) => p.includes('node_modules/zod/'));
  const locales = shareOf(metafile, (p) => /node_modules\/zod\/.*locales\//.test(p));
  const sdk = shareOf(metafile, inSdk);
  const powertools = shareOf(metafile, (p) => p.includes('node_modules/@aws-lambda-powertools/'));
  const own = shareOf(metafile, (p) => !p.includes('node_modules/'));
  return `AWS SDK ${kb(sdk)}, zod ${kb(zod)} (locales ${kb(locales)}), Powertools ${kb(powertools)}, project ${kb(own)}`;
}

const bench: Benchmark = async () => {
  // Under the repository, so an external native module (sharp) resolves from its node_modules.
  mkdirSync(join(ROOT, '.local'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.local', 'cold-start-'));
  const rows: BenchResult[] = [];
  try {
    for (const spec of allFunctions()) {
      const handlerFile = join(dir, `${spec.id}.mjs`);
      const floorFile = join(dir, `${spec.id}-floor.mjs`);
      const project = await bundle(spec, join(ROOT, spec.entry), handlerFile);
      const floorSource = join(dir, `${spec.id}-floor.ts`);
      writeFileSync(floorSource, floorEntry(project.metafile, spec.nodeModules ?? []));
      const floor = await bundle(spec, floorSource, floorFile);

      const env = {
        ...process.env,
        ...benchEnvironment(spec),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_LAMBDA_FUNCTION_NAME: spec.id,
      };
      importMs(handlerFile, env); // warm the file cache once, and fail here if the handler cannot start
      importMs(floorFile, env);
      const handlerMs: Array<{ wall: number; cpu: number }> = [];
      const floorMs: Array<{ wall: number; cpu: number }> = [];
      for (let i = 0; i < RUNS; i++) {
        handlerMs.push(importMs(handlerFile, env));
        floorMs.push(importMs(floorFile, env));
      }
      const sdkImports = readFileSync(floorSource, 'utf8').match(/from '[^']+'/g)?.length ?? 0;
      const floorLabel = sdkImports
        ? 'SDK floor: its AWS SDK imports only'
        : 'SDK floor: imports no SDK client (empty handler)';
      const target = { ratio: Number((1 / TARGET).toFixed(3)), description: `(≤ ${TARGET}× the SDK floor)` };
      rows.push(
        {
          name: `cold start ${spec.id}: bundle bytes`,
          unit: 'bytes',
          project: project.bytes,
          baseline: floor.bytes,
          baselineLabel: floorLabel,
          higherIsBetter: false,
          target,
          notes: `handler: ${breakdown(project.metafile)}; floor: ${breakdown(floor.metafile)}${
            spec.nodeModules?.length ? `; external in both: ${spec.nodeModules.join(', ')}` : ''
          }; non-ASCII characters in the handler bundle: ${nonAscii(handlerFile)}`,
        },
        ...(['wall', 'cpu'] as const).map(
          (kind): BenchResult => ({
            name:
              kind === 'wall'
                ? `cold start ${spec.id}: import ms (fresh process, median of ${RUNS})`
                : `cold start ${spec.id}: import CPU ms (user + system, same imports)`,
            unit: 'ms',
            project: median(handlerMs.map((m) => m[kind])),
            baseline: median(floorMs.map((m) => m[kind])),
            baselineLabel: floorLabel,
            higherIsBetter: false,
            target,
            // Round by round (handler then floor, a moment apart): steadier than the medians' ratio when the
            // machine's load drifts during the run.
            notes: `Node ${process.version}; median of the ${RUNS} rounds' ratios ${median(
              handlerMs.map((m, i) => m[kind] / floorMs[i]![kind]),
            ).toFixed(2)}×; handler ${handlerMs.map((m) => m[kind].toFixed(0)).join('/')} ms, floor ${floorMs
              .map((m) => m[kind].toFixed(0))
              .join('/')} ms`,
          }),
        ),
      );
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
