// Cold-start configuration: every missing or bad setting is reported at once, by name, with the problem.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envInt, envJson, envList, loadConfig } from '../../shared/config.ts';

const schema = z.object({
  BUCKET: z.string().min(1, 'must not be empty'),
  MAX_PIXELS: envInt({ min: 1, max: 1_000_000_000 }).default(100_000_000),
  VARIANTS: envJson(z.array(z.object({ name: z.string(), width: z.number().positive() }))).optional(),
  DROP_TYPES: envList().default(['heartbeat']),
});

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig(schema, { BUCKET: 'display', VARIANTS: '[{"name":"thumb","width":200}]' });
    expect(config).toEqual({
      BUCKET: 'display',
      MAX_PIXELS: 100_000_000,
      VARIANTS: [{ name: 'thumb', width: 200 }],
      DROP_TYPES: ['heartbeat'],
    });
    expect(loadConfig(schema, { BUCKET: 'b', MAX_PIXELS: '5000', DROP_TYPES: 'a, b,,c' })).toMatchObject({
      MAX_PIXELS: 5000,
      DROP_TYPES: ['a', 'b', 'c'],
    });
  });

  it('names every missing or bad variable in one error', () => {
    try {
      loadConfig(schema, { MAX_PIXELS: 'lots', VARIANTS: '{not json' });
      expect.unreachable('bad configuration accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const { issues, message } = err as ConfigError;
      expect(issues).toContain('BUCKET is required but not set');
      expect(issues.some((i) => i.startsWith('MAX_PIXELS: must be a number'))).toBe(true);
      expect(issues.some((i) => i.startsWith('VARIANTS: is not valid JSON'))).toBe(true);
      expect(message).toMatch(/^Invalid configuration:\n {2}- /);
    }
  });

  it('reports range and shape problems with the field inside a JSON setting', () => {
    expect(() => loadConfig(schema, { BUCKET: 'b', MAX_PIXELS: '0' })).toThrow(
      /MAX_PIXELS: must be at least 1/,
    );
    expect(() => loadConfig(schema, { BUCKET: 'b', MAX_PIXELS: '1.5' })).toThrow(/whole number/);
    expect(() => loadConfig(schema, { BUCKET: 'b', VARIANTS: '[{"name":"x","width":-1}]' })).toThrow(
      /VARIANTS\.0\.width/,
    );
  });
});
