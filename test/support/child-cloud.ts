// Runs the local cloud as a real child process (`node --import tsx infra/local/main.ts`, or `npm start`
// itself), for tests where signals, crashes and process lifetimes matter. Each call gets its own port and
// the caller's data directory; `waitHealthy` polls /_local/health and fails early if the process exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

export interface ChildCloud {
  child: ChildProcess;
  endpoint: string;
  port: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves once /_local/health answers 200; rejects if the process exits first. */
  waitHealthy(timeoutMs?: number): Promise<void>;
}

export function spawnCloud(opts: {
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  /** Run `npm start` (in its own process group, as a terminal would) instead of node directly. */
  npm?: boolean;
  /** Run this file with `node --import tsx` instead of infra/local/main.ts (the start-up benchmark's floor). */
  entry?: string;
}): Promise<ChildCloud> {
  return (async () => {
    const port = opts.port ?? (await freePort());
    const env = {
      ...process.env,
      LOCAL_PORT: String(port),
      LOCAL_DATA_DIR: opts.dataDir,
      LOCAL_FUNCTION_LOGS: '0',
      ...opts.env,
    };
    const child = opts.npm
      ? spawn('npm', ['start', '--silent'], {
          cwd: repoRoot,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        })
      : spawn(process.execPath, ['--import', 'tsx', opts.entry ?? 'infra/local/main.ts'], {
          cwd: repoRoot,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    const endpoint = `http://127.0.0.1:${port}`;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    return {
      child,
      endpoint,
      port,
      output: () => text,
      exited,
      async waitHealthy(timeoutMs = 30_000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          if (gone) throw new Error(`the local cloud exited before it was healthy:\n${text}`);
          const ok = await fetch(`${endpoint}/_local/health`).then(
            (r) => r.status === 200,
            () => false,
          );
          if (ok) return;
          if (Date.now() > end) throw new Error(`not healthy after ${timeoutMs} ms:\n${text}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    };
  })();
}

/** The pid and endpoint recorded in a data directory's lock, if any. */
export async function lockHolder(dataDir: string): Promise<{ pid: number; endpoint?: string } | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, 'local-cloud.lock'), 'utf8')) as {
      pid: number;
      endpoint?: string;
    };
  } catch {
    return undefined;
  }
}
