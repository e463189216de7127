// Settings of the stream pipeline's functions, read from the environment once at cold start (shared
// loadConfig) and validated with zod. Every default is written here and only here: the definition deploys
// DEFAULT_DROP_TYPES and builds its lake prefixes from LAKE_EVENTS_PREFIX, replay judges records with the
// transform's settings parsed by the same schema, and the tests read the defaults from this module.
import { intSetting, listSetting, loadConfig } from '../../shared/config.ts';
import * as z from '../../shared/zod.ts';
import type { TransformOptions } from './transform.ts';

/** 6 MiB: just under Lambda's enforced synchronous response cap of 6,291,556 bytes. */
export const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;
/** Record types the transform answers with Dropped unless DROP_TYPES says otherwise: agents' keep-alives. */
export const DEFAULT_DROP_TYPES: readonly string[] = ['heartbeat'];
/** Largest normalised record, well below DynamoDB's 400 KB item limit (every Ok record becomes an item). */
export const DEFAULT_MAX_EVENT_BYTES = 350_000;
/** Where Firehose writes valid records in the lake, and the only keys the loader loads. */
export const LAKE_EVENTS_PREFIX = 'events/';
/** BatchWriteItem calls in flight per lake object. */
export const DEFAULT_LOADER_CONCURRENCY = 4;

export const TransformConfigSchema = z.object({
  /** Comma-separated record types answered with Dropped. Empty drops nothing. */
  DROP_TYPES: z._default(listSetting(), [...DEFAULT_DROP_TYPES]),
  /** Ceiling on the response size; Lambda's synchronous limit is 6 MB (6,291,556 bytes enforced). */
  MAX_RESPONSE_BYTES: z._default(
    intSetting({ min: 10_000, max: LAMBDA_RESPONSE_LIMIT }),
    LAMBDA_RESPONSE_LIMIT,
  ),
  /** Largest normalised record accepted (every Ok record becomes a DynamoDB item, 400 KB max). */
  MAX_EVENT_BYTES: z._default(intSetting({ min: 256, max: 390_000 }), DEFAULT_MAX_EVENT_BYTES),
});

/** The transform's settings; throws ConfigError naming every bad variable. */
export function loadTransformConfig(env: Record<string, string | undefined> = process.env): TransformOptions {
  const c = loadConfig(TransformConfigSchema, env);
  return {
    dropTypes: new Set(c.DROP_TYPES),
    maxResponseBytes: c.MAX_RESPONSE_BYTES,
    maxEventBytes: c.MAX_EVENT_BYTES,
  };
}

/** The transform's settings when the environment sets none. */
export const DEFAULT_TRANSFORM_OPTIONS: TransformOptions = loadTransformConfig({});

export const LoaderConfigSchema = z.object({
  EVENTS_TABLE: z.string().check(z.minLength(1, 'must name the events table')),
  /** Only objects under this prefix are loaded (the trigger filters too; this guards a miswiring). */
  LAKE_PREFIX: z._default(z.string(), LAKE_EVENTS_PREFIX),
  /** BatchWriteItem calls in flight per object. */
  LOADER_CONCURRENCY: z._default(intSetting({ min: 1, max: 32 }), DEFAULT_LOADER_CONCURRENCY),
  /**
   * The events API's cache (`redis://` or `rediss://`), told which (source, day) each invocation loaded so
   * that no cached query misses them (pipelines/events-api/cache.ts); unset or empty = no cache to tell.
   */
  CACHE_URL: z.optional(
    z.string().check(z.trim(), z.regex(/^(rediss?:\/\/\S+)?$/, 'must be a redis:// or rediss:// URL')),
  ),
});

export interface LoaderConfig {
  eventsTable: string;
  lakePrefix: string;
  concurrency: number;
  /** Undefined when there is no cache. */
  cacheUrl?: string;
}

/** The loader's settings; throws ConfigError naming every bad variable. */
export function loadLoaderConfig(env: Record<string, string | undefined> = process.env): LoaderConfig {
  const c = loadConfig(LoaderConfigSchema, env);
  return {
    eventsTable: c.EVENTS_TABLE,
    lakePrefix: c.LAKE_PREFIX,
    concurrency: c.LOADER_CONCURRENCY,
    ...(c.CACHE_URL ? { cacheUrl: c.CACHE_URL } : {}),
  };
}
