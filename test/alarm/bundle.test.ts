// The deployed artifact works: handlers/alarm-to-slack.ts bundled the way infra/cdk bundles it (esbuild,
// ESM, node24, minified, AWS SDK inside) imports, validates its configuration, and delivers a fixture
// event through a real dynalite to a loopback Slack, once, even when the event is delivered twice.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEPLOYED_BUNDLE } from '../../infra/cdk/bundle-options.ts';
import {
  captureOutput,
  type Dynalite,
  lambdaContext,
  startDynalite,
  startFakeSlack,
} from '../support/alarm.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let db: Dynalite;
let dir: string;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('bundle-idempotency');
  dir = mkdtempSync(join(tmpdir(), 'alarm-bundle-'));
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

it('bundles as deployed and handles an alarm exactly once', async () => {
  const outfile = join(dir, 'index.mjs');
  await build({
    entryPoints: [join(ROOT, 'handlers/alarm-to-slack.ts')],
    outfile,
    ...DEPLOYED_BUNDLE,
    mainFields: [...DEPLOYED_BUNDLE.mainFields],
    logLevel: 'error',
  });
  const slack = await startFakeSlack(() => ({ status: 200 }));
  try {
    Object.assign(process.env, {
      SLACK_WEBHOOK_URL: slack.url,
      IDEMPOTENCY_TABLE: 'bundle-idempotency',
      AWS_ENDPOINT_URL: db.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_LAMBDA_FUNCTION_NAME: 'alarm-to-slack',
    });
    const mod = (await import(pathToFileURL(outfile).href)) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    const event = JSON.parse(
      readFileSync(join(ROOT, 'test/fixtures/events/sns-alarm-composite.json'), 'utf8'),
    ) as unknown;
    const first = await captureOutput(() => mod.handler(event, lambdaContext(10_000)));
    const again = await captureOutput(() => mod.handler(event, lambdaContext(10_000)));
    expect(first.error).toBeUndefined();
    expect(first.result).toEqual({ records: 1, posted: 1, duplicates: 0 });
    expect(again.result).toEqual({ records: 1, posted: 0, duplicates: 1 });
    expect(slack.requests).toHaveLength(1);
    expect(JSON.stringify(slack.requests[0])).toContain('ALARM: if-sim-app-test_node_monitor');
  } finally {
    await slack.close();
  }
});
