// S3 event notifications: the schema (Powertools' S3Schema, widened where real events differ), the key
// codec S3 uses in notifications, and a flat view of what changed. S3 form-encodes object keys in events
// (space → `+`, everything outside [A-Za-z0-9-_.*/] percent-encoded as UTF-8), so a handler must decode
// before it calls GetObject; `decodeS3Key` is the one place that does.
import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import { z } from 'zod';

// Powertools accepts only IPv4 or `s3.amazonaws.com`; S3 also reports IPv6 clients (dual-stack endpoints).
const SourceIp = z.union([z.ipv4(), z.ipv6(), z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/)]);

export const S3EventRecordSchema = S3Schema.shape.Records.element.extend({
  requestParameters: z.object({ sourceIPAddress: SourceIp }),
});

export const S3EventSchema = z.object({
  Records: z.array(S3EventRecordSchema).min(1, 'an S3 event carries at least one record'),
});

export type S3Event = z.infer<typeof S3EventSchema>;
export type S3EventRecord = z.infer<typeof S3EventRecordSchema>;

/** Decodes a key as it appears in an S3 notification: `+` is a space, then percent-decoding (UTF-8). */
export function decodeS3Key(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new Error(`S3 object key is not validly percent-encoded: ${JSON.stringify(raw)}`);
  }
}

/** Encodes a key the way S3 writes it into notifications (form encoding, `/` kept as is). */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

export interface S3ObjectChange {
  bucket: string;
  /** Decoded object key, ready for GetObject. */
  key: string;
  action: 'created' | 'removed';
  eventName: string;
  eventTime: string;
  size?: number;
  eTag?: string;
  sequencer?: string;
  versionId?: string;
}

/** One entry per record: what happened to which object, with the key decoded. */
export function s3Changes(event: S3Event): S3ObjectChange[] {
  return event.Records.map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeS3Key(r.s3.object.key),
    action: r.eventName.startsWith('ObjectRemoved') ? 'removed' : 'created',
    eventName: r.eventName,
    eventTime: r.eventTime,
    size: r.s3.object.size,
    eTag: r.s3.object.eTag,
    sequencer: r.s3.object.sequencer,
    versionId: r.s3.object.versionId,
  }));
}
