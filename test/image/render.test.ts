// Rendering with real images: the photos in test/fixtures/photos and generated images that each carry one difficulty.
// Assertions read the output back with sharp: sizes, formats, pixels, frames and metadata.
import { readdirSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { ssim } from 'ssim.js';
import { describe, expect, it } from 'vitest';
import { inspectImage, RejectedImageError, sniffFormat } from '../../pipelines/image-resize/inspect.ts';
import {
  DEFAULT_WEBP_EFFORT,
  type RenderedVariant,
  renderVariants,
} from '../../pipelines/image-resize/render.ts';
import { DEFAULT_VARIANTS, type VariantSpec } from '../../pipelines/image-resize/variants.ts';
import {
  alphaPng,
  animated,
  cmykJpeg,
  displayP3Png,
  FRAME_COLOURS,
  meanColour,
  orientedJpeg,
  PHOTOS_DIR,
  photo,
  pixel,
  png16,
  pngClaiming,
  svg,
  textNamedJpg,
  truncatedJpeg,
} from '../support/images.ts';

const limits = { maxPixels: 100_000_000 };
const render = (input: Buffer, variants: readonly VariantSpec[] = DEFAULT_VARIANTS) =>
  renderVariants(input, variants, limits);
const get = (outputs: RenderedVariant[], name: string) => outputs.find((o) => o.variant.name === name)!;
function close(actual: number[], expected: number[], tolerance: number): void {
  for (const [i, v] of actual.entries()) {
    expect(Math.abs(v - expected[i]!), `channel ${i}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      tolerance,
    );
  }
}

async function rejection(input: Buffer, maxPixels = limits.maxPixels): Promise<RejectedImageError> {
  try {
    await renderVariants(input, DEFAULT_VARIANTS, { maxPixels });
  } catch (err) {
    expect(err).toBeInstanceOf(RejectedImageError);
    return err as RejectedImageError;
  }
  throw new Error('expected a rejection');
}

describe('real photos', () => {
  it.each([
    ['volna-5k.jpg', { thumb: [200, 200], medium: [800, 450], large: [1600, 900] }],
    ['cascade-4k.png', { thumb: [200, 200], medium: [800, 450], large: [1600, 900] }],
    ['wood-4k.webp', { thumb: [200, 200], medium: [800, 800], large: [1600, 1600] }],
  ])('%s gives all three variants in their sizes and formats', async (file, sizes) => {
    const { outputs } = await render(photo(file));
    expect(outputs.map((o) => o.variant.name)).toEqual(['thumb', 'medium', 'large']);
    for (const o of outputs) {
      const meta = await sharp(o.body).metadata();
      const [w, h] = sizes[o.variant.name as keyof typeof sizes];
      expect([meta.width, meta.height]).toEqual([w, h]);
      expect(meta.format).toBe(o.variant.format);
      expect(o.contentType).toBe(o.variant.format === 'jpeg' ? 'image/jpeg' : 'image/webp');
      expect(meta.space).toBe('srgb');
    }
  });

  it('keeps the picture: the large variant matches a direct resize of the photo', async () => {
    const input = photo('autumn.jpg');
    const { outputs } = await render(input);
    const direct = await sharp(input).resize(1600).jpeg().toBuffer();
    close(await meanColour(get(outputs, 'large').body), await meanColour(direct), 2);
    close(await meanColour(get(outputs, 'medium').body), await meanColour(direct), 2);
  });
});

/** RGBA pixels as ssim.js reads them. */
async function rgba(input: Buffer) {
  const { data, info } = await sharp(input).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

describe('WebP effort at constant quality', () => {
  // render.ts encodes WebP at DEFAULT_WEBP_EFFORT instead of sharp's 4 because its output measured as good:
  // SSIM (ssim.js, Wang et al. 2004) against a lossless resize of the photo within 0.002 of effort 4's.
  const photos = readdirSync(PHOTOS_DIR).filter((f) => !f.endsWith('.md'));
  it.each(photos)('%s: the medium variant is as close to the photo as at effort 4', async (file) => {
    const input = photo(file);
    const medium = DEFAULT_VARIANTS.find((v) => v.format === 'webp')!;
    expect(medium.effort).toBeUndefined();
    expect(DEFAULT_WEBP_EFFORT).toBeLessThan(4);
    const asShipped = get((await render(input, [medium])).outputs, medium.name);
    const atFour = get((await render(input, [{ ...medium, effort: 4 }])).outputs, medium.name);
    const reference = await sharp(input, { pages: 1 })
      .rotate()
      .resize(asShipped.width, asShipped.height, { fit: 'fill' })
      .toColourspace('srgb')
      .png()
      .toBuffer();
    const ref = await rgba(reference);
    const shipped = ssim(ref, await rgba(asShipped.body)).mssim;
    const four = ssim(ref, await rgba(atFour.body)).mssim;
    expect(shipped, `SSIM ${shipped} at effort ${DEFAULT_WEBP_EFFORT}, ${four} at 4`).toBeGreaterThanOrEqual(
      four - 0.002,
    );
  });
});

describe('accepted formats', () => {
  it.each([
    ['avif', (img: Sharp) => img.avif({ quality: 50, effort: 0 })],
    ['tiff', (img: Sharp) => img.tiff()],
    ['greyscale jpeg', (img: Sharp) => img.greyscale().jpeg()],
  ] as const)('%s input gives every variant', async (_label, encode) => {
    const input = await encode(sharp(photo('autumn.jpg')).resize(1000)).toBuffer();
    const { outputs } = await render(input);
    const sizes = await Promise.all(outputs.map(async (o) => (await sharp(o.body).metadata()).width));
    expect(sizes).toEqual([200, 800, 1000]);
  });
});

describe('correct pixels', () => {
  it('applies EXIF orientation and strips metadata', async () => {
    const input = await orientedJpeg();
    expect((await sharp(input).metadata()).orientation).toBe(6);
    const { outputs } = await render(input);
    const large = get(outputs, 'large');
    // 400×200 stored, displayed rotated: 200×400, never enlarged.
    expect([large.width, large.height]).toEqual([200, 400]);
    // The stored left half (red) is on top after a 90° clockwise turn, the right half (blue) below.
    close(await pixel(large.body, 100, 50), [255, 0, 0], 30);
    close(await pixel(large.body, 100, 350), [0, 0, 255], 30);
    for (const o of outputs) {
      const meta = await sharp(o.body).metadata();
      expect(meta.orientation).toBeUndefined();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
    }
    expect([get(outputs, 'thumb').width, get(outputs, 'thumb').height]).toEqual([200, 200]);
  });

  it('converts CMYK to sRGB', async () => {
    const input = await cmykJpeg();
    expect((await sharp(input).metadata()).space).toBe('cmyk');
    const { outputs } = await render(input);
    for (const o of outputs) {
      const meta = await sharp(o.body).metadata();
      expect(meta.space).toBe('srgb');
      expect(meta.channels).toBe(3);
      close(await meanColour(o.body), [200, 60, 30], 30);
    }
  });

  it('converts Display P3 to sRGB using the embedded profile', async () => {
    const input = await displayP3Png();
    const stored = await meanColour(await sharp(input, { ignoreIcc: true }).png().toBuffer());
    // The stored numbers are P3's, visibly different from the sRGB colour they mean.
    expect(Math.abs(stored[0]! - 0)).toBeGreaterThan(40);
    const { outputs } = await render(input);
    for (const o of outputs) {
      close(await meanColour(o.body), [0, 200, 0], 6);
      expect((await sharp(o.body).metadata()).icc).toBeUndefined();
    }
  });

  it('reduces 16-bit input to 8-bit output with the right colour', async () => {
    const input = await png16();
    expect((await sharp(input).metadata()).depth).toBe('ushort');
    const { outputs } = await render(input);
    for (const o of outputs) {
      expect((await sharp(o.body).metadata()).depth).toBe('uchar');
      close(await meanColour(o.body), [200, 60, 30], 3);
    }
  });

  it('flattens alpha onto white for JPEG and keeps it in WebP', async () => {
    const { outputs } = await render(await alphaPng());
    const large = get(outputs, 'large');
    expect((await sharp(large.body).metadata()).hasAlpha).toBe(false);
    for (const [x, y] of [
      [0, 0],
      [large.width - 1, 0],
      [0, large.height - 1],
      [large.width - 1, large.height - 1],
    ]) {
      close(await pixel(large.body, x!, y!), [255, 255, 255], 2);
    }
    close(await pixel(large.body, 200, 150), [255, 0, 0], 20);
    const thumb = get(outputs, 'thumb');
    close(await pixel(thumb.body, 0, 0), [255, 255, 255], 2);
    const medium = await sharp(get(outputs, 'medium').body)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(medium.info.channels).toBe(4);
    expect(medium.data[3]).toBe(0); // top-left corner still transparent
  });

  it.each(['gif', 'webp'] as const)('animated %s → animated WebP and a first-frame JPEG', async (format) => {
    const input = await animated(format);
    const info = await inspectImage(input, limits);
    expect(info.pages).toBe(3);
    const { outputs } = await render(input);
    const medium = get(outputs, 'medium');
    const meta = await sharp(medium.body, { animated: true }).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.pages).toBe(3);
    expect(meta.delay).toEqual([100, 200, 300]);
    // Each frame keeps its own colour.
    const frames = await sharp(medium.body, { animated: true }).raw().toBuffer({ resolveWithObject: true });
    const frameHeight = frames.info.pageHeight!;
    for (let i = 0; i < 3; i++) {
      const at = (i * frameHeight + 10) * frames.info.width * frames.info.channels;
      close([...frames.data.subarray(at, at + 3)], Object.values(FRAME_COLOURS[i]!), 20);
    }
    for (const name of ['thumb', 'large']) {
      const jpeg = get(outputs, name);
      expect(jpeg.pages).toBe(1);
      const m = await sharp(jpeg.body).metadata();
      expect(m.format).toBe('jpeg');
      expect(m.pages).toBeUndefined();
      close(await meanColour(jpeg.body), [255, 0, 0], 20);
    }
    expect([get(outputs, 'large').width, get(outputs, 'large').height]).toEqual([300, 200]);
  });
});

describe('bad input is rejected', () => {
  it('detects the format from the content, not the name', () => {
    expect(sniffFormat(Buffer.from('GIF89a....'))).toBe('gif');
    expect(sniffFormat(textNamedJpg())).toBeUndefined();
  });

  it('rejects SVG', async () => {
    const err = await rejection(svg());
    expect(err.reason).toBe('unsupported-format');
    expect(err.message).toMatch(/SVG/);
  });

  it('rejects text named .jpg', async () => {
    const err = await rejection(textNamedJpg());
    expect(err.reason).toBe('unsupported-format');
    expect(err.message).toMatch(/content is text/);
  });

  it('rejects an empty object', async () => {
    expect((await rejection(Buffer.alloc(0))).reason).toBe('empty');
  });

  it('rejects a truncated JPEG', async () => {
    const err = await rejection(truncatedJpeg());
    expect(err.reason).toBe('corrupt');
  });

  it('rejects an image above the pixel limit from its header, before decoding', async () => {
    // 20000×20000 claimed, one pixel present: decoding would fail as corrupt, so `too-many-pixels` proves
    // the header check ran first.
    const err = await rejection(await pngClaiming(20_000, 20_000));
    expect(err.reason).toBe('too-many-pixels');
    expect(err.message).toMatch(/20000×20000 = 400000000 pixels is above the limit of 100000000/);
  });

  it('applies a configured pixel limit, counting every frame of an animation', async () => {
    expect((await rejection(await alphaPng(), 100_000)).reason).toBe('too-many-pixels'); // 120,000 px
    const anim = await animated('gif'); // 300×200×3 = 180,000 px
    expect((await rejection(anim, 150_000)).reason).toBe('too-many-pixels');
    await expect(renderVariants(anim, DEFAULT_VARIANTS, { maxPixels: 180_000 })).resolves.toBeDefined();
  });
});
