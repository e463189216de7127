// The local cloud's cache server (infra/local/cache-server.ts): a real valkey-server/redis-server child that
// answers PING; it does not outlive a process that started it and was SIGKILLed (its watchdog kills it);
// and a server recorded by an owner that died without stopping it is killed by the next start on the same
// directory instead of piling up.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Valkey } from 'iovalkey';
import { afterAll, describe, expect, it } from 'vitest';
import { type CacheServer, startCacheServer } from '../../infra/local/cache-server.ts';
import { requireValkey } from '../support/valkey.ts';

const available = requireValkey('cache-server.test.ts');
const started: CacheServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Running (a zombie, killed but not yet reaped by its new parent, counts as gone). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe.runIf(available)('local cache server', () => {
  it('serves on loopback, and the next start on the same directory kills an orphaned one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cache-server-'));
    dirs.push(dir);
    const first = await startCacheServer({ dir });
    started.push(first);
    const client = new Valkey(first.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    expect(first.version).toMatch(/^(Valkey|Redis) server v=/);
    // The owner "dies" without stopping it; a new start on the same directory must not leave it running.
    const second = await startCacheServer({ dir });
    started.push(second);
    for (let i = 0; i < 50 && alive(first.pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(first.pid)).toBe(false);
    expect(alive(second.pid)).toBe(true);
  });

  it('does not outlive a process that started it and was SIGKILLed', async () => {
    const owner = spawn(process.execPath, ['--import', 'tsx', 'test/local/fixtures/cache-owner.ts'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      owner.stdout!.on('data', (d: Buffer) => {
        const m = /cache-server-pid (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      owner.once('exit', () => reject(new Error('owner exited before starting the server')));
    });
    expect(alive(pid)).toBe(true);
    owner.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  }, 30_000);
});
