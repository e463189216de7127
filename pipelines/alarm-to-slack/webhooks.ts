// Resolves where a message goes to an actual webhook URL: the default webhook (Secrets Manager on AWS,
// SLACK_WEBHOOK_URL locally) or a route's `secret:` / `env:` reference. Secrets are fetched once per
// container and cached (a failed fetch is not cached, so the next invocation tries again). Uses the SDK
// client from shared/aws/secrets.ts; @aws-lambda-powertools/parameters is not a project dependency.
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsClient } from '../../shared/aws/secrets.ts';
import type { AlarmConfig } from './config.ts';
import { isHttpUrl } from './config.ts';
import { describeRef, type Route, type WebhookRef } from './routing.ts';
import type { Webhook } from './slack.ts';

export type SecretFetcher = (secretId: string) => Promise<string | undefined>;

const fetchFromSecretsManager: SecretFetcher = async (secretId) => {
  const out = await secretsClient().send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString;
};

export interface WebhookResolver {
  resolve(route: Route | undefined): Promise<Webhook>;
}

export function createWebhookResolver(
  config: AlarmConfig,
  options: { env?: Record<string, string | undefined>; fetchSecret?: SecretFetcher } = {},
): WebhookResolver {
  const env = options.env ?? process.env;
  const fetchSecret = options.fetchSecret ?? fetchFromSecretsManager;
  const cache = new Map<string, Promise<string>>();

  const fromSecret = (secretId: string): Promise<string> => {
    let pending = cache.get(secretId);
    if (!pending) {
      pending = loadSecretUrl(secretId, fetchSecret);
      cache.set(secretId, pending);
      pending.catch(() => cache.delete(secretId));
    }
    return pending;
  };

  const fromRef = async (ref: WebhookRef): Promise<string> => {
    if (ref.kind === 'secret') return fromSecret(ref.secretId);
    const url = env[ref.variable]?.trim();
    if (!url || !isHttpUrl(url))
      throw new Error(`Webhook variable ${ref.variable} is not set to an http(s) URL`);
    return url;
  };

  return {
    async resolve(route) {
      if (route)
        return { url: await fromRef(route.webhook), label: `${route.match} → ${describeRef(route.webhook)}` };
      const d = config.defaultWebhook;
      if (d.kind === 'url') return { url: d.url, label: 'default (SLACK_WEBHOOK_URL)' };
      return { url: await fromSecret(d.secretId), label: 'default (SLACK_WEBHOOK_SECRET_ARN)' };
    },
  };
}

/**
 * Reads a webhook URL from a secret: either the URL itself as the secret string, or a JSON object with
 * a `url` / `webhookUrl` / `webhook_url` field (what the console's key/value editor produces).
 */
async function loadSecretUrl(secretId: string, fetchSecret: SecretFetcher): Promise<string> {
  let value: string | undefined;
  try {
    value = (await fetchSecret(secretId))?.trim();
  } catch (err) {
    // SDK errors name the secret, never its value.
    throw new Error(`Could not read Slack webhook secret ${secretId}: ${(err as Error).message}`);
  }
  if (!value) throw new Error(`Slack webhook secret ${secretId} has no string value`);
  if (value.startsWith('{')) {
    try {
      const json = JSON.parse(value) as Record<string, unknown>;
      const url = [json.url, json.webhookUrl, json.webhook_url].find((v) => typeof v === 'string');
      if (typeof url === 'string' && isHttpUrl(url.trim())) return url.trim();
    } catch {
      // fall through to the error below
    }
    throw new Error(`Slack webhook secret ${secretId} is JSON without a "url" field holding an http(s) URL`);
  }
  if (!isHttpUrl(value)) throw new Error(`Slack webhook secret ${secretId} does not hold an http(s) URL`);
  return value;
}
