// Input validation: decides from the bytes themselves (never the name or Content-Type) whether an upload
// is an image this pipeline accepts, and reads its size from the header alone, so that an image above the
// pixel limit is refused before any pixel is decoded. Every refusal is a RejectedImageError: a permanent
// property of the upload, never worth a retry.
import sharp, { type Metadata } from 'sharp';
import { isSrgbProfile } from './icc.ts';

export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;
export type InputFormat = (typeof ACCEPTED_FORMATS)[number];

export type RejectionReason =
  | 'empty'
  | 'too-many-bytes'
  | 'unsupported-format'
  | 'too-many-pixels'
  | 'corrupt';

/** A permanent refusal of one upload: reported (marker, metric, log), never retried. */
export class RejectedImageError extends Error {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RejectedImageError';
    this.reason = reason;
  }
}

export interface ImageInfo {
  format: InputFormat;
  /** Size of one frame after EXIF orientation is applied. */
  width: number;
  height: number;
  /** Frames: > 1 only for animated GIF/WebP. */
  pages: number;
  /** Pixels libvips would decode: width × height × pages. */
  pixels: number;
  hasAlpha: boolean;
  /**
   * 8-bit RGB whose embedded ICC profile is sRGB (see icc.ts): already in the output colour space, so the
   * decode may skip converting it.
   */
  srgbTagged: boolean;
  /** Animation timing, copied onto animated output. */
  loop?: number;
  delay?: number[];
}

const startsWith = (buf: Uint8Array, bytes: number[], at = 0) => bytes.every((b, i) => buf[at + i] === b);
const ascii = (buf: Uint8Array, at: number, length: number) =>
  Buffer.from(buf.buffer, buf.byteOffset + at, Math.min(length, Math.max(0, buf.length - at))).toString(
    'latin1',
  );

/** The format named by the file's magic bytes, or undefined when it is none of the accepted ones. */
export function sniffFormat(buf: Uint8Array): InputFormat | undefined {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return 'webp';
  if (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a') return 'gif';
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // ISO BMFF: size, 'ftyp', major brand; AVIF is 'avif' (still) or 'avis' (sequence), HEIC is not accepted.
  if (ascii(buf, 4, 4) === 'ftyp' && ['avif', 'avis'].includes(ascii(buf, 8, 4))) return 'avif';
  return undefined;
}

/** A short description of what an unaccepted file seems to be, for the rejection message. */
function describeUnknown(buf: Uint8Array): string {
  const head = ascii(buf, 0, 512).trimStart().toLowerCase();
  if (head.startsWith('<?xml') || head.startsWith('<svg') || head.includes('<svg'))
    return 'an SVG/XML document';
  if (ascii(buf, 4, 4) === 'ftyp') return `an ISO media file (brand "${ascii(buf, 8, 4)}")`;
  if (ascii(buf, 0, 5) === '%PDF-') return 'a PDF document';
  const sample = buf.subarray(0, 512);
  const printable = sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127));
  return printable ? 'text' : 'an unrecognised binary format';
}

/** libvips' name for each accepted format (AVIF is read by the HEIF loader). */
const SHARP_FORMAT: Record<InputFormat, string> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'heif',
  tiff: 'tiff',
};

/**
 * Validates an upload and reads its header. Throws RejectedImageError when it is empty, not one of the
 * accepted formats, unreadable, or larger than `maxPixels`. Decodes no pixels.
 */
export async function inspectImage(input: Buffer, limits: { maxPixels: number }): Promise<ImageInfo> {
  if (input.length === 0) throw new RejectedImageError('empty', 'the object is empty (0 bytes)');
  const format = sniffFormat(input);
  if (!format) {
    throw new RejectedImageError(
      'unsupported-format',
      `not an accepted image: the content is ${describeUnknown(input)}; accepted are ${ACCEPTED_FORMATS.join(', ')}`,
    );
  }
  let meta: Metadata;
  try {
    // Header only: metadata() does not decode pixels, whatever the dimensions claim.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new RejectedImageError('corrupt', `unreadable ${format} header: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (meta.format !== SHARP_FORMAT[format] || (format === 'avif' && meta.compression !== 'av1')) {
    throw new RejectedImageError(
      'unsupported-format',
      `content starts like ${format} but decodes as ${meta.format}${meta.compression ? `/${meta.compression}` : ''}`,
    );
  }
  const pages = (format === 'gif' || format === 'webp') && (meta.pages ?? 1) > 1 ? meta.pages! : 1;
  const frameHeight = meta.pageHeight ?? meta.height;
  const pixels = meta.width * frameHeight * pages;
  if (pixels > limits.maxPixels) {
    throw new RejectedImageError(
      'too-many-pixels',
      `${meta.width}×${frameHeight}${pages > 1 ? `×${pages} frames` : ''} = ${pixels} pixels is above the limit of ${limits.maxPixels}`,
    );
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    format,
    width: rotated ? frameHeight : meta.width,
    height: rotated ? meta.width : frameHeight,
    pages,
    pixels,
    hasAlpha: meta.hasAlpha,
    srgbTagged: meta.space === 'srgb' && meta.depth === 'uchar' && !!meta.icc && isSrgbProfile(meta.icc),
    ...(pages > 1 ? { loop: meta.loop ?? 0, delay: meta.delay } : {}),
  };
}
