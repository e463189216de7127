// Turns one validated upload into every variant with sharp. The input is decoded once, at the smallest
// scale the most demanding variant allows (libvips' shrink-on-load: JPEG decodes at 1/2, 1/4, 1/8 scale,
// WebP scales in the decoder), orientation applied and colour converted to 8-bit sRGB in that same pass
// (skipped when the embedded profile already is sRGB: icc.ts), into a raw pixel buffer. Every variant is then derived from raw pixels, each from the smallest
// already-made intermediate that is still big enough (medium from large, thumb from medium), so no variant
// touches the full-resolution image again. Encodes run concurrently on libuv's thread pool.
import sharp, { type Sharp } from 'sharp';
import { type ImageInfo, inspectImage, RejectedImageError } from './inspect.ts';
import { CONTENT_TYPES, type Size, type VariantSpec, variantGeometry } from './variants.ts';

// sharp's process-wide settings, chosen for Lambda (measured with `npm run bench -- image`):
// - cache(false): libvips' operation cache (default 50 MB) only pays off when the same operations run on
//   the same input again; a Lambda container sees each upload once, so the cache would only hold memory.
// - concurrency(1): one libvips worker thread per pipeline. The dominant cost, entropy-decoding the JPEG/PNG,
//   is single-threaded anyway; our parallelism comes from running the variant pipelines concurrently on
//   libuv's pool instead. At 2 GB a Lambda has ~1.2 vCPU, so more threads per image would only contend,
//   and with glibc's allocator every extra thread adds arenas (RSS). Setting 2 or 3 measured no faster
//   here (the decode stage's wall time equals its CPU time either way). 1 is also sharp's own default on
//   glibc Linux, Lambda's included, but only while MALLOC_ARENA_MAX is unset; hence set explicitly.
sharp.cache(false);
sharp.concurrency(1);

/**
 * WebP encoder effort when a variant names none (sharp's own default is 4). Effort trades encode time for
 * file size at a given quality setting; what the viewer sees barely moves. Measured on the nine photos in
 * test/fixtures/photos at the default medium variant (800 px, quality 80), SSIM against the lossless
 * resize: effort 2 stays within 0.002 of effort 4 on every photo (test/image/render.test.ts holds it to
 * that), files grow 1–6 %, and the encode takes about half the time. Effort 1 is faster still but lost
 * up to 0.003 SSIM and grew files by up to 25 %; effort 3 saved nothing measurable.
 */
export const DEFAULT_WEBP_EFFORT = 2;

export interface RenderedVariant {
  variant: VariantSpec;
  body: Buffer;
  contentType: string;
  width: number;
  /** Height of one frame. */
  height: number;
  pages: number;
}

export interface RenderResult {
  info: ImageInfo;
  outputs: RenderedVariant[];
}

/** Raw 8-bit sRGB(A) pixels plus what sharp needs to read them back. */
interface Pixels {
  data: Buffer;
  width: number;
  /** Height of one frame; the buffer holds `pages` frames stacked vertically. */
  height: number;
  pages: number;
  channels: 1 | 2 | 3 | 4;
  premultiplied: boolean;
}

const readRaw = (p: Pixels, firstFrameOnly = false) => {
  const multiPage = p.pages > 1 && !firstFrameOnly;
  const img = sharp(p.data, {
    // Without `animated`, sharp ignores raw.pageHeight and resizes the frame strip as one image.
    animated: multiPage,
    raw: {
      width: p.width,
      height: p.height * p.pages,
      channels: p.channels,
      premultiplied: p.premultiplied,
      ...(multiPage ? { pageHeight: p.height } : {}),
    },
  });
  return firstFrameOnly && p.pages > 1
    ? img.extract({ left: 0, top: 0, width: p.width, height: p.height })
    : img;
};

async function toPixels(img: Sharp, pages: number): Promise<Pixels> {
  const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return {
    data,
    width: info.width,
    height: info.pageHeight ?? Math.round(info.height / pages),
    pages,
    channels: info.channels,
    premultiplied: info.premultiplied ?? false,
  };
}

/** Decodes `input` once, scaled to `size` (per frame), oriented, in 8-bit sRGB. */
async function decode(input: Buffer, info: ImageInfo, size: Size, maxPixels: number): Promise<Pixels> {
  let img = sharp(input, {
    // Defence in depth: inspectImage() already refused anything bigger, from the header.
    limitInputPixels: maxPixels,
    // Abort on truncated or corrupt data rather than render grey bands; tolerate mere warnings.
    failOn: 'error',
    autoOrient: true,
    animated: info.pages > 1,
    sequentialRead: true,
    // An sRGB profile needs no conversion to sRGB; skipping lcms' identity round trip halves the decode
    // stage of such a photo (icc.ts). Every other profile is converted, before the resize, as sharp does.
    ignoreIcc: info.srgbTagged,
  });
  if (size.width !== info.width || size.height !== info.height) {
    // Giving resize() the target lets libvips pick the largest shrink-on-load factor that keeps the image
    // at least this big, then finish with a high-quality (lanczos3) reduce.
    img = img.resize(size.width, size.height, { fit: 'fill' });
  }
  return toPixels(img.toColourspace('srgb'), info.pages);
}

async function encode(
  source: Pixels,
  variant: VariantSpec,
  output: Size,
  info: ImageInfo,
): Promise<RenderedVariant> {
  // Animation survives only in WebP; a JPEG variant of an animation shows its first frame.
  const animated = source.pages > 1 && variant.format === 'webp';
  let img = readRaw(source, !animated);
  if (output.width !== source.width || output.height !== source.height) {
    img = img.resize(output.width, output.height, { fit: variant.fit === 'cover' ? 'cover' : 'fill' });
  }
  if (variant.format === 'jpeg') {
    img = img.flatten({ background: '#ffffff' }).jpeg({ quality: variant.quality });
  } else {
    img = img.webp({
      quality: variant.quality,
      effort: variant.effort ?? DEFAULT_WEBP_EFFORT,
      ...(animated ? { loop: info.loop ?? 0, ...(info.delay ? { delay: info.delay } : {}) } : {}),
    });
  }
  const { data, info: out } = await img.toBuffer({ resolveWithObject: true });
  const pages = animated ? source.pages : 1;
  return {
    variant,
    body: data,
    contentType: CONTENT_TYPES[variant.format],
    width: out.width,
    height: out.pageHeight ?? Math.round(out.height / pages),
    pages,
  };
}

/**
 * Validates `input` (see inspectImage) and renders every variant. Throws RejectedImageError for input
 * that is not an accepted, intact image within the limits; nothing is returned partially.
 */
export async function renderVariants(
  input: Buffer,
  variants: readonly VariantSpec[],
  limits: { maxPixels: number },
): Promise<RenderResult> {
  const info = await inspectImage(input, { maxPixels: limits.maxPixels });
  const source = { width: info.width, height: info.height };
  const plans = variants
    .map((variant) => ({ variant, geometry: variantGeometry(variant, source) }))
    .sort((a, b) => b.geometry.scale - a.geometry.scale);
  const base = plans[0]!.geometry.resized;

  try {
    const pixels = await decode(input, info, base, limits.maxPixels);
    // Intermediates at the resized (uncropped) size of each `inside` variant, largest first.
    const intermediates: Pixels[] = [pixels];
    const encodes: Array<Promise<RenderedVariant>> = [];
    for (const { variant, geometry } of plans) {
      const from = smallestCovering(intermediates, geometry.resized);
      let own = from;
      if (
        variant.fit === 'inside' &&
        (from.width !== geometry.resized.width || from.height !== geometry.resized.height)
      ) {
        own = await toPixels(
          readRaw(from).resize(geometry.resized.width, geometry.resized.height, { fit: 'fill' }),
          from.pages,
        );
        intermediates.push(own);
      }
      const encoded = encode(own, variant, geometry.output, info);
      // Observed now so that, if a later step throws first, this one's failure is not an unhandled rejection.
      encoded.catch(() => undefined);
      encodes.push(encoded);
    }
    const settled = await Promise.allSettled(encodes);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const outputs = settled.map((s) => (s as PromiseFulfilledResult<RenderedVariant>).value);
    // Report in the configured order, not the processing order.
    return { info, outputs: variants.map((v) => outputs.find((o) => o.variant === v)!) };
  } catch (err) {
    if (err instanceof RejectedImageError) throw err;
    // The header was fine but the pixel data is not (truncated, corrupt): a property of the upload.
    const detail = `cannot decode the ${info.format} data: ${(err as Error).message}`;
    throw new RejectedImageError('corrupt', detail, { cause: err });
  }
}

/** The smallest intermediate at least `size` big in both dimensions (the full decode always is). */
function smallestCovering(candidates: Pixels[], size: Size): Pixels {
  let best = candidates[0]!;
  for (const c of candidates) {
    if (c.width >= size.width && c.height >= size.height && c.width * c.height < best.width * best.height)
      best = c;
  }
  return best;
}
