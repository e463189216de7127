// Producer library for the `events` Firehose stream: sends records with PutRecordBatch in chunks that
// respect Firehose's limits (≤500 records, ≤4 MiB, ≤1,000 KiB a record), resends ONLY the records that
// failed (FailedPutCount / per-record ErrorCode, or a whole call that failed transiently) with exponential
// backoff and full jitter, and reports every record it could not send by index with its error.
// Written by hand because widely used helpers ignore partial batch failures; this is the whole point.
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { firehoseClient } from '../../shared/aws/firehose.ts';
import { backoffDelay, sleep as defaultSleep } from '../../shared/retry.ts';

/** Firehose limits (PutRecordBatch API reference). */
export const FIREHOSE_LIMITS = {
  maxBatchRecords: 500,
  /** 4 MiB a request, counted on the records' raw bytes. */
  maxBatchBytes: 4 * 1024 * 1024,
  /** 1,000 KiB a record, before base64 encoding. */
  maxRecordBytes: 1_000 * 1024,
} as const;

/** A record: raw bytes, text (sent as UTF-8), or a value sent as one JSON line. */
export type ProducerRecord = Uint8Array | string | Record<string, unknown>;

export interface ProduceOptions {
  streamName: string;
  /** Default: the container's shared Firehose client (honours AWS_ENDPOINT_URL). */
  client?: FirehoseClient;
  /** Rounds of sending, including the first. Default 8. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  /** PutRecordBatch calls in flight at once. Default 4. */
  concurrency?: number;
  /** Added to every reported index (e.g. the line number of the first record in a file window). */
  indexOffset?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { attempt: number; pending: number; delayMs: number }) => void;
}

export interface SendFailure {
  /** Position of the record in the input (plus `indexOffset`). */
  index: number;
  errorCode: string;
  errorMessage: string;
  /** Times the record was sent (0 when rejected before sending). */
  attempts: number;
}

export interface ProduceResult {
  sent: number;
  failed: SendFailure[];
  /** PutRecordBatch calls made. */
  calls: number;
  /** Rounds used (1 when nothing had to be retried). */
  rounds: number;
}

export function encodeRecord(record: ProducerRecord): Uint8Array {
  if (record instanceof Uint8Array) return record;
  if (typeof record === 'string') return Buffer.from(record, 'utf8');
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

/** Splits indexes into PutRecordBatch-sized chunks (record count and byte size). */
export function chunkIndexes(
  indexes: readonly number[],
  sizes: readonly number[],
  maxRecords: number,
  maxBytes: number,
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const i of indexes) {
    const size = sizes[i]!;
    if (current.length && (current.length === maxRecords || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

interface LastError {
  code: string;
  message: string;
}

/**
 * Whether a whole-call failure is worth another round. Throttling, server faults and network errors
 * are; a client fault (unknown stream, bad argument, access denied) is not.
 */
export function isRetryableCallError(err: unknown): boolean {
  const e = err as { name?: string; $fault?: string };
  const name = e?.name ?? '';
  if (/Throttl|ServiceUnavailable|InternalFailure|Timeout|RequestTimeout/i.test(name)) return true;
  if (e?.$fault === 'client') return false;
  // Configuration problems raised before any request is sent: another round cannot fix them.
  if (/Credentials|Region|Endpoint|InvalidSignature|UnrecognizedClient|ExpiredToken/i.test(name))
    return false;
  return true; // server faults and errors with no HTTP response (connection reset, DNS, ...)
}

/** Sends `records` to the stream; resolves with what was sent and what could not be (never rejects). */
export async function putRecords(
  records: readonly ProducerRecord[],
  options: ProduceOptions,
): Promise<ProduceResult> {
  const client = options.client ?? firehoseClient();
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const maxRecords = Math.min(options.maxBatchRecords ?? FIREHOSE_LIMITS.maxBatchRecords, 500);
  const maxBytes = Math.min(
    options.maxBatchBytes ?? FIREHOSE_LIMITS.maxBatchBytes,
    FIREHOSE_LIMITS.maxBatchBytes,
  );
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const sleep = options.sleep ?? defaultSleep;
  const offset = options.indexOffset ?? 0;

  const data = records.map(encodeRecord);
  const sizes = data.map((d) => d.length);
  const attempts = new Array<number>(records.length).fill(0);
  const lastError = new Map<number, LastError>();
  const failed: SendFailure[] = [];
  let sent = 0;
  let calls = 0;

  let pending: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (sizes[i]! > FIREHOSE_LIMITS.maxRecordBytes) {
      failed.push({
        index: i + offset,
        errorCode: 'RecordTooLarge',
        errorMessage: `record is ${sizes[i]} bytes; Firehose accepts at most ${FIREHOSE_LIMITS.maxRecordBytes}`,
        attempts: 0,
      });
    } else pending.push(i);
  }

  let round = 0;
  while (pending.length && round < maxAttempts) {
    round++;
    const retryNext: number[] = [];
    const chunks = chunkIndexes(pending, sizes, maxRecords, maxBytes);
    let cursor = 0;
    const worker = async () => {
      while (cursor < chunks.length) {
        const chunk = chunks[cursor++]!;
        for (const i of chunk) attempts[i]!++;
        calls++;
        try {
          const out = await client.send(
            new PutRecordBatchCommand({
              DeliveryStreamName: options.streamName,
              Records: chunk.map((i) => ({ Data: data[i]! })),
            }),
          );
          const responses = out.RequestResponses ?? [];
          chunk.forEach((i, pos) => {
            const r = responses[pos];
            if (r && !r.ErrorCode && r.RecordId) {
              sent++;
              lastError.delete(i);
            } else {
              // A per-record ErrorCode (ServiceUnavailableException, InternalFailure) is transient; a
              // missing entry means the response did not account for the record: resend it too.
              lastError.set(i, {
                code: r?.ErrorCode ?? 'MissingResponse',
                message: r?.ErrorMessage ?? 'no per-record response for this record',
              });
              retryNext.push(i);
            }
          });
        } catch (err) {
          const e = err as Error;
          const error = { code: e.name || 'Error', message: e.message };
          for (const i of chunk) lastError.set(i, error);
          if (isRetryableCallError(err)) retryNext.push(...chunk);
          else
            for (const i of chunk)
              failed.push({
                index: i + offset,
                errorCode: error.code,
                errorMessage: error.message,
                attempts: attempts[i]!,
              });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
    pending = retryNext.sort((a, b) => a - b);
    if (pending.length && round < maxAttempts) {
      const delayMs = backoffDelay(round - 1, base, maxDelay, options.random);
      options.onRetry?.({ attempt: round, pending: pending.length, delayMs });
      await sleep(delayMs);
    }
  }

  for (const i of pending) {
    const e = lastError.get(i) ?? { code: 'NotSent', message: 'not sent' };
    failed.push({ index: i + offset, errorCode: e.code, errorMessage: e.message, attempts: attempts[i]! });
  }
  failed.sort((a, b) => a.index - b.index);
  return { sent, failed, calls, rounds: round };
}
