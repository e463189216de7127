// Replays records that Firehose wrote under the lake's error prefix (processing failures, dynamic
// partitioning overflow `activePartitionExceeded`, ...) back into the delivery stream, after a fix. Each
// error object is read (GZIP or plain), each line's `rawData` decoded and judged exactly as the transform
// would judge it (transform.ts `judgeRecord`, i.e. the one schema in schema.ts); records that would now be
// accepted are re-sent through the producer (which resends partial failures), the others are counted with
// their reasons and left where they are. Safe to run twice: the table's keys are deterministic (a re-sent
// record overwrites its own item), and each object whose records were all dealt with is moved under
// `<error root>replayed/<run>/`, while an object with records still invalid or unsent keeps just those
// lines (its original is saved under `replayed/` first), so a second run re-sends nothing.
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  decodeFirehoseData,
  FirehoseErrorRecordSchema,
  firehoseErrorCode,
} from '../../shared/events/firehose.ts';
import { loadTransformConfig } from './config.ts';
import { streamEtl } from './definition.ts';
import { objectLines } from './loader.ts';
import { type ProduceOptions, putRecords } from './producer.ts';
import { judgeRecord, type TransformOptions } from './transform.ts';

const gzipAsync = promisify(gzipCallback);

/** The literal part of an S3 prefix template, up to its first `!{…}` expression. */
export function staticPrefix(template: string): string {
  const i = template.indexOf('!{');
  return i === -1 ? template : template.slice(0, i);
}

/**
 * The transform's options as the definition deploys them (its literal settings, parsed by the transform's own
 * config schema), so that replay judges a record exactly as the deployed function will. Settings the
 * definition leaves unset keep the transform's defaults.
 */
export function deployedTransformOptions(): TransformOptions {
  const fn = streamEtl.functions.find((f) => f.id === 'stream-transform');
  const literals = Object.entries(fn?.environment ?? {}).flatMap(([name, v]) =>
    typeof v === 'string' ? [[name, v] as const] : [],
  );
  return loadTransformConfig(Object.fromEntries(literals));
}

/** The `events` stream's error root in the lake, from the definition: `errors/`. */
export const DEFAULT_ERROR_ROOT = staticPrefix(
  streamEtl.resources.streams?.find((s) => s.name === 'events')?.destination.errorPrefix ?? 'errors/',
);

export interface ReplayOptions {
  /** The lake bucket (locally `lake`; on AWS the stack output `BucketLakeName`). */
  bucket: string;
  /** The delivery stream (locally `events`; on AWS the stack output `StreamEventsName`). */
  streamName: string;
  s3: S3Client;
  firehose: FirehoseClient;
  /** Where Firehose writes failed records: the static part of the error prefix. Default `errors/`. */
  errorRoot?: string;
  /** Only objects under this prefix (e.g. `errors/activePartitionExceeded/`). Default: `errorRoot`. */
  prefix?: string;
  /** Judge and report only: send nothing, change nothing in S3. */
  dryRun?: boolean;
  /** Stop after this many objects (the rest are left for another run). */
  maxObjects?: number;
  /** Names this run's folder under `replayed/`. Default: the start time, `2024-05-01T12-00-00-000Z`. */
  runId?: string;
  /** How the transform judges records; default `deployedTransformOptions()`. */
  transform?: TransformOptions;
  /** Passed to the producer (`maxAttempts`, `baseDelayMs`, ...). */
  produce?: Omit<ProduceOptions, 'streamName' | 'client'>;
  /** Called after each object. */
  onObject?: (o: ObjectOutcome) => void;
}

export interface InvalidRecord {
  key: string;
  /** 1-based line in the (decompressed) object. */
  line: number;
  /** Firehose's error code for the record (why it landed here). */
  errorCode: string;
  /** Why it still cannot be replayed: the transform's verdict, or what is wrong with the line. */
  reason: string;
}

export interface SendFailureAt {
  key: string;
  line: number;
  errorCode: string;
  errorMessage: string;
}

export interface ObjectOutcome {
  key: string;
  records: number;
  resent: number;
  stillInvalid: number;
  dropped: number;
  failed: number;
  /** What was done with the object: moved under replayed/, rewritten with the leftovers, or left alone. */
  action: 'moved' | 'rewritten' | 'unchanged' | 'dry-run';
  replayedKey?: string;
}

export interface ReplayReport {
  runId: string;
  dryRun: boolean;
  objectsRead: number;
  objectsMoved: number;
  objectsRewritten: number;
  /** Error records (non-blank lines) found. */
  recordsFound: number;
  /** Records the stream accepted (in a dry run: that would be sent). */
  resent: number;
  /** Records the transform would still reject, or lines that are not Firehose error records. */
  stillInvalid: number;
  /** Valid records of a type the transform drops (e.g. `heartbeat`): resolved without sending. */
  dropped: number;
  /** Records the stream did not accept after every retry (left in place for the next run). */
  failed: number;
  /** Still-invalid counts by reason code (`schema`, `invalid-json`, `not-an-error-record`, ...). */
  invalidByCode: Record<string, number>;
  /** The first `MAX_DETAILS` still-invalid records, with reasons. */
  invalid: InvalidRecord[];
  failures: SendFailureAt[];
  /** Objects that could not be read or marked (S3 errors), with the error; the run went on without them. */
  objectErrors: Array<{ key: string; error: string }>;
  objects: ObjectOutcome[];
}

export const MAX_DETAILS = 1_000;

/** `2024-05-01T12:00:00.000Z` → `2024-05-01T12-00-00-000Z`: sortable and free of `:` and `.`. */
const stampOf = (d: Date) => d.toISOString().replace(/[:.]/g, '-');

/** Where an object's original is kept once replayed: `<root>replayed/<run>/<key below the root>`. */
export function replayedKey(key: string, errorRoot: string, runId: string): string {
  const rest = key.startsWith(errorRoot) ? key.slice(errorRoot.length) : key;
  return `${errorRoot}replayed/${runId}/${rest}`;
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new Error(`GetObject returned no body for s3://${bucket}/${key}`);
  return Buffer.from(await out.Body.transformToByteArray());
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

type LineVerdict =
  | { kind: 'send'; bytes: Buffer }
  | { kind: 'dropped' }
  | { kind: 'invalid'; code: string; reason: string; errorCode: string };

/** Judges one line of an error object. Never throws. */
export function judgeErrorLine(text: string, transform: TransformOptions): LineVerdict {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      kind: 'invalid',
      code: 'not-an-error-record',
      reason: 'line is not JSON',
      errorCode: 'unknown',
    };
  }
  const parsed = FirehoseErrorRecordSchema.safeParse(json);
  if (!parsed.success) {
    return {
      kind: 'invalid',
      code: 'not-an-error-record',
      reason: 'line is not a Firehose error record (no rawData string)',
      errorCode: 'unknown',
    };
  }
  const errorCode = firehoseErrorCode(parsed.data);
  const bytes = decodeFirehoseData(parsed.data.rawData);
  if (!bytes) return { kind: 'invalid', code: 'invalid-base64', reason: 'rawData is not base64', errorCode };
  const verdict = judgeRecord(bytes, transform);
  if (verdict.kind === 'failed')
    return { kind: 'invalid', code: verdict.code, reason: verdict.reason, errorCode };
  if (verdict.kind === 'dropped') return { kind: 'dropped' };
  // The original bytes, not the normalised line: the transform judges the record afresh on its way in.
  return { kind: 'send', bytes };
}

/** Replays every error object under the prefix; see the header. Throws only if the listing fails. */
export async function replayErrors(options: ReplayOptions): Promise<ReplayReport> {
  const errorRoot = options.errorRoot ?? DEFAULT_ERROR_ROOT;
  const prefix = options.prefix ?? errorRoot;
  const replayedRoot = `${errorRoot}replayed/`;
  const transform = options.transform ?? deployedTransformOptions();
  const dryRun = options.dryRun ?? false;
  const runId = options.runId ?? stampOf(new Date());
  const report: ReplayReport = {
    runId,
    dryRun,
    objectsRead: 0,
    objectsMoved: 0,
    objectsRewritten: 0,
    recordsFound: 0,
    resent: 0,
    stillInvalid: 0,
    dropped: 0,
    failed: 0,
    invalidByCode: {},
    invalid: [],
    failures: [],
    objectErrors: [],
    objects: [],
  };

  // List first, then work: objects this run writes (rewritten leftovers) are not read again by it.
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: options.s3 },
    { Bucket: options.bucket, Prefix: prefix },
  )) {
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.startsWith(replayedRoot) || o.Key.endsWith('/')) continue;
      keys.push(o.Key);
    }
  }

  const replayObject = async (key: string): Promise<void> => {
    const body = await readObject(options.s3, options.bucket, key);
    report.objectsRead++;
    const lines: string[] = [];
    for await (const line of objectLines(Readable.from([body]))) lines.push(line);

    const outcome: ObjectOutcome = {
      key,
      records: 0,
      resent: 0,
      stillInvalid: 0,
      dropped: 0,
      failed: 0,
      action: dryRun ? 'dry-run' : 'unchanged',
    };
    /** Lines (0-based) to keep in the object: still invalid, or not accepted by the stream. */
    const keep = new Set<number>();
    const toSend: Array<{ index: number; bytes: Buffer }> = [];
    lines.forEach((text, index) => {
      if (text.trim() === '') return;
      outcome.records++;
      const v = judgeErrorLine(text, transform);
      if (v.kind === 'send') toSend.push({ index, bytes: v.bytes });
      else if (v.kind === 'dropped') outcome.dropped++;
      else {
        outcome.stillInvalid++;
        keep.add(index);
        report.invalidByCode[v.code] = (report.invalidByCode[v.code] ?? 0) + 1;
        if (report.invalid.length < MAX_DETAILS) {
          report.invalid.push({ key, line: index + 1, errorCode: v.errorCode, reason: v.reason });
        }
      }
    });

    if (dryRun) outcome.resent = toSend.length;
    else if (toSend.length) {
      const result = await putRecords(
        toSend.map((r) => r.bytes),
        { ...options.produce, streamName: options.streamName, client: options.firehose },
      );
      outcome.resent = result.sent;
      outcome.failed = result.failed.length;
      for (const f of result.failed) {
        const index = toSend[f.index]!.index;
        keep.add(index);
        if (report.failures.length < MAX_DETAILS) {
          report.failures.push({
            key,
            line: index + 1,
            errorCode: f.errorCode,
            errorMessage: f.errorMessage,
          });
        }
      }
    }

    // Mark what was dealt with. The original is saved under replayed/ before anything is removed, so an
    // interrupted run loses nothing (at worst the next run re-sends records, which the keys absorb).
    const resolved = outcome.records - keep.size;
    if (!dryRun && resolved > 0) {
      const saved = replayedKey(key, errorRoot, runId);
      await options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: saved, Body: body }));
      outcome.replayedKey = saved;
      if (keep.size === 0) {
        await options.s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
        outcome.action = 'moved';
        report.objectsMoved++;
      } else {
        const text = Buffer.from(
          `${[...keep]
            .sort((a, b) => a - b)
            .map((i) => lines[i])
            .join('\n')}\n`,
        );
        const rest = isGzip(body) ? await gzipAsync(text) : text;
        await options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: rest }));
        outcome.action = 'rewritten';
        report.objectsRewritten++;
      }
    }

    report.recordsFound += outcome.records;
    report.resent += outcome.resent;
    report.stillInvalid += outcome.stillInvalid;
    report.dropped += outcome.dropped;
    report.failed += outcome.failed;
    report.objects.push(outcome);
    options.onObject?.(outcome);
  };

  for (const key of keys.slice(0, options.maxObjects ?? keys.length)) {
    try {
      await replayObject(key);
    } catch (err) {
      // One unreadable or unwritable object does not stop the run. If it failed after sending, the
      // object is still in place and the next run re-sends its records, which the table's keys absorb.
      const e = err as Error;
      report.objectErrors.push({ key, error: `${e.name}: ${e.message}` });
    }
  }
  return report;
}
