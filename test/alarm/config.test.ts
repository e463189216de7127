// Cold-start configuration of the alarm function (exactly one webhook source, routes that never hold
// URLs), route matching, and webhook resolution from secrets (Secrets Manager itself is the one thing
// faked here: no AWS account on this machine), cached once per container.
import { describe, expect, it } from 'vitest';
import { DEFAULT_IDEMPOTENCY_TTL_SECONDS, loadAlarmConfig } from '../../pipelines/alarm-to-slack/config.ts';
import { globToRegExp, selectRoute } from '../../pipelines/alarm-to-slack/routing.ts';
import { createWebhookResolver } from '../../pipelines/alarm-to-slack/webhooks.ts';
import { ConfigError } from '../../shared/config.ts';

const SECRET_URL = 'https://hooks.slack.com/services/T1/B2/verysecret';
const base = { IDEMPOTENCY_TABLE: 'idempotency' };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadAlarmConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAlarmConfig', () => {
  it('takes the webhook from Secrets Manager on AWS or from SLACK_WEBHOOK_URL locally, with defaults', () => {
    const aws = loadAlarmConfig({
      ...base,
      SLACK_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    });
    expect(aws.defaultWebhook).toEqual({
      kind: 'secret',
      secretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    });
    expect(aws.idempotencyTtlSeconds).toBe(DEFAULT_IDEMPOTENCY_TTL_SECONDS);
    expect(aws.routes).toEqual([]);
    const local = loadAlarmConfig({ ...base, SLACK_WEBHOOK_URL: SECRET_URL });
    expect(local.defaultWebhook).toEqual({ kind: 'url', url: SECRET_URL });
  });

  it('demands exactly one webhook source, and a table, with clear messages', () => {
    expect(configError({}).issues).toEqual(
      expect.arrayContaining([
        'IDEMPOTENCY_TABLE is required but not set',
        expect.stringMatching(
          /no Slack webhook configured: set SLACK_WEBHOOK_SECRET_ARN \(AWS\) or SLACK_WEBHOOK_URL/,
        ),
      ]),
    );
    const both = configError({ ...base, SLACK_WEBHOOK_URL: SECRET_URL, SLACK_WEBHOOK_SECRET_ARN: 'x' });
    expect(both.message).toMatch(/both SLACK_WEBHOOK_SECRET_ARN and SLACK_WEBHOOK_URL are set/);
    expect(both.message).not.toContain('verysecret');
  });

  it('rejects a bad webhook URL without quoting it', () => {
    const err = configError({ ...base, SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T1/B2/verysecret' });
    expect(err.message).toMatch(/SLACK_WEBHOOK_URL: must be an http\(s\) URL/);
    expect(err.message).not.toContain('verysecret');
  });

  it('parses routes and refuses URLs in them, bad JSON and unset variables, never quoting values', () => {
    const ok = loadAlarmConfig({
      ...base,
      SLACK_WEBHOOK_URL: SECRET_URL,
      SLACK_WEBHOOK_URL_PROD: SECRET_URL,
      SLACK_ROUTES: JSON.stringify([
        { match: 'prod-*', webhook: 'env:SLACK_WEBHOOK_URL_PROD' },
        { match: 'db-?', webhook: 'secret:slack/db' },
      ]),
    });
    expect(ok.routes.map((r) => r.webhook)).toEqual([
      { kind: 'env', variable: 'SLACK_WEBHOOK_URL_PROD' },
      { kind: 'secret', secretId: 'slack/db' },
    ]);
    const withUrl = configError({
      ...base,
      SLACK_WEBHOOK_URL: SECRET_URL,
      SLACK_ROUTES: JSON.stringify([{ match: '*', webhook: SECRET_URL }]),
    });
    expect(withUrl.message).toMatch(/SLACK_ROUTES: 0\.webhook: looks like a URL/);
    expect(withUrl.message).not.toContain('verysecret');
    const badJson = configError({ ...base, SLACK_WEBHOOK_URL: SECRET_URL, SLACK_ROUTES: SECRET_URL });
    expect(badJson.message).toMatch(/SLACK_ROUTES: is not valid JSON/);
    expect(badJson.message).not.toContain('verysecret');
    const unset = configError({
      ...base,
      SLACK_WEBHOOK_URL: SECRET_URL,
      SLACK_ROUTES: '[{"match":"prod-*","webhook":"env:NOPE"}]',
    });
    expect(unset.message).toMatch(/SLACK_ROUTES\.0\.webhook: variable NOPE is not set/);
  });
});

describe('routing', () => {
  it('matches globs on the whole alarm name, first route wins, non-alarms go to the default', () => {
    expect(globToRegExp('prod-*').test('prod-db')).toBe(true);
    expect(globToRegExp('prod-*').test('xprod-db')).toBe(false);
    expect(globToRegExp('a.b?[c]').test('a.bX[c]')).toBe(true);
    expect(globToRegExp('a.b').test('aXb')).toBe(false);
    const routes = [
      { match: 'prod-db-*', webhook: { kind: 'env' as const, variable: 'A' } },
      { match: 'prod-*', webhook: { kind: 'env' as const, variable: 'B' } },
    ];
    expect(selectRoute(routes, 'prod-db-cpu')?.webhook).toEqual({ kind: 'env', variable: 'A' });
    expect(selectRoute(routes, 'prod-api')?.webhook).toEqual({ kind: 'env', variable: 'B' });
    expect(selectRoute(routes, 'dev-api')).toBeUndefined();
    expect(selectRoute(routes, undefined)).toBeUndefined();
  });
});

describe('webhook resolution', () => {
  it('fetches a secret once per container, accepts a raw URL or {"url": ...}, retries after a failure', async () => {
    const calls: string[] = [];
    let fail = true;
    const secrets: Record<string, string> = {
      'arn:default': SECRET_URL,
      'slack/db': JSON.stringify({ url: 'https://hooks.slack.com/services/T1/B2/db' }),
    };
    const resolver = createWebhookResolver(
      loadAlarmConfig({ ...base, SLACK_WEBHOOK_SECRET_ARN: 'arn:default' }),
      {
        fetchSecret: async (id) => {
          calls.push(id);
          if (fail) {
            fail = false;
            throw new Error('ThrottlingException');
          }
          return secrets[id];
        },
      },
    );
    await expect(resolver.resolve(undefined)).rejects.toThrow(
      /Could not read Slack webhook secret arn:default/,
    );
    expect((await resolver.resolve(undefined)).url).toBe(SECRET_URL);
    expect((await resolver.resolve(undefined)).url).toBe(SECRET_URL);
    const route = { match: 'db-*', webhook: { kind: 'secret' as const, secretId: 'slack/db' } };
    expect(await resolver.resolve(route)).toEqual({
      url: 'https://hooks.slack.com/services/T1/B2/db',
      label: 'db-* → secret:slack/db',
    });
    expect(calls).toEqual(['arn:default', 'arn:default', 'slack/db']);
  });

  it('refuses a secret that holds no URL without showing its value', async () => {
    const resolver = createWebhookResolver(loadAlarmConfig({ ...base, SLACK_WEBHOOK_SECRET_ARN: 's' }), {
      fetchSecret: async () => 'not-a-url-but-secret-token',
    });
    const err = (await resolver.resolve(undefined).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('Slack webhook secret s does not hold an http(s) URL');
  });
});

describe('routes on AWS', () => {
  it('refuses env: routes when the default webhook is a secret (variables are plain config on AWS)', () => {
    const err = configError({
      ...base,
      SLACK_WEBHOOK_SECRET_ARN: 'arn:default',
      X: SECRET_URL,
      SLACK_ROUTES: '[{"match":"prod-*","webhook":"env:X"}]',
    });
    expect(err.message).toMatch(/SLACK_ROUTES\.0\.webhook: "env:" references are for local runs/);
  });
});
