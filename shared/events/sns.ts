// The SNS → Lambda envelope (`Records[].Sns`), from Powertools' schema. The message body is a string;
// pipelines parse it with a second schema (e.g. the CloudWatch alarm message in alarm.ts).
import { SnsRecordSchema as PowertoolsSnsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { z } from 'zod';

export const SnsRecordSchema = PowertoolsSnsRecordSchema;
export const SnsEventSchema = z.object({
  Records: z.array(SnsRecordSchema).min(1, 'an SNS event carries at least one record'),
});

export type SnsEvent = z.infer<typeof SnsEventSchema>;
export type SnsRecord = z.infer<typeof SnsRecordSchema>;
export type SnsNotification = SnsRecord['Sns'];
