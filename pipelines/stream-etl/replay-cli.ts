// `npm run replay -- [--bucket lake] [--stream events] [--prefix errors/] [--dry-run] [--json]`: re-drives
// the records under the lake's error prefix back into the delivery stream (pipelines/stream-etl/replay.ts)
// and prints what it read, re-sent, skipped as still invalid (with reasons) and could not send. Exit code
// 1 when a record could not be sent or an object not processed, 2 on bad usage or an error (e.g. the
// bucket cannot be listed); still-invalid records are expected and reported, not an error. Against the local cloud:
//   AWS_ENDPOINT_URL=http://127.0.0.1:4566 npm run replay -- --dry-run
// On AWS, --bucket and --stream are the stack outputs BucketLakeName and StreamEventsName.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_ERROR_ROOT, type ReplayReport, replayErrors } from './replay.ts';

const USAGE = `usage: npm run replay -- [options]
  --bucket <name>        lake bucket (env LAKE_BUCKET; default lake; on AWS: stack output BucketLakeName)
  --stream <name>        delivery stream (env EVENTS_STREAM; default events; on AWS: StreamEventsName)
  --prefix <prefix>      only error objects under it (default ${DEFAULT_ERROR_ROOT}, the whole error prefix)
  --endpoint-url <url>   AWS endpoint override (like AWS_ENDPOINT_URL), e.g. http://127.0.0.1:4566
  --max-objects <n>      stop after n objects
  --attempts <n>         PutRecordBatch rounds per object (default 8)
  --dry-run              judge and report only: send nothing, change nothing
  --json                 print the full report as JSON`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number`);
  return n;
}

class UsageError extends Error {}

function summary(r: ReplayReport): string[] {
  const lines = [
    `${r.dryRun ? 'DRY RUN: ' : ''}${r.objectsRead} error objects read, ${r.recordsFound} records found`,
    `  ${r.dryRun ? 'would re-send' : 're-sent'}: ${r.resent}`,
    `  still invalid (skipped, left in place): ${r.stillInvalid}${
      r.stillInvalid
        ? ` (${Object.entries(r.invalidByCode)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `  dropped by the transform's DROP_TYPES (resolved, not sent): ${r.dropped}`,
    `  failed to send (left in place for the next run): ${r.failed}`,
    `  objects not processed (S3 errors): ${r.objectErrors.length}`,
  ];
  if (!r.dryRun) {
    lines.push(
      `  objects moved to ${DEFAULT_ERROR_ROOT}replayed/${r.runId}/: ${r.objectsMoved}, rewritten with their leftovers: ${r.objectsRewritten}`,
    );
  }
  for (const i of r.invalid.slice(0, 50))
    lines.push(`  invalid ${i.key} line ${i.line} [${i.errorCode}]: ${i.reason}`);
  if (r.stillInvalid > 50) lines.push(`  ... and ${r.stillInvalid - 50} more invalid`);
  for (const o of r.objectErrors) lines.push(`  object not processed ${o.key}: ${o.error}`);
  for (const f of r.failures.slice(0, 50)) {
    lines.push(`  not sent ${f.key} line ${f.line}: ${f.errorCode}: ${f.errorMessage}`);
  }
  return lines;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      bucket: { type: 'string', default: process.env.LAKE_BUCKET || 'lake' },
      stream: { type: 'string', default: process.env.EVENTS_STREAM || 'events' },
      prefix: { type: 'string' },
      'endpoint-url': { type: 'string' },
      'max-objects': { type: 'string' },
      attempts: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const maxObjects = positiveInt('max-objects', values['max-objects']);
  const maxAttempts = positiveInt('attempts', values.attempts);
  if (values['endpoint-url']) process.env.AWS_ENDPOINT_URL = values['endpoint-url'];
  const endpoint = process.env.AWS_ENDPOINT_URL;
  // Convenience for the local cloud: it accepts any credentials, so supply dummy ones when none are set.
  if (/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint ?? '')) {
    process.env.AWS_REGION ||= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ||= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ||= 'test';
  }
  // Path-style S3 addressing whenever the endpoint is overridden (`bucket.127.0.0.1` cannot resolve).
  const s3 = new S3Client({ forcePathStyle: Boolean(endpoint || process.env.AWS_ENDPOINT_URL_S3) });
  const firehose = new FirehoseClient({});
  try {
    const report = await replayErrors({
      bucket: values.bucket,
      streamName: values.stream,
      s3,
      firehose,
      prefix: values.prefix,
      dryRun: values['dry-run'],
      maxObjects,
      produce: maxAttempts ? { maxAttempts } : undefined,
      onObject: (o) =>
        process.stderr.write(
          `${o.key}: ${o.records} records, ${o.resent} re-sent, ${o.stillInvalid} invalid, ${o.failed} failed → ${o.action}\n`,
        ),
    });
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else for (const line of summary(report)) console.log(line);
    return report.failed || report.objectErrors.length ? 1 : 0;
  } finally {
    s3.destroy();
    firehose.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`);
      else console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
      process.exitCode = 2;
    },
  );
}
