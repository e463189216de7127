// Configuration read from the environment and validated once, at cold start, with zod. Every missing or
// bad setting is reported in one error naming the variable and the problem, so a misdeployed function
// fails on its first invocation with a message that says what to fix. `intSetting`, `jsonSetting` and
// `listSetting` are zod/mini schemas for the Lambda functions' settings (shared/zod.ts says why);
// `envInt` is `intSetting` in classic zod, for configuration schemas that chain classic methods on it
// (the local cloud's, events-api's).
import * as classic from 'zod';
import * as z from './zod.ts';

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Parses `env` (default `process.env`) with a zod object schema whose keys are variable names.
 * Returns the typed, defaulted result or throws ConfigError listing every problem.
 */
export function loadConfig<S extends z.core.$ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  // jitless: zod compiles a fast path for an object schema on its first parse, which pays off over many
  // parses; configuration is parsed once per container, where compiling cost more than it saved.
  const result = z.safeParse(schema, env, { jitless: true });
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const missing = issue.code === 'invalid_type' && env[String(issue.path[0])] === undefined;
      return missing ? `${name} is required but not set` : `${name}: ${issue.message}`;
    }),
  );
}

/** A positive integer read from an environment string, e.g. `MAX_PIXELS=100000000`. */
export const intSetting = (opts: { min?: number; max?: number } = {}) =>
  z.coerce
    .number({ error: 'must be a number' })
    .check(
      z.int('must be a whole number'),
      z.gte(opts.min ?? 1, `must be at least ${opts.min ?? 1}`),
      z.lte(opts.max ?? Number.MAX_SAFE_INTEGER, `must be at most ${opts.max ?? Number.MAX_SAFE_INTEGER}`),
    );

/** A JSON document read from an environment string and validated by `inner`. */
export const jsonSetting = <T extends z.core.$ZodType<unknown, unknown>>(inner: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((text: string, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch (err) {
          z.addCustomIssue(ctx, `is not valid JSON (${(err as Error).message})`);
          return z.NEVER;
        }
      }),
    ),
    inner,
  );

/** A comma-separated list, e.g. `DROP_TYPES=heartbeat,ping`. */
export const listSetting = () =>
  z.pipe(
    z.string(),
    z.transform((s: string) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  );

/** `intSetting` in classic zod. */
export const envInt = (opts: { min?: number; max?: number } = {}) =>
  classic.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(opts.min ?? 1, `must be at least ${opts.min ?? 1}`)
    .max(opts.max ?? Number.MAX_SAFE_INTEGER, `must be at most ${opts.max ?? Number.MAX_SAFE_INTEGER}`);
