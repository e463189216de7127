// A real SLACK_WEBHOOK_URL given to functions never reaches the local cloud's own output: a careless
// function (fixtures/leaky.ts) logs and throws the URL in several encodings, echoed back by a webhook
// server on 127.0.0.1, and neither the printed function logs and failure lines nor the dead letters
// (memory and dlq.jsonl) hold it.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeadLetter } from '../../infra/local/dlq.ts';
import { type PipelineDefinition, ref } from '../../pipelines/types.ts';
import { startTestCloud, type TestCloud, waitFor } from '../support/local-cloud.ts';

const leakyPipeline: PipelineDefinition = {
  name: 'leaky',
  title: 'Leaky',
  description: 'A function careless with its webhook URL',
  resources: {
    buckets: [],
    topics: [{ name: 'leak-topic', description: 'SNS trigger' }],
    tables: [],
    secrets: [{ name: 'hook', description: 'A webhook URL', localEnv: 'SLACK_WEBHOOK_URL' }],
    streams: [],
  },
  functions: [
    {
      id: 'leaky',
      description: 'Echoes its webhook URL into logs and errors',
      entry: 'test/local/fixtures/leaky.ts',
      trigger: { kind: 'sns', topic: 'leak-topic' },
      memoryMb: 128,
      timeoutSeconds: 10,
      sizing: 'test',
      environment: { HOOK_SECRET_ARN: ref.secret('hook') },
      access: [{ resource: ref.secret('hook'), mode: 'read' }],
    },
  ],
};

let echo: http.Server;
let webhookUrl: string;
let cloud: TestCloud;
const printed: string[] = [];

/** True when `text` holds the webhook token in any encoding (decoded, unescaped, case-folded). */
function leaks(text: string): boolean {
  let t = text.toLowerCase();
  for (let i = 0; i < 3; i++) {
    t = t.replaceAll('\\u002f', '/').replaceAll('\\/', '/');
    try {
      t = decodeURIComponent(t);
    } catch {
      // keep what we have
    }
  }
  return t.includes('xoxleakytoken42');
}

beforeAll(async () => {
  echo = http.createServer((req, res) => {
    const url = `http://${req.headers.host}${req.url}`;
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(
      `${JSON.stringify({ error: 'invalid_token', url }).replaceAll('/', '\\/')} ${encodeURIComponent(url)} ${url.toUpperCase()}`,
    );
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/services/T0LEAK/B0LEAK/xoxLeakyToken42`;
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
  });
  cloud = await startTestCloud({
    pipelines: [leakyPipeline],
    secrets: { SLACK_WEBHOOK_URL: webhookUrl },
    quiet: false,
    functionLogs: 'full',
  });
});

afterAll(async () => {
  await cloud?.stop();
  vi.restoreAllMocks();
  await new Promise<void>((r) => echo.close(() => r()));
});

describe('secrets given to functions', () => {
  it('are redacted from function logs, failure lines and dead letters', async () => {
    const sns = new SNSClient(cloud.clientConfig);
    await sns.send(
      new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:leak-topic', Message: 'go' }),
    );
    sns.destroy();
    const dlq = await waitFor(
      async () => {
        const d = await cloud.local<DeadLetter[]>('dlq');
        return d.length > 0 && d;
      },
      { what: 'a dead letter' },
    );
    // The function did run and did echo (otherwise there would be nothing to redact).
    expect(printed.some((l) => l.includes('webhook answered 403'))).toBe(true);
    expect(printed.some((l) => l.includes('<redacted'))).toBe(true);
    expect(JSON.stringify(dlq)).toContain('<redacted');
    for (const line of printed) expect(leaks(line), line).toBe(false);
    expect(leaks(JSON.stringify(dlq))).toBe(false);
    await cloud.settle();
    const stored = await readFile(path.join(cloud.dataDir, 'dlq.jsonl'), 'utf8');
    expect(stored).toContain('<redacted');
    expect(leaks(stored)).toBe(false);
  });
});
