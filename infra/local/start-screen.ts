// The start screen of `npm start`: endpoint, how to point tools at it, resources, and per pipeline its
// functions with copy-paste commands to try them: each trigger kind's commands for the function's sample
// (FunctionSpec.local.sample) and each resource kind's command to see the results, all from the
// definitions and the kinds' plug-ins (kinds/), and what a resource's plug-in warns about (e.g. a cache
// that is off: the API then runs uncached). Also writes the samples into <dataDir>/samples/.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runtimeOf } from '../../pipelines/types.ts';
import type { Catalog } from '../../pipelines/validate.ts';
import type { LocalCloud } from './cloud.ts';
import { REPO_ROOT } from './config.ts';
import { eachResource, lookup, resourceKind, triggerKind } from './kinds/index.ts';
import type { WrittenSample } from './kinds/types.ts';
import { REGION } from './names.ts';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const yellow = (s: string) => (process.stdout.isTTY ? `\x1b[33m${s}\x1b[0m` : s);

/** Each function's sample and the file it is written to (its `file`, or `<dataDir>/samples/<name>`). */
export function planSamples(catalog: Catalog, dataDir: string): Map<string, WrittenSample> {
  const out = new Map<string, WrittenSample>();
  for (const fn of catalog.functions) {
    const sample = fn.local?.sample;
    if (!sample) continue;
    const file = sample.file
      ? path.resolve(REPO_ROOT, sample.file)
      : path.join(dataDir, 'samples', sample.name);
    out.set(fn.id, { ...sample, path: file, shown: rel(file) });
  }
  return out;
}

/** Writes each function's sample (its `file`, or what `content()` makes now); returns them by function id. */
export async function writeSamples(catalog: Catalog, dataDir: string): Promise<Map<string, WrittenSample>> {
  await mkdir(path.join(dataDir, 'samples'), { recursive: true });
  const out = planSamples(catalog, dataDir);
  for (const sample of out.values()) if (!sample.file) await writeFile(sample.path, sample.content?.() ?? '');
  return out;
}

/**
 * Per pipeline, the copy-paste commands that try it: each function's trigger-kind commands for its sample
 * (with the sample's extra commands), then each resource kind's command to see what the functions left.
 */
export function pipelineTries(
  catalog: Catalog,
  endpoint: string,
  samples: ReadonlyMap<string, WrittenSample>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of catalog.pipelines) {
    const fns = catalog.functions.filter((f) => f.pipeline === p.name);
    const tries: string[] = [];
    for (const f of fns) {
      const sample = samples.get(f.id);
      if (!sample) continue;
      tries.push(...triggerKind(f.trigger).tryCommands(f.trigger, sample, { endpoint }));
      for (const c of sample.commands ?? []) tries.push(c.replaceAll('{sample}', sample.shown));
    }
    for (const f of fns) {
      for (const a of [...f.access, ...triggerKind(f.trigger).results(f.trigger, catalog)]) {
        const look = resourceKind(a.resource.kind).lookCommand?.(
          lookup(catalog, a.resource),
          a.mode,
          endpoint,
        );
        if (look) tries.push(look);
      }
    }
    out.set(p.name, [...new Set(tries)]);
  }
  return out;
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r.startsWith('..') ? p : r || '.';
}

/** The command that runs the demo against this cloud (it finds the cloud through the data directory). */
export function demoCommand(dataDir: string): string {
  const byDefault = path.resolve(REPO_ROOT, '.local') === path.resolve(dataDir);
  return byDefault ? 'npm run demo' : `LOCAL_DATA_DIR=${rel(dataDir)} npm run demo`;
}

export function startScreen(
  cloud: LocalCloud,
  samples: ReadonlyMap<string, WrittenSample>,
  buffer: string,
): string {
  const catalog = cloud.resources;
  const e = cloud.endpoint;
  const out: string[] = [];
  const tries = pipelineTries(catalog, e, samples);
  out.push('');
  out.push(`${green('●')} ${bold('Local cloud ready')}  ${e}   ${dim(`data: ${rel(cloud.dataDir)}`)}`);
  out.push(`  ${bold('Console:')} ${e}/_local/console/  ${dim('(every pipeline, live, in your browser)')}`);
  out.push('');
  out.push(bold('Point the AWS SDK or CLI at it:'));
  out.push(
    `  export AWS_ENDPOINT_URL=${e} AWS_REGION=${REGION} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
  );
  out.push(
    dim(
      `  AWS CLI before 2.13 / 1.29 (Debian's too) and boto3 before 1.28 ignore AWS_ENDPOINT_URL: pass --endpoint-url ${e} --region ${REGION},`,
    ),
  );
  out.push(dim(`  e.g. alias aws='aws --endpoint-url ${e} --region ${REGION}'`));
  out.push('');
  out.push(bold('Resources'));
  const rows = new Map<string, string[]>();
  const warnings: string[] = [];
  const ctx = { endpoint: e, firehoseBuffer: buffer, services: cloud.services };
  for (const { spec, plugin } of eachResource(catalog)) {
    const row = rows.get(plugin.title) ?? [];
    row.push(plugin.describe(spec, ctx));
    rows.set(plugin.title, row);
    const warning = plugin.warning?.(spec, ctx);
    if (warning) warnings.push(warning);
  }
  for (const [title, items] of rows) out.push(`  ${title.padEnd(16)} ${items.join(', ')}`);
  for (const w of warnings) out.push(`  ${yellow(`⚠ ${w}`)}`);
  // The runtime(s) the definitions deploy on Lambda; locally the code runs on whatever Node started us.
  out.push(
    `  ${'Lambda runtime'.padEnd(16)} ${[...new Set(catalog.functions.map(runtimeOf))].join(', ')}  ${dim(`(run on this machine's Node ${process.version})`)}`,
  );
  out.push('');
  for (const p of catalog.pipelines) {
    const fns = catalog.functions.filter((f) => f.pipeline === p.name);
    out.push(`${bold(`Pipeline ${p.name}`)}  ${dim(p.description)}`);
    for (const f of fns) {
      const warn = cloud.missingHandlers.includes(f.id)
        ? `  ${yellow(`⚠ ${f.entry} not found: invocations go to the DLQ`)}`
        : '';
      out.push(`  λ ${f.id.padEnd(18)} ← ${triggerKind(f.trigger).describe(f.trigger)}${warn}`);
    }
    const unique = tries.get(p.name) ?? [];
    if (unique.length) {
      out.push(`  ${dim('try:')}`);
      for (const t of unique) out.push(`    ${t}`);
    }
    out.push('');
  }
  out.push(`${bold('All pipelines at once')} (in another terminal): ${demoCommand(cloud.dataDir)}`);
  out.push(
    `${bold('Function logs:')} one line per invocation here; start with LOCAL_FUNCTION_LOGS=full to see each function's own log lines too.`,
  );
  out.push(`${bold('Inspect:')} ${e}/_local lists every local endpoint, e.g. ${e}/_local/health`);
  out.push(
    dim(
      'Ctrl-C delivers what is buffered (up to 5 s), then stops; anything left is journaled and delivered at the next start.',
    ),
  );
  out.push('');
  return out.join('\n');
}
