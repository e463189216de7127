// The Firehose transformation, as pure logic: each record is validated on its own and answered with Ok
// (normalised, newline-terminated JSON plus dynamic-partitioning keys), Dropped (configured noise) or
// ProcessingFailed (with a reason for logs and metrics). Every input recordId is answered exactly once,
// in input order, and the serialised response never exceeds `maxResponseBytes` (Lambda's 6 MB limit).
import type { FirehoseResponseRecord, FirehoseTransformResponse } from '../../shared/events/index.ts';
import { type NormalisedEvent, parseEventRecord, partitionKeys } from './schema.ts';

export interface TransformOptions {
  /** Record `type`s answered with Dropped (e.g. `heartbeat`). */
  dropTypes: ReadonlySet<string>;
  /**
   * Upper bound on the UTF-8 size of the serialised response. Lambda refuses a synchronous response
   * above 6 MB; the default leaves headroom under 6,000,000 bytes.
   */
  maxResponseBytes: number;
  /**
   * Largest normalised record (bytes of the JSON line) accepted. Every Ok record becomes one DynamoDB
   * item, and an item may not exceed 400 KB, so the default stays well below that.
   */
  maxEventBytes: number;
}

export const DEFAULT_TRANSFORM_OPTIONS: TransformOptions = {
  dropTypes: new Set(['heartbeat']),
  maxResponseBytes: 5_800_000,
  maxEventBytes: 350_000,
};

export type FailureCode = 'empty' | 'not-utf8' | 'invalid-json' | 'schema' | 'too-large' | 'response-limit';

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

// `fatal: true` makes invalid UTF-8 an error instead of silently becoming U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Verdict =
  | { kind: 'ok'; event: NormalisedEvent; line: Buffer }
  | { kind: 'dropped' }
  | { kind: 'failed'; code: FailureCode; reason: string };

/** Decides one record from its raw bytes. Never throws. */
export function judgeRecord(bytes: Uint8Array, options: TransformOptions): Verdict {
  if (bytes.length === 0) return { kind: 'failed', code: 'empty', reason: 'record is empty' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'failed', code: 'not-utf8', reason: 'record is not valid UTF-8' };
  }
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
  const parsed = parseEventRecord(value);
  if (!parsed.ok) return { kind: 'failed', code: 'schema', reason: `schema violation: ${parsed.reason}` };
  if (options.dropTypes.has(parsed.event.type)) return { kind: 'dropped' };
  const line = Buffer.from(`${JSON.stringify(parsed.event)}\n`, 'utf8');
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

/** Transforms one Firehose batch. Pure: no I/O, no clock, no randomness. */
export function transformRecords(
  records: readonly InputRecord[],
  options: TransformOptions = DEFAULT_TRANSFORM_OPTIONS,
): TransformOutcome {
  const out: FirehoseResponseRecord[] = new Array(records.length);
  const failures: RecordFailure[] = [];
  const counts = { ok: 0, dropped: 0, failed: 0 };

  // Budget: whatever happens to the records before it, each record can always fall back to
  // ProcessingFailed with its original data. Keep room for that fallback for every record not yet
  // decided, so an Ok that would not fit turns into a fallback and the total never exceeds the limit.
  const idBytes = records.map((r) => Buffer.byteLength(JSON.stringify(r.recordId)));
  const fallback = records.map((r, i) => entrySize(idBytes[i]!, 'ProcessingFailed', r.data.length, 0));
  let reserved = fallback.reduce((a, b) => a + b, 0);
  let used = records.length ? ENVELOPE - 1 : ENVELOPE; // the last entry has no trailing comma

  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    reserved -= fallback[i]!;
    const verdict = judgeRecord(Buffer.from(rec.data, 'base64'), options);
    if (verdict.kind === 'ok') {
      const data = verdict.line.toString('base64');
      const metadata = { partitionKeys: partitionKeys(verdict.event) };
      const metaBytes = 12 + Buffer.byteLength(JSON.stringify(metadata)); // ,"metadata":{...}
      const size = entrySize(idBytes[i]!, 'Ok', data.length, metaBytes);
      if (used + size + reserved <= options.maxResponseBytes) {
        out[i] = { recordId: rec.recordId, result: 'Ok', data, metadata };
        used += size;
        counts.ok++;
        continue;
      }
      const reason =
        `response size limit: the normalised record would push the response past ` +
        `${options.maxResponseBytes} bytes; resend it (it is intact under the error prefix)`;
      failures.push({ recordId: rec.recordId, code: 'response-limit', reason });
    } else if (verdict.kind === 'dropped') {
      out[i] = { recordId: rec.recordId, result: 'Dropped', data: rec.data };
      used += entrySize(idBytes[i]!, 'Dropped', rec.data.length, 0);
      counts.dropped++;
      continue;
    } else {
      failures.push({ recordId: rec.recordId, code: verdict.code, reason: verdict.reason });
    }
    // ProcessingFailed keeps the original bytes: what lands under the error prefix is what was sent.
    out[i] = { recordId: rec.recordId, result: 'ProcessingFailed', data: rec.data };
    used += fallback[i]!;
    counts.failed++;
  }
  return { response: { records: out }, failures, counts, responseBytes: used };
}
