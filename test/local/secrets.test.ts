// A real SLACK_WEBHOOK_URL given to functions never reaches the local cloud's own output: a careless
// function (fixtures/leaky.ts) logs and throws the URL in several encodings, echoed back by a webhook
// server on 127.0.0.1, and neither the printed function logs and failure lines nor the dead letters
// (memory and dlq.jsonl) hold it. A generated secret (SecretSpec.generate) is made once per data
// directory, kept owner-only and reused after a restart, differs between data directories, yields to a
// value given for its variable, and is never printed either.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeadLetter } from '../../infra/local/dlq.ts';
import { generatedSecretPath } from '../../infra/local/kinds/secret.ts';
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

const generatedPipeline: PipelineDefinition = {
  name: 'generated',
  title: 'Generated secret',
  description: 'A function given a generated signing key',
  resources: {
    topics: [{ name: 'gen-topic', description: 'SNS trigger' }],
    secrets: [
      { name: 'app/signing-key', description: 'A signing key', localEnv: 'CURSOR_KEY', generate: true },
    ],
  },
  functions: [
    {
      id: 'secret-digest',
      description: 'Logs the digest of its key, then the key',
      entry: 'test/local/fixtures/secret-digest.ts',
      trigger: { kind: 'sns', topic: 'gen-topic' },
      memoryMb: 128,
      timeoutSeconds: 10,
      sizing: 'test',
      environment: { KEY_SECRET_ARN: ref.secret('app/signing-key') },
      access: [{ resource: ref.secret('app/signing-key'), mode: 'read' }],
    },
  ],
};

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

describe('generated secrets', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** Runs the cloud on `dataDir` once, invokes the function, and returns what was printed. */
  async function runOnce(dataDir: string, secrets: Record<string, string> = {}): Promise<string[]> {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    const c = await startTestCloud({
      pipelines: [generatedPipeline],
      dataDir,
      secrets,
      quiet: false,
      functionLogs: 'full',
    });
    try {
      const sns = new SNSClient(c.clientConfig);
      await sns.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:gen-topic', Message: 'go' }),
      );
      sns.destroy();
      await c.settle();
      await waitFor(() => lines.some((l) => l.includes('secret sha256=')), { what: 'the digest line' });
    } finally {
      await c.stop();
      spy.mockRestore();
    }
    return lines;
  }

  it('is made once per data dir (0600), kept across restarts, differs between dirs, yields to a given value, never printed', async () => {
    const a = await mkdtemp(path.join(tmpdir(), 'generated-secret-a-'));
    const b = await mkdtemp(path.join(tmpdir(), 'generated-secret-b-'));
    const c = await mkdtemp(path.join(tmpdir(), 'generated-secret-c-'));
    dirs.push(a, b, c);
    const first = await runOnce(a);
    const file = generatedSecretPath(a, 'app/signing-key');
    const value = await readFile(file, 'utf8');
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const digestLine = `secret sha256=${sha256(value)} length=64`;
    expect(first.some((l) => l.includes(digestLine))).toBe(true);
    // The function did print the value; the cloud redacted it.
    expect(first.some((l) => l.includes('the secret itself: <redacted'))).toBe(true);
    for (const l of first) expect(l).not.toContain(value);

    // A restart on the same directory: the same value (a secret that changed would void every cursor).
    const again = await runOnce(a);
    expect(await readFile(file, 'utf8')).toBe(value);
    expect(again.some((l) => l.includes(digestLine))).toBe(true);
    for (const l of again) expect(l).not.toContain(value);

    // Another data directory: another value.
    await runOnce(b);
    const other = await readFile(generatedSecretPath(b, 'app/signing-key'), 'utf8');
    expect(other).toMatch(/^[0-9a-f]{64}$/);
    expect(other).not.toBe(value);

    // A value given for its variable wins, and no file is made.
    const given = 'g'.repeat(40);
    const withGiven = await runOnce(c, { CURSOR_KEY: given });
    expect(withGiven.some((l) => l.includes(`secret sha256=${sha256(given)} length=40`))).toBe(true);
    await expect(stat(generatedSecretPath(c, 'app/signing-key'))).rejects.toThrow(/ENOENT/);
  }, 120_000);
});
