// Cold-start configuration: every missing or bad setting is reported at once, by name, with the problem.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  envInt,
  intSetting,
  jsonSetting,
  listSetting,
  loadConfig,
} from '../../shared/config.ts';
import * as z from '../../shared/zod.ts';

const schema = z.object({
  BUCKET: z.string().check(z.minLength(1, 'must not be empty')),
  MAX_PIXELS: z._default(intSetting({ min: 1, max: 1_000_000_000 }), 100_000_000),
  VARIANTS: z.optional(
    jsonSetting(z.array(z.object({ name: z.string(), width: z.number().check(z.positive()) }))),
  ),
  DROP_TYPES: z._default(listSetting(), ['heartbeat']),
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

  it('envInt (classic zod, for the local cloud) accepts and refuses exactly what intSetting does', () => {
    for (const value of ['lots', '', '0', '1.5', '-3', '5000', '1000000001', ' 42 ']) {
      const mini = z.safeParse(intSetting({ min: 1, max: 1_000_000_000 }), value);
      const classic = envInt({ min: 1, max: 1_000_000_000 }).safeParse(value);
      const outcome = (r: typeof mini | typeof classic) =>
        r.success ? r.data : r.error.issues.map((i) => i.message);
      expect(outcome(mini), value).toEqual(outcome(classic));
    }
  });
});
