// Firehose delivery on the local cloud: one buffer flush runs the stream's transform Lambda synchronously
// (in chunks of Firehose's 1 MB processor buffer, each invocation retried as Firehose retries it), checks
// the response as Firehose does, writes Ok records to S3 under the evaluated prefix (dynamic partitioning
// from metadata.partitionKeys, GZIP per definition), failed records under the error prefix in Firehose's
// processing-failed format, and discards Dropped ones. A write S3 keeps refusing is spilled to disk.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { buildFirehoseTransformEvent } from '../../../shared/events/builders.ts';
import {
  type FirehoseResponseRecord,
  FirehoseTransformResponseSchema,
} from '../../../shared/events/firehose.ts';
import { retry } from '../../../shared/retry.ts';
import { type FunctionPool, functionArn } from '../lambda.ts';
import { REGION } from '../names.ts';
import { type BufferedRecord, DeliveryAborted, type Stream } from './buffer.ts';
import { DEFAULT_ERROR_PREFIX, DEFAULT_PREFIX, evaluatePrefix, objectName, PrefixError } from './prefix.ts';

const gzipAsync = promisify(gzipCallback);

/** Raw bytes per transform invocation (Firehose's default Lambda processor buffer, 1 MB). */
const BYTES_PER_INVOCATION = 1024 * 1024;
/** Transform invocations in all (1 + Firehose's default 3 retries). */
const INVOCATION_ATTEMPTS = 4;
/** Lambda's limit on a synchronous response. */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

export interface DeliveryOptions {
  /** The transform's pool, looked up at delivery time. */
  processor: (functionId: string) => FunctionPool | undefined;
  writeObject: (bucket: string, key: string, body: Buffer) => Promise<void>;
  retryDelayMs: number;
  dataDir: string;
  log: (line: string) => void;
}

export interface DeliveryReport {
  stream: string;
  objects: string[];
  ok: number;
  dropped: number;
  failed: number;
}

/** A record as the transform returned it (the one name of this type). */
export interface TransformedRecord {
  record: BufferedRecord;
  result: FirehoseResponseRecord['result'];
  data: Buffer;
  keys?: Record<string, string>;
}

interface TransformFailure {
  errorCode: string;
  errorMessage: string;
}

interface ErrorLine extends TransformFailure {
  type: string;
  record: BufferedRecord;
  attemptsMade: number;
  attemptEnding: number;
}

export class Delivery {
  /** The latest 100 deliveries, oldest first (GET /_local/firehose). */
  readonly reports: DeliveryReport[] = [];
  /** Set when the grace period of a stop is over: deliveries stop before their next step. */
  aborted = false;

  constructor(private readonly opts: DeliveryOptions) {}

  /** One buffer flush: transform, partition, write. Never throws away an accepted record silently. */
  async deliver(s: Stream, batch: BufferedRecord[]): Promise<void> {
    const d = s.spec.destination;
    const ok: TransformedRecord[] = [];
    const errors: ErrorLine[] = [];
    let dropped = 0;
    for (const group of chunk(batch, BYTES_PER_INVOCATION)) {
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
        } else ok.push(r);
      }
    }
    // Records with the same partition keys share an object; each object's prefix is evaluated with the
    // arrival time of its oldest record, as Firehose does for !{timestamp:…}.
    const partitions = new Map<string, { keys?: Record<string, string>; items: TransformedRecord[] }>();
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
            lambdaArn: functionArn(s.processor),
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
    this.reports.push(report);
    if (this.reports.length > 100) this.reports.shift();
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
    | { results: TransformedRecord[]; attempts: number; ending: number }
    | { error: TransformFailure & { attemptsMade: number; attemptEnding: number } }
  > {
    const pool = this.opts.processor(s.processor);
    if (!pool) {
      return {
        error: {
          errorCode: 'Lambda.FunctionNotFound',
          errorMessage: `Function ${s.processor} is not defined`,
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
    let last: TransformFailure = { errorCode: 'Lambda.FunctionError', errorMessage: '' };
    for (let attempt = 1; attempt <= INVOCATION_ATTEMPTS; attempt++) {
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
      if (attempt < INVOCATION_ATTEMPTS) await new Promise((r) => setTimeout(r, this.opts.retryDelayMs));
    }
    return { error: { ...last, attemptsMade: INVOCATION_ATTEMPTS, attemptEnding: Date.now() } };
  }
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

/** Firehose's checks on a transform's response: shape, every recordId exactly once, size. */
function checkResponse(
  value: unknown,
  group: BufferedRecord[],
): { results: TransformedRecord[] } | TransformFailure {
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
  const results: TransformedRecord[] = [];
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
