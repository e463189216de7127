// The Firehose transformation, as pure logic: each record is validated on its own and answered with Ok
// (normalised, newline-terminated JSON plus dynamic-partitioning keys), Dropped (configured noise) or
// ProcessingFailed (with a reason for logs and metrics). Every input recordId is answered exactly once,
// in input order, and the serialised response never exceeds `maxResponseBytes` (Lambda's 6 MB limit).
import { isUtf8 } from 'node:buffer';
import {
  decodeFirehoseData,
  type FirehoseResponseRecord,
  type FirehoseTransformResponse,
} from '../../shared/events/firehose.ts';
import { DEFAULT_TRANSFORM_OPTIONS } from './config.ts';
import { type NormalisedEvent, parseEventRecord, partitionKeys } from './schema.ts';

export interface TransformOptions {
  /** Record `type`s answered with Dropped (e.g. `heartbeat`). Settings and defaults: config.ts. */
  dropTypes: ReadonlySet<string>;
  /**
   * Upper bound on the UTF-8 size of the serialised response. Lambda refuses a synchronous response
   * above 6,291,556 bytes ("Response payload size exceeded maximum allowed payload size"); the default,
   * 6 MiB, stays just under it. Keep it at least as large as the biggest request Firehose can send (the
   * same 6 MB cap), so that every record's fallback answer always fits.
   */
  maxResponseBytes: number;
  /**
   * Largest normalised record (bytes of the JSON line) accepted. Every Ok record becomes one DynamoDB
   * item, and an item may not exceed 400 KB, so the default stays well below that.
   */
  maxEventBytes: number;
}

export type FailureCode =
  | 'invalid-base64'
  | 'empty'
  | 'not-utf8'
  | 'invalid-json'
  | 'schema'
  | 'unprocessable'
  | 'too-large'
  | 'response-limit';

export interface RecordFailure {
  recordId: string;
  code: FailureCode;
  reason: string;
}

export interface TransformOutcome {
  response: FirehoseTransformResponse;
  failures: RecordFailure[];
  counts: { ok: number; dropped: number; failed: number };
  /** Byte size of `JSON.stringify(response)` (computed, not measured). */
  responseBytes: number;
}

export interface InputRecord {
  recordId: string;
  /** base64, exactly as Firehose sends it. */
  data: string;
}

/**
 * The record's text, or undefined when its bytes are not UTF-8 (rather than letting invalid bytes become
 * U+FFFD). A leading byte-order mark is dropped, as the WHATWG decoder does. `isUtf8` (simdutf) and
 * `toString` took 1.9 ms on the stream bench's 5.5 MB batch where a `TextDecoder` with `fatal: true` took
 * 4.1 ms (quiet machine); test/stream/transform.test.ts holds both to the same verdicts.
 */
export function utf8Text(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
}

type Verdict =
  | { kind: 'ok'; event: NormalisedEvent; line: Buffer }
  | { kind: 'dropped' }
  | { kind: 'failed'; code: FailureCode; reason: string };

/** Decides one record from its raw bytes. Never throws. */
export function judgeRecord(bytes: Buffer, options: TransformOptions): Verdict {
  if (bytes.length === 0) return { kind: 'failed', code: 'empty', reason: 'record is empty' };
  const text = utf8Text(bytes);
  if (text === undefined) return { kind: 'failed', code: 'not-utf8', reason: 'record is not valid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      kind: 'failed',
      code: 'invalid-json',
      reason: `invalid JSON: ${(err as Error).message.slice(0, 200)}`,
    };
  }
  let parsed: ReturnType<typeof parseEventRecord>;
  let line: Buffer;
  try {
    parsed = parseEventRecord(value);
    if (!parsed.ok) return { kind: 'failed', code: 'schema', reason: `schema violation: ${parsed.reason}` };
    if (options.dropTypes.has(parsed.event.type)) return { kind: 'dropped' };
    line = Buffer.from(`${JSON.stringify(parsed.event)}\n`, 'utf8');
  } catch (err) {
    // JSON.parse copes with any nesting, but serialising (and canonicalising for eventId) recurses: data
    // nested thousands of levels deep overflows the stack. That is this record's problem, not the batch's.
    return {
      kind: 'failed',
      code: 'unprocessable',
      reason: `record cannot be normalised: ${(err as Error).message.slice(0, 200)}`,
    };
  }
  if (line.length > options.maxEventBytes) {
    return {
      kind: 'failed',
      code: 'too-large',
      reason: `normalised record is ${line.length} bytes, above the ${options.maxEventBytes}-byte limit`,
    };
  }
  return { kind: 'ok', event: parsed.event, line };
}

// Serialised sizes, so the response size is known without serialising it twice.
const ENVELOPE = '{"records":[]}'.length;
const entrySize = (idBytes: number, result: string, dataLength: number, metaBytes: number) =>
  // {"recordId":<id>,"result":"<result>","data":"<data>"<meta>} plus a separating comma
  12 + idBytes + 11 + result.length + 10 + dataLength + 1 + metaBytes + 1 + 1;

/** UTF-8 size of a string as JSON; Firehose record ids are plain ASCII, so that case is quick. */
function jsonBytes(s: string): number {
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s) ? s.length + 2 : Buffer.byteLength(JSON.stringify(s));
}

type Metadata = NonNullable<FirehoseResponseRecord['metadata']>;
/** Partition metadata per (type, day), shared between records: batches repeat a few of each. */
function metadataCache() {
  const cache = new Map<string, { metadata: Metadata; bytes: number }>();
  return (event: NormalisedEvent) => {
    const keys = partitionKeys(event);
    const id = `${keys.type}\u0000${keys.dt}`;
    let hit = cache.get(id);
    if (!hit) {
      const metadata = { partitionKeys: keys };
      hit = { metadata, bytes: 12 + Buffer.byteLength(JSON.stringify(metadata)) }; // ,"metadata":{...}
      cache.set(id, hit);
    }
    return hit;
  };
}

/** Transforms one Firehose batch. Pure: no I/O, no clock, no randomness. */
export function transformRecords(
  records: readonly InputRecord[],
  options: TransformOptions = DEFAULT_TRANSFORM_OPTIONS,
): TransformOutcome {
  const n = records.length;
  const failures: RecordFailure[] = [];
  const counts = { ok: 0, dropped: 0, failed: 0 };
  const metadataFor = metadataCache();

  // Pass 1: judge every record and size its answer. Dropped and ProcessingFailed answers carry the
  // original data, so they are never larger than the ProcessingFailed fallback for that record.
  const out: FirehoseResponseRecord[] = new Array(n);
  const size = new Array<number>(n);
  const fallback = new Array<number>(n);
  let total = n ? ENVELOPE - 1 : ENVELOPE; // the last entry has no trailing comma
  for (let i = 0; i < n; i++) {
    const rec = records[i]!;
    const idBytes = jsonBytes(rec.recordId);
    fallback[i] = entrySize(idBytes, 'ProcessingFailed', rec.data.length, 0);
    const bytes = decodeFirehoseData(rec.data);
    if (bytes === undefined) {
      // Only this record fails. Its answer must still be base64 (Firehose rejects the whole response
      // otherwise), so it carries what a lenient decoder makes of the text, re-encoded: never longer.
      const data = Buffer.from(rec.data, 'base64').toString('base64');
      out[i] = { recordId: rec.recordId, result: 'ProcessingFailed', data };
      size[i] = entrySize(idBytes, 'ProcessingFailed', data.length, 0);
      failures.push({ recordId: rec.recordId, code: 'invalid-base64', reason: 'record data is not base64' });
      total += size[i]!;
      continue;
    }
    const verdict = judgeRecord(bytes, options);
    if (verdict.kind === 'ok') {
      const data = verdict.line.toString('base64');
      const meta = metadataFor(verdict.event);
      out[i] = { recordId: rec.recordId, result: 'Ok', data, metadata: meta.metadata };
      size[i] = entrySize(idBytes, 'Ok', data.length, meta.bytes);
    } else if (verdict.kind === 'dropped') {
      out[i] = { recordId: rec.recordId, result: 'Dropped', data: rec.data };
      size[i] = entrySize(idBytes, 'Dropped', rec.data.length, 0);
    } else {
      // ProcessingFailed keeps the original bytes: what lands under the error prefix is what was sent.
      out[i] = { recordId: rec.recordId, result: 'ProcessingFailed', data: rec.data };
      size[i] = fallback[i]!;
      failures.push({ recordId: rec.recordId, code: verdict.code, reason: verdict.reason });
    }
    total += size[i]!;
  }

  // Pass 2, only when the answers do not fit: keep every answer that is no bigger than its fallback, and
  // each larger Ok answer while room remains after reserving the smallest possible answer for every
  // record still to come; the others become ProcessingFailed with their original data (reason logged).
  // Taking Ok answers in input order is greedy, not optimal, but never exceeds the limit as long as the
  // all-fallback answer fits, which holds for any batch Firehose can send (its request is capped at
  // 6 MB and a fallback answer is shorter than the request record it answers).
  if (total > options.maxResponseBytes) {
    let reserved = 0;
    for (let i = 0; i < n; i++) reserved += Math.min(size[i]!, fallback[i]!);
    let used = n ? ENVELOPE - 1 : ENVELOPE;
    for (let i = 0; i < n; i++) {
      const min = Math.min(size[i]!, fallback[i]!);
      reserved -= min;
      if (size[i]! > fallback[i]! && used + size[i]! + reserved > options.maxResponseBytes) {
        const rec = records[i]!;
        out[i] = { recordId: rec.recordId, result: 'ProcessingFailed', data: rec.data };
        size[i] = fallback[i]!;
        failures.push({
          recordId: rec.recordId,
          code: 'response-limit',
          reason:
            `response size limit: the normalised record would push the response past ` +
            `${options.maxResponseBytes} bytes; it is intact under the error prefix; 'npm run replay' re-sends it`,
        });
      }
      used += size[i]!;
    }
    total = used;
  }

  for (const r of out) {
    if (r.result === 'Ok') counts.ok++;
    else if (r.result === 'Dropped') counts.dropped++;
    else counts.failed++;
  }
  return { response: { records: out }, failures, counts, responseBytes: total };
}
