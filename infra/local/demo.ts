// `npm run demo`: drives every pipeline of a running local cloud (`npm start` in another terminal) with
// the unmodified AWS SDK: uploads a real photo, publishes a CloudWatch alarm, streams 1,000 records, then
// prints where each result landed. What to send where is derived from the pipeline definitions.
import './quiet-warnings.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { pipelines } from '../../pipelines/index.ts';
import { putRecords } from '../../pipelines/stream-etl/producer.ts';
import { buildAlarmMessage } from '../../shared/events/builders.ts';
import { sleep } from '../../shared/retry.ts';
import { DEFAULTS, readLocalEnv } from './config.ts';
import type { DeadLetter } from './dlq.ts';
import type { DeliveryReport } from './firehose/api.ts';
import { topicArn } from './names.ts';
import { collectResources } from './resources.ts';
import { type SlackPayload, summarise } from './slack-sink.ts';
import { PHOTOS_DIR } from './start-screen.ts';

const env = readLocalEnv();
const endpoint = `http://${env.LOCAL_HOST ?? DEFAULTS.host}:${env.LOCAL_PORT ?? DEFAULTS.port}`;
const config = {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const s3 = new S3Client({ ...config, forcePathStyle: true });
const sns = new SNSClient(config);
const firehose = new FirehoseClient(config);
const dynamo = new DynamoDBClient(config);
const resources = collectResources(pipelines);
const streamBuckets = new Set(resources.streams.map((s) => s.destination.bucket));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');

const local = async <T>(p: string, init?: RequestInit): Promise<T> =>
  (await (await fetch(`${endpoint}/_local/${p}`, init)).json()) as T;
const kb = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;

async function until<T>(what: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await what();
    if (v !== undefined) return v;
    await sleep(250);
  }
  return undefined;
}

async function listKeys(bucket: string, prefix = ''): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

async function countItems(table: string): Promise<number> {
  let count = 0;
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

async function imageDemo(): Promise<void> {
  for (const fn of resources.functions) {
    const t = fn.trigger;
    if (t.kind !== 's3' || streamBuckets.has(t.bucket)) continue;
    const photo = path.join(PHOTOS_DIR, 'autumn.jpg');
    if (!existsSync(photo)) {
      console.log(`  (skipped: ${photo} not found)`);
      continue;
    }
    const base = `demo/${stamp} autumn leaves`;
    const key = `${t.filter?.prefix ?? ''}${base}${t.filter?.suffix ?? '.jpg'}`;
    const body = await readFile(photo);
    await s3.send(
      new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: body, ContentType: 'image/jpeg' }),
    );
    console.log(`  ↑ uploaded ${path.basename(photo)} (${kb(body.length)}) to s3://${t.bucket}/${key}`);
    const outputs = fn.access
      .filter((a) => a.resource.kind === 'bucket' && a.mode !== 'read')
      .map((a) => a.resource.name);
    const found = await until(async () => {
      const hits = (
        await Promise.all(
          outputs.map(async (b) =>
            (await listKeys(b)).filter((o) => o.key.includes(base)).map((o) => ({ b, ...o })),
          ),
        )
      ).flat();
      return hits.length >= 3 ? hits : undefined;
    }, 60_000);
    if (!found) {
      await reportFailures(fn.id, `no output from ${fn.id} in ${outputs.join(', ')} after 60 s`);
      continue;
    }
    for (const o of found) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: o.b, Key: o.key }));
      console.log(`  ✓ s3://${o.b}/${o.key}  ${kb(o.size)}  ${head.ContentType ?? ''}`);
    }
  }
}

async function alarmDemo(): Promise<void> {
  for (const fn of resources.functions) {
    const t = fn.trigger;
    if (t.kind !== 'sns') continue;
    const before = (await local<SlackPayload[]>('slack')).length;
    const alarm = buildAlarmMessage({
      name: `demo-checkout-latency-${stamp}`,
      state: 'ALARM',
      oldState: 'OK',
    });
    const out = await sns.send(
      new PublishCommand({
        TopicArn: topicArn(t.topic),
        Subject: `ALARM: "${alarm.AlarmName}" in ${alarm.Region}`,
        Message: JSON.stringify(alarm),
      }),
    );
    console.log(
      `  ↑ published alarm ${alarm.AlarmName} to ${topicArn(t.topic)} (MessageId ${out.MessageId})`,
    );
    const payload = await until(async () => (await local<SlackPayload[]>('slack')).slice(before)[0], 20_000);
    if (payload) console.log(`  ✓ Slack sink (${endpoint}/_local/slack): ${summarise(payload)}`);
    else
      await reportFailures(
        fn.id,
        'nothing reached the built-in Slack sink in 20 s (with SLACK_WEBHOOK_URL set, look in Slack)',
      );
  }
}

async function streamDemo(): Promise<void> {
  for (const stream of resources.streams) {
    const bucket = stream.destination.bucket;
    const loaders = resources.functions.filter((f) => f.trigger.kind === 's3' && f.trigger.bucket === bucket);
    const tables = [
      ...new Set(
        loaders.flatMap((f) =>
          f.access
            .filter((a) => a.resource.kind === 'table' && a.mode !== 'read')
            .map((a) => a.resource.name),
        ),
      ),
    ];
    const keysBefore = new Set((await listKeys(bucket)).map((o) => o.key));
    const itemsBefore = new Map(
      await Promise.all(tables.map(async (t) => [t, await countItems(t)] as const)),
    );
    const reportsBefore = (await local<DeliveryReport[]>('firehose')).length;
    const types = ['page.view', 'click', 'order.created', 'search'];
    const records = Array.from({ length: 1_000 }, (_, i) =>
      i % 100 === 99
        ? `{"source":"demo","type":"broken",` // 1% deliberately invalid JSON
        : JSON.stringify({
            eventId: `demo-${stamp}-${i}`,
            source: 'demo',
            type: i % 50 === 7 ? 'heartbeat' : types[i % types.length],
            time: new Date(Date.now() - i * 1000).toISOString(),
            data: { i, amount: (i * 37) % 500 },
          }),
    );
    // The project's producer: chunks within Firehose's limits and resends only the records that failed.
    const sent = await putRecords(records, { streamName: stream.name, client: firehose });
    const failed = sent.failed.length;
    console.log(
      `  ↑ put ${records.length - failed} records to Firehose stream ${stream.name} (10 invalid, ~20 heartbeats)`,
    );
    console.log(
      '    flushing the buffer now (POST /_local/settle) instead of waiting for the buffer interval…',
    );
    await local('settle', { method: 'POST' });
    const reports = (await local<DeliveryReport[]>('firehose')).slice(reportsBefore);
    const sum = (k: 'ok' | 'dropped' | 'failed') => reports.reduce((n, r) => n + r[k], 0);
    console.log(`  ✓ transform: ${sum('ok')} Ok, ${sum('dropped')} Dropped, ${sum('failed')} failed`);
    const added = (await listKeys(bucket)).filter((o) => !keysBefore.has(o.key));
    for (const o of added) console.log(`  ✓ s3://${bucket}/${o.key}  ${kb(o.size)}`);
    for (const t of tables) {
      const now = await countItems(t);
      console.log(`  ✓ DynamoDB table ${t}: ${now} items (${now - (itemsBefore.get(t) ?? 0)} new)`);
    }
    for (const f of loaders) await reportFailures(f.id);
  }
}

const dlqBefore = new Set<string>();
async function reportFailures(functionId: string, problem?: string): Promise<void> {
  const fresh = (await local<DeadLetter[]>('dlq')).filter(
    (d) => d.functionId === functionId && !dlqBefore.has(JSON.stringify(d)),
  );
  if (problem) console.log(`  ✗ ${problem}`);
  for (const d of fresh.slice(-3))
    console.log(`  ✗ DLQ: ${d.functionId}: ${d.error.errorType}: ${d.error.errorMessage}`);
}

async function main(): Promise<void> {
  try {
    const res = await fetch(`${endpoint}/_local/health`);
    if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  } catch (err) {
    console.error(`No healthy local cloud at ${endpoint} (${(err as Error).message}).`);
    console.error('Start it first in another terminal with `npm start`, then run `npm run demo` again.');
    process.exit(1);
  }
  for (const d of await local<DeadLetter[]>('dlq')) dlqBefore.add(JSON.stringify(d));
  console.log(`Demo against ${endpoint}\n`);
  const sections: Array<[string, () => Promise<void>]> = [
    ['Image pipeline: a real photo into the upload bucket', imageDemo],
    ['Alarm pipeline: a CloudWatch alarm through SNS', alarmDemo],
    ['Stream pipeline: 1,000 records through Firehose', streamDemo],
  ];
  for (const [title, run] of sections) {
    console.log(title);
    try {
      await run();
    } catch (err) {
      console.log(`  ✗ ${(err as Error).name}: ${(err as Error).message}`);
    }
    console.log('');
  }
  for (const c of [s3, sns, firehose, dynamo]) c.destroy();
}

await main();
