// The one place the image variants are defined: their schema (also used to validate the VARIANTS
// override), the defaults, how a variant's size follows from the source's, and how display keys and
// headers are derived from the source key. Pure: no sharp, no S3.
import * as z from '../../shared/zod.ts';

export const VARIANT_FORMATS = ['jpeg', 'webp'] as const;
export type VariantFormat = (typeof VARIANT_FORMATS)[number];

export const VariantSpecSchema = z
  .strictObject({
    /** Also the key prefix in the display bucket, so it must be a plain path segment. */
    name: z
      .string()
      .check(
        z.regex(
          /^[a-z0-9][a-z0-9-]{0,31}$/,
          'must be 1-32 lower-case letters, digits or dashes, not starting with a dash',
        ),
      ),
    /** Box width in pixels. */
    width: z.number().check(z.int(), z.gte(1), z.lte(8192)),
    /** Box height in pixels; required for `cover`, optional (width-bound only) for `inside`. */
    height: z.optional(z.number().check(z.int(), z.gte(1), z.lte(8192))),
    /** `cover`: fill the box exactly, cropping the centre. `inside`: fit within the box, keep the aspect ratio. */
    fit: z._default(z.enum(['cover', 'inside']), 'inside'),
    format: z.enum(VARIANT_FORMATS),
    quality: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 80),
    /** WebP only: encoder effort 0 (fastest) to 6 (smallest); render.ts's DEFAULT_WEBP_EFFORT when unset. */
    effort: z.optional(z.number().check(z.int(), z.gte(0), z.lte(6))),
  })
  .check(
    z.refine((v) => v.fit !== 'cover' || v.height !== undefined, {
      message: 'a cover variant needs a height',
      path: ['height'],
    }),
    z.refine((v) => v.effort === undefined || v.format === 'webp', {
      message: 'effort applies to webp variants only',
      path: ['effort'],
    }),
  );

export type VariantSpec = z.infer<typeof VariantSpecSchema>;

export const VariantListSchema = z.array(VariantSpecSchema).check(
  z.minLength(1, 'at least one variant'),
  z.maxLength(8, 'at most 8 variants'),
  z.superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (seen.has(v.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate "${v.name}"` });
      seen.add(v.name);
    });
  }),
);

/** The defaults: override with the VARIANTS setting (a JSON array of the same shape). */
export const DEFAULT_VARIANTS: readonly VariantSpec[] = [
  { name: 'thumb', width: 200, height: 200, fit: 'cover', format: 'jpeg', quality: 80 },
  { name: 'medium', width: 800, fit: 'inside', format: 'webp', quality: 80 },
  { name: 'large', width: 1600, fit: 'inside', format: 'jpeg', quality: 82 },
];

export const CONTENT_TYPES: Record<VariantFormat, string> = { jpeg: 'image/jpeg', webp: 'image/webp' };
const EXTENSIONS: Record<VariantFormat, string> = { jpeg: 'jpg', webp: 'webp' };

/**
 * A re-upload rewrites a variant under the same key, so variants are not immutable. Browsers (which nobody
 * can invalidate) keep one for 5 minutes (`max-age`); shared caches, i.e. CloudFront, for a year
 * (`s-maxage`, which shared caches use instead of max-age), and the function invalidates CloudFront when it
 * replaces or removes variants. So a re-upload reaches viewers within the invalidation time plus 5 minutes.
 * See README.md, "Caching and re-uploads".
 */
export const BROWSER_MAX_AGE_SECONDS = 300;
export const CDN_MAX_AGE_SECONDS = 31_536_000;
export const VARIANT_CACHE_CONTROL = `public, max-age=${BROWSER_MAX_AGE_SECONDS}, s-maxage=${CDN_MAX_AGE_SECONDS}`;

/** Prefix of the rejection markers in the display bucket (variant names cannot start with `_`). */
export const REJECTED_PREFIX = '_rejected/';

/** `photos/a.b/beach + sun (1).jpg` → `photos/a.b/beach + sun (1)` (only the last segment's extension). */
export function stripExtension(key: string): string {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  // A dot at the start of the file name (`.hidden`) is not an extension.
  return dot > slash + 1 ? key.slice(0, dot) : key;
}

/** Display key of a variant: `<variant>/<source key with its extension replaced>`. */
export function variantKey(variant: Pick<VariantSpec, 'name' | 'format'>, sourceKey: string): string {
  return `${variant.name}/${stripExtension(sourceKey)}.${EXTENSIONS[variant.format]}`;
}

/** Display key of the marker that records why an upload was rejected. */
export function rejectionKey(sourceKey: string): string {
  return `${REJECTED_PREFIX}${sourceKey}.json`;
}

export interface Size {
  width: number;
  height: number;
}

export interface VariantGeometry {
  /** Factor applied to the (oriented) source, ≤ 1: variants are never enlarged. */
  scale: number;
  /** Size after scaling, before any crop (aspect ratio of the source). */
  resized: Size;
  /** Final size: equal to `resized` for `inside`, the centre crop of it for `cover`. */
  output: Size;
}

/** How big a variant of a `source`-sized image is, and at which scale it is taken. */
export function variantGeometry(variant: VariantSpec, source: Size): VariantGeometry {
  const sx = variant.width / source.width;
  const sy = variant.height === undefined ? sx : variant.height / source.height;
  const wanted = variant.fit === 'cover' ? Math.max(sx, sy) : Math.min(sx, sy);
  const scale = Math.min(1, wanted);
  const resized = {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
  const output =
    variant.fit === 'cover'
      ? {
          width: Math.min(variant.width, resized.width),
          height: Math.min(variant.height ?? resized.height, resized.height),
        }
      : resized;
  return { scale, resized, output };
}
