// POST /events: one event (a JSON object) or a batch (a JSON array of up to 500) in the stream pipeline's
// record schema, validated by that schema (stream-etl/schema.ts, the one the Firehose transform uses) and
// sent, normalised and with its eventId, to the `events` delivery stream by the project's producer, which
// resends only the records Firehose failed. The answer has one result per record (accepted with its
// eventId, rejected with the reason, or failed to send); resending an accepted event is harmless because
// its eventId (given or derived from its content) keys one table item.
import { FIREHOSE_LIMITS, type ProduceResult } from '../stream-etl/producer.ts';
import { type NormalisedEvent, parseEventRecord } from '../stream-etl/schema.ts';

export const INGEST_LIMITS = {
  /** Records per request: one PutRecordBatch. */
  maxRecords: FIREHOSE_LIMITS.maxBatchRecords,
  /** Request body: PutRecordBatch's 4 MiB, so one request never needs more than one batch's bytes. */
  maxBodyBytes: FIREHOSE_LIMITS.maxBatchBytes,
} as const;

export type RecordResult =
  | { index: number; status: 'accepted'; eventId: string }
  | { index: number; status: 'rejected'; reason: string }
  | { index: number; status: 'failed'; reason: string; retryable: true };

export interface IngestAnswer {
  status: number;
  body:
    | { accepted: number; rejected: number; failed: number; results: RecordResult[] }
    | { error: string; message: string };
  headers?: Record<string, string>;
}

/** Sends normalised events; the producer's result, indexes relative to the array given. */
export type SendEvents = (events: NormalisedEvent[]) => Promise<ProduceResult>;

const refuse = (status: number, error: string, message: string): IngestAnswer => ({
  status,
  body: { error, message },
});

export async function ingest(
  request: { contentType: string | undefined; body: string; bodyBytes: number },
  send: SendEvents,
): Promise<IngestAnswer> {
  const type = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return refuse(
      415,
      'UnsupportedMediaType',
      'send the event(s) as JSON with Content-Type: application/json',
    );
  }
  if (request.bodyBytes > INGEST_LIMITS.maxBodyBytes) {
    return refuse(
      413,
      'PayloadTooLarge',
      `the body is ${request.bodyBytes} bytes; at most ${INGEST_LIMITS.maxBodyBytes} per request`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(request.body);
  } catch (err) {
    return refuse(400, 'InvalidJson', `the body is not JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  const records = Array.isArray(value) ? value : [value];
  if (records.length === 0) return refuse(400, 'EmptyBatch', 'the batch holds no events');
  if (records.length > INGEST_LIMITS.maxRecords) {
    return refuse(
      413,
      'TooManyRecords',
      `the batch holds ${records.length} events; at most ${INGEST_LIMITS.maxRecords} per request`,
    );
  }
  const results: RecordResult[] = new Array(records.length);
  const valid: NormalisedEvent[] = [];
  const validIndex: number[] = [];
  records.forEach((record, index) => {
    const parsed = parseEventRecord(record);
    if (!parsed.ok) results[index] = { index, status: 'rejected', reason: parsed.reason };
    else {
      valid.push(parsed.event);
      validIndex.push(index);
    }
  });
  if (valid.length) {
    const sent = await send(valid);
    const failed = new Map(sent.failed.map((f) => [f.index, f]));
    valid.forEach((event, i) => {
      const index = validIndex[i]!;
      const f = failed.get(i);
      results[index] = f
        ? { index, status: 'failed', reason: `${f.errorCode}: ${f.errorMessage}`, retryable: true }
        : { index, status: 'accepted', eventId: event.eventId };
    });
  }
  const count = (s: RecordResult['status']) => results.filter((r) => r.status === s).length;
  const body = { accepted: count('accepted'), rejected: count('rejected'), failed: count('failed'), results };
  // 202: accepted for the pipeline (visible to reads once loaded). Nothing accepted: 400 if every record
  // was invalid, 503 (retry later) if valid records could not be sent.
  if (body.accepted > 0) return { status: 202, body };
  if (body.failed > 0) return { status: 503, body, headers: { 'retry-after': '1' } };
  return { status: 400, body };
}
