// Amazon Data Firehose data-transformation events and responses. Powertools' schema decodes `data` to a
// UTF-8 string (invalid bytes silently become U+FFFD, hiding non-UTF-8 input) and types
// kinesisRecordMetadata's `approximateArrivalTimestamp`/`subsequenceNumber` as numbers, while AWS's own
// sample event sends an ISO string and "". So the record schema here keeps `data` as base64 text and
// accepts both metadata forms; the response schema is written from the Firehose developer guide.
import { KinesisFirehoseRecordSchema } from '@aws-lambda-powertools/parser/schemas/kinesis-firehose';
import { z } from 'zod';

const KinesisRecordMetadata = z.object({
  shardId: z.string(),
  partitionKey: z.string(),
  approximateArrivalTimestamp: z.union([z.number(), z.string()]),
  sequenceNumber: z.string(),
  subsequenceNumber: z.union([z.number(), z.string()]),
});

export const FirehoseTransformRecordSchema = KinesisFirehoseRecordSchema.extend({
  data: z.base64('must be base64'),
  kinesisRecordMetadata: KinesisRecordMetadata.nullish(),
});

export const FirehoseTransformEventSchema = z.object({
  invocationId: z.string(),
  deliveryStreamArn: z.string(),
  sourceKinesisStreamArn: z.string().optional(),
  region: z.string(),
  records: z
    .array(FirehoseTransformRecordSchema)
    .min(1, 'a transformation event carries at least one record'),
});

export type FirehoseTransformEvent = z.infer<typeof FirehoseTransformEventSchema>;
export type FirehoseTransformRecord = z.infer<typeof FirehoseTransformRecordSchema>;

export const FirehoseRecordResultSchema = z.enum(['Ok', 'Dropped', 'ProcessingFailed']);
export type FirehoseRecordResult = z.infer<typeof FirehoseRecordResultSchema>;

export const FirehoseResponseRecordSchema = z.object({
  recordId: z.string(),
  result: FirehoseRecordResultSchema,
  data: z.base64('must be base64'),
  metadata: z.object({ partitionKeys: z.record(z.string(), z.string()) }).optional(),
});

export const FirehoseTransformResponseSchema = z.object({
  records: z.array(FirehoseResponseRecordSchema),
});

export type FirehoseResponseRecord = z.infer<typeof FirehoseResponseRecordSchema>;
export type FirehoseTransformResponse = z.infer<typeof FirehoseTransformResponseSchema>;
