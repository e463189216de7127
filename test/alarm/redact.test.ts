// The webhook URL is the credential: it must never come back in an error message or a log line, whatever
// form the server echoes it in (as is, upper-cased, percent-encoded, JSON-escaped, inside JSON strings).
// A real HTTP server on 127.0.0.1 stands in for Slack and echoes the URL it was called on.
import { describe, expect, it } from 'vitest';
import {
  postToSlack,
  SlackDeliveryError,
  SlackPermanentError,
} from '../../pipelines/alarm-to-slack/slack.ts';
import { redact, redactDeep } from '../../shared/redact.ts';
import { startFakeSlack } from '../support/alarm.ts';

/** Every form of `url` a server or a logger may produce. */
function echoForms(url: string): string[] {
  return [
    url,
    url.toUpperCase(),
    url.toLowerCase(),
    encodeURIComponent(url),
    encodeURIComponent(url).toLowerCase(),
    encodeURIComponent(encodeURIComponent(url)),
    encodeURI(url),
    JSON.stringify(url).replaceAll('/', '\\/'),
    JSON.stringify({ error: 'invalid_token', url }),
    JSON.stringify({ detail: JSON.stringify({ url: url.replaceAll('/', '\\/') }) }),
    url.replaceAll('/', '\\u002F'),
    new URL(url).pathname,
    new URL(url).pathname.split('/').pop()!,
  ];
}

/** True when `text` still holds the token (last path segment) in any encoding we know of. */
function leaks(text: string, url: string): boolean {
  const token = new URL(url).pathname.split('/').pop()!.toLowerCase();
  let t = text.toLowerCase();
  for (let i = 0; i < 3; i++) {
    t = t.replaceAll('\\u002f', '/').replaceAll('\\/', '/');
    try {
      t = decodeURIComponent(t);
    } catch {
      // not decodable as a whole: check what we have
    }
  }
  return t.includes(token) || t.includes(token.replaceAll('/', ''));
}

describe('redact', () => {
  const url = 'https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxSecretToken123';

  it('removes the URL in every form, alone or inside JSON', () => {
    for (const form of echoForms(url)) {
      const out = redact(`before ${form} after`, url);
      expect(leaks(out, url), `${form} → ${out}`).toBe(false);
      expect(out).toMatch(/^before .*redacted.* after$/);
    }
  });

  it('keeps JSON valid and leaves other text alone', () => {
    const json = JSON.stringify({ error: 'invalid_token', url, note: 'https://hooks.slack.com/other' });
    const out = redact(json, url);
    expect(JSON.parse(out)).toEqual({
      error: 'invalid_token',
      url: '<redacted webhook>',
      note: 'https://hooks.slack.com/other',
    });
    expect(redactDeep({ a: [url, 1, { b: encodeURIComponent(url) }] }, url)).toEqual({
      a: ['<redacted webhook>', 1, { b: '<redacted webhook>' }],
    });
  });
});

describe('postToSlack against a server echoing the webhook URL', () => {
  it('a permanent error (400) quotes the body without the URL in any form', async () => {
    let url = '';
    const slack = await startFakeSlack(() => ({ status: 400, body: echoForms(url).join(' | ') }));
    url = slack.url;
    try {
      const err = await postToSlack(
        { url, label: 'default' },
        { text: 't', blocks: [] },
        {
          deadline: Date.now() + 5_000,
        },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SlackPermanentError);
      const message = (err as Error).message;
      expect(message).toContain('redacted');
      expect(leaks(message, url), message).toBe(false);
    } finally {
      await slack.close();
    }
  });

  it('retry reasons and the final error of a failing (5xx) webhook carry no URL, even cut at 300 characters', async () => {
    let url = '';
    // The URL straddles the 300-character cut of the quoted body: a partial URL must not survive either.
    const slack = await startFakeSlack(() => ({
      status: 503,
      // The URL ends 5 characters past the cut: cutting before redacting would leave all but its tail.
      body: `${'x'.repeat(300 - url.length + 5)}${url} ${encodeURIComponent(url)}`,
    }));
    url = slack.url;
    const reasons: string[] = [];
    try {
      const err = await postToSlack(
        { url, label: 'default' },
        { text: 't', blocks: [] },
        {
          deadline: Date.now() + 1_000,
          baseDelayMs: 1,
          maxDelayMs: 5,
          onRetry: ({ reason }) => reasons.push(reason),
        },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SlackDeliveryError);
      expect(reasons.length).toBeGreaterThan(0);
      for (const text of [...reasons, (err as Error).message]) {
        expect(leaks(text, url), text).toBe(false);
        expect(text).not.toMatch(/T0SECRET|B0SECRET/i);
      }
    } finally {
      await slack.close();
    }
  });
});
