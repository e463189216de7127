// The local cloud's cache: a real Valkey or Redis server (`valkey-server`, else `redis-server`, from PATH;
// Debian packages both), started as a child on a free 127.0.0.1 port with the settings ElastiCache
// Serverless fixes (eviction `volatile-lru`), in memory only (a cache: nothing to persist). Without a server
// on PATH (or with LOCAL_CACHE=off) the cloud runs uncached and says so. A server never outlives the process
// that started it: a watchdog shell, whose stdin is a pipe from that process, kills it once the pipe closes
// (the process died, even by SIGKILL). Should that fail too, the server is recorded in
// `<dir>/server.json` and killed by the next start on the same directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import path from 'node:path';

export interface CacheServer {
  url: string;
  port: number;
  /** `valkey-server 8.x` or `redis-server 7.x`, for the start screen. */
  version: string;
  pid: number;
  /** SIGSTOP/SIGCONT: a hung cache, for fault tests. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** The first of valkey-server, redis-server on PATH. */
export function cacheServerBinary(): string | undefined {
  for (const name of ['valkey-server', 'redis-server']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

async function accepting(port: number): Promise<boolean> {
  const socket = new Socket();
  try {
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

function isCacheServer(pid: number): boolean {
  try {
    return /(valkey|redis)-server/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Starts a cache server. `dir` (optional) is where its record lives (and its working directory), so that a
 * server orphaned by a SIGKILLed parent is killed by the next start on the same directory. `port`: one
 * reserved by the caller (so that it can hand the URL out before the server is up); default a free one.
 */
export async function startCacheServer(
  opts: { dir?: string; binary?: string; port?: number } = {},
): Promise<CacheServer> {
  const binary = opts.binary ?? cacheServerBinary();
  if (!binary) throw new Error('no valkey-server or redis-server on PATH');
  const record = opts.dir ? path.join(opts.dir, 'server.json') : undefined;
  if (record) {
    await mkdir(opts.dir!, { recursive: true });
    const previous = await readFile(record, 'utf8').then(
      (t) => JSON.parse(t) as { pid?: number },
      () => undefined,
    );
    if (previous?.pid && isCacheServer(previous.pid)) {
      try {
        process.kill(previous.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
      '--maxmemory',
      '64mb',
      '--maxmemory-policy',
      'volatile-lru',
      ...(opts.dir ? ['--dir', opts.dir] : []),
    ],
    { stdio: 'ignore' },
  );
  // Reads until this process's end of the pipe closes (this process is gone), then kills the server. It is
  // killed first on a normal stop, so it never signals a pid the system may have reused.
  const watchdog = spawn('sh', ['-c', `read _; kill -9 ${child.pid} 2>/dev/null`], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  for (let i = 0; !(await accepting(port)); i++) {
    if (i > 200 || child.exitCode !== null) {
      watchdog.kill('SIGKILL');
      watchdog.stdin?.destroy();
      child.kill('SIGKILL');
      throw new Error(`${binary} did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (record) await writeFile(record, JSON.stringify({ pid: child.pid, port }));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    version,
    pid: child.pid!,
    pause: () => void (gone() || child.kill('SIGSTOP')),
    resume: () => void (gone() || child.kill('SIGCONT')),
    async stop() {
      watchdog.kill('SIGKILL');
      watchdog.stdin?.destroy();
      if (!gone()) {
        const exited = once(child, 'exit');
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited;
      }
      if (record) await rm(record, { force: true });
    },
  };
}
