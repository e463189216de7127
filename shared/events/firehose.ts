// Amazon Data Firehose data-transformation events and responses. Powertools' schema decodes `data` to a
// UTF-8 string (invalid bytes silently become U+FFFD, hiding non-UTF-8 input) and types
// kinesisRecordMetadata's `approximateArrivalTimestamp`/`subsequenceNumber` as numbers, while AWS's own
// sample event sends an ISO string and "". So the record schema here keeps `data` as base64 text and
// accepts both metadata forms; the response schema is written from the Firehose developer guide.
// `data` is checked per record, not by the event schema: one record whose data is not base64 must fail
// alone (ProcessingFailed), never the whole batch; `decodeFirehoseData` is that check.
// The record's other fields are Powertools' KinesisFirehoseRecordSchema (@aws-lambda-powertools/parser
// 2.35.0, schemas/kinesis-firehose.js) copied rather than imported: that module imports zod as `{ z }`,
// which esbuild cannot tree-shake, so it put all of zod (460 KiB) in the transform's bundle
// (test/bench/cold-start.bench.ts); test/shared/events.test.ts checks the copy against Powertools' schema.
import * as z from '../zod.ts';

const KinesisRecordMetadata = z.object({
  shardId: z.string(),
  partitionKey: z.string(),
  approximateArrivalTimestamp: z.union([z.number(), z.string()]),
  sequenceNumber: z.string(),
  subsequenceNumber: z.union([z.number(), z.string()]),
});

export const FirehoseTransformRecordSchema = z.object({
  recordId: z.string(),
  approximateArrivalTimestamp: z.number().check(z.positive()),
  kinesisRecordMetadata: z.nullish(KinesisRecordMetadata),
  data: z.string(),
});

/**
 * The bytes of a record's base64 `data`, or undefined when it is not base64. Written by hand because
 * Node's decoder silently skips characters outside the alphabet; a regular expression over the whole
 * batch (what z.base64 does) costs a measurable share of the transform. Instead: the length must be a
 * multiple of 4, padding (at most two `=`) only at the end, and the decoder must have used every
 * character (a skipped one shortens the output). The URL-safe `-` and `_`, which Node also decodes, are
 * the only non-standard characters this accepts.
 */
export function decodeFirehoseData(data: string): Buffer | undefined {
  if (data.length % 4 !== 0) return undefined;
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== (data.length / 4) * 3 - pad) return undefined;
  // `=` inside the text ends Node's decoding early, which the length check above already catches.
  return bytes;
}

export const FirehoseTransformEventSchema = z.object({
  invocationId: z.string(),
  deliveryStreamArn: z.string(),
  sourceKinesisStreamArn: z.optional(z.string()),
  region: z.string(),
  records: z
    .array(FirehoseTransformRecordSchema)
    .check(z.minLength(1, 'a transformation event carries at least one record')),
});

export type FirehoseTransformEvent = z.infer<typeof FirehoseTransformEventSchema>;

export const FirehoseRecordResultSchema = z.enum(['Ok', 'Dropped', 'ProcessingFailed']);

export const FirehoseResponseRecordSchema = z.object({
  recordId: z.string(),
  result: FirehoseRecordResultSchema,
  data: z.base64('must be base64'),
  metadata: z.optional(z.object({ partitionKeys: z.record(z.string(), z.string()) })),
});

export const FirehoseTransformResponseSchema = z.object({
  records: z.array(FirehoseResponseRecordSchema),
});

export type FirehoseResponseRecord = z.infer<typeof FirehoseResponseRecordSchema>;
export type FirehoseTransformResponse = z.infer<typeof FirehoseTransformResponseSchema>;

/**
 * One line of an object Firehose writes under its S3 error prefix. Documented forms (Firehose developer
 * guide): "Handle failure in data transformation" (processing-failed: attemptsMade, arrivalTimestamp,
 * errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn), "Handling errors for data format
 * conversion" (ErrorCode/ErrorMessage, or lastErrorCode/lastErrorMessage in other versions of the page,
 * plus sequenceNumber, subSequenceNumber, dataCatalogTable) and dynamic-partitioning failures (the same
 * fields, under their own error-output type such as `activePartitionExceeded`). Only `rawData` (base64 of
 * the record) is required; the other fields are only reported (the guide shows the numbers as strings in
 * one place and as longs in another), so any value is accepted, and unknown fields are kept.
 */
export const FirehoseErrorRecordSchema = z.looseObject({
  rawData: z.string(),
  // Read only for reports, so never a reason to refuse a line: any value is kept as it came.
  attemptsMade: z.optional(z.unknown()),
  arrivalTimestamp: z.optional(z.unknown()),
  attemptEndingTimestamp: z.optional(z.unknown()),
  errorCode: z.optional(z.unknown()),
  errorMessage: z.optional(z.unknown()),
  ErrorCode: z.optional(z.unknown()),
  ErrorMessage: z.optional(z.unknown()),
  lastErrorCode: z.optional(z.unknown()),
  lastErrorMessage: z.optional(z.unknown()),
  lambdaArn: z.optional(z.unknown()),
});

export type FirehoseErrorRecord = z.infer<typeof FirehoseErrorRecordSchema>;

/** The error code of an error record, whichever spelling Firehose used; `unknown` when it has none. */
export function firehoseErrorCode(r: FirehoseErrorRecord): string {
  const code = [r.errorCode, r.ErrorCode, r.lastErrorCode].find((c) => typeof c === 'string');
  return typeof code === 'string' ? code : 'unknown';
}
