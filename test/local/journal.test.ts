// The local cloud's write-ahead journal (infra/local/journal.ts) on a real temporary directory: what was
// appended and not acknowledged comes back on reopen, in order, byte for byte; a torn last frame (a crash
// mid-write) is dropped, not fatal; concurrent appends share fdatasyncs (group commit); compaction keeps
// the live entries and deletes old segments. The journal is closed only where a test says so: reopening
// without close is what a restart after SIGKILL sees (the kernel has every completed write).
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../../infra/local/journal.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'journal-'));
  dirs.push(d);
  return d;
}

describe('journal', () => {
  it('returns every appended, unacknowledged entry on reopen, oldest first, with its kind and payload', async () => {
    const dir = await tempDir();
    const { journal, pending } = await Journal.open(dir);
    expect(pending).toEqual([]);
    const a = await journal.append('firehose/events', Buffer.from('first'));
    const b = await journal.append('invoke', Buffer.from([0, 1, 2, 255]));
    const c = await journal.append('invoke', Buffer.alloc(0));
    journal.ack(b);
    await journal.flush();
    const reopened = await Journal.open(dir); // no close: as after a crash
    expect(reopened.pending.map((e) => [e.id, e.kind, [...e.payload]])).toEqual([
      [a, 'firehose/events', [...Buffer.from('first')]],
      [c, 'invoke', []],
    ]);
    // New ids never reuse a pending one.
    expect(await reopened.journal.append('invoke', Buffer.from('x'))).toBeGreaterThan(c);
    await reopened.journal.close();
  });

  it('drops a torn last frame (a crash in the middle of a write) and keeps everything before it', async () => {
    const dir = await tempDir();
    const { journal } = await Journal.open(dir);
    await journal.append('invoke', Buffer.from('kept'));
    await journal.close();
    const [file] = await readdir(dir);
    // A frame header announcing 100 bytes, followed by only 3 of them.
    const torn = Buffer.alloc(11);
    torn.writeUInt32LE(100, 0);
    await appendFile(path.join(dir, file!), torn);
    const { journal: again, pending } = await Journal.open(dir);
    expect(pending.map((e) => e.payload.toString())).toEqual(['kept']);
    await again.close();
  });

  it('lets concurrent appends share one fdatasync (group commit)', async () => {
    const dir = await tempDir();
    const { journal } = await Journal.open(dir);
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => journal.append('invoke', Buffer.from(`entry ${i}`))),
    );
    expect(new Set(ids).size).toBe(200);
    // The first append starts a group alone; the 199 that queue meanwhile go in the next one or two.
    expect(journal.stats.groups).toBeLessThanOrEqual(3);
    await journal.close();
  });

  it('compacts: old segments are deleted once their entries are acknowledged, live entries survive', async () => {
    const dir = await tempDir();
    const { journal } = await Journal.open(dir, { segmentBytes: 16 * 1024 });
    const keep: number[] = [];
    for (let round = 0; round < 20; round++) {
      const ids = await Promise.all(
        Array.from({ length: 100 }, (_, i) => journal.append('invoke', Buffer.alloc(100, i))),
      );
      for (const [i, id] of ids.entries()) {
        if (i === 0 && round % 5 === 0) keep.push(id);
        else journal.ack(id);
      }
    }
    await journal.flush();
    expect(journal.stats.compactions).toBeGreaterThan(3);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await stat(path.join(dir, files[0]!))).size).toBeLessThan(40 * 1024);
    const reopened = await Journal.open(dir);
    expect(reopened.pending.map((e) => e.id)).toEqual(keep);
    expect(reopened.pending.every((e) => e.payload.length === 100)).toBe(true);
    await reopened.journal.close();
  });
});
