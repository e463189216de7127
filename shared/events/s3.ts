// S3 event notifications: the schema (Powertools' S3Schema, widened where real events differ), the key
// codec S3 uses in notifications, and a flat view of what changed. S3 form-encodes object keys in events
// (space → `+`, everything outside [A-Za-z0-9-_.*/] percent-encoded as UTF-8), so a handler must decode
// before it calls GetObject; `decodeS3Key` is the one place that does.
import * as z from '../zod.ts';

// The record schema is Powertools' S3RecordSchema (@aws-lambda-powertools/parser 2.35.0,
// schemas/s3.js) copied field for field rather than imported: that module imports zod as `{ z }`, which
// esbuild cannot tree-shake, and so put all of zod (460 KiB, 261 KiB of it locales) in every handler
// bundle that validated S3 events (test/bench/cold-start.bench.ts). test/shared/events.test.ts checks the
// copy against Powertools' own schema on AWS's sample events. One deliberate difference, as before:
// Powertools accepts only IPv4 or `s3.amazonaws.com` as sourceIPAddress; S3 also reports IPv6 clients
// (dual-stack endpoints).
const SourceIp = z.union([z.ipv4(), z.ipv6(), z.string().check(z.regex(/^[a-z0-9.-]+\.amazonaws\.com$/))]);

const S3Identity = z.object({ principalId: z.string() });

export const S3EventRecordSchema = z.object({
  eventVersion: z.string(),
  eventSource: z.literal('aws:s3'),
  awsRegion: z.string(),
  eventTime: z.iso.datetime(),
  eventName: z.string(),
  userIdentity: S3Identity,
  requestParameters: z.object({ sourceIPAddress: SourceIp }),
  responseElements: z.object({ 'x-amz-request-id': z.string(), 'x-amz-id-2': z.string() }),
  s3: z.object({
    s3SchemaVersion: z.string(),
    configurationId: z.string(),
    object: z.object({
      key: z.string(),
      size: z.optional(z.number()),
      urlDecodedKey: z.optional(z.string()),
      eTag: z.optional(z.string()),
      sequencer: z.optional(z.string()), // only in PUT and DELETE events
      versionId: z.optional(z.string()),
    }),
    bucket: z.object({ name: z.string(), ownerIdentity: S3Identity, arn: z.string() }),
  }),
  glacierEventData: z.optional(
    z.object({
      restoreEventData: z.object({
        lifecycleRestorationExpiryTime: z.string(),
        lifecycleRestoreStorageClass: z.string(),
      }),
    }),
  ),
});

export const S3EventSchema = z.object({
  Records: z.array(S3EventRecordSchema).check(z.minLength(1, 'an S3 event carries at least one record')),
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

/**
 * What an S3 event type means for the object: `created` (a new object or version exists), `removed` (the
 * object or current version is gone: a delete, a delete marker, a lifecycle expiration) or `other` (the
 * object is unchanged in content: restore, replication status, storage-class moves, tags, ACLs, ...).
 * Every type listed on the S3 user guide page "Event notification types and destinations" (section
 * "Supported event types for SQS, SNS, and Lambda"), without its `s3:` prefix, as records carry them.
 */
export const S3_EVENT_ACTIONS: Readonly<Record<string, S3ObjectChange['action']>> = {
  'ObjectCreated:Put': 'created',
  'ObjectCreated:Post': 'created',
  'ObjectCreated:Copy': 'created',
  'ObjectCreated:CompleteMultipartUpload': 'created',
  'ObjectRemoved:Delete': 'removed',
  'ObjectRemoved:DeleteMarkerCreated': 'removed',
  'LifecycleExpiration:Delete': 'removed',
  'LifecycleExpiration:DeleteMarkerCreated': 'removed',
  // A restore makes a temporary copy of an archived object readable (Post: started, Completed: done,
  // Delete: the temporary copy expired); the object itself neither appears nor goes away.
  'ObjectRestore:Post': 'other',
  'ObjectRestore:Completed': 'other',
  'ObjectRestore:Delete': 'other',
  // Reduced Redundancy storage lost the object's data; its key remains, so derived data is kept.
  ReducedRedundancyLostObject: 'other',
  'Replication:OperationFailedReplication': 'other',
  'Replication:OperationMissedThreshold': 'other',
  'Replication:OperationReplicatedAfterThreshold': 'other',
  'Replication:OperationNotTracked': 'other',
  LifecycleTransition: 'other',
  IntelligentTiering: 'other',
  'ObjectTagging:Put': 'other',
  'ObjectTagging:Delete': 'other',
  'ObjectAcl:Put': 'other',
};

/**
 * The action of an event name, with or without the `s3:` prefix (AWS's Go sample events carry it).
 * Unknown names (types S3 adds later) are `other`: never mistaken for a creation or a removal.
 */
export function s3EventAction(eventName: string): S3ObjectChange['action'] {
  const name = eventName.startsWith('s3:') ? eventName.slice(3) : eventName;
  return Object.hasOwn(S3_EVENT_ACTIONS, name) ? S3_EVENT_ACTIONS[name]! : 'other';
}

export interface S3ObjectChange {
  bucket: string;
  /** Decoded object key, ready for GetObject. */
  key: string;
  /** See `S3_EVENT_ACTIONS`. Consumers act on `created` / `removed` and ignore `other`. */
  action: 'created' | 'removed' | 'other';
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
    action: s3EventAction(r.eventName),
    eventName: r.eventName,
    eventTime: r.eventTime,
    size: r.s3.object.size,
    eTag: r.s3.object.eTag,
    sequencer: r.s3.object.sequencer,
    versionId: r.s3.object.versionId,
  }));
}
