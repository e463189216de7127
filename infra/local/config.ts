// Settings of the local cloud: options passed to startLocalCloud win, then environment variables
// (validated with the project's config helper, so a bad value gets a clear message), then defaults.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envInt, loadConfig } from '../../shared/config.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const EnvSchema = z.object({
  LOCAL_PORT: envInt({ min: 0, max: 65_535 }).optional(),
  LOCAL_HOST: z.string().min(1).optional(),
  LOCAL_DATA_DIR: z.string().min(1).optional(),
  LOCAL_FIREHOSE_BUFFER_BYTES: envInt({ min: 1 }).optional(),
  LOCAL_FIREHOSE_BUFFER_INTERVAL_MS: envInt({ min: 1 }).optional(),
  LOCAL_ASYNC_RETRY_DELAY_MS: envInt({ min: 0 }).optional(),
  LOCAL_DEFAULT_CONCURRENCY: envInt({ min: 1, max: 64 }).optional(),
  LOCAL_WORKER_IDLE_MS: envInt({ min: 0 }).optional(),
  LOCAL_POOL_SIZING: z.enum(['cores', 'reserved']).optional(),
  /** `summary` (default): one line per invocation; `full`: also the function's logs; `off` (or `0`). `1` = full. */
  LOCAL_FUNCTION_LOGS: z.enum(['off', 'summary', 'full', '0', '1']).optional(),
  LOCAL_STOP_GRACE_MS: envInt({ min: 0 }).optional(),
  /** `off`: no cache servers even when valkey-server or redis-server is on PATH (functions run uncached). */
  LOCAL_CACHE: z.enum(['on', 'off']).optional(),
});

export type LocalEnv = z.infer<typeof EnvSchema>;

export function readLocalEnv(env: Record<string, string | undefined> = process.env): LocalEnv {
  // Empty variables count as unset (e.g. `LOCAL_PORT= npm start`).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return loadConfig(EnvSchema, cleaned);
}

export const DEFAULTS = {
  port: 4566,
  host: '127.0.0.1',
  firehoseBufferBytes: 1024 * 1024,
  firehoseIntervalMs: 5_000,
  asyncRetryDelayMs: 1_000,
  concurrency: 4,
  /** An idle worker is terminated after this long (0 = never), so its memory returns to the system. */
  workerIdleMs: 60_000,
  /**
   * V8's young generation of each function worker, MB (two semi-spaces and the new large-object space,
   * a third each). V8's default for a worker is 48 MB, and an allocating handler soon keeps its two
   * 16 MB semi-spaces resident: with several workers in one process that is most of their heap. A function
   * whose definition says `local.largeRequests` gets Lambda's sizing instead (localYoungGenerationMb).
   */
  workerYoungGenerationMb: 12,
  /** The most young generation a worker gets, MB: V8's own default for a worker. */
  workerYoungGenerationCapMb: 48,
};
