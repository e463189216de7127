// Cache-aside for the events API's reads, in Valkey (ElastiCache Serverless on AWS, valkey-server or
// redis-server locally), with freshness as a contract rather than a TTL guess:
// - The loader, after its writes for an object are acknowledged by DynamoDB, bumps a generation counter per
//   (source, UTC day) it wrote and per source (`bumpGenerations`).
// - A cached page's key holds the generations of every day its range covers (or of its source, for the
//   latest-N read), read in the same round trip as nothing else: one MGET. A bump therefore changes the key
//   of every page that could contain the new events, including backfills with old timestamps, and the
//   stale entry is simply never read again (it expires by TTL).
// - Pages filled into the cache come from strongly consistent reads, so a page read after a bump sees
//   everything written before the bump.
// Freshness bound: once the loader's invocation has finished, no query answers without its events, unless
// the loader could not reach the cache (then it logs it and counts `CacheErrors`), in which case entries
// expire after `ttlSeconds` (60 s by default). A cache that is down or slow is skipped: the read goes to
// DynamoDB, with a log line and a `CacheErrors` metric, never an error to the caller.
// The Valkey client (iovalkey) is loaded with a dynamic `import()` when a QueryCache is constructed, not at
// module load: in the deployed bundle esbuild turns it into a lazy initialiser, so a function whose
// CACHE_URL is empty (deployed with `-c cache=false`) never evaluates the client's modules at cold start.
import { createHash } from 'node:crypto';
import type { Valkey } from 'iovalkey';

export { daysCovered, MAX_CACHED_DAYS } from './cache-days.ts';

export interface CacheOptions {
  /** `redis://host:port` or `rediss://host:port` (TLS, as ElastiCache Serverless requires). */
  url: string;
  /** Fallback expiry of every entry; bounds staleness only when a bump was lost. Default 60. */
  ttlSeconds?: number;
  /** Per command; a slower cache is treated as down for that request. Default 150 ms. */
  commandTimeoutMs?: number;
  /**
   * How long a request waits for the connection when there is none yet (a cold start); after a failed
   * wait, requests do not wait again for 5 s (they go straight to DynamoDB). Default 500 ms.
   */
  connectWaitMs?: number;
  /** Called on every cache failure (log + metric); the operation then behaves as a miss / no-op. */
  onError?: (operation: string, error: unknown) => void;
}

/**
 * Generations expire after two quiet days: a reset counter makes keys no live entry uses (entries live
 * `ttlSeconds`), so nothing stale can be read, and the cache does not keep one key per day forever.
 */
const GENERATION_TTL_SECONDS = 2 * 86_400;

const dayKey = (source: string, day: string) => `gen:{${source}}:${day}`;
const sourceKey = (source: string) => `gen:{${source}}`;

export class QueryCache {
  /** Settles once the client module is loaded and the client made (it then connects on its own). */
  private readonly client: Promise<Valkey>;
  private readonly ttlSeconds: number;
  private readonly onError: (operation: string, error: unknown) => void;
  private readonly connectWaitMs: number;
  /** Until when a request does not wait for a connection (the last wait failed). */
  private noWaitUntil = 0;

  constructor(opts: CacheOptions) {
    this.ttlSeconds = opts.ttlSeconds ?? 60;
    this.onError = opts.onError ?? (() => {});
    this.connectWaitMs = opts.connectWaitMs ?? 500;
    const commandTimeout = opts.commandTimeoutMs ?? 150;
    this.client = import('iovalkey').then(({ Valkey }) => {
      const client = new Valkey(opts.url, {
        // Fail fast instead of queueing while disconnected: a request must not wait for the cache.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout,
        connectTimeout: 1_000,
        lazyConnect: false,
        // Keep trying to reconnect in the background, at most every 2 s.
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
      // Connection errors surface per command (as a miss); without a listener they would be printed raw.
      client.on('error', () => {});
      return client;
    });
    // A failed load surfaces per operation (as a miss, through onError), never as an unhandled rejection.
    this.client.catch(() => {});
  }

  /**
   * The page for `identity` from the cache, or `load()`'s result, stored for the next reader. `scope` is
   * what the page covers: a source and the days of its range, or the whole source (latest-N reads).
   */
  async read<T>(
    identity: unknown,
    scope: { source: string; days?: string[] },
    load: () => Promise<T>,
  ): Promise<{ value: T; hit: boolean }> {
    const genKeys = scope.days ? scope.days.map((d) => dayKey(scope.source, d)) : [sourceKey(scope.source)];
    let client: Valkey | undefined;
    let key: string | undefined;
    try {
      client = await this.connected();
      const gens = await client.mget(...genKeys);
      key = `q:{${scope.source}}:${createHash('sha256')
        .update(JSON.stringify([identity, gens]))
        .digest('base64url')}`;
      const cached = await client.get(key);
      if (cached !== null) return { value: JSON.parse(cached) as T, hit: true };
    } catch (err) {
      this.onError('read', err);
      key = undefined;
    }
    const value = await load();
    if (client && key) {
      await client.set(key, JSON.stringify(value), 'EX', this.ttlSeconds).catch((err: unknown) => {
        this.onError('write', err);
      });
    }
    return { value, hit: false };
  }

  /**
   * After writing events: bump the generation of every (source, day) written and of each source, so that
   * no cached page that could hold them is read again. One pipelined round trip. Resolves false (after
   * reporting) if the cache could not be reached.
   */
  async bumpGenerations(written: Iterable<{ source: string; day: string }>): Promise<boolean> {
    const sources = new Set<string>();
    const seen = new Set<string>();
    for (const { source, day } of written) {
      const k = dayKey(source, day);
      if (seen.has(k)) continue;
      seen.add(k);
      sources.add(source);
    }
    if (!seen.size) return true;
    try {
      const client = await this.connected();
      const pipeline = client.pipeline();
      for (const k of seen) pipeline.incr(k).expire(k, GENERATION_TTL_SECONDS);
      for (const s of sources) pipeline.incr(sourceKey(s)).expire(sourceKey(s), GENERATION_TTL_SECONDS);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      return true;
    } catch (err) {
      this.onError('bump', err);
      return false;
    }
  }

  /**
   * The client once connected, waiting at most connectWaitMs for the connection; rejects (a miss)
   * otherwise. Loading the client's module (bundled, local) is not counted in that wait.
   */
  private async connected(): Promise<Valkey> {
    const client = await this.client;
    if (client.status === 'ready') return client;
    if (Date.now() < this.noWaitUntil) throw new Error(`cache not connected (${client.status})`);
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onReady = resolve;
        client.once('ready', onReady);
        timer = setTimeout(
          () => reject(new Error(`cache not connected after ${this.connectWaitMs} ms (${client.status})`)),
          this.connectWaitMs,
        );
      });
    } catch (err) {
      this.noWaitUntil = Date.now() + 5_000;
      throw err;
    } finally {
      clearTimeout(timer);
      if (onReady) client.off('ready', onReady);
    }
    return client;
  }

  async close(): Promise<void> {
    // A client that never loaded has nothing to close.
    (await this.client.catch(() => undefined))?.disconnect();
  }
}
