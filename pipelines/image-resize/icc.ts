// Recognises an embedded ICC profile that describes sRGB, the colour space every variant is written in.
// sharp converts any profiled input to sRGB through lcms before resizing, even when the profile already is
// sRGB. That conversion is an identity in exact arithmetic, yet costs as much as decoding the JPEG (about
// 57 ms for a 2560×1600 photo on one CPU). Many editors and cameras tag JPEGs with such a profile (recent
// iPhones use Display P3 instead), so render.ts skips the conversion for sRGB and keeps it for every other
// profile (Display P3, Adobe RGB, CMYK, LUT-based). What skipping changes, measured in
// test/image/icc.test.ts over all 16.7M colours: nothing for libvips' own sRGB profile; for HP's and lcms'
// sRGB profiles, the round trip through the connection space moves 0.9-3.6% of colours, all highly
// saturated, by 1-2 levels near the gamut edge, and skipping keeps those original values. On the
// sRGB-tagged photos in test/fixtures/photos the output is identical.
//
// Written by hand: the format is a tag table of big-endian numbers (ICC.1:2010 §7, §10), and no maintained
// npm package reads a profile's colorants and tone curves (`icc` reads the header and text tags only);
// libvips applies profiles but cannot compare two of them.

/** sRGB's primaries adapted to the D50 connection space, as in libvips' built-in sRGB profile. */
const SRGB_COLORANTS: Record<'rXYZ' | 'gXYZ' | 'bXYZ', readonly [number, number, number]> = {
  rXYZ: [0.43604, 0.22244, 0.0139],
  gXYZ: [0.3851, 0.71693, 0.09708],
  bXYZ: [0.14307, 0.06062, 0.71393],
};
/**
 * Largest difference accepted per XYZ component. Real sRGB profiles (HP's 1998 v2, lcms-generated, libvips'
 * v4) differ by ≤ 0.0003 from one another; Display P3, the nearest common profile, differs by ≥ 0.04.
 */
const COLORANT_TOLERANCE = 0.001;
/**
 * Largest difference accepted between a tone curve and sRGB's, in 8-bit levels after re-encoding with
 * sRGB's curve: well under the half level at which a pixel would round differently. Real sRGB curves
 * (1024-entry tables, parametric) are within 0.03; a gamma 2.2 curve is off by over 8 levels.
 */
const TRC_TOLERANCE_LEVELS = 0.25;
/** Tags whose presence makes lcms use a lookup table instead of colorants and curves. */
const LUT_TAGS = ['A2B0', 'A2B1', 'A2B2', 'D2B0', 'D2B1', 'D2B2'];

const linearToSrgb = (y: number) => (y <= 0.0031308 ? y * 12.92 : 1.055 * y ** (1 / 2.4) - 0.055);

type Curve = (x: number) => number;

/**
 * True when `icc` is a matrix/TRC RGB profile whose colorants and tone curves are sRGB's, so converting
 * its pixels to sRGB changes nothing beyond lcms' rounding (see above). False for anything else, including
 * a malformed profile.
 */
export function isSrgbProfile(icc: Uint8Array): boolean {
  try {
    return check(Buffer.from(icc.buffer, icc.byteOffset, icc.byteLength));
  } catch {
    // A tag pointing outside the profile (RangeError from the reads): not something to trust.
    return false;
  }
}

function check(b: Buffer): boolean {
  if (b.length < 132 || b.toString('latin1', 36, 40) !== 'acsp') return false;
  if (b.toString('latin1', 16, 20) !== 'RGB ' || b.toString('latin1', 20, 24) !== 'XYZ ') return false;
  const tags = tagOffsets(b);
  if (LUT_TAGS.some((t) => tags.has(t))) return false;
  for (const [tag, want] of Object.entries(SRGB_COLORANTS)) {
    const at = tags.get(tag);
    if (at === undefined || b.toString('latin1', at, at + 4) !== 'XYZ ') return false;
    for (let k = 0; k < 3; k++) {
      if (Math.abs(b.readInt32BE(at + 8 + 4 * k) / 65536 - want[k]!) > COLORANT_TOLERANCE) return false;
    }
  }
  for (const tag of ['rTRC', 'gTRC', 'bTRC']) {
    const at = tags.get(tag);
    const curve = at === undefined ? undefined : readCurve(b, at);
    if (!curve || !matchesSrgbCurve(curve)) return false;
  }
  return true;
}

/** The tag table (ICC.1:2010 §7.3): each tag's signature and the byte offset of its data. */
export function tagOffsets(b: Buffer): Map<string, number> {
  const tags = new Map<string, number>();
  const count = b.readUInt32BE(128);
  for (let i = 0; i < count; i++) {
    const at = 132 + i * 12;
    tags.set(b.toString('latin1', at, at + 4), b.readUInt32BE(at + 4));
  }
  return tags;
}

/** A `curv` or `para` tone curve (ICC.1:2010 §10.5, §10.15) as a function on [0, 1]. */
function readCurve(b: Buffer, at: number): Curve | undefined {
  const type = b.toString('latin1', at, at + 4);
  if (type === 'curv') {
    const n = b.readUInt32BE(at + 8);
    if (n === 0) return (x) => x;
    if (n === 1) {
      const gamma = b.readUInt16BE(at + 12) / 256;
      return (x) => x ** gamma;
    }
    const table = Array.from({ length: n }, (_, i) => b.readUInt16BE(at + 12 + 2 * i) / 65535);
    return (x) => {
      const pos = x * (n - 1);
      const i = Math.min(Math.floor(pos), n - 2);
      return table[i]! + (table[i + 1]! - table[i]!) * (pos - i);
    };
  }
  if (type === 'para') {
    const fn = b.readUInt16BE(at + 8);
    const arity = [1, 3, 4, 5, 7][fn];
    if (arity === undefined) return undefined;
    const p = Array.from({ length: 7 }, (_, i) => (i < arity ? b.readInt32BE(at + 12 + 4 * i) / 65536 : 0));
    const [g, a, bb, c, d, e, f] = p as [number, number, number, number, number, number, number];
    const pow = (x: number) => Math.max(0, a * x + bb) ** g;
    switch (fn) {
      case 0:
        return (x) => x ** g;
      case 1:
        return (x) => (x >= -bb / a ? pow(x) : 0);
      case 2:
        return (x) => (x >= -bb / a ? pow(x) + c : c);
      case 3:
        return (x) => (x >= d ? pow(x) : c * x);
      default:
        return (x) => (x >= d ? pow(x) + e : c * x + f);
    }
  }
  return undefined;
}

/** Does `curve` map every 8-bit level to sRGB's linear value for it, within TRC_TOLERANCE_LEVELS? */
function matchesSrgbCurve(curve: Curve): boolean {
  for (let level = 0; level <= 255; level++) {
    const linear = curve(level / 255);
    if (!Number.isFinite(linear)) return false;
    const back = linearToSrgb(Math.min(1, Math.max(0, linear))) * 255;
    if (Math.abs(back - level) > TRC_TOLERANCE_LEVELS) return false;
  }
  return true;
}
