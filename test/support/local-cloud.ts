// Starts a local cloud for a test: a free port, a fresh temporary data directory, quiet, and small
// Firehose buffers and retry delays, so that end-to-end tests run in seconds. Sets nothing global: pass
// `clientConfig` to each AWS SDK client (`new S3Client(cloud.clientConfig)`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../infra/local/cloud.ts';

export interface TestClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
}

export interface TestCloud extends LocalCloud {
  clientConfig: TestClientConfig;
  /** GET /_local/<path> as JSON (e.g. `await cloud.local('dlq')`). */
  local<T = unknown>(pathName: string): Promise<T>;
  /** Stops the cloud and deletes its data directory (unless `keepData` was set). */
  stop(): Promise<void>;
}

export interface TestCloudOptions extends Partial<LocalCloudOptions> {
  /** Keep the data directory after stop (for restart tests; pass the same `dataDir` again). */
  keepData?: boolean;
}

export async function startTestCloud(opts: TestCloudOptions = {}): Promise<TestCloud> {
  const { keepData, ...options } = opts;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'local-cloud-test-')));
  const cloud = await startLocalCloud({
    port: 0,
    quiet: true,
    firehoseBuffer: { sizeBytes: 256 * 1024, intervalMs: 200 },
    asyncRetryDelayMs: 50,
    ...options,
    dataDir,
  });
  const clientConfig: TestClientConfig = {
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
  };
  return {
    ...cloud,
    clientConfig,
    async local<T>(pathName: string): Promise<T> {
      const res = await fetch(`${cloud.endpoint}/_local/${pathName.replace(/^\/+/, '')}`);
      return (await res.json()) as T;
    },
    async stop() {
      await cloud.stop();
      if (!keepData && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  {
    timeoutMs = 20_000,
    intervalMs = 50,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export type { LocalCloud, LocalCloudOptions };
