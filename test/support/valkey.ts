// A real Valkey (or Redis) server for tests, started by the local cloud's own cache-server module
// (infra/local/cache-server.ts). Without a server on PATH, suites skip locally and fail under CI (CI=true,
// where .ci/run installs redis-server).
import { type CacheServer, cacheServerBinary, startCacheServer } from '../../infra/local/cache-server.ts';

export type TestValkey = CacheServer;

/** Skip locally, fail in CI, when no server is installed. */
export function requireValkey(suite: string): boolean {
  if (cacheServerBinary()) return true;
  if (process.env.CI === 'true') throw new Error(`${suite}: valkey-server or redis-server is required in CI`);
  console.warn(
    `${suite}: no valkey-server or redis-server on PATH (apt-get install redis-server); suite skipped`,
  );
  return false;
}

export const startValkey = (): Promise<TestValkey> => startCacheServer();
