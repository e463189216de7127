// What the image function does for one S3 change, given an S3 client: render and write the variants of a
// new upload (or record why it was rejected), and remove them when the upload is deleted. The client is
// passed in (the handler gives it shared/aws/s3.ts's), so tests can point it anywhere. Errors that are a
// property of the upload become a `rejected` outcome; everything else (S3 unavailable, throttled, denied)
// is thrown so that Lambda's retries and the dead-letter queue apply. Variants that replace or remove
// ones that existed are invalidated in the CDN (cdn.ts), in a way a retried event repeats.
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3ObjectChange } from '../../shared/events/index.ts';
import type { Logger } from '../../shared/logger.ts';
import { retry } from '../../shared/retry.ts';
import * as z from '../../shared/zod.ts';
import { invalidateKeys } from './cdn.ts';
import type { ImageConfig } from './config.ts';
import { RejectedImageError, type RejectionReason } from './inspect.ts';
import { renderVariants } from './render.ts';
import { rejectionKey, VARIANT_CACHE_CONTROL, variantKey } from './variants.ts';

export interface ImageDeps {
  s3: S3Client;
  /** Needed when config.cdnDistributionId is set. */
  cloudfront?: CloudFrontClient;
  config: ImageConfig;
  logger?: Logger;
  /** Epoch ms after which no retry wait starts (the invocation's remaining time). */
  deadline?: number;
}

/** `invalidated`: the CloudFront paths this change invalidated (none without a CDN). */
export type Outcome =
  | { status: 'processed'; sourceKey: string; eTag: string; written: string[]; invalidated: string[] }
  | {
      status: 'rejected';
      sourceKey: string;
      reason: RejectionReason;
      message: string;
      marker: string;
      invalidated: string[];
    }
  | { status: 'removed'; sourceKey: string; deleted: string[]; invalidated: string[] }
  | { status: 'skipped'; sourceKey: string; why: string };

/** The JSON body of a rejection marker (`_rejected/<source key>.json` in the display bucket). */
export interface RejectionMarker {
  sourceBucket: string;
  sourceKey: string;
  sourceETag: string | null;
  reason: RejectionReason;
  message: string;
  time: string;
  /**
   * Variants of an earlier good version of this key that the rejection removed (and invalidated in the CDN).
   * A retry of the same rejection reads it back, so an invalidation that failed is repeated, not lost.
   */
  removedVariants: string[];
}

/** User metadata is sent as HTTP headers (ASCII): the key is stored URI-encoded. */
const metaKey = (key: string) => encodeURIComponent(key);

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** S3 errors worth another attempt: 5xx, 429, throttling, and network failures (no HTTP response). */
export function isTransientS3Error(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429 || TRANSIENT_NAMES.has(err.name);
  return true;
}

const isNotFound = (err: unknown) =>
  err instanceof Error &&
  (err.name === 'NoSuchKey' ||
    err.name === 'NotFound' ||
    (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404);

/**
 * S3 calls go through the shared retry on top of the SDK's own (3 quick attempts): a few more, spaced with
 * backoff and jitter, ride out a short S3 brown-out within the invocation instead of costing a whole
 * Lambda retry. Only transient errors are retried, and never past the invocation's deadline.
 */
function s3Call<T>(deps: ImageDeps, what: string, fn: () => Promise<T>): Promise<T> {
  return retry(fn, {
    attempts: 3,
    baseDelayMs: 200,
    maxDelayMs: 2_000,
    deadline: deps.deadline,
    retryable: isTransientS3Error,
    onRetry: ({ attempt, delayMs, error }) =>
      deps.logger?.warn('S3 call failed, retrying', { what, attempt, delayMs, error: String(error) }),
  });
}

/** Renders the variants of a new upload and writes them, or records why the upload is rejected. */
export async function processUpload(change: S3ObjectChange, deps: ImageDeps): Promise<Outcome> {
  const { config, s3 } = deps;
  const key = change.key;
  if (change.bucket !== config.sourceBucket) {
    return { status: 'skipped', sourceKey: key, why: `event from bucket "${change.bucket}", not the source` };
  }
  if (change.size !== undefined && change.size > config.maxInputBytes) {
    return reject(deps, key, change.eTag ?? null, tooBig(change.size, config.maxInputBytes));
  }

  let body: Buffer;
  let eTag: string;
  try {
    const res = await s3Call(deps, 'GetObject', async () => {
      const r = await s3.send(new GetObjectCommand({ Bucket: config.sourceBucket, Key: key }));
      if (r.ContentLength !== undefined && r.ContentLength > config.maxInputBytes) {
        // Not worth downloading: drop the connection's body instead of reading it.
        (r.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return { tooBig: r.ContentLength as number, eTag: r.ETag };
      }
      const bytes = (await r.Body?.transformToByteArray()) ?? new Uint8Array();
      return { bytes, eTag: r.ETag };
    });
    eTag = unquote(res.eTag ?? change.eTag ?? '');
    if (res.tooBig !== undefined) return reject(deps, key, eTag, tooBig(res.tooBig, config.maxInputBytes));
    body = Buffer.from(res.bytes.buffer, res.bytes.byteOffset, res.bytes.byteLength);
  } catch (err) {
    // Deleted (or replaced and deleted) before we got to it: its own ObjectRemoved event cleans up.
    if (isNotFound(err)) return { status: 'skipped', sourceKey: key, why: 'the upload no longer exists' };
    throw err;
  }

  // With a CDN: which variant keys exist already (HEADs, while rendering)? Writing over them is a re-upload,
  // and CloudFront must forget them. A retried event sees the keys this run wrote, so it invalidates again.
  const existingP = config.cdnDistributionId ? existingVariants(deps, key) : Promise.resolve([]);
  existingP.catch(() => {}); // awaited below; this only stops an unhandled rejection if rendering fails first

  let outputs: Awaited<ReturnType<typeof renderVariants>>['outputs'];
  try {
    ({ outputs } = await renderVariants(body, config.variants, { maxPixels: config.maxInputPixels }));
  } catch (err) {
    if (err instanceof RejectedImageError) return reject(deps, key, eTag, err);
    throw err;
  }
  const replaced = await existingP;

  // Everything is rendered before anything is written: a rejection never leaves partial output.
  const written: string[] = [];
  try {
    await Promise.all(
      outputs.map(async (o) => {
        const target = variantKey(o.variant, key);
        await s3Call(deps, 'PutObject', () =>
          s3.send(
            new PutObjectCommand({
              Bucket: config.displayBucket,
              Key: target,
              Body: o.body,
              ContentType: o.contentType,
              CacheControl: VARIANT_CACHE_CONTROL,
              Metadata: {
                'source-bucket': config.sourceBucket,
                'source-key': metaKey(key),
                'source-etag': eTag,
                variant: o.variant.name,
              },
            }),
          ),
        );
        written.push(target);
      }),
    );
  } catch (err) {
    // Do not leave new variants behind for a version that failed: remove what this run created (best
    // effort), then let Lambda retry. Variants that replaced existing ones stay: they are the new version
    // (deleting them would leave a hole), and the retry finds them and invalidates them with the rest.
    await Promise.allSettled(
      written
        .filter((k) => !replaced.includes(k))
        .map((k) => s3.send(new DeleteObjectCommand({ Bucket: config.displayBucket, Key: k }))),
    );
    throw err;
  }
  // A good upload clears an earlier rejection of the same key.
  await s3Call(deps, 'DeleteObject', () =>
    s3.send(new DeleteObjectCommand({ Bucket: config.displayBucket, Key: rejectionKey(key) })),
  );
  // Last, once every new variant is in place: a CloudFront miss after the invalidation must find them.
  const invalidated = await invalidateKeys(deps, replaced);
  return {
    status: 'processed',
    sourceKey: key,
    eTag,
    written: outputs.map((o) => variantKey(o.variant, key)),
    invalidated,
  };
}

/** Display keys of this upload's variants that exist now (whoever wrote them). */
async function existingVariants(deps: ImageDeps, key: string): Promise<string[]> {
  const { config, s3 } = deps;
  const found = await Promise.all(
    config.variants.map(async (v) => {
      const target = variantKey(v, key);
      try {
        await s3Call(deps, 'HeadObject', () =>
          s3.send(new HeadObjectCommand({ Bucket: config.displayBucket, Key: target })),
        );
        return target;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }),
  );
  return found.filter((k): k is string => k !== undefined);
}

/** Removes the variants (and any rejection marker) of a deleted upload. */
export async function removeVariants(change: S3ObjectChange, deps: ImageDeps): Promise<Outcome> {
  const { config, s3 } = deps;
  const key = change.key;
  if (change.bucket !== config.sourceBucket) {
    return { status: 'skipped', sourceKey: key, why: `event from bucket "${change.bucket}", not the source` };
  }
  // Events can arrive out of order: if the key was uploaded again since, its variants are current.
  try {
    await s3Call(deps, 'HeadObject', () =>
      s3.send(new HeadObjectCommand({ Bucket: config.sourceBucket, Key: key })),
    );
    return {
      status: 'skipped',
      sourceKey: key,
      why: 'the upload exists again (re-uploaded after the delete)',
    };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const { deleted, foreign } = await deleteOwnVariants(deps, key);
  await s3Call(deps, 'DeleteObject', () =>
    s3.send(new DeleteObjectCommand({ Bucket: config.displayBucket, Key: rejectionKey(key) })),
  );
  // Every variant path of the key except another upload's, not only what this run deleted: a retry (after
  // a failed invalidation) finds nothing left to delete but must still invalidate. Costs one path per
  // variant per delete even when the upload never had variants (e.g. it was rejected); see README.md.
  const invalidated = await invalidateKeys(
    deps,
    config.variants.map((v) => variantKey(v, key)).filter((k) => !foreign.includes(k)),
  );
  return { status: 'removed', sourceKey: key, deleted, invalidated };
}

/**
 * Deletes the variant objects that belong to `key`. Two uploads differing only in extension (`a.png`,
 * `a.jpg`) map to the same variant keys; a variant whose metadata names the other upload is left alone.
 */
async function deleteOwnVariants(
  deps: ImageDeps,
  key: string,
): Promise<{ deleted: string[]; foreign: string[] }> {
  const { config, s3 } = deps;
  const deleted: string[] = [];
  const foreign: string[] = [];
  await Promise.all(
    config.variants.map(async (v) => {
      const target = variantKey(v, key);
      let owner: string | undefined;
      try {
        const head = await s3Call(deps, 'HeadObject', () =>
          s3.send(new HeadObjectCommand({ Bucket: config.displayBucket, Key: target })),
        );
        owner = head.Metadata?.['source-key'];
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (owner !== undefined && owner !== metaKey(key)) {
        foreign.push(target);
        return;
      }
      await s3Call(deps, 'DeleteObject', () =>
        s3.send(new DeleteObjectCommand({ Bucket: config.displayBucket, Key: target })),
      );
      deleted.push(target);
    }),
  );
  return { deleted: deleted.sort(), foreign };
}

async function reject(
  deps: ImageDeps,
  key: string,
  eTag: string | null,
  err: RejectedImageError,
): Promise<Outcome> {
  const { config, s3 } = deps;
  const markerKey = rejectionKey(key);
  // The display bucket mirrors the source: variants of an earlier, good version of this key would now
  // show an image that is no longer there, so they go.
  const { deleted } = await deleteOwnVariants(deps, key);
  // If an earlier attempt of this same rejection deleted variants and then failed to invalidate them, its
  // marker lists them: they are invalidated again now, not forgotten.
  const earlier = config.cdnDistributionId ? await readMarker(deps, markerKey) : undefined;
  const pending = earlier && eTag && earlier.sourceETag === unquote(eTag) ? earlier.removedVariants : [];
  const removedVariants = [...new Set([...deleted, ...pending])].sort();
  const marker: RejectionMarker = {
    sourceBucket: config.sourceBucket,
    sourceKey: key,
    sourceETag: eTag ? unquote(eTag) : null,
    reason: err.reason,
    message: err.message,
    time: new Date().toISOString(),
    removedVariants,
  };
  await s3Call(deps, 'PutObject', () =>
    s3.send(
      new PutObjectCommand({
        Bucket: config.displayBucket,
        Key: markerKey,
        Body: JSON.stringify(marker, null, 2),
        ContentType: 'application/json',
        CacheControl: 'no-store',
      }),
    ),
  );
  const invalidated = await invalidateKeys(deps, removedVariants);
  return {
    status: 'rejected',
    sourceKey: key,
    reason: err.reason,
    message: err.message,
    marker: markerKey,
    invalidated,
  };
}

/** What a retry needs of an earlier marker; markers written before `removedVariants` existed lack it. */
const StoredMarkerSchema = z.object({
  sourceETag: z.nullable(z.string()),
  removedVariants: z._default(z.array(z.string()), []),
});

/** The rejection marker at `markerKey`, if there is one and it parses. */
async function readMarker(
  deps: ImageDeps,
  markerKey: string,
): Promise<z.infer<typeof StoredMarkerSchema> | undefined> {
  const { config, s3 } = deps;
  try {
    const text = await s3Call(deps, 'GetObject', async () => {
      const r = await s3.send(new GetObjectCommand({ Bucket: config.displayBucket, Key: markerKey }));
      return (await r.Body?.transformToString()) ?? '';
    });
    const parsed = StoredMarkerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch (err) {
    if (isNotFound(err) || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

const tooBig = (size: number, max: number) =>
  new RejectedImageError('too-many-bytes', `${size} bytes is above the limit of ${max} bytes`);

const unquote = (eTag: string) => eTag.replace(/^"|"$/g, '');
