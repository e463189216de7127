// Tells CloudFront to drop its cached copies of variants this function replaced or removed, so that a
// re-upload (or a delete) reaches viewers within minutes although CloudFront keeps variants for a year
// (see variants.ts VARIANT_CACHE_CONTROL and README.md "Caching and re-uploads"). One CreateInvalidation
// per upload, one exact path per variant; retried with the shared backoff, and a final failure is thrown
// as CdnInvalidationError so the handler records it (log + metric) and Lambda retries the event.
import { randomUUID } from 'node:crypto';
import { type CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { invalidationPath, isTransientCloudFrontError } from '../../shared/aws/cloudfront.ts';
import type { Logger } from '../../shared/logger.ts';
import { RetryError, retry } from '../../shared/retry.ts';

export interface CdnDeps {
  cloudfront?: CloudFrontClient;
  config: { cdnDistributionId?: string };
  logger?: Logger;
  deadline?: number;
}

/** An invalidation that could not be created after retries; the change must be retried as a whole. */
export class CdnInvalidationError extends Error {
  readonly distributionId: string;
  readonly paths: string[];
  constructor(distributionId: string, paths: string[], cause: unknown) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`CloudFront invalidation of ${paths.length} path(s) in ${distributionId} failed: ${why}`, {
      cause,
    });
    this.name = 'CdnInvalidationError';
    this.distributionId = distributionId;
    this.paths = paths;
  }
}

/**
 * Invalidates the display keys `keys` in the configured distribution and returns the paths sent (none when
 * there is no CDN or nothing to invalidate). Throws CdnInvalidationError when CloudFront keeps refusing.
 */
export async function invalidateKeys(deps: CdnDeps, keys: readonly string[]): Promise<string[]> {
  const distributionId = deps.config.cdnDistributionId;
  if (!distributionId || keys.length === 0) return [];
  if (!deps.cloudfront) throw new Error('CDN_DISTRIBUTION_ID is set but no CloudFront client was given');
  const paths = [...new Set(keys)].sort().map(invalidationPath);
  // One CallerReference for every attempt: if an attempt reached CloudFront but its answer was lost, the
  // retry returns that same invalidation instead of creating (and paying for) a second one (API reference,
  // CreateInvalidation, CallerReference).
  const callerReference = randomUUID();
  const cloudfront = deps.cloudfront;
  try {
    await retry(
      () =>
        cloudfront.send(
          new CreateInvalidationCommand({
            DistributionId: distributionId,
            InvalidationBatch: {
              CallerReference: callerReference,
              Paths: { Quantity: paths.length, Items: paths },
            },
          }),
        ),
      {
        attempts: 4,
        baseDelayMs: 500,
        maxDelayMs: 4_000,
        deadline: deps.deadline,
        retryable: isTransientCloudFrontError,
        onRetry: ({ attempt, delayMs, error }) =>
          deps.logger?.warn('CloudFront invalidation failed, retrying', {
            distributionId,
            attempt,
            delayMs,
            error: String(error),
          }),
      },
    );
  } catch (err) {
    throw new CdnInvalidationError(distributionId, paths, err instanceof RetryError ? err.cause : err);
  }
  return paths;
}
