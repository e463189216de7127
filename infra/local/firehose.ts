// Amazon Data Firehose on the local cloud (hand-written: no npm emulator covers Firehose). The JSON 1.1
// API (PutRecord, PutRecordBatch with AWS's limits and per-record errors, DescribeDeliveryStream,
// ListDeliveryStreams) feeds one buffer per stream, flushed by size or interval. A flush runs the
// transform Lambda synchronously (retried on failure, as Firehose retries an invocation three times), then
// writes Ok records to S3 under the evaluated prefix (dynamic partitioning from metadata.partitionKeys,
// GZIP per definition), failed records under the error prefix in Firehose's processing-failed format, and
// discards Dropped records. Deliveries run in the background, so PutRecordBatch never waits for them.
// Durability: each accepted call's records are one journal entry (journal.ts), appended and fsync'd
// before the answer; a delivery acknowledges the entries it wrote, and on start `restore` puts the
// unacknowledged ones back into their buffers. Memory is bounded: while a stream's undelivered backlog
// is full, calls are refused whole with ServiceUnavailableException (HTTP 503), as Firehose throttles.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { DeliveryStreamSpec } from '../../pipelines/types.ts';
import { buildFirehoseTransformEvent, firehoseRecordId } from '../../shared/events/builders.ts';
import { FirehoseTransformResponseSchema } from '../../shared/events/firehose.ts';
import { retry } from '../../shared/retry.ts';
import {
  DEFAULT_ERROR_PREFIX,
  DEFAULT_PREFIX,
  evaluatePrefix,
  objectName,
  PrefixError,
  validatePrefix,
} from './firehose-prefix.ts';
import type { JournalEntry, JournalLike } from './journal.ts';
import { type FunctionPool, functionArn } from './lambda.ts';
import { ACCOUNT_ID, bucketArn, REGION, streamArn } from './names.ts';
import { AwsError, BodyTooLarge, newRequestId, readBody, sendJson, sendJsonError } from './protocol.ts';

const gzipAsync = promisify(gzipCallback);

export const LIMITS = {
  recordsPerBatch: 500,
  bytesPerRecord: 1_024_000,
  bytesPerBatch: 4 * 1024 * 1024,
  /** Raw bytes per transform invocation (Firehose's default Lambda processor buffer, 1 MB). */
  bytesPerInvocation: 1024 * 1024,
  /** Transform invocations in all (1 + Firehose's default 3 retries). */
  invocationAttempts: 4,
};

interface BufferedRecord {
  recordId: string;
  data: Buffer;
  arrival: number;
}

interface ErrorLine {
  type: string;
  record: BufferedRecord;
  errorCode: string;
  errorMessage: string;
  attemptsMade: number;
  attemptEnding: number;
}

export interface FirehoseOptions {
  streams: DeliveryStreamSpec[];
  /** The transform's pool, looked up at delivery time. */
  processor: (functionId: string) => FunctionPool | undefined;
  writeObject: (bucket: string, key: string, body: Buffer) => Promise<void>;
  buffer: { sizeBytes: number; intervalMs: number };
  retryDelayMs: number;
  dataDir: string;
  log: (line: string) => void;
  /** Where accepted records are made durable before the answer (NoJournal to keep nothing). */
  journal: JournalLike;
  /** Undelivered bytes per stream above which calls are throttled; default max(16 MiB, 4 × buffer). */
  backlogBytes?: number;
}

export interface DeliveryReport {
  stream: string;
  objects: string[];
  ok: number;
  dropped: number;
  failed: number;
}

class Stream {
  readonly arn: string;
  readonly created = Date.now();
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
    private readonly opts: FirehoseOptions,
  ) {
    this.arn = streamArn(spec.name);
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

export class FirehoseService {
  private readonly streams = new Map<string, Stream>();
  readonly deliveries: DeliveryReport[] = [];
  private closed = false;
  private aborted = false;

  constructor(private readonly opts: FirehoseOptions) {
    for (const spec of opts.streams) {
      validatePrefix(spec.destination.prefix || DEFAULT_PREFIX, { error: false });
      validatePrefix(spec.destination.errorPrefix || DEFAULT_ERROR_PREFIX, { error: true });
      this.streams.set(spec.name, new Stream(spec, (s, b) => this.deliver(s, b), opts));
    }
  }

  names(): string[] {
    return [...this.streams.keys()];
  }

  /** Makes the next `count` records put to `stream` (or to any stream) fail with `errorCode`. */
  injectFaults(stream: string | undefined, count: number, errorCode = 'ServiceUnavailableException'): void {
    for (const s of this.streams.values()) {
      if (stream === undefined || s.spec.name === stream) s.faults = { count, errorCode };
    }
  }

  async drain(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => s.drain()));
  }

  /** On shutdown: refuse new records (per record, so producers retry them) before the final drain. */
  closeIntake(): void {
    this.closed = true;
  }

  /**
   * On shutdown, when the grace period is over: deliveries stop before their next step (nothing is
   * written to the error output because the functions are going away); what they held stays in the
   * journal for the next start.
   */
  abort(): void {
    this.closed = true;
    this.aborted = true;
  }

  /** Puts the journal's unacknowledged Firehose entries back into their streams' buffers (at start). */
  restore(entries: readonly JournalEntry[]): number {
    let records = 0;
    for (const e of entries) {
      const s = this.streams.get(e.kind.slice(JOURNAL_KIND.length));
      if (!e.kind.startsWith(JOURNAL_KIND) || !s) continue;
      const { arrival, records: data } = decodeEntry(e.payload);
      s.backlogBytes += data.reduce((n, d) => n + d.length, 0);
      s.add(data, arrival, e.id);
      records += data.length;
    }
    return records;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.split('.')[1] ?? '';
      let parsed: unknown;
      try {
        const text = (await readBody(req, 8 * 1024 * 1024)).toString('utf8');
        parsed = text ? JSON.parse(text) : {};
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('connection', 'close'); // the rest of the body is not read
          throw new AwsError('InvalidArgumentException', 'Request payload is too large');
        }
        if (req.readableAborted) return; // the client went away mid-body: nobody to answer
        throw new AwsError('SerializationException', 'Request body is not valid JSON');
      }
      // JSON 1.1 input is an object; `null`, arrays and scalars are not a request (AWS: SerializationException).
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new AwsError('SerializationException', 'Start of structure or map found where not expected');
      }
      const input = parsed as Record<string, unknown>;
      sendJson(res, await this.dispatch(op, input), requestId);
    } catch (err) {
      const e =
        err instanceof AwsError ? err : new AwsError('ServiceUnavailableException', String(err), 500, false);
      sendJsonError(res, e, requestId);
    }
  }

  private stream(name: unknown): Stream {
    if (name === undefined || name === null) {
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null",
      );
    }
    if (typeof name !== 'string') {
      throw new AwsError('SerializationException', 'NUMBER_VALUE can not be converted to a String');
    }
    // API reference, PutRecord / DescribeDeliveryStream request parameters: DeliveryStreamName, length 1-64,
    // pattern [a-zA-Z0-9_.-]+. A name breaking them is a ValidationException, not ResourceNotFound.
    if (name.length < 1 || name.length > 64) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${shown(name)}' at 'deliveryStreamName' failed to satisfy constraint: Member must have length ${name.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 64'}`,
      );
    }
    if (!/^[a-zA-Z0-9_.-]+$/.test(name)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${shown(name)}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
      );
    }
    const s = this.streams.get(name);
    if (!s)
      throw new AwsError(
        'ResourceNotFoundException',
        `Firehose ${name} under account ${ACCOUNT_ID} not found.`,
      );
    return s;
  }

  private async dispatch(op: string, input: Record<string, unknown>): Promise<unknown> {
    switch (op) {
      case 'PutRecord': {
        const s = this.stream(input.DeliveryStreamName);
        const data = decodeData((input.Record as { Data?: unknown } | undefined)?.Data, 'record.data');
        const [result] = await this.accept(s, [data]);
        if (result && 'ErrorCode' in result)
          throw new AwsError(result.ErrorCode, result.ErrorMessage, 503, false);
        return { RecordId: result!.RecordId, Encrypted: false };
      }
      case 'PutRecordBatch': {
        const s = this.stream(input.DeliveryStreamName);
        const records = input.Records;
        if (!Array.isArray(records)) {
          throw new AwsError(
            'ValidationException',
            "1 validation error detected: Value null at 'records' failed to satisfy constraint: Member must not be null",
          );
        }
        if (records.length < 1 || records.length > LIMITS.recordsPerBatch) {
          throw new AwsError(
            'ValidationException',
            `1 validation error detected: Value '[${records.length} records]' at 'records' failed to satisfy constraint: ` +
              `Member must have length ${records.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${LIMITS.recordsPerBatch}`}`,
          );
        }
        const data = records.map((r, i) =>
          decodeData((r as { Data?: unknown } | null)?.Data, `records.${i + 1}.member.data`),
        );
        const total = data.reduce((n, d) => n + d.length, 0);
        if (total > LIMITS.bytesPerBatch) {
          throw new AwsError(
            'InvalidArgumentException',
            `Records size exceeds 4 MiB limit (${total} bytes in ${records.length} records)`,
          );
        }
        const responses = await this.accept(s, data);
        return {
          FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length,
          Encrypted: false,
          RequestResponses: responses,
        };
      }
      case 'DescribeDeliveryStream':
        return { DeliveryStreamDescription: this.describe(this.stream(input.DeliveryStreamName)) };
      case 'ListDeliveryStreams': {
        const names = this.names().sort();
        const start =
          typeof input.ExclusiveStartDeliveryStreamName === 'string'
            ? input.ExclusiveStartDeliveryStreamName
            : '';
        const limit = typeof input.Limit === 'number' ? Math.max(1, Math.min(10_000, input.Limit)) : 10;
        const after = names.filter((n) => n > start);
        return { DeliveryStreamNames: after.slice(0, limit), HasMoreDeliveryStreams: after.length > limit };
      }
      default:
        throw new AwsError(
          'UnknownOperationException',
          `Operation ${op || '(none)'} is not supported by the local Firehose`,
        );
    }
  }

  /**
   * Accepts a call's records: refused whole (ServiceUnavailableException, HTTP 503 in Firehose's service
   * model) while the stream's backlog is full; otherwise the accepted records are journaled (one entry,
   * fsync'd with whatever else is being appended) and only then buffered and answered.
   */
  private async accept(
    s: Stream,
    data: Buffer[],
  ): Promise<Array<{ RecordId: string } | { ErrorCode: string; ErrorMessage: string }>> {
    const total = data.reduce((n, d) => n + d.length, 0);
    if (!this.closed && s.backlogBytes > 0 && s.backlogBytes + total > s.backlogLimit) {
      throw new AwsError(
        'ServiceUnavailableException',
        `Slow down: the local delivery stream ${s.spec.name} has ${s.backlogBytes} bytes waiting for delivery.`,
        503,
        false,
      );
    }
    const accepted: Buffer[] = [];
    const results = data.map((d): { RecordId: string } | { ErrorCode: string; ErrorMessage: string } => {
      if (this.closed) {
        return {
          ErrorCode: 'ServiceUnavailableException',
          ErrorMessage: 'The local cloud is shutting down.',
        };
      }
      if (s.faults.count > 0) {
        s.faults.count--;
        return {
          ErrorCode: s.faults.errorCode,
          ErrorMessage: 'Injected failure (local cloud fault injection)',
        };
      }
      accepted.push(d);
      return { RecordId: randomBytes(84).toString('base64') };
    });
    if (accepted.length === 0) return results;
    const arrival = Date.now();
    const payload = encodeEntry(arrival, accepted);
    const bytes = accepted.reduce((n, d) => n + d.length, 0);
    s.backlogBytes += bytes;
    let id: number;
    try {
      id = await this.opts.journal.append(`${JOURNAL_KIND}${s.spec.name}`, payload);
    } catch (err) {
      s.backlogBytes -= bytes;
      throw new AwsError(
        'ServiceUnavailableException',
        `The records could not be persisted: ${String(err)}`,
        503,
        false,
      );
    }
    s.add(decodeEntry(payload).records, arrival, id);
    return results;
  }

  private describe(s: Stream): unknown {
    const d = s.spec.destination;
    const dest = {
      RoleARN: `arn:aws:iam::${ACCOUNT_ID}:role/firehose-${s.spec.name}`,
      BucketARN: bucketArn(d.bucket),
      Prefix: d.prefix,
      ErrorOutputPrefix: d.errorPrefix,
      BufferingHints: {
        SizeInMBs: Math.max(1, Math.round(this.opts.buffer.sizeBytes / (1024 * 1024))),
        IntervalInSeconds: Math.max(0, Math.round(this.opts.buffer.intervalMs / 1000)),
      },
      CompressionFormat: d.compression,
      EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    };
    return {
      DeliveryStreamName: s.spec.name,
      DeliveryStreamARN: s.arn,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: '1',
      CreateTimestamp: s.created / 1000,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          S3DestinationDescription: dest,
          ExtendedS3DestinationDescription: {
            ...dest,
            ProcessingConfiguration: {
              Enabled: true,
              Processors: [
                {
                  Type: 'Lambda',
                  Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: functionArn(s.spec.processor) }],
                },
              ],
            },
            DynamicPartitioningConfiguration: { Enabled: d.partitionKeys.length > 0 },
            S3BackupMode: 'Disabled',
          },
        },
      ],
      HasMoreDestinations: false,
    };
  }

  /** One buffer flush: transform, partition, write. Never throws away an accepted record silently. */
  private async deliver(s: Stream, batch: BufferedRecord[]): Promise<void> {
    const d = s.spec.destination;
    const ok: Array<{ record: BufferedRecord; data: Buffer; keys?: Record<string, string> }> = [];
    const errors: ErrorLine[] = [];
    let dropped = 0;
    for (const group of chunk(batch, LIMITS.bytesPerInvocation)) {
      if (this.aborted) throw new DeliveryAborted();
      const outcome = await this.transform(s, group);
      if ('error' in outcome) {
        for (const record of group) errors.push({ type: 'processing-failed', record, ...outcome.error });
        continue;
      }
      for (const r of outcome.results) {
        if (r.result === 'Dropped') dropped++;
        else if (r.result === 'ProcessingFailed') {
          errors.push({
            type: 'processing-failed',
            record: r.record,
            errorCode: 'Lambda.ProcessingFailedStatus',
            errorMessage: 'ProcessingFailed status set for record',
            attemptsMade: outcome.attempts,
            attemptEnding: outcome.ending,
          });
        } else ok.push({ record: r.record, data: r.data, keys: r.keys });
      }
    }
    // Records with the same partition keys share an object; each object's prefix is evaluated with the
    // arrival time of its oldest record, as Firehose does for !{timestamp:…}.
    const partitions = new Map<string, { keys?: Record<string, string>; items: typeof ok }>();
    for (const o of ok) {
      const id = JSON.stringify(Object.entries(o.keys ?? {}).sort());
      const p = partitions.get(id) ?? { keys: o.keys, items: [] };
      p.items.push(o);
      partitions.set(id, p);
    }
    const objects: Array<{ prefix: string; parts: Buffer[]; oldest: number }> = [];
    for (const p of partitions.values()) {
      const oldest = Math.min(...p.items.map((o) => o.record.arrival));
      try {
        const prefix = evaluatePrefix(d.prefix || DEFAULT_PREFIX, {
          timestamp: new Date(oldest),
          partitionKeys: p.keys,
        });
        objects.push({ prefix, parts: p.items.map((o) => o.data), oldest });
      } catch (err) {
        if (!(err instanceof PrefixError)) throw err;
        for (const o of p.items) {
          errors.push({
            type: 'partitioning-failed',
            record: o.record,
            errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
            errorMessage: err.message,
            attemptsMade: 1,
            attemptEnding: Date.now(),
          });
        }
      }
    }
    const partitionFailures = errors.filter((e) => e.type === 'partitioning-failed').length;
    for (const type of new Set(errors.map((e) => e.type))) {
      const ofType = errors.filter((e) => e.type === type);
      const oldest = Math.min(...ofType.map((e) => e.record.arrival));
      const prefix = evaluatePrefix(d.errorPrefix || DEFAULT_ERROR_PREFIX, {
        timestamp: new Date(oldest),
        errorOutputType: type,
      });
      const parts = ofType.map((e) =>
        Buffer.from(
          `${JSON.stringify({
            attemptsMade: e.attemptsMade,
            arrivalTimestamp: e.record.arrival,
            errorCode: e.errorCode,
            errorMessage: e.errorMessage,
            attemptEndingTimestamp: e.attemptEnding,
            rawData: e.record.data.toString('base64'),
            lambdaArn: functionArn(s.spec.processor),
          })}\n`,
        ),
      );
      objects.push({ prefix, parts, oldest });
    }
    const gzip = d.compression === 'GZIP';
    const written: string[] = [];
    for (const o of objects) {
      if (this.aborted) throw new DeliveryAborted();
      const key = `${o.prefix}${objectName(s.spec.name, 1, new Date(o.oldest), gzip)}`;
      // Compressed on libuv's thread pool, so a large flush does not stall the edge's event loop.
      const body = gzip ? await gzipAsync(Buffer.concat(o.parts)) : Buffer.concat(o.parts);
      await this.write(s, d.bucket, key, body, o.parts);
      written.push(key);
    }
    const report = {
      stream: s.spec.name,
      objects: written,
      ok: ok.length - partitionFailures,
      dropped,
      failed: errors.length,
    };
    this.deliveries.push(report);
    if (this.deliveries.length > 100) this.deliveries.shift();
    this.opts.log(
      `firehose ${s.spec.name} ▸ ${batch.length} records: ${report.ok} ok, ${dropped} dropped, ${errors.length} failed → ${written.length} object(s) in s3://${d.bucket}/`,
    );
  }

  /** Writes one object, retrying; as a last resort spills it to disk so that nothing accepted is lost. */
  private async write(s: Stream, bucket: string, key: string, body: Buffer, parts: Buffer[]): Promise<void> {
    try {
      await retry(() => this.opts.writeObject(bucket, key, body), { attempts: 5, baseDelayMs: 200 });
    } catch (err) {
      if (this.aborted) throw new DeliveryAborted();
      const file = path.join(
        this.opts.dataDir,
        'firehose-undelivered',
        `${s.spec.name}-${Date.now()}-${randomUUID()}`,
      );
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, Buffer.concat(parts));
      this.opts.log(
        `firehose ${s.spec.name}: could not write s3://${bucket}/${key} (${String(err)}); records saved in ${file}`,
      );
    }
  }

  private async transform(
    s: Stream,
    group: BufferedRecord[],
  ): Promise<
    | {
        results: Array<{
          record: BufferedRecord;
          result: string;
          data: Buffer;
          keys?: Record<string, string>;
        }>;
        attempts: number;
        ending: number;
      }
    | { error: { errorCode: string; errorMessage: string; attemptsMade: number; attemptEnding: number } }
  > {
    const pool = this.opts.processor(s.spec.processor);
    if (!pool) {
      return {
        error: {
          errorCode: 'Lambda.FunctionNotFound',
          errorMessage: `Function ${s.spec.processor} is not defined`,
          attemptsMade: 0,
          attemptEnding: Date.now(),
        },
      };
    }
    const event = buildFirehoseTransformEvent({
      records: group.map((r) => ({
        data: r.data,
        recordId: r.recordId,
        approximateArrivalTimestamp: r.arrival,
      })),
      deliveryStreamArn: s.arn,
      region: REGION,
      invocationId: randomUUID(),
    });
    let last = { errorCode: 'Lambda.FunctionError', errorMessage: '' };
    for (let attempt = 1; attempt <= LIMITS.invocationAttempts; attempt++) {
      const result = await pool.invoke(event);
      if (this.aborted) throw new DeliveryAborted();
      if (!result.ok) {
        last = {
          errorCode: 'Lambda.FunctionError',
          errorMessage: `The Lambda function was successfully invoked but it returned an error result. ${result.error.errorType}: ${result.error.errorMessage}`,
        };
      } else {
        const checked = checkResponse(result.value, group);
        if ('results' in checked) return { results: checked.results, attempts: attempt, ending: Date.now() };
        last = checked;
      }
      this.opts.log(
        `firehose ${s.spec.name}: transform attempt ${attempt} failed: ${last.errorCode} ${last.errorMessage}`,
      );
      if (attempt < LIMITS.invocationAttempts)
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs));
    }
    return { error: { ...last, attemptsMade: LIMITS.invocationAttempts, attemptEnding: Date.now() } };
  }
}

const JOURNAL_KIND = 'firehose/';

/** A delivery stopped by `abort()`: its records stay in the journal. */
class DeliveryAborted extends Error {}

/** One journal entry: `[f64 arrival][u32 count]` then `[u32 length][bytes]` per record. */
function encodeEntry(arrival: number, records: readonly Buffer[]): Buffer {
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
function decodeEntry(payload: Buffer): { arrival: number; records: Buffer[] } {
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

function decodeData(data: unknown, field: string): Buffer {
  if (typeof data !== 'string') {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  // Node's decoder skips what is not base64; AWS's JSON protocol refuses the whole request instead, with
  // a SerializationException such as "'string' can not be converted to a Blob: Base64 encoded length is
  // expected a multiple of 4 bytes but found: 6" (the Coral message seen from Kinesis/Firehose clients).
  if (data.length % 4 !== 0) {
    throw new AwsError(
      'SerializationException',
      `'${shown(data)}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: ${data.length}`,
    );
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
    throw new AwsError(
      'SerializationException',
      `'${shown(data)}' can not be converted to a Blob: Invalid Base64 character found`,
    );
  }
  const buf = Buffer.from(data, 'base64');
  if (buf.length > LIMITS.bytesPerRecord) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${LIMITS.bytesPerRecord}`,
    );
  }
  return buf;
}

/** A client's value quoted in an error message: at most 64 characters, printable. */
function shown(v: string): string {
  const s = v.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

function chunk(batch: BufferedRecord[], maxBytes: number): BufferedRecord[][] {
  const out: BufferedRecord[][] = [];
  let cur: BufferedRecord[] = [];
  let size = 0;
  for (const r of batch) {
    if (cur.length > 0 && size + r.data.length > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += r.data.length;
  }
  if (cur.length) out.push(cur);
  return out;
}

const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** Firehose's checks on a transform's response: shape, every recordId exactly once, size. */
function checkResponse(
  value: unknown,
  group: BufferedRecord[],
):
  | {
      results: Array<{ record: BufferedRecord; result: string; data: Buffer; keys?: Record<string, string> }>;
    }
  | { errorCode: string; errorMessage: string } {
  const size = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (size > MAX_RESPONSE_BYTES) {
    return {
      errorCode: 'Lambda.FunctionError',
      errorMessage: `Response payload size (${size} bytes) exceeded maximum allowed payload size (6291556 bytes).`,
    };
  }
  const parsed = FirehoseTransformResponseSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      errorCode: 'Lambda.InvalidReturnFormat',
      errorMessage: `Invalid response from the transform: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
    };
  }
  const byId = new Map(group.map((r) => [r.recordId, r]));
  const seen = new Set<string>();
  const results: Array<{
    record: BufferedRecord;
    result: string;
    data: Buffer;
    keys?: Record<string, string>;
  }> = [];
  for (const r of parsed.data.records) {
    const record = byId.get(r.recordId);
    if (!record)
      return {
        errorCode: 'Lambda.InvalidRecordId',
        errorMessage: `Unknown recordId ${r.recordId} in the response`,
      };
    if (seen.has(r.recordId))
      return {
        errorCode: 'Lambda.DuplicatedRecordId',
        errorMessage: `recordId ${r.recordId} returned twice`,
      };
    seen.add(r.recordId);
    results.push({
      record,
      result: r.result,
      data: Buffer.from(r.data ?? '', 'base64'),
      keys: r.metadata?.partitionKeys,
    });
  }
  if (seen.size !== group.length) {
    return {
      errorCode: 'Lambda.MissingRecordId',
      errorMessage: `${group.length - seen.size} recordId(s) missing from the response`,
    };
  }
  return { results };
}
