// Delivery of one message to a Slack incoming webhook with global fetch and the shared retry helper:
// 429 waits for Retry-After, 5xx / network errors / timeouts back off with jitter, all within the
// invocation's remaining time; Slack's permanent errors (invalid_payload, channel_not_found,
// channel_is_archived, no_service, invalid_token, …) are not retried. The webhook URL is the credential,
// so it never appears in an error message or a log line: errors name the webhook by a label and origin.
import { redact } from '../../shared/redact.ts';
import { RetryError, retry } from '../../shared/retry.ts';
import type { SlackMessage } from './blocks.ts';

export interface Webhook {
  /** The secret URL. */
  url: string;
  /** A safe name for logs, e.g. `default` or `route prod-* → secret:prod-slack`. */
  label: string;
}

export interface DeliveryOptions {
  /** Epoch ms after which no further attempt or wait starts (remaining time minus a safety margin). */
  deadline: number;
  /** Longest single request in ms (also capped by the deadline). Default 10,000. */
  requestTimeoutMs?: number;
  /** First backoff ceiling in ms. Default 250. */
  baseDelayMs?: number;
  /** Largest backoff wait in ms. Default 4,000. */
  maxDelayMs?: number;
  /** Called before each retry wait, for logging (already redacted). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface DeliveryResult {
  attempts: number;
  status: number;
}

/** A response Slack will give again for the same request: retrying cannot help. */
export class SlackPermanentError extends Error {
  readonly status: number;
  /** Slack's reason string, e.g. `channel_not_found`. */
  readonly reason: string;
  constructor(webhook: string, status: number, reason: string) {
    super(`Slack rejected the message for webhook ${webhook}: HTTP ${status} ${reason}`);
    this.name = 'SlackPermanentError';
    this.status = status;
    this.reason = reason;
  }
}

/** A failure that may pass (429, 5xx, network, timeout). */
export class SlackTransientError extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, status?: number, retryAfterMs?: number) {
    super(message);
    this.name = 'SlackTransientError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The message could not be delivered in the time the invocation had: the caller must fail. */
export class SlackDeliveryError extends Error {
  readonly attempts: number;
  constructor(message: string, attempts: number) {
    super(message);
    this.name = 'SlackDeliveryError';
    this.attempts = attempts;
  }
}

export { redact };

/** `https://hooks.slack.com/…`: safe to show (the path is the secret). */
export function describeWebhook(webhook: Webhook): string {
  let origin = 'webhook';
  try {
    origin = `${new URL(webhook.url).origin}/…`;
  } catch {
    // not a URL: show nothing of it
  }
  return `"${webhook.label}" (${origin})`;
}

/** Parses Retry-After (delta seconds or an HTTP date) into ms; undefined when absent or unusable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Posts `message` to `webhook`, retrying what may pass, until success or `deadline`. Throws
 * SlackPermanentError (Slack said no) or SlackDeliveryError (out of time); neither contains the URL.
 */
export async function postToSlack(
  webhook: Webhook,
  message: SlackMessage,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const name = describeWebhook(webhook);
  const body = JSON.stringify(message);
  let lastStatus = 0;
  try {
    const attempts = await retry(
      async (attempt) => {
        const timeoutMs = Math.max(
          250,
          Math.min(options.requestTimeoutMs ?? 10_000, options.deadline - now()),
        );
        let response: Response;
        try {
          response = await doFetch(webhook.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (err) {
          throw new SlackTransientError(`network error: ${redact(errorText(err), webhook.url)}`);
        }
        lastStatus = response.status;
        const text = await readBody(response, webhook.url);
        if (response.ok) return attempt;
        if (response.status === 429) {
          const after = parseRetryAfter(response.headers.get('retry-after'), now());
          throw new SlackTransientError(`rate limited (HTTP 429${text ? ` ${text}` : ''})`, 429, after);
        }
        if (response.status >= 500 || response.status === 408) {
          throw new SlackTransientError(`HTTP ${response.status}${text ? ` ${text}` : ''}`, response.status);
        }
        throw new SlackPermanentError(
          name,
          response.status,
          text || response.statusText || 'no reason given',
        );
      },
      {
        attempts: 100, // bounded by the deadline, not by a count
        baseDelayMs: options.baseDelayMs ?? 250,
        maxDelayMs: options.maxDelayMs ?? 4_000,
        deadline: options.deadline,
        retryable: (err) => err instanceof SlackTransientError,
        delayHint: (err) => (err instanceof SlackTransientError ? err.retryAfterMs : undefined),
        onRetry: ({ attempt, delayMs, error }) =>
          options.onRetry?.({ attempt, delayMs, reason: errorText(error) }),
        ...(options.sleep ? { sleep: options.sleep } : {}),
        now,
      },
    );
    return { attempts, status: lastStatus };
  } catch (err) {
    if (err instanceof SlackPermanentError) throw err;
    if (err instanceof RetryError) {
      // "Gave up after N attempts: [no time left to wait X ms (]<last error>[)]"; built from redacted parts.
      throw new SlackDeliveryError(
        `Could not deliver to Slack webhook ${name} within the invocation's remaining time: ${err.message}`,
        err.attempts,
      );
    }
    throw new SlackDeliveryError(
      `Could not deliver to Slack webhook ${name}: ${redact(errorText(err), webhook.url)}`,
      1,
    );
  }
}

/** The response text, redacted before it is cut to 300 characters (so no partial URL survives the cut). */
async function readBody(response: Response, url: string): Promise<string> {
  try {
    return redact(await response.text(), url)
      .trim()
      .slice(0, 300);
  } catch {
    return '';
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}
