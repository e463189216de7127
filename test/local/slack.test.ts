// The built-in webhook sink (/_local/webhooks): answers like a Slack incoming webhook, records payloads
// (newest last), and is what a secret with `localFallback: 'webhook-sink'` gives functions unless a value
// is given for the secret's local variable.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ pipelines: [] });
});

afterAll(async () => {
  await cloud?.stop();
});

const post = (body: string) => fetch(`${cloud.endpoint}/_local/webhooks`, { method: 'POST', body });

describe('webhook sink', () => {
  it('accepts payloads like Slack and lists them newest last', async () => {
    const first = await post(JSON.stringify({ text: 'first' }));
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('ok');
    await post(
      JSON.stringify({
        text: 'fallback',
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'second' } }],
      }),
    );
    expect(await cloud.local<Array<{ text: string }>>('webhooks')).toEqual([
      { text: 'first' },
      { text: 'fallback', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'second' } }] },
    ]);
  });

  it('rejects what Slack rejects', async () => {
    const bad = await post('{not json');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('invalid_payload');
    const empty = await post(JSON.stringify({ username: 'x' }));
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe('no_text');
    expect(await cloud.local<unknown[]>('webhooks')).toHaveLength(2);
  });
});

describe('a secret’s local variable', () => {
  it('is given to functions as configured, instead of the sink', async () => {
    const captureDir = await mkdtemp(path.join(tmpdir(), 'local-cloud-slack-'));
    const real = 'https://hooks.slack.com/services/T000/B000/not-a-real-secret';
    const other = await startTestCloud({
      pipelines: [testPipeline],
      secrets: { SLACK_WEBHOOK_URL: real },
      env: { CAPTURE_DIR: captureDir },
    });
    try {
      const s3 = new S3Client(other.clientConfig);
      await s3.send(new PutObjectCommand({ Bucket: 'inbox', Key: 'in/x.txt', Body: 'x' }));
      await other.settle();
      const line = JSON.parse(
        (await readFile(path.join(captureDir, 'capture-s3.jsonl'), 'utf8')).split('\n')[0]!,
      ) as {
        env: Record<string, string>;
      };
      expect(line.env.SLACK_WEBHOOK_URL).toBe(real);
      s3.destroy();
    } finally {
      await other.stop();
      await rm(captureDir, { recursive: true, force: true });
    }
  });
});
