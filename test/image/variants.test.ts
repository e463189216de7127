// Variant spec, key mapping and configuration of the image pipeline: the pure parts, without images.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INPUT_PIXELS, loadImageConfig } from '../../pipelines/image-resize/config.ts';
import {
  DEFAULT_VARIANTS,
  rejectionKey,
  stripExtension,
  variantGeometry,
  variantKey,
} from '../../pipelines/image-resize/variants.ts';
import { ConfigError } from '../../shared/config.ts';

const byName = (name: string) => DEFAULT_VARIANTS.find((v) => v.name === name)!;

describe('variant keys', () => {
  it('puts each variant under its name with the extension replaced', () => {
    const key = 'My Photos/beach + sun (1).jpg';
    expect(variantKey(byName('thumb'), key)).toBe('thumb/My Photos/beach + sun (1).jpg');
    expect(variantKey(byName('medium'), key)).toBe('medium/My Photos/beach + sun (1).webp');
    expect(variantKey(byName('large'), key)).toBe('large/My Photos/beach + sun (1).jpg');
  });

  it('replaces only the file name’s extension', () => {
    expect(stripExtension('a.b/c')).toBe('a.b/c');
    expect(stripExtension('a.b/c.d.png')).toBe('a.b/c.d');
    expect(stripExtension('dir/.hidden')).toBe('dir/.hidden');
    expect(stripExtension('Été/photo.TIFF')).toBe('Été/photo');
    expect(variantKey(byName('medium'), 'noext')).toBe('medium/noext.webp');
  });

  it('keeps rejection markers apart from variants', () => {
    expect(rejectionKey('My Photos/x.jpg')).toBe('_rejected/My Photos/x.jpg.json');
  });
});

describe('variant geometry', () => {
  const src = { width: 5120, height: 2880 };
  it('defaults: thumb 200×200 cover, medium 800 wide, large 1600 wide', () => {
    expect(variantGeometry(byName('thumb'), src).output).toEqual({ width: 200, height: 200 });
    expect(variantGeometry(byName('thumb'), src).resized).toEqual({ width: 356, height: 200 });
    expect(variantGeometry(byName('medium'), src).output).toEqual({ width: 800, height: 450 });
    expect(variantGeometry(byName('large'), src).output).toEqual({ width: 1600, height: 900 });
  });

  it('never enlarges', () => {
    const small = { width: 300, height: 150 };
    expect(variantGeometry(byName('large'), small).output).toEqual(small);
    expect(variantGeometry(byName('large'), small).scale).toBe(1);
    // A cover crop of an image smaller than the box crops to what exists, without upscaling.
    expect(variantGeometry(byName('thumb'), small).output).toEqual({ width: 200, height: 150 });
  });

  it('a cover thumb of a panorama needs more pixels than its width alone suggests', () => {
    const pano = { width: 8000, height: 500 };
    const thumb = variantGeometry(byName('thumb'), pano);
    expect(thumb.resized).toEqual({ width: 3200, height: 200 });
    expect(thumb.scale).toBeGreaterThan(variantGeometry(byName('large'), pano).scale);
  });
});

describe('configuration', () => {
  const env = { SOURCE_BUCKET: 'uploads', DISPLAY_BUCKET: 'display' };

  it('uses the defaults', () => {
    const c = loadImageConfig(env);
    expect(c.variants).toEqual(DEFAULT_VARIANTS);
    expect(c.maxInputPixels).toBe(DEFAULT_MAX_INPUT_PIXELS);
    expect(c.sourceBucket).toBe('uploads');
  });

  it('takes variants and limits from the environment', () => {
    const c = loadImageConfig({
      ...env,
      VARIANTS: JSON.stringify([{ name: 'square', width: 64, height: 64, fit: 'cover', format: 'webp' }]),
      MAX_INPUT_PIXELS: '5000000',
    });
    expect(c.variants).toEqual([
      { name: 'square', width: 64, height: 64, fit: 'cover', format: 'webp', quality: 80 },
    ]);
    expect(c.maxInputPixels).toBe(5_000_000);
  });

  it('refuses to write variants into the source bucket (no loop)', () => {
    const err = catchError(() => loadImageConfig({ SOURCE_BUCKET: 'uploads', DISPLAY_BUCKET: 'uploads' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/DISPLAY_BUCKET: must differ from SOURCE_BUCKET .*endless loop/);
  });

  it('names every bad field', () => {
    const err = catchError(() =>
      loadImageConfig({
        SOURCE_BUCKET: 'uploads',
        VARIANTS: JSON.stringify([
          { name: 'Thumb', width: 0, format: 'gif' },
          { name: 'c', width: 10, fit: 'cover', format: 'jpeg' },
        ]),
        MAX_INPUT_PIXELS: 'lots',
      }),
    ) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    const text = err.issues.join('\n');
    expect(text).toMatch(/DISPLAY_BUCKET is required but not set/);
    expect(text).toMatch(/VARIANTS\.0\.name: must be 1-32 lower-case/);
    expect(text).toMatch(/VARIANTS\.0\.width: /);
    expect(text).toMatch(/VARIANTS\.0\.format: /);
    expect(text).toMatch(/VARIANTS\.1\.height: a cover variant needs a height/);
    expect(text).toMatch(/MAX_INPUT_PIXELS: must be a number/);
  });

  it('reports VARIANTS that are not JSON, and duplicate names', () => {
    expect(() => loadImageConfig({ ...env, VARIANTS: '[{name:' })).toThrow(/VARIANTS: is not valid JSON/);
    const dup = JSON.stringify([byName('large'), byName('large')]);
    expect(() => loadImageConfig({ ...env, VARIANTS: dup })).toThrow(/VARIANTS\.1\.name: duplicate "large"/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}
