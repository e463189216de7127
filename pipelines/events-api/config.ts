// Settings of the events API's functions, read from the environment once at cold start (shared/config.ts)
// and validated with zod/mini (shared/zod.ts says why), each default written here only. The cursor key is
// a secret: on AWS its ARN (CURSOR_KEY_SECRET_ARN, read from Secrets Manager), locally its value
// (CURSOR_KEY); exactly one is set.
import { intSetting, loadConfig } from '../../shared/config.ts';
import * as z from '../../shared/zod.ts';

export const DEFAULT_CACHE_TTL_SECONDS = 60;

const name = z.string().check(z.trim(), z.minLength(1, 'must not be empty'));

export const IngestConfigSchema = z.object({ EVENTS_STREAM: name });

export const QueryConfigSchema = z
  .object({
    EVENTS_TABLE: name,
    CURSOR_KEY_SECRET_ARN: z.optional(name),
    CURSOR_KEY: z.optional(
      z.string().check(z.minLength(32, 'must be at least 32 characters (value not shown: it is a secret)')),
    ),
    /** `redis://` or `rediss://` URL of the cache; unset or empty = no cache. */
    CACHE_URL: z.optional(
      z.string().check(z.trim(), z.regex(/^(rediss?:\/\/\S+)?$/, 'must be a redis:// or rediss:// URL')),
    ),
    /** Expiry of cached pages: the freshness bound when the loader could not reach the cache. */
    CACHE_TTL_SECONDS: z._default(intSetting({ min: 1, max: 3_600 }), DEFAULT_CACHE_TTL_SECONDS),
  })
  .check(
    z.superRefine((c, ctx) => {
      if (!c.CURSOR_KEY_SECRET_ARN === !c.CURSOR_KEY) {
        ctx.addIssue({
          code: 'custom',
          path: ['CURSOR_KEY_SECRET_ARN'],
          message: 'set exactly one of CURSOR_KEY_SECRET_ARN (AWS) and CURSOR_KEY (local)',
        });
      }
    }),
  );

export const AuthorizerConfigSchema = z.object({ API_KEYS_TABLE: name });

export type IngestConfig = z.infer<typeof IngestConfigSchema>;
export type QueryConfig = z.infer<typeof QueryConfigSchema>;
export type AuthorizerConfig = z.infer<typeof AuthorizerConfigSchema>;

export const loadIngestConfig = (env = process.env): IngestConfig => loadConfig(IngestConfigSchema, env);
export const loadQueryConfig = (env = process.env): QueryConfig => loadConfig(QueryConfigSchema, env);
export const loadAuthorizerConfig = (env = process.env): AuthorizerConfig =>
  loadConfig(AuthorizerConfigSchema, env);
