// The local cloud reports the Lambda runtime each function's definition deploys (pipelines/types.ts,
// default nodejs24.x), never a fixed string: in the function's AWS_EXECUTION_ENV (Lambda sets
// `AWS_Lambda_<runtime id>`, AWS docs "Defined runtime environment variables"), in /_local/health, and on the
// start screen. A definition that pins another runtime changes all three.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScreen } from '../../infra/local/start-screen.ts';
import { DEFAULT_RUNTIME, type FunctionSpec, type PipelineDefinition } from '../../pipelines/types.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const capture = (id: string, prefix: string, extra: Partial<FunctionSpec> = {}): FunctionSpec => ({
  id,
  description: 'Records its AWS_EXECUTION_ENV',
  entry: 'test/local/fixtures/runtime-env.ts',
  trigger: { kind: 's3', bucket: 'rt-inbox', events: ['s3:ObjectCreated:*'], filter: { prefix } },
  memoryMb: 128,
  timeoutSeconds: 10,
  sizing: 'test',
  environment: {},
  access: [],
  ...extra,
});

const pipeline: PipelineDefinition = {
  name: 'runtime-test',
  title: 'Runtime test pipeline',
  description: 'One function on the default runtime, one pinned to nodejs22.x',
  resources: { buckets: [{ name: 'rt-inbox', description: 'Triggers both functions by prefix' }] },
  functions: [capture('on-default', 'default/'), capture('on-pinned', 'pinned/', { runtime: 'nodejs22.x' })],
};

let cloud: TestCloud;
let captureDir: string;

beforeAll(async () => {
  captureDir = await mkdtemp(path.join(tmpdir(), 'local-runtime-'));
  cloud = await startTestCloud({ pipelines: [pipeline], env: { CAPTURE_DIR: captureDir } });
});

afterAll(async () => {
  await cloud?.stop();
  await rm(captureDir, { recursive: true, force: true });
});

describe('the runtime the local cloud reports', () => {
  it('is the definition’s: AWS_EXECUTION_ENV inside each function', async () => {
    const s3 = new S3Client(cloud.clientConfig);
    await s3.send(new PutObjectCommand({ Bucket: 'rt-inbox', Key: 'default/a.txt', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'rt-inbox', Key: 'pinned/b.txt', Body: 'b' }));
    await cloud.settle();
    s3.destroy();
    const env = async (id: string) => {
      const lines = (await readFile(path.join(captureDir, `${id}.jsonl`), 'utf8'))
        .split('\n')
        .filter(Boolean);
      return lines.map((l) => (JSON.parse(l) as { AWS_EXECUTION_ENV?: string }).AWS_EXECUTION_ENV);
    };
    expect(DEFAULT_RUNTIME).toBe('nodejs24.x');
    expect(await env('on-default')).toEqual(['AWS_Lambda_nodejs24.x']);
    expect(await env('on-pinned')).toEqual(['AWS_Lambda_nodejs22.x']);
  });

  it('is the definition’s in /_local/health, next to the host Node that actually runs the code', async () => {
    const health = await cloud.local<{ hostNode: string; functions: Array<{ id: string; runtime: string }> }>(
      'health',
    );
    expect(health.hostNode).toBe(process.version);
    expect(health.functions.map((f) => [f.id, f.runtime])).toEqual([
      ['on-default', 'nodejs24.x'],
      ['on-pinned', 'nodejs22.x'],
    ]);
  });

  it('is the definition’s on the start screen', () => {
    const screen = startScreen(cloud, new Map(), '1 MiB / 5 s');
    const line = screen.split('\n').find((l) => l.includes('Lambda runtime'));
    expect(line).toContain('nodejs24.x, nodejs22.x');
    expect(line).toContain(process.version);
  });
});
