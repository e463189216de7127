// The local cloud's cache server (infra/local/cache-server.ts): a real valkey-server/redis-server child that
// answers PING, and a server orphaned by a cloud that died without stopping it (as after SIGKILL) is killed
// by the next start on the same directory instead of piling up.
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

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
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
});
