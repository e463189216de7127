// Delivery to a real HTTP server on loopback standing in for Slack, through the notifier as the handler
// wires it (real dynalite for idempotency): Retry-After honoured, 5xx retried, exactly-once arrival,
// failure within the remaining time, permanent errors not retried, and the webhook URL never leaked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, postToSlack, redact, type Webhook } from '../../pipelines/alarm-to-slack/slack.ts';
import { buildAlarmMessage, buildSnsEvent } from '../../shared/events/builders.ts';
import {
  captureOutput,
  type Dynalite,
  lambdaContext,
  notifierFor,
  startDynalite,
  startFakeSlack,
  testConfig,
} from '../support/alarm.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alarms';
let db: Dynalite;
let table = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.close();
});

async function freshConfig(url: string, extra: Parameters<typeof testConfig>[0] = {}) {
  const idempotencyTable = `idempotency-${++table}`;
  await db.createTable(idempotencyTable);
  return testConfig({ url, idempotencyTable, ...extra });
}

function alarmEvent(name = 'checkout-errors') {
  return buildSnsEvent({ topicArn: TOPIC, message: JSON.stringify(buildAlarmMessage({ name })) });
}

describe('delivery', () => {
  it('waits for Retry-After on 429, retries a 500, and the message arrives exactly once', async () => {
    const slack = await startFakeSlack((n) =>
      n === 0
        ? { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }
        : n === 1
          ? { status: 500, body: 'rollup_error' }
          : { status: 200, body: 'ok' },
    );
    try {
      const notify = notifierFor(db, await freshConfig(slack.url));
      const { result, output } = await captureOutput(() => notify(alarmEvent(), lambdaContext(15_000)));
      expect(result).toEqual({ records: 1, posted: 1, duplicates: 0 });
      expect(slack.requests).toHaveLength(3);
      // the wait after the 429 was Slack's Retry-After (1 s), not the computed backoff
      const retries = output
        .split('\n')
        .filter((l) => l.includes('retrying'))
        .map((l) => JSON.parse(l) as { delayMs: number; attempt: number });
      expect(retries[0]).toMatchObject({ attempt: 1, delayMs: 1000 });
      expect(retries[1]?.delayMs).toBeLessThan(1000);
      // the three requests were the same message; only the last was accepted
      expect(new Set(slack.requests.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(JSON.stringify(slack.requests[2])).toContain('checkout-errors');
      expect(output).toContain('rate limited (HTTP 429 rate_limited)');
      expect(output).toContain('HTTP 500 rollup_error');
      expect(output).not.toContain('xoxSecretToken123');
    } finally {
      await slack.close();
    }
  });

  it('fails the invocation when Slack answers 500 until the remaining time runs out', async () => {
    const slack = await startFakeSlack(() => ({ status: 503, body: 'service unavailable' }));
    try {
      const notify = notifierFor(db, await freshConfig(slack.url));
      const { error, output } = await captureOutput(() => notify(alarmEvent(), lambdaContext(1_500)));
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('AlarmDeliveryFailedError');
      expect((error as Error).message).toMatch(
        /not delivered to Slack.*remaining time.*Gave up after \d+ attempts.*HTTP 503/,
      );
      expect(slack.requests.length).toBeGreaterThan(1); // it did retry
      expect(`${(error as Error).message}${output}`).not.toContain('xoxSecretToken123');
      expect(`${(error as Error).message}${output}`).not.toContain('/services/T0SECRET');
    } finally {
      await slack.close();
    }
  });

  it('does not retry a permanent 404 channel_not_found, logs the reason, never the URL', async () => {
    const slack = await startFakeSlack(() => ({ status: 404, body: 'channel_not_found' }));
    try {
      const notify = notifierFor(db, await freshConfig(slack.url));
      const { error, output } = await captureOutput(() => notify(alarmEvent(), lambdaContext(10_000)));
      expect((error as Error).message).toContain('HTTP 404 channel_not_found');
      expect(slack.requests).toHaveLength(1);
      const logged = output
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const rejection = logged.find((l) => l.slackReason === 'channel_not_found');
      expect(rejection?.level).toBe('ERROR');
      expect(rejection?.status).toBe(404);
      for (const text of [output, (error as Error).message, String((error as Error).stack)]) {
        expect(text).not.toContain('xoxSecretToken123');
        expect(text).not.toContain(slack.url);
      }
    } finally {
      await slack.close();
    }
  });

  it('retries a network error (nothing listening) and keeps the URL out of the error', async () => {
    const url = 'http://127.0.0.1:9/services/T0/B0/networkSecret456';
    const err = await postToSlack(
      { url, label: 'default' } satisfies Webhook,
      { text: 't', blocks: [] },
      {
        deadline: Date.now() + 600,
        baseDelayMs: 20,
        maxDelayMs: 50,
      },
    ).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('SlackDeliveryError');
    expect((err as Error).message).toMatch(/Gave up after \d+ attempts.*network error/);
    expect((err as Error).message).not.toContain('networkSecret456');
  });

  it('gives up at once when Retry-After is longer than the time left, so Lambda retries later', async () => {
    const slack = await startFakeSlack(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    try {
      const err = await postToSlack(
        { url: slack.url, label: 'default' },
        { text: 't', blocks: [] },
        {
          deadline: Date.now() + 5_000,
        },
      ).catch((e: unknown) => e as Error);
      expect((err as Error).message).toMatch(/no time left to wait 30000 ms/);
      expect(slack.requests).toHaveLength(1);
    } finally {
      await slack.close();
    }
  });

  it('parses Retry-After and redacts webhook URLs and their paths', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 5_000)).toBe(5_000);
    const url = 'https://hooks.slack.com/services/T1/B2/abc';
    expect(redact(`POST ${url} failed; path /services/T1/B2/abc`, url)).toBe(
      'POST <redacted webhook> failed; path /<redacted>',
    );
  });
});
