// The SNS → Lambda envelope (`Records[].Sns`). Strict only where the handler reads: `MessageId`,
// `Message`, `TopicArn`, `Timestamp` (and `Subject` when present). Every other field is optional and
// loosely typed, because one unexpected value in a field nobody reads must not reject a whole batch.
// Written here rather than taken from Powertools' SnsRecordSchema, which requires `UnsubscribeUrl` to be a
// URL and `MessageAttributes` to be an object: AWS's published samples send `"SigningCertUrl": "EXAMPLE"`,
// the `…URL` spelling used by SNS's HTTP/SQS deliveries, `MessageAttributes: null` and no `Subject`
// (test/fixtures/events/SOURCES.md lists them). The message body is a string; pipelines parse it with a
// second schema (e.g. the CloudWatch alarm message in alarm.ts).
import * as z from '../zod.ts';

export const SnsNotificationSchema = z.looseObject({
  MessageId: z.string().check(z.minLength(1, 'must not be empty')),
  Message: z.string(),
  TopicArn: z.string(),
  Timestamp: z.string(),
  Subject: z.nullish(z.string()),
  // Kept as sent and never read: Type, SignatureVersion, Signature, SigningCertUrl / SigningCertURL,
  // UnsubscribeUrl / UnsubscribeURL, MessageAttributes (an object, `{}` or null).
});

export const SnsRecordSchema = z.looseObject({
  EventSource: z.literal('aws:sns'),
  Sns: SnsNotificationSchema,
});

export const SnsEventSchema = z.object({
  Records: z.array(SnsRecordSchema).check(z.minLength(1, 'an SNS event carries at least one record')),
});

export type SnsEvent = z.infer<typeof SnsEventSchema>;
export type SnsRecord = z.infer<typeof SnsRecordSchema>;
export type SnsNotification = SnsRecord['Sns'];
