// Starts the local S3 engine alone (infra/local/s3) on a free loopback port with a fresh data directory,
// recording every change it reports, for the S3 conformance tests. The same engine the edge serves; the
// edge path itself is covered by test/local/services.test.ts. Also: the engine in a child process
// (test/local/fixtures/s3-engine-child.ts) for SIGKILL tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { type S3Backend, startS3Engine } from '../../infra/local/s3/index.ts';
import type { S3Change } from '../../infra/local/s3.ts';

export interface TestS3 {
  endpoint: string;
  port: number;
  root: string;
  /** The engine's directory (root/s3). */
  dir: string;
  client: S3Client;
  changes: S3Change[];
  backend: S3Backend;
  /** Closes the engine and server; the data stays (for restart tests) until `cleanup`. */
  close(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startTestS3(opts: { root?: string } = {}): Promise<TestS3> {
  const root = opts.root ?? (await mkdtemp(path.join(tmpdir(), 'local-s3-test-')));
  const dir = path.join(root, 's3');
  const changes: S3Change[] = [];
  const backend = await startS3Engine(dir, (c) => {
    changes.push(c);
  });
  const server = http.createServer((req, res) => {
    backend.handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await backend.close();
  };
  return {
    endpoint,
    port,
    root,
    dir,
    client,
    changes,
    backend,
    close,
    async cleanup() {
      await close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { Code?: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { Code?: string; $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The engine on `dir` in a child process (so that a test can SIGKILL it), once it listens. */
export async function startEngineChild(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/local/fixtures/s3-engine-child.ts', dir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error('engine child exited')));
  });
  return { child, port };
}
