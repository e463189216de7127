// Settings of the image pipeline, read from the environment once at cold start (shared/config.ts) and
// validated with zod: buckets, the variant list (VARIANTS overrides the defaults in variants.ts), and the
// input limits, and the CloudFront distribution to invalidate when variants change. A configuration that would write variants into the source bucket (an endless loop of
// uploads triggering uploads) is refused here, before any event is handled.
import { intSetting, jsonSetting, loadConfig } from '../../shared/config.ts';
import * as z from '../../shared/zod.ts';
import { DEFAULT_VARIANTS, VariantListSchema, type VariantSpec } from './variants.ts';

export const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

const bucketName = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'must be a valid S3 bucket name (3-63 lower-case characters)',
    ),
  );

export const ImageConfigSchema = z
  .object({
    SOURCE_BUCKET: bucketName,
    DISPLAY_BUCKET: bucketName,
    /** JSON array of variant specs replacing the defaults, e.g. `[{"name":"thumb","width":200,...}]`. */
    VARIANTS: z.optional(jsonSetting(VariantListSchema)),
    /** Largest accepted image, in pixels (all frames of an animation together), checked before decoding. */
    MAX_INPUT_PIXELS: z._default(intSetting({ min: 1, max: 1_000_000_000 }), DEFAULT_MAX_INPUT_PIXELS),
    /** Largest accepted upload, in bytes, checked before downloading. */
    MAX_INPUT_BYTES: z._default(intSetting({ min: 1, max: 1024 * 1024 * 1024 }), DEFAULT_MAX_INPUT_BYTES),
    /**
     * CloudFront distribution serving the display bucket (the definition sets it from `ref.cdn('display')`).
     * Replaced or removed variants are invalidated there; unset = no CDN, nothing to invalidate.
     */
    CDN_DISTRIBUTION_ID: z.optional(
      z
        .string()
        .check(
          z.regex(/^[A-Z0-9]{1,64}$/, 'must be a CloudFront distribution id (upper-case letters and digits)'),
        ),
    ),
  })
  .check(
    z.superRefine((c, ctx) => {
      if (c.SOURCE_BUCKET === c.DISPLAY_BUCKET) {
        ctx.addIssue({
          code: 'custom',
          path: ['DISPLAY_BUCKET'],
          message: `must differ from SOURCE_BUCKET ("${c.SOURCE_BUCKET}"): writing variants into the bucket that triggers this function would process its own output in an endless loop`,
        });
      }
    }),
  );

export interface ImageConfig {
  sourceBucket: string;
  displayBucket: string;
  variants: readonly VariantSpec[];
  maxInputPixels: number;
  maxInputBytes: number;
  /** CloudFront distribution to invalidate when variants are replaced or removed; undefined = no CDN. */
  cdnDistributionId?: string;
}

/** Reads and validates the settings; throws ConfigError naming every bad variable. */
export function loadImageConfig(env: Record<string, string | undefined> = process.env): ImageConfig {
  const c = loadConfig(ImageConfigSchema, env);
  return {
    sourceBucket: c.SOURCE_BUCKET,
    displayBucket: c.DISPLAY_BUCKET,
    variants: c.VARIANTS ?? DEFAULT_VARIANTS,
    maxInputPixels: c.MAX_INPUT_PIXELS,
    maxInputBytes: c.MAX_INPUT_BYTES,
    ...(c.CDN_DISTRIBUTION_ID ? { cdnDistributionId: c.CDN_DISTRIBUTION_ID } : {}),
  };
}
