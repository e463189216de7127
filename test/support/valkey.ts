// Starts a real Valkey (or Redis) server for tests: `valkey-server` or `redis-server` from PATH (Debian
// packages both; .ci/run installs one), on a free 127.0.0.1 port, in memory (no RDB, no AOF), as a child
// of the test process. `pause()`/`resume()` SIGSTOP/SIGCONT it (a hung cache), `stop()` kills it (a cache
// that is down). Without a server, `valkeyBinary()` is undefined: suites skip locally, and fail under CI.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';

export function valkeyBinary(): string | undefined {
  for (const name of ['valkey-server', 'redis-server']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not on PATH; try the next
    }
  }
  return undefined;
}

/** Skip locally, fail in CI (CI=true), when no server is installed. */
export function requireValkey(suite: string): boolean {
  if (valkeyBinary()) return true;
  if (process.env.CI === 'true') throw new Error(`${suite}: valkey-server or redis-server is required in CI`);
  console.warn(
    `${suite}: no valkey-server or redis-server on PATH (apt-get install redis-server); suite skipped`,
  );
  return false;
}

export interface TestValkey {
  url: string;
  port: number;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
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

export async function startValkey(): Promise<TestValkey> {
  const binary = valkeyBinary();
  if (!binary) throw new Error('no valkey-server or redis-server on PATH');
  const port = await freePort();
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
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; !(await accepting(port)); i++) {
    if (i > 100 || child.exitCode !== null) throw new Error(`${binary} did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
