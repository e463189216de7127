// The Valkey client is loaded only when a cache is made: a function started without CACHE_URL (the query
// function deployed with `-c cache=false`, the stream loader without the events API's cache) never loads
// iovalkey at cold start (pipelines/events-api/cache.ts). Checked in a fresh Node process per handler, where
// iovalkey (CommonJS) shows in the module cache once anything has loaded it; then a QueryCache is made in
// the same process and the client must load, so the check cannot pass for want of the package.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

const probe = (handler: string) => `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/iovalkey/'));
await import('./${handler}');
const atColdStart = loaded();
const { QueryCache } = await import('./pipelines/events-api/cache.ts');
const cache = new QueryCache({ url: 'redis://127.0.0.1:9', connectWaitMs: 10 });
await cache.bumpGenerations([{ source: 's', day: '2026-12-01' }]);
const afterCache = loaded();
await cache.close();
console.log(JSON.stringify({ atColdStart, afterCache }));
`;

async function run(handler: string): Promise<{ atColdStart: boolean; afterCache: boolean }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', probe(handler)],
    {
      cwd: root,
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        EVENTS_TABLE: 'events',
        CURSOR_KEY: 'k'.repeat(32),
        CACHE_URL: '',
        LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as { atColdStart: boolean; afterCache: boolean };
}

describe('the Valkey client at cold start', () => {
  it.each(['handlers/events-api-query.ts', 'handlers/stream-loader.ts'])(
    '%s without CACHE_URL does not load it; making a cache does',
    async (handler) => {
      expect(await run(handler)).toEqual({ atColdStart: false, afterCache: true });
    },
    90_000,
  );
});
