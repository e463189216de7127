// The start screen of `npm start`: endpoint, resources, and copy-paste commands to try each pipeline,
// all derived from the pipeline definitions (nothing about a pipeline is written here). Also writes the
// sample inputs those commands use into <dataDir>/samples/.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runtimeOf } from '../../pipelines/types.ts';
import { buildAlarmMessage } from '../../shared/events/builders.ts';
import { describeTrigger, type LocalCloud } from './cloud.ts';
import { REPO_ROOT } from './config.ts';
import { topicArn } from './names.ts';
import type { ResourceSet } from './resources.ts';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const yellow = (s: string) => (process.stdout.isTTY ? `\x1b[33m${s}\x1b[0m` : s);

/** Real photos kept in the repository (attribution in SOURCES.md there), for the example command and demo. */
export const PHOTOS_DIR = path.resolve(REPO_ROOT, 'test/fixtures/photos');

export async function writeSamples(dataDir: string): Promise<{ alarm: string; records: string }> {
  const dir = path.join(dataDir, 'samples');
  await mkdir(dir, { recursive: true });
  const alarm = path.join(dir, 'alarm.json');
  await writeFile(
    alarm,
    `${JSON.stringify(buildAlarmMessage({ name: 'checkout-latency-p99', state: 'ALARM' }), null, 2)}\n`,
  );
  const records = path.join(dir, 'records.ndjson');
  const now = Date.now();
  const lines = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({
      source: 'start-screen',
      type: ['page.view', 'click', 'order.created', 'heartbeat'][i % 4],
      time: new Date(now + i * 1000).toISOString(),
      data: { i },
    }),
  );
  await writeFile(records, `${lines.join('\n')}\n`);
  return { alarm, records };
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r.startsWith('..') ? p : r || '.';
}

export function startScreen(
  cloud: LocalCloud,
  samples: { alarm: string; records: string },
  buffer: string,
): string {
  const r: ResourceSet = cloud.resources;
  const e = cloud.endpoint;
  const out: string[] = [];
  const streamBuckets = new Set(r.streams.map((s) => s.destination.bucket));
  out.push('');
  out.push(`${green('●')} ${bold('Local cloud ready')}  ${e}   ${dim(`data: ${rel(cloud.dataDir)}`)}`);
  out.push('');
  out.push(bold('Point the AWS SDK or CLI at it:'));
  out.push(
    `  export AWS_ENDPOINT_URL=${e} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
  );
  out.push('');
  out.push(bold('Resources'));
  out.push(`  S3 buckets       ${r.buckets.map((b) => b.name).join(', ')}`);
  out.push(`  SNS topics       ${r.topics.map((t) => topicArn(t.name)).join(', ')}`);
  out.push(
    `  DynamoDB tables  ${r.tables.map((t) => `${t.name} (${[t.partitionKey.name, t.sortKey?.name].filter(Boolean).join(', ')})`).join(', ')}`,
  );
  // The runtime(s) the definitions deploy on Lambda; locally the code runs on whatever Node started us.
  out.push(
    `  Lambda runtime   ${[...new Set(r.functions.map(runtimeOf))].join(', ')}  ${dim(`(run on this machine's Node ${process.version})`)}`,
  );
  for (const s of r.streams) {
    out.push(
      `  Firehose         ${s.name} → s3://${s.destination.bucket}/${s.destination.prefix}  ${dim(`(${s.destination.compression}, buffer ${buffer}, transform ${s.processor})`)}`,
    );
  }
  out.push('');
  const pipelines = [...new Set(r.functions.map((f) => f.pipeline))];
  for (const p of pipelines) {
    const fns = r.functions.filter((f) => f.pipeline === p);
    out.push(bold(`Pipeline ${p}`));
    for (const f of fns) {
      const warn = cloud.missingHandlers.includes(f.id)
        ? `  ${yellow(`⚠ ${f.entry} not found: invocations go to the DLQ`)}`
        : '';
      out.push(`  λ ${f.id.padEnd(18)} ← ${describeTrigger(f)}${warn}`);
    }
    const tries: string[] = [];
    for (const f of fns) {
      const t = f.trigger;
      if (t.kind === 's3' && !streamBuckets.has(t.bucket)) {
        const photo = path.join(PHOTOS_DIR, 'autumn.jpg');
        const file = existsSync(photo) ? rel(photo) : 'some-file.jpg';
        const key = `${t.filter?.prefix ?? ''}My Photos/autumn leaves${t.filter?.suffix ?? '.jpg'}`;
        tries.push(`aws s3 cp ${file} "s3://${t.bucket}/${key}"`);
      }
      if (t.kind === 'sns') {
        tries.push(
          `aws sns publish --topic-arn ${topicArn(t.topic)} --subject "ALARM: checkout-latency-p99" --message file://${rel(samples.alarm)}`,
        );
      }
      if (t.kind === 'firehose-transform') {
        tries.push(`npm run produce -- ${rel(samples.records)}`);
        tries.push(
          `aws firehose put-record --delivery-stream-name ${t.stream} --cli-binary-format raw-in-base64-out --record '{"Data":"{\\"source\\":\\"cli\\",\\"type\\":\\"hello\\",\\"time\\":\\"${new Date().toISOString()}\\",\\"data\\":{}}\\n"}'`,
        );
      }
    }
    for (const f of fns) {
      for (const a of f.access) {
        if (a.mode === 'read' || a.mode === 'publish') continue;
        if (a.resource.kind === 'bucket') tries.push(`aws s3 ls --recursive s3://${a.resource.name}/`);
        if (a.resource.kind === 'table')
          tries.push(`aws dynamodb scan --table-name ${a.resource.name} --max-items 5`);
      }
      if (Object.values(f.environment).some((v) => typeof v !== 'string' && v.kind === 'secret')) {
        tries.push(`curl -s ${e}/_local/slack`);
      }
    }
    for (const s of r.streams.filter((s) => fns.some((f) => f.id === s.processor))) {
      tries.push(`aws s3 ls --recursive s3://${s.destination.bucket}/`);
    }
    const unique = [...new Set(tries)];
    if (unique.length) {
      out.push(`  ${dim('try:')}`);
      for (const t of unique) out.push(`    ${t}`);
    }
    out.push('');
  }
  out.push(`${bold('All pipelines at once:')} npm run demo`);
  out.push(
    `${bold('Inspect:')} ${['health', 'slack', 'dlq', 'firehose'].map((p) => `${e}/_local/${p}`).join('  ')}`,
  );
  out.push(
    dim(
      'Ctrl-C delivers what is buffered (up to 5 s), then stops; anything left is journaled and delivered at the next start.',
    ),
  );
  out.push('');
  return out.join('\n');
}
