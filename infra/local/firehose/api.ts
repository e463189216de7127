// Amazon Data Firehose on the local cloud, its wire side (hand-written: no npm emulator covers Firehose):
// the JSON 1.1 API (PutRecord, PutRecordBatch with AWS's limits and per-record errors,
// DescribeDeliveryStream, ListDeliveryStreams) feeding one buffer per stream (buffer.ts), whose flushes
// delivery.ts transforms and writes to S3 in the background, so PutRecordBatch never waits for them.
// Durability: each accepted call's records are one journal entry (journal.ts), appended and fsync'd
// before the answer; a delivery acknowledges the entries it wrote, and on start `restore` puts the
// unacknowledged ones back into their buffers. Memory is bounded: while a stream's undelivered backlog
// is full, calls are refused whole with ServiceUnavailableException (HTTP 503), as Firehose throttles.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeliveryStreamSpec } from '../../../pipelines/types.ts';
import type { JournalEntry, JournalLike } from '../journal.ts';
import { functionArn } from '../lambda.ts';
import { ACCOUNT_ID, bucketArn } from '../names.ts';
import { AwsError, BodyTooLarge, newRequestId, readBody, sendJson, sendJsonError } from '../protocol.ts';
import { decodeEntry, encodeEntry, JOURNAL_KIND, Stream } from './buffer.ts';
import { Delivery, type DeliveryOptions, type DeliveryReport } from './delivery.ts';
import { DEFAULT_ERROR_PREFIX, DEFAULT_PREFIX, validatePrefix } from './prefix.ts';

export type { DeliveryReport } from './delivery.ts';

/** PutRecord / PutRecordBatch limits (Firehose quotas). */
export const LIMITS = {
  recordsPerBatch: 500,
  bytesPerRecord: 1_024_000,
  bytesPerBatch: 4 * 1024 * 1024,
};

/** Random bytes behind a record id: 84 bytes make the 112 base64 characters of Firehose's ids. */
const RECORD_ID_BYTES = 84;

export interface FirehoseOptions extends DeliveryOptions {
  /** Streams to create at once (more can be added with `addStream`). */
  streams?: DeliveryStreamSpec[];
  buffer: { sizeBytes: number; intervalMs: number };
  /** Where accepted records are made durable before the answer (NoJournal to keep nothing). */
  journal: JournalLike;
  /** Undelivered bytes per stream above which calls are throttled; default max(16 MiB, 4 × buffer). */
  backlogBytes?: number;
}

export class FirehoseService {
  private readonly streams = new Map<string, Stream>();
  private readonly delivery: Delivery;
  private closed = false;

  constructor(private readonly opts: FirehoseOptions) {
    this.delivery = new Delivery(opts);
    for (const spec of opts.streams ?? []) this.addStream(spec);
  }

  /** Creates a delivery stream (its prefixes checked as Firehose checks them). */
  addStream(spec: DeliveryStreamSpec): void {
    validatePrefix(spec.destination.prefix || DEFAULT_PREFIX, { error: false });
    validatePrefix(spec.destination.errorPrefix || DEFAULT_ERROR_PREFIX, { error: true });
    this.streams.set(spec.name, new Stream(spec, (s, b) => this.delivery.deliver(s, b), this.opts));
  }

  /** Makes `functionId` the stream's transform (its firehose-transform trigger). */
  setProcessor(stream: string, functionId: string): void {
    const s = this.streams.get(stream);
    if (!s) throw new Error(`no delivery stream ${stream}`);
    s.processor = functionId;
  }

  /** The function transforming `stream`, if the stream exists. */
  processorOf(stream: string): string | undefined {
    return this.streams.get(stream)?.processor;
  }

  /** The latest deliveries, oldest first. */
  get deliveries(): readonly DeliveryReport[] {
    return this.delivery.reports;
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
    this.delivery.aborted = true;
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
        const names = [...this.streams.keys()].sort();
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
    // Record ids are opaque to callers (112 base64 characters, as Firehose's look); one random fill per
    // call, not one per record: 500 separate `randomBytes` calls cost more than the rest of the call.
    const random = randomBytes(RECORD_ID_BYTES * data.length);
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
      const at = accepted.push(d) - 1;
      return {
        RecordId: random.toString('base64', at * RECORD_ID_BYTES, (at + 1) * RECORD_ID_BYTES),
      };
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
                  Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: functionArn(s.processor) }],
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
