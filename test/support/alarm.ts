// Test support for the alarm pipeline: a real dynalite on a free loopback port (idempotency table made
// with the SDK), a real HTTP server on 127.0.0.1 standing in for Slack with scripted answers, a
// Lambda-shaped context with a chosen remaining time, and capture of everything written to stdout/stderr.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import dynalite from 'dynalite';
import { vi } from 'vitest';
import type { AlarmConfig } from '../../pipelines/alarm-to-slack/config.ts';
import { createNotifier } from '../../pipelines/alarm-to-slack/notifier.ts';
import { createWebhookResolver } from '../../pipelines/alarm-to-slack/webhooks.ts';
import { createLogger } from '../../shared/logger.ts';
import { functionContext } from './lambda.ts';

export interface Dynalite {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  client: DynamoDBClient;
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    client,
    async createTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface SlackReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface FakeSlack {
  /** A webhook URL on the server, with a secret-looking path. */
  url: string;
  /** Parsed JSON bodies of every request, in arrival order. */
  requests: unknown[];
  close(): Promise<void>;
}

/** A Slack stand-in: answers the n-th request with `replies(n)` (n from 0). */
export async function startFakeSlack(replies: (n: number) => SlackReply): Promise<FakeSlack> {
  const requests: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const reply = replies(n);
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? (reply.status === 200 ? 'ok' : ''));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T0SECRET/B0SECRET/xoxSecretToken123`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const lambdaContext = (remainingMs: number): Context =>
  functionContext('alarm-to-slack', { remainingMs, memoryMb: 256 });

export function testConfig(overrides: Partial<AlarmConfig> & { url?: string } = {}): AlarmConfig {
  const { url, ...rest } = overrides;
  return {
    defaultWebhook: { kind: 'url', url: url ?? 'http://127.0.0.1:9/unused' },
    idempotencyTable: 'idempotency',
    idempotencyTtlSeconds: 86_400,
    routes: [],
    safetyMarginMs: 200,
    requestTimeoutMs: 2_000,
    ...rest,
  };
}

/** A notifier wired as the handler wires it, but to the given dynalite table and Slack URL. */
export function notifierFor(db: Dynalite, config: AlarmConfig, env: Record<string, string> = {}) {
  return createNotifier({
    config,
    logger: createLogger('alarm-to-slack-test'),
    resolver: createWebhookResolver(config, { env }),
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: config.idempotencyTable,
      awsSdkV3Client: db.client,
    }),
    delivery: { baseDelayMs: 20, maxDelayMs: 100 },
  });
}

/** Captures everything written to stdout and stderr (Powertools Logger writes there) while `fn` runs. */
export async function captureOutput<T>(
  fn: () => Promise<T>,
): Promise<{ result?: T; error?: unknown; output: string }> {
  let output = '';
  const grab = (chunk: unknown) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab);
  try {
    return { result: await fn(), output };
  } catch (error) {
    return { error, output };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
