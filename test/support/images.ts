// Test images for the image pipeline: the shared real photos, and images generated with sharp that each
// carry one difficulty (EXIF orientation, CMYK, Display P3, 16-bit, alpha, animation) or one defect
// (truncated, oversized header, not an image at all).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Color } from 'sharp';

export const PHOTOS_DIR = resolve(fileURLToPath(new URL('../fixtures/photos/', import.meta.url)));
export const photo = (name: string): Buffer => readFileSync(resolve(PHOTOS_DIR, name));

const solid = (width: number, height: number, background: Color, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background } });

/** 400×200: left half red, right half blue, stored with EXIF orientation 6 (display rotated 90° clockwise). */
export async function orientedJpeg(): Promise<Buffer> {
  const blue = await solid(200, 200, { r: 0, g: 0, b: 255 }).png().toBuffer();
  return solid(400, 200, { r: 255, g: 0, b: 0 })
    .composite([{ input: blue, left: 200, top: 0 }])
    .jpeg({ quality: 95 })
    .withExif({ IFD0: { Copyright: 'Private Person', Artist: 'Private Person' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A CMYK JPEG of an sRGB orange-red. */
export const cmykJpeg = () =>
  solid(300, 200, { r: 200, g: 60, b: 30 }).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();

/** sRGB (0, 200, 0) converted to Display P3 and tagged with the P3 profile: its stored numbers differ. */
export const displayP3Png = () =>
  solid(300, 200, { r: 0, g: 200, b: 0 }).withIccProfile('p3').png().toBuffer();

/** The ICC profile libvips embeds for one of its built-in colour spaces. */
export async function builtInProfile(name: 'srgb' | 'p3' | 'cmyk'): Promise<Buffer> {
  const tagged = await solid(2, 2, { r: 128, g: 128, b: 128 }).withIccProfile(name).jpeg().toBuffer();
  return (await sharp(tagged).metadata()).icc!;
}

/** The ICC profile embedded in one of the photos in test/fixtures/photos. */
export async function photoProfile(name: string): Promise<Buffer> {
  return (await sharp(photo(name)).metadata()).icc!;
}

/**
 * `png` with `icc` embedded as it stands (an iCCP chunk after IHDR): the pixels keep their numbers, unlike
 * sharp's withIccProfile(), which converts them into the profile.
 */
export function tagPng(png: Buffer, icc: Buffer): Buffer {
  const ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, then IHDR's length, type, data and CRC
  // Chunk type, then the chunk's data: profile name "icc", NUL, compression method 0, deflated profile.
  const body = Buffer.concat([Buffer.from('iCCPicc\0\0', 'latin1'), deflateSync(icc)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([png.subarray(0, ihdrEnd), length, body, crc, png.subarray(ihdrEnd)]);
}

/** A 16-bit-per-channel RGB PNG. */
export const png16 = () => solid(300, 200, { r: 200, g: 60, b: 30 }).toColourspace('rgb16').png().toBuffer();

/** 400×300, fully transparent but for an opaque red square in the middle. */
export async function alphaPng(): Promise<Buffer> {
  const square = await solid(100, 100, { r: 255, g: 0, b: 0, alpha: 1 }, 4).png().toBuffer();
  return solid(400, 300, { r: 0, g: 0, b: 0, alpha: 0 }, 4)
    .composite([{ input: square, left: 150, top: 100 }])
    .png()
    .toBuffer();
}

export const FRAME_COLOURS = [
  { r: 255, g: 0, b: 0 },
  { r: 0, g: 255, b: 0 },
  { r: 0, g: 0, b: 255 },
] as const;

/** A three-frame animation (red, green, blue), 300×200 per frame. */
export async function animated(format: 'gif' | 'webp'): Promise<Buffer> {
  const frames = await Promise.all(FRAME_COLOURS.map((c) => solid(300, 200, c).png().toBuffer()));
  const joined = sharp(frames, { join: { animated: true } });
  const timing = { loop: 0, delay: [100, 200, 300] };
  return (format === 'gif' ? joined.gif(timing) : joined.webp(timing)).toBuffer();
}

/** The first half of a real photo: the header is intact, the scan data stops. */
export const truncatedJpeg = () => {
  const full = photo('autumn.jpg');
  return full.subarray(0, Math.floor(full.length / 2));
};

/**
 * A structurally valid PNG whose header claims `width`×`height` but which carries the pixels of a 1×1
 * image: decoding it would fail, so only a check on the header can reject it for its size.
 */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solid(1, 1, { r: 1, g: 2, b: 3 }).png().toBuffer());
  // Signature (8) + IHDR length (4) + 'IHDR' (4) → width at 16, height at 20; CRC over type+data at 29.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

export const svg = () =>
  Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="red"/></svg>\n',
  );

export const textNamedJpg = () => Buffer.from('This is a shopping list, not a photo.\n- eggs\n- milk\n');

/** Mean colour of a region of an encoded image (first frame), as [r, g, b]. */
export async function meanColour(
  image: Buffer,
  region?: { left: number; top: number; width: number; height: number },
): Promise<number[]> {
  // Computed from raw pixels: sharp's stats() describes the whole input, ignoring extract().
  const img = sharp(image).toColourspace('srgb');
  const { data, info } = await (region ? img.extract(region) : img)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const sums = [0, 0, 0];
  const count = info.width * info.height;
  for (let i = 0; i < count; i++) for (let c = 0; c < 3; c++) sums[c]! += data[i * info.channels + c]!;
  return sums.map((s) => Math.round(s / count));
}

/** Colour of the single pixel at (x, y). */
export async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  return meanColour(image, { left: x, top: y, width: 1, height: 1 });
}
