// The local cloud's caches (the `cache` resource kind, kinds/cache.ts): one valkey-server or redis-server
// child per declared cache (cache-server.ts), its record under `<dataDir>/cache/<name>/`. A cache's port is
// reserved at create and its URL handed to functions at once, while the server starts in the background,
// so the cloud's start does not wait for it; a function that connects before it is up waits briefly or
// reads DynamoDB (pipelines/events-api/cache.ts). Without a server binary on PATH (or with LOCAL_CACHE=off)
// a cache has no URL: functions get an empty value and run uncached, and the start screen says why.
import path from 'node:path';
import { type CacheServer, cacheServerBinary, freePort, startCacheServer } from './cache-server.ts';

export interface CacheState {
  name: string;
  /** `starting` until the server answers, then `running`; `off` without a server; `failed` if it died. */
  status: 'starting' | 'running' | 'off' | 'failed';
  /** `redis://127.0.0.1:<port>`, or '' when off. */
  url: string;
  /** e.g. `Redis server v=7.0.15`. */
  version?: string;
  /** Why there is no server (off or failed). */
  reason?: string;
}

interface Entry extends CacheState {
  server?: CacheServer;
  ready: Promise<void>;
}

export class LocalCaches {
  private readonly entries = new Map<string, Entry>();
  private readonly binary: string | undefined;
  private readonly offReason: string | undefined;
  private stopped = false;

  constructor(private readonly opts: { dataDir: string; enabled: boolean; log: (line: string) => void }) {
    if (!opts.enabled) this.offReason = 'LOCAL_CACHE=off';
    else {
      this.binary = cacheServerBinary();
      if (!this.binary)
        this.offReason =
          'no valkey-server or redis-server on PATH (Debian/Ubuntu: sudo apt-get install valkey-server, or redis-server)';
    }
  }

  /** Reserves a port and starts the server in the background; resolves once the URL is known. */
  async start(name: string): Promise<void> {
    if (this.entries.has(name)) return;
    if (this.offReason) {
      this.entries.set(name, {
        name,
        status: 'off',
        url: '',
        reason: this.offReason,
        ready: Promise.resolve(),
      });
      return;
    }
    const port = await freePort();
    const entry: Entry = {
      name,
      status: 'starting',
      url: `redis://127.0.0.1:${port}`,
      ready: Promise.resolve(),
    };
    this.entries.set(name, entry);
    entry.ready = startCacheServer({
      dir: path.join(this.opts.dataDir, 'cache', name),
      binary: this.binary!,
      port,
    }).then(
      async (server) => {
        if (this.stopped) return server.stop();
        Object.assign(entry, { server, status: 'running', version: server.version });
      },
      (err: unknown) => {
        Object.assign(entry, { status: 'failed', reason: (err as Error).message });
        this.opts.log(
          `cache ${name}: ${(err as Error).message}; functions using it read DynamoDB instead (uncached)`,
        );
      },
    );
  }

  /** The URL functions get ('' when there is no cache server). */
  url(name: string): string {
    return this.entries.get(name)?.url ?? '';
  }

  state(name: string): CacheState | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    const { server: _server, ready: _ready, ...state } = e;
    return state;
  }

  /** The running server (tests pause or stop it to play a hung or dead cache). */
  server(name: string): CacheServer | undefined {
    return this.entries.get(name)?.server;
  }

  /** Resolves once every server has started or failed. */
  async ready(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.ready));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.ready();
    await Promise.all([...this.entries.values()].map((e) => e.server?.stop()));
  }
}
