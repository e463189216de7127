// Write-ahead journal of the local cloud: what a service has accepted (Firehose records, S3 event
// notifications, SNS deliveries) is appended here, and fsync'd, BEFORE the success answer goes out; once
// delivered (or invoked) it is acknowledged. On start, `Journal.open` returns every entry that was
// appended but never acknowledged, for the services to replay (at-least-once, as on AWS).
//
// Format: segment files `<dir>/segment-<n>.log` of frames `[u32 length][u32 crc32][body]`, body
// `[u8 1][u48 id][u8 kind length][kind][payload]` for an entry or `[u8 2][u32 count][u48 id]…` for
// acknowledgements. A torn or corrupt frame (a crash mid-write) ends the segment when it is read.
// Group commit: appends queue while a write+fdatasync is under way and the next one writes them all with
// one writev and one fdatasync, so concurrent requests share the cost. Compaction: when the segment grows
// past max(segmentBytes, 4 × live bytes), the live entries are copied into a fresh segment (fsync'd) and
// the older segments are deleted, so the journal stays about as big as what is still undelivered.
//
// Hand-written rather than LevelDB (classic-level, already installed through dynalite): an append-only
// log with one fdatasync per group is exactly what is needed, while LevelDB adds a memtable, compaction
// threads and a write path whose sync option syncs per batch, not per concurrent group; this file is
// under 400 lines with no native dependency of its own.

import { fdatasyncSync, writevSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

export interface JournalEntry {
  id: number;
  kind: string;
  payload: Buffer;
}

export interface JournalOptions {
  /** Segment size before compaction is considered (default 64 MiB). */
  segmentBytes?: number;
  /** fdatasync each group (default true). Off only for benchmarks' baselines. */
  sync?: boolean;
}

const ADD = 1;
const ACK = 2;
const HEADER = 8;

interface Location {
  seg: number;
  off: number;
  len: number;
}

interface Queued {
  frame: Buffer;
  add?: number;
  resolve?: () => void;
  reject?: (err: unknown) => void;
}

const segName = (n: number) => `segment-${String(n).padStart(10, '0')}.log`;

export class Journal {
  private nextId: number;
  private readonly live = new Map<number, Location>();
  private liveBytes = 0;
  private queue: Queued[] = [];
  private writing: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  /** Groups written (each one writev + one fdatasync) and compactions, for tests and the benchmark. */
  readonly stats = { groups: 0, compactions: 0 };

  private constructor(
    private readonly dir: string,
    private seg: number,
    private fh: FileHandle,
    private size: number,
    nextId: number,
    private readonly opts: Required<JournalOptions>,
  ) {
    this.nextId = nextId;
  }

  /**
   * Opens (or creates) the journal in `dir` and returns it with every entry appended but never
   * acknowledged, oldest first. The survivors are rewritten into a fresh segment and older segments are
   * deleted, so a torn tail from a crash is dropped here.
   */
  static async open(
    dir: string,
    options: JournalOptions = {},
  ): Promise<{ journal: Journal; pending: JournalEntry[] }> {
    const opts = { segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024, sync: options.sync ?? true };
    await mkdir(dir, { recursive: true });
    const segs = (await readdir(dir))
      .map((f) => /^segment-(\d+)\.log$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const pending = new Map<number, JournalEntry>();
    let maxId = 0;
    for (const n of segs) {
      const buf = await readFile(path.join(dir, segName(n)));
      for (const body of frames(buf)) {
        if (body[0] === ADD) {
          const id = body.readUIntLE(1, 6);
          const kindLen = body[7]!;
          const kind = body.toString('utf8', 8, 8 + kindLen);
          pending.set(id, { id, kind, payload: Buffer.from(body.subarray(8 + kindLen)) });
          maxId = Math.max(maxId, id);
        } else if (body[0] === ACK) {
          const count = body.readUInt32LE(1);
          for (let i = 0; i < count; i++) {
            const id = body.readUIntLE(5 + i * 6, 6);
            pending.delete(id);
            maxId = Math.max(maxId, id);
          }
        }
      }
    }
    const seg = (segs.at(-1) ?? 0) + 1;
    // Read-write: compaction reads live entries back from the current segment.
    const fh = await open(path.join(dir, segName(seg)), 'w+');
    const journal = new Journal(dir, seg, fh, 0, maxId + 1, opts);
    const entries = [...pending.values()].sort((a, b) => a.id - b.id);
    const framesOut = entries.map((e) => addFrame(e.id, e.kind, e.payload));
    let off = 0;
    for (let i = 0; i < entries.length; i++) {
      journal.live.set(entries[i]!.id, { seg, off, len: framesOut[i]!.length });
      journal.liveBytes += framesOut[i]!.length;
      off += framesOut[i]!.length;
    }
    await writeAll(fh, framesOut);
    journal.size = off;
    await fh.sync();
    await syncDir(dir);
    for (const n of segs) await rm(path.join(dir, segName(n)), { force: true });
    return { journal, pending: entries };
  }

  /** Entries appended and not yet acknowledged. */
  get liveCount(): number {
    return this.live.size;
  }

  /** Appends an entry; resolves with its id once it is on disk (after the group's fdatasync). */
  append(kind: string, payload: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const frame = addFrame(id, kind, payload);
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ frame, add: id, resolve: () => resolve(id), reject });
      this.kick();
    });
  }

  /**
   * Acknowledges entries (delivered or invoked): they are not replayed. Written with the next group; an
   * acknowledgement lost in a crash only means the entry is delivered once more (at-least-once).
   */
  ack(ids: number | readonly number[]): void {
    const list = (typeof ids === 'number' ? [ids] : ids).filter((id) => {
      const loc = this.live.get(id);
      if (!loc) return false;
      this.live.delete(id);
      this.liveBytes -= loc.len;
      return true;
    });
    if (list.length === 0 || this.closed) return;
    const frame = Buffer.allocUnsafe(HEADER + 5 + list.length * 6);
    frame[HEADER] = ACK;
    frame.writeUInt32LE(list.length, HEADER + 1);
    for (let i = 0; i < list.length; i++) frame.writeUIntLE(list[i]!, HEADER + 5 + i * 6, 6);
    seal(frame);
    this.queue.push({ frame });
    this.kick();
  }

  /** Resolves once everything queued so far is written and synced. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.fh.close();
  }

  private kick(): void {
    this.writing ??= this.drainQueue().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.failure) this.kick();
    });
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      // Let every request that reached this point of the event loop append first: they share the group.
      await new Promise((r) => setImmediate(r));
      const batch = this.queue;
      this.queue = [];
      try {
        let off = this.size;
        for (const q of batch) {
          if (q.add !== undefined) {
            this.live.set(q.add, { seg: this.seg, off, len: q.frame.length });
            this.liveBytes += q.frame.length;
          }
          off += q.frame.length;
        }
        // Synchronous on purpose: a group's writev + fdatasync takes about a millisecond, while the same
        // calls through libuv's thread pool wait behind gzip, s3rver and LevelDB work (measured: 20-40 ms
        // a group under load, which halved PutRecordBatch throughput).
        writeAllSync(
          this.fh.fd,
          batch.map((q) => q.frame),
        );
        this.size = off;
        if (this.opts.sync) fdatasyncSync(this.fh.fd);
        this.stats.groups++;
      } catch (err) {
        this.failure = err;
        for (const q of [...batch, ...this.queue.splice(0)]) q.reject?.(err);
        return;
      }
      for (const q of batch) q.resolve?.();
      if (this.size >= Math.max(this.opts.segmentBytes, 4 * this.liveBytes)) {
        // A failed compaction loses nothing (the current segment stays, complete): try again later.
        await this.compact().catch(() => {});
      }
    }
  }

  /** Copies the live entries into a fresh segment and deletes the older ones. */
  private async compact(): Promise<void> {
    const seg = this.seg + 1;
    const fh = await open(path.join(this.dir, segName(seg)), 'w+');
    const readers = new Map<number, FileHandle>();
    let off = 0;
    try {
      const moved: Array<[number, Location]> = [];
      const chunks: Buffer[] = [];
      for (const [id, loc] of this.live) {
        let r = readers.get(loc.seg);
        if (!r) {
          r = loc.seg === this.seg ? this.fh : await open(path.join(this.dir, segName(loc.seg)), 'r');
          readers.set(loc.seg, r);
        }
        const buf = Buffer.allocUnsafe(loc.len);
        await r.read(buf, 0, loc.len, loc.off);
        chunks.push(buf);
        moved.push([id, { seg, off, len: loc.len }]);
        off += loc.len;
        if (chunks.length >= 256) await writeAll(fh, chunks.splice(0));
      }
      await writeAll(fh, chunks);
      await fh.sync();
      await syncDir(this.dir);
      for (const [id, loc] of moved) if (this.live.has(id)) this.live.set(id, loc);
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(path.join(this.dir, segName(seg)), { force: true });
      throw err;
    } finally {
      for (const [n, r] of readers) if (n !== this.seg) await r.close();
    }
    this.stats.compactions++;
    const old = this.fh;
    const oldSeg = this.seg;
    this.fh = fh;
    this.seg = seg;
    this.size = off;
    await old.close();
    for (let n = oldSeg; n >= 0; n--) {
      const gone = await rm(path.join(this.dir, segName(n))).then(
        () => true,
        () => false,
      );
      if (!gone && n < oldSeg) break;
    }
  }
}

/** A journal that keeps nothing: the baseline of the journal's benchmark, and `journal: false`. */
export class NoJournal {
  private nextId = 1;
  readonly liveCount = 0;
  append(_kind: string, _payload: Buffer): Promise<number> {
    return Promise.resolve(this.nextId++);
  }
  ack(_ids: number | readonly number[]): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

export type JournalLike = Pick<Journal, 'append' | 'ack' | 'flush' | 'close' | 'liveCount'>;

function addFrame(id: number, kind: string, payload: Buffer): Buffer {
  const kindBytes = Buffer.from(kind, 'utf8');
  if (kindBytes.length > 255) throw new Error(`journal kind too long: ${kind}`);
  const frame = Buffer.allocUnsafe(HEADER + 8 + kindBytes.length + payload.length);
  frame[HEADER] = ADD;
  frame.writeUIntLE(id, HEADER + 1, 6);
  frame[HEADER + 7] = kindBytes.length;
  kindBytes.copy(frame, HEADER + 8);
  payload.copy(frame, HEADER + 8 + kindBytes.length);
  seal(frame);
  return frame;
}

/** Fills in the frame's header: body length and CRC-32 of the body. */
function seal(frame: Buffer): void {
  frame.writeUInt32LE(frame.length - HEADER, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER)), 4);
}

/** The bodies of the intact frames of a segment, up to the first torn or corrupt one. */
function* frames(buf: Buffer): Generator<Buffer> {
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    if (len < 1 || off + HEADER + len > buf.length) return;
    const body = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(body) !== crc) return;
    yield body;
    off += HEADER + len;
  }
}

async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0);
  while (rest.length > 0) {
    // writev to a file in append position writes everything except on rare short writes: resume those.
    let { bytesWritten } = await fh.writev(rest);
    const next: Buffer[] = [];
    for (const b of rest) {
      if (bytesWritten >= b.length) bytesWritten -= b.length;
      else {
        next.push(b.subarray(bytesWritten));
        bytesWritten = 0;
      }
    }
    rest = next;
  }
}

function writeAllSync(fd: number, buffers: Buffer[]): void {
  let rest = buffers.filter((b) => b.length > 0);
  while (rest.length > 0) {
    let written = writevSync(fd, rest);
    const next: Buffer[] = [];
    for (const b of rest) {
      if (written >= b.length) written -= b.length;
      else {
        next.push(b.subarray(written));
        written = 0;
      }
    }
    rest = next;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
