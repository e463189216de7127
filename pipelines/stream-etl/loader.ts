// Loads one lake object (NDJSON, GZIP or plain) into the events table: streams it line by line, turns each
// valid line into an item with deterministic keys (schema.ts `eventKeys`), and writes with BatchWriteItem,
// 25 items a call, several calls in flight, retrying UnprocessedItems with backoff and jitter. A bad line
// is reported (returned, and logged and counted by `loadChanges`) and never stops the other lines.
// `loadChanges` is the loader function's work for one S3 notification; handlers/stream-loader.ts wires it.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { S3ObjectChange } from '../../shared/events/s3.ts';
import type { Logger } from '../../shared/logger.ts';
import { retry } from '../../shared/retry.ts';
import type { LoaderConfig } from './config.ts';
import { eventKeys, type NormalisedEvent, parseEventRecord } from './schema.ts';

/** DynamoDB's cap on requests per BatchWriteItem call. */
export const BATCH_SIZE = 25;
/** DynamoDB's item size limit (attribute names and values, UTF-8). */
const MAX_ITEM_BYTES = 400 * 1024;

export type EventItem = Record<string, AttributeValue>;

export interface BadLine {
  /** 1-based line number in the (decompressed) object. */
  line: number;
  reason: string;
}

/** The table item for a normalised event. `data` is stored as JSON text: exact, any depth, any shape. */
export function toItem(e: NormalisedEvent): EventItem {
  const { pk, sk } = eventKeys(e);
  return {
    pk: { S: pk },
    sk: { S: sk },
    eventId: { S: e.eventId },
    source: { S: e.source },
    type: { S: e.type },
    time: { S: e.time },
    data: { S: JSON.stringify(e.data) },
  };
}

function itemBytes(item: EventItem): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) n += name.length + Buffer.byteLength(value.S ?? '');
  return n;
}

/** Parses one NDJSON line of the lake into an item, or says why it cannot be loaded. */
export function lineToItem(text: string): { ok: true; item: EventItem } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  let item: EventItem;
  try {
    const parsed = parseEventRecord(value);
    if (!parsed.ok) return { ok: false, reason: `schema violation: ${parsed.reason}` };
    item = toItem(parsed.event);
  } catch (err) {
    // e.g. data nested so deep that serialising it overflows the stack: a bad line, not a failed object.
    return { ok: false, reason: `line cannot be processed: ${(err as Error).message.slice(0, 200)}` };
  }
  const size = itemBytes(item);
  if (size > MAX_ITEM_BYTES)
    return { ok: false, reason: `item is ${size} bytes, above DynamoDB's 400 KB limit` };
  return { ok: true, item };
}

/**
 * The lines of an object body, decompressed when it starts with the GZIP magic bytes (1f 8b); Firehose
 * may also deliver uncompressed objects. Multi-member GZIP (concatenated files) is read in full.
 */
export async function* objectLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const iterator = body[Symbol.asyncIterator]();
  // Gather at least the two magic bytes (a stream may hand them over one at a time).
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  if (!head.length) return;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
  };
  async function* all() {
    yield head;
    yield* rest;
  }
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const source = Readable.from(all(), { objectMode: false });
  const stream = gzip ? source.pipe(createGunzip()) : source;
  if (gzip) source.on('error', (err) => stream.destroy(err));
  try {
    yield* createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  } finally {
    // When the consumer stops early (a failed write), release the body (an open HTTP response) too.
    stream.destroy();
    source.destroy();
    await iterator.return?.();
  }
}

export interface WriteOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Attempts per batch, including the first. Default 8. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** BatchWriteItem calls in flight at once. Default 4. */
  concurrency?: number;
  /** Epoch ms after which no retry wait starts (the Lambda's remaining time). */
  deadline?: number;
  onRetry?: (info: { attempt: number; unprocessed: number; delayMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
  /** Collects the (source, day) of every item sent to the table, keyed `source\nday` (loadLines). */
  touched?: Map<string, Touched>;
}

export class UnprocessedItemsError extends Error {
  readonly remaining: number;
  constructor(remaining: number) {
    super(`${remaining} items still unprocessed by BatchWriteItem`);
    this.name = 'UnprocessedItemsError';
    this.remaining = remaining;
  }
}

/** Drops repeated keys in one batch (DynamoDB rejects a batch that names an item twice); last wins. */
export function dedupeByKey(items: readonly EventItem[]): EventItem[] {
  const byKey = new Map<string, EventItem>();
  for (const item of items) byKey.set(`${item.pk?.S}\u0000${item.sk?.S}`, item);
  return [...byKey.values()];
}

/**
 * Writes up to 25 items in one BatchWriteItem, resending only UnprocessedItems with exponential backoff
 * and full jitter (shared/retry.ts) until none remain. Throws when attempts or time run out, or on a
 * non-retryable error (e.g. ValidationException): the caller's invocation then fails and is retried.
 */
export async function writeBatch(
  items: readonly EventItem[],
  opts: WriteOptions,
): Promise<{ calls: number }> {
  let pending: WriteRequest[] = dedupeByKey(items).map((Item) => ({ PutRequest: { Item } }));
  let calls = 0;
  const base = opts.baseDelayMs ?? 50;
  const max = opts.maxDelayMs ?? 2_000;
  await retry(
    async () => {
      calls++;
      const out: BatchWriteItemCommandOutput = await opts.client.send(
        new BatchWriteItemCommand({ RequestItems: { [opts.tableName]: pending } }),
      );
      const left = out.UnprocessedItems?.[opts.tableName] ?? [];
      pending = left;
      if (left.length) throw new UnprocessedItemsError(left.length);
    },
    {
      attempts: opts.attempts ?? 8,
      baseDelayMs: base,
      maxDelayMs: max,
      deadline: opts.deadline,
      sleep: opts.sleep,
      // SDK errors the SDK itself already retried (throttling) are worth another round; a malformed
      // request is not.
      retryable: (err) =>
        err instanceof UnprocessedItemsError ||
        !/Validation|ResourceNotFound|AccessDenied/.test(errName(err)),
      onRetry: ({ attempt, delayMs }) => opts.onRetry?.({ attempt, unprocessed: pending.length, delayMs }),
    },
  );
  return { calls };
}

function errName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

/** A (source, UTC day) the loader wrote events of: what a reader's cache must forget (events-api/cache.ts). */
export interface Touched {
  source: string;
  /** `YYYY-MM-DD` of the events' time (the first ten characters of the sort key). */
  day: string;
}

export interface LoadResult {
  lines: number;
  written: number;
  badLines: BadLine[];
  calls: number;
}

/**
 * Loads every line of `lines` into the table, up to `concurrency` batches in flight. Bad lines are
 * collected, not thrown; a write that cannot complete throws (after the other in-flight batches settle).
 */
export async function loadLines(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: WriteOptions,
): Promise<LoadResult> {
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const result: LoadResult = { lines: 0, written: 0, badLines: [], calls: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let batch: EventItem[] = [];

  const flush = async () => {
    const items = batch;
    batch = [];
    const p = writeBatch(items, opts).then(
      ({ calls }) => {
        result.calls += calls;
        result.written += items.length;
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  for await (const text of lines) {
    result.lines++;
    if (failure) break;
    if (text.trim() === '') continue; // blank lines (e.g. a trailing newline) carry nothing
    const parsed = lineToItem(text);
    if (!parsed.ok) {
      result.badLines.push({ line: result.lines, reason: parsed.reason });
      continue;
    }
    batch.push(parsed.item);
    if (opts.touched) {
      const source = parsed.item.pk!.S!;
      const day = parsed.item.sk!.S!.slice(0, 10);
      opts.touched.set(`${source}\n${day}`, { source, day });
    }
    if (batch.length === BATCH_SIZE) await flush();
  }
  if (batch.length && !failure) await flush();
  await Promise.all(inFlight);
  if (failure) throw failure;
  return result;
}

/** Bad lines logged individually per object; the rest are only counted. */
const MAX_LOGGED_BAD_LINES = 50;

export interface LoadChangesDeps {
  s3: S3Client;
  dynamo: DynamoDBClient;
  config: LoaderConfig;
  logger: Logger;
  /** Epoch ms after which no retry wait starts (the invocation's own deadline, less a reserve). */
  deadline: number;
  /**
   * Called once at the end with every (source, day) sent to the table, loaded or not, when there is any: a
   * reader's cache (the events API's) forgets them. Resolves false when it could not; that is logged and
   * does not fail the invocation (the cache's entries then expire by TTL).
   */
  forget?: (touched: Touched[]) => Promise<boolean>;
}

export interface ChangesLoaded {
  written: number;
  badLines: number;
  /** Objects that could not be loaded (unreadable, or a write that could not complete). */
  errors: unknown[];
}

/**
 * Loads each new object under the lake prefix into the events table (the loader function's work for one S3
 * notification). A bad line is logged with its object key and line number and counted; an object deleted
 * before it is read is skipped; any other failure is logged and returned, so the caller can fail the
 * invocation and let Lambda retry (keys are deterministic: rewriting an item creates no duplicate).
 */
export async function loadChanges(
  changes: readonly S3ObjectChange[],
  { s3, dynamo, config, logger, deadline, forget }: LoadChangesDeps,
): Promise<ChangesLoaded> {
  let written = 0;
  let badLines = 0;
  const errors: unknown[] = [];
  // Every (source, day) of the items sent to the table, written or not (a failed write may be partial).
  const touched = new Map<string, Touched>();
  for (const change of changes) {
    if (change.action !== 'created' || !change.key.startsWith(config.lakePrefix)) {
      logger.info('ignored: not a new object under the lake prefix', {
        key: change.key,
        event: change.eventName,
      });
      continue;
    }
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: change.bucket, Key: change.key }));
      const body = object.Body as AsyncIterable<Uint8Array> | undefined;
      if (!body) throw new Error(`GetObject returned no body for ${change.key}`);
      const result = await loadLines(objectLines(body), {
        client: dynamo,
        tableName: config.eventsTable,
        concurrency: config.concurrency,
        deadline,
        touched,
        onRetry: (info) => logger.debug('retrying unprocessed items', { key: change.key, ...info }),
      });
      written += result.written;
      badLines += result.badLines.length;
      for (const b of result.badLines.slice(0, MAX_LOGGED_BAD_LINES)) {
        logger.error('lake line not loaded', { bucket: change.bucket, key: change.key, ...b });
      }
      logger.info('object loaded', {
        key: change.key,
        lines: result.lines,
        written: result.written,
        badLines: result.badLines.length,
        calls: result.calls,
      });
    } catch (err) {
      if (err instanceof NoSuchKey) {
        // Deleted before we got to it (e.g. lifecycle or a replay cleanup): nothing left to load.
        logger.warn('object no longer exists; skipped', { key: change.key });
        continue;
      }
      logger.error('object could not be loaded', { key: change.key, error: err as Error });
      errors.push(err);
    }
  }
  if (forget && touched.size && !(await forget([...touched.values()])))
    logger.warn('cache not told about the loaded events; its entries expire by TTL', {
      days: touched.size,
    });
  return { written, badLines, errors };
}
