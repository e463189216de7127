// The stream functions' settings (pipelines/stream-etl/config.ts): defaults written once and deployed by the
// definition, replay judging with the options the deployed transform parses, and bad settings named.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DROP_TYPES,
  DEFAULT_LOADER_CONCURRENCY,
  DEFAULT_TRANSFORM_OPTIONS,
  LAKE_EVENTS_PREFIX,
  LAMBDA_RESPONSE_LIMIT,
  loadLoaderConfig,
  loadTransformConfig,
} from '../../pipelines/stream-etl/config.ts';
import { streamEtl } from '../../pipelines/stream-etl/definition.ts';
import { deployedTransformOptions } from '../../pipelines/stream-etl/replay.ts';
import { ConfigError } from '../../shared/config.ts';

const fn = (id: string) => streamEtl.functions.find((f) => f.id === id)!;

describe('stream settings', () => {
  it('the transform defaults to dropping DEFAULT_DROP_TYPES, and the definition deploys that default', () => {
    expect([...DEFAULT_TRANSFORM_OPTIONS.dropTypes]).toEqual(DEFAULT_DROP_TYPES);
    expect(DEFAULT_TRANSFORM_OPTIONS.maxResponseBytes).toBe(LAMBDA_RESPONSE_LIMIT);
    expect(fn('stream-transform').environment.DROP_TYPES).toBe(DEFAULT_DROP_TYPES.join(','));
    expect(deployedTransformOptions()).toEqual(DEFAULT_TRANSFORM_OPTIONS);
  });

  it('parses DROP_TYPES as a list (empty drops nothing) and names bad limits', () => {
    expect([...loadTransformConfig({ DROP_TYPES: ' ping, ,noise ' }).dropTypes]).toEqual(['ping', 'noise']);
    expect(loadTransformConfig({ DROP_TYPES: '' }).dropTypes.size).toBe(0);
    expect(() => loadTransformConfig({ MAX_RESPONSE_BYTES: String(LAMBDA_RESPONSE_LIMIT + 1) })).toThrow(
      ConfigError,
    );
    expect(() => loadTransformConfig({ MAX_EVENT_BYTES: '10' })).toThrow(
      /MAX_EVENT_BYTES: must be at least 256/,
    );
  });

  it('the loader loads only what its trigger delivers, and needs its table', () => {
    const loader = fn('stream-loader');
    const config = loadLoaderConfig({ EVENTS_TABLE: 'events' });
    expect(config).toEqual({
      eventsTable: 'events',
      lakePrefix: LAKE_EVENTS_PREFIX,
      concurrency: DEFAULT_LOADER_CONCURRENCY,
    });
    expect(loader.trigger.kind === 's3' && loader.trigger.filter?.prefix).toBe(config.lakePrefix);
    const stream = streamEtl.resources.streams!.find((s) => s.processor === 'stream-transform')!;
    expect(stream.destination.prefix.startsWith(config.lakePrefix)).toBe(true);
    expect(() => loadLoaderConfig({})).toThrow(/EVENTS_TABLE is required but not set/);
    expect(() => loadLoaderConfig({ EVENTS_TABLE: 't', LOADER_CONCURRENCY: '64' })).toThrow(
      /LOADER_CONCURRENCY: must be at most 32/,
    );
  });
});
