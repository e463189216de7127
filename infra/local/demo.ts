// `npm run demo`: drives every pipeline of a running local cloud (`npm start` in another terminal) with
// the unmodified AWS SDK. Per pipeline: sends each function's sample (FunctionSpec.local.sample) the way
// its trigger kind does (an S3 upload, an SNS publish, Firehose records), lets the cloud settle, then
// prints what changed where the functions leave results (their `access`, and their trigger's results),
// what the triggers read back themselves (e.g. the HTTP API's GETs), and any dead letters. Everything comes from the definitions and the kinds' plug-ins (kinds/). The cloud
// is found through LOCAL_PORT if set, else through the lock file of its data directory (LOCAL_DATA_DIR).
import './quiet-warnings.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { pipelines } from '../../pipelines/index.ts';
import type { AccessMode, ResourceRef } from '../../pipelines/types.ts';
import { DEFAULTS, REPO_ROOT, readLocalEnv } from './config.ts';
import type { DeadLetter } from './dlq.ts';
import { lookup, resourceKind, triggerKind } from './kinds/index.ts';
import type { DemoClients, DemoWatch } from './kinds/types.ts';
import { runningCloud } from './lock.ts';
import { REGION } from './names.ts';
import { collectResources } from './resources.ts';

async function findEndpoint(): Promise<{ endpoint: string; how: string }> {
  const env = readLocalEnv();
  const host = env.LOCAL_HOST ?? DEFAULTS.host;
  if (env.LOCAL_PORT !== undefined)
    return { endpoint: `http://${host}:${env.LOCAL_PORT}`, how: 'LOCAL_PORT' };
  const dataDir = path.resolve(env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.local'));
  const holder = await runningCloud(dataDir);
  if (holder?.endpoint) return { endpoint: holder.endpoint, how: `the cloud running on ${dataDir}` };
  return { endpoint: `http://${host}:${DEFAULTS.port}`, how: 'the default port' };
}

async function main(): Promise<void> {
  const { endpoint, how } = await findEndpoint();
  const local = async <T>(p: string, init?: RequestInit): Promise<T> =>
    (await (await fetch(`${endpoint}/_local/${p}`, init)).json()) as T;
  try {
    const res = await fetch(`${endpoint}/_local/health`);
    if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  } catch (err) {
    console.error(`No healthy local cloud at ${endpoint} (from ${how}): ${(err as Error).message}.`);
    console.error(
      'Start it first in another terminal with `npm start`, then run `npm run demo` again (with the same LOCAL_DATA_DIR, or LOCAL_PORT, if you set one).',
    );
    process.exit(1);
  }
  const config = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const demo: DemoClients = {
    endpoint,
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sns: new SNSClient(config),
    firehose: new FirehoseClient(config),
    dynamo: new DynamoDBClient(config),
    local: (p) => local(p),
  };
  const catalog = collectResources(pipelines);
  const seenDead = new Set((await local<DeadLetter[]>('dlq')).map((d) => JSON.stringify(d)));
  console.log(`Demo against ${endpoint} (found from ${how})\n`);

  for (const p of catalog.pipelines) {
    const fns = catalog.functions.filter((f) => f.pipeline === p.name);
    const sampled = fns.filter((f) => f.local?.sample);
    if (sampled.length === 0) continue;
    console.log(`${p.title}: ${p.description}`);
    try {
      // Where the pipeline's functions leave results, each watched once.
      const watched = new Map<string, DemoWatch>();
      for (const f of fns) {
        const entries: Array<{ resource: ResourceRef; mode: AccessMode }> = [
          ...f.access,
          ...triggerKind(f.trigger).results(f.trigger, catalog),
        ];
        for (const a of entries) {
          const id = `${a.resource.kind}:${a.resource.name}`;
          if (watched.has(id)) continue;
          const w = resourceKind(a.resource.kind).watch?.(lookup(catalog, a.resource), a.mode, demo);
          if (w) watched.set(id, w);
        }
      }
      const before = new Map<string, unknown>();
      for (const [id, w] of watched) before.set(id, await w.snapshot());
      const contents = new Map<string, Buffer>();
      for (const f of sampled) {
        const sample = f.local!.sample!;
        const content = sample.file
          ? await readFile(path.resolve(REPO_ROOT, sample.file))
          : Buffer.from(sample.content?.() ?? '');
        contents.set(f.id, content);
        console.log(`  ↑ ${await triggerKind(f.trigger).send(f.trigger, sample, content, demo)}`);
      }
      console.log('    waiting for the pipeline to settle (POST /_local/settle flushes buffers at once)…');
      await local('settle', { method: 'POST' });
      let results = 0;
      for (const [id, w] of watched) {
        for (const line of await w.changes(before.get(id))) {
          console.log(`  ✓ ${line}`);
          results++;
        }
      }
      for (const f of sampled) {
        const kind = triggerKind(f.trigger);
        for (const line of (await kind.check?.(f.trigger, f.local!.sample!, contents.get(f.id)!, demo)) ??
          []) {
          console.log(`  ✓ ${line}`);
          results++;
        }
      }
      const dead = (await local<DeadLetter[]>('dlq')).filter(
        (d) => fns.some((f) => f.id === d.functionId) && !seenDead.has(JSON.stringify(d)),
      );
      for (const d of dead) {
        seenDead.add(JSON.stringify(d));
        console.log(`  ✗ DLQ: ${d.functionId}: ${d.error.errorType}: ${d.error.errorMessage}`);
      }
      if (results === 0 && dead.length === 0)
        console.log('  ✗ no results and no dead letters: see the `npm start` terminal');
    } catch (err) {
      console.log(`  ✗ ${(err as Error).name}: ${(err as Error).message}`);
    }
    console.log('');
  }
  for (const c of [demo.s3, demo.sns, demo.firehose, demo.dynamo]) c.destroy();
}

await main();
