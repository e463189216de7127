// One delivery stream's buffer on the local cloud: accepted records wait here until the buffer's size or
// interval is reached, then go, whole journal entries at a time, to the stream's serial delivery chain; a
// delivery acknowledges exactly the journal entries it wrote. Also the journal entry format of accepted
// records (`encodeEntry` / `decodeEntry`).
import type { DeliveryStreamSpec } from '../../../pipelines/types.ts';
import { firehoseRecordId } from '../../../shared/events/builders.ts';
import type { JournalLike } from '../journal.ts';
import { streamArn } from '../names.ts';

export interface BufferedRecord {
  recordId: string;
  data: Buffer;
  arrival: number;
}

export interface BufferSettings {
  buffer: { sizeBytes: number; intervalMs: number };
  /** Undelivered bytes per stream above which calls are throttled; default max(16 MiB, 4 × buffer). */
  backlogBytes?: number;
  journal: JournalLike;
  log: (line: string) => void;
}

/** Journal kind prefix of accepted records: `firehose/<stream>`. */
export const JOURNAL_KIND = 'firehose/';

/** A delivery stopped by `abort()`: its records stay in the journal. */
export class DeliveryAborted extends Error {}

export class Stream {
  readonly arn: string;
  readonly created = Date.now();
  /** The function that transforms this stream's records (its trigger wires it); default the spec's. */
  processor: string;
  private buffer: BufferedRecord[] = [];
  private bufferBytes = 0;
  /** Journal entries whose records are in `buffer`. */
  private bufferEntries: number[] = [];
  /** Bytes accepted but not yet written to S3 (buffered or being delivered). */
  backlogBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;
  faults: { count: number; errorCode: string } = { count: 0, errorCode: 'ServiceUnavailableException' };

  constructor(
    readonly spec: DeliveryStreamSpec,
    private readonly deliver: (s: Stream, batch: BufferedRecord[]) => Promise<void>,
    private readonly opts: BufferSettings,
  ) {
    this.arn = streamArn(spec.name);
    this.processor = spec.processor;
  }

  get backlogLimit(): number {
    return this.opts.backlogBytes ?? Math.max(16 * 1024 * 1024, 4 * this.opts.buffer.sizeBytes);
  }

  /**
   * Buffers the records of one journal entry (their bytes are already counted in `backlogBytes`). A
   * flush always takes whole entries, so that a delivery can acknowledge exactly the entries it wrote.
   */
  add(records: Buffer[], arrival: number, journalId: number): void {
    for (const data of records) {
      this.buffer.push({ recordId: firehoseRecordId(arrival, this.seq++ % 1e8), data, arrival });
      this.bufferBytes += data.length;
    }
    this.bufferEntries.push(journalId);
    if (this.bufferBytes >= this.opts.buffer.sizeBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.buffer.intervalMs);
  }

  /** Hands the buffer to the (serial) delivery chain; returns at once. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    const entries = this.bufferEntries;
    this.buffer = [];
    this.bufferEntries = [];
    this.bufferBytes = 0;
    const bytes = batch.reduce((n, r) => n + r.data.length, 0);
    this.chain = this.chain
      .then(async () => {
        await this.deliver(this, batch);
        this.opts.journal.ack(entries);
      })
      .catch((err: unknown) => {
        // Not acknowledged: the records stay in the journal and are delivered after the next start.
        if (!(err instanceof DeliveryAborted))
          this.opts.log(`firehose ${this.spec.name}: delivery failed: ${String(err)}`);
      })
      .finally(() => {
        this.backlogBytes -= bytes;
      });
  }

  /** Flushes the buffer and waits until everything accepted so far is written. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
  }
}

/** One journal entry: `[f64 arrival][u32 count]` then `[u32 length][bytes]` per record. */
export function encodeEntry(arrival: number, records: readonly Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(12 + records.reduce((n, d) => n + 4 + d.length, 0));
  out.writeDoubleLE(arrival, 0);
  out.writeUInt32LE(records.length, 8);
  let off = 12;
  for (const d of records) {
    out.writeUInt32LE(d.length, off);
    d.copy(out, off + 4);
    off += 4 + d.length;
  }
  return out;
}

/** The records of an entry, as views into it (one allocation per call, not one per record). */
export function decodeEntry(payload: Buffer): { arrival: number; records: Buffer[] } {
  const arrival = payload.readDoubleLE(0);
  const count = payload.readUInt32LE(8);
  const records: Buffer[] = [];
  let off = 12;
  for (let i = 0; i < count; i++) {
    const len = payload.readUInt32LE(off);
    records.push(payload.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return { arrival, records };
}
