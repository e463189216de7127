// Settings of the alarm function, read from the environment and validated once at cold start (shared
// loadConfig): exactly one webhook source (Secrets Manager on AWS, SLACK_WEBHOOK_URL locally), the
// idempotency table, optional routing, delivery tuning. No message ever quotes a webhook URL.
import { ConfigError, intSetting, loadConfig } from '../../shared/config.ts';
import * as z from '../../shared/zod.ts';
import { type Route, RoutesSchema } from './routing.ts';

/** How long a posted SNS MessageId is remembered: SNS redelivers within minutes, 24 h is ample. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;
/** Kept back from the invocation's remaining time when retrying Slack, so a failure is reported first. */
export const DEFAULT_DELIVERY_SAFETY_MARGIN_MS = 3_000;
/** Longest single HTTP request to Slack. */
export const DEFAULT_SLACK_REQUEST_TIMEOUT_MS = 10_000;

export const AlarmConfigSchema = z.object({
  /** Secrets Manager ARN or name of the default webhook (on AWS). */
  SLACK_WEBHOOK_SECRET_ARN: z.optional(z.string().check(z.trim(), z.minLength(1, 'must not be empty'))),
  /** The default webhook URL itself (local cloud, or a user's real webhook while developing). */
  SLACK_WEBHOOK_URL: z.optional(
    z
      .string()
      .check(z.trim(), z.refine(isHttpUrl, 'must be an http(s) URL (value not shown: it is a secret)')),
  ),
  IDEMPOTENCY_TABLE: z.string().check(z.trim(), z.minLength(1, 'must not be empty')),
  /** How long a delivered MessageId is remembered. */
  IDEMPOTENCY_TTL_SECONDS: z._default(
    intSetting({ min: 60, max: 30 * 86_400 }),
    DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  ),
  /** Routing rules (JSON), see README. */
  SLACK_ROUTES: z.pipe(
    z.optional(z.string()),
    z.transform((text: string | undefined, ctx): Route[] => {
      if (text === undefined || text.trim() === '') return [];
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        // The parser's message quotes the input; a misplaced URL must not end up in the error.
        z.addCustomIssue(ctx, 'is not valid JSON');
        return z.NEVER;
      }
      const parsed = RoutesSchema.safeParse(json);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          z.addCustomIssue(ctx, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
        }
        return z.NEVER;
      }
      return parsed.data;
    }),
  ),
  /** Time kept back from the invocation's remaining time when retrying Slack (ms). */
  DELIVERY_SAFETY_MARGIN_MS: z._default(
    intSetting({ min: 0, max: 60_000 }),
    DEFAULT_DELIVERY_SAFETY_MARGIN_MS,
  ),
  /** Longest single HTTP request to Slack (ms). */
  SLACK_REQUEST_TIMEOUT_MS: z._default(
    intSetting({ min: 100, max: 60_000 }),
    DEFAULT_SLACK_REQUEST_TIMEOUT_MS,
  ),
});

export type AlarmConfig = {
  defaultWebhook: { kind: 'secret'; secretId: string } | { kind: 'url'; url: string };
  idempotencyTable: string;
  idempotencyTtlSeconds: number;
  routes: Route[];
  safetyMarginMs: number;
  requestTimeoutMs: number;
};

/** Validates the environment; throws ConfigError naming every bad setting. */
export function loadAlarmConfig(env: Record<string, string | undefined> = process.env): AlarmConfig {
  // Checked beside the schema (not in a refinement, which zod skips when another field fails), so one
  // error lists every problem.
  const sources = [env.SLACK_WEBHOOK_SECRET_ARN, env.SLACK_WEBHOOK_URL].filter((v) => v?.trim());
  const sourceIssue =
    sources.length === 0
      ? 'no Slack webhook configured: set SLACK_WEBHOOK_SECRET_ARN (AWS) or SLACK_WEBHOOK_URL (local)'
      : sources.length > 1
        ? 'both SLACK_WEBHOOK_SECRET_ARN and SLACK_WEBHOOK_URL are set: set exactly one'
        : undefined;
  let raw: z.infer<typeof AlarmConfigSchema>;
  try {
    raw = loadConfig(AlarmConfigSchema, env);
  } catch (err) {
    if (err instanceof ConfigError && sourceIssue) throw new ConfigError([sourceIssue, ...err.issues]);
    throw err;
  }
  if (sourceIssue) throw new ConfigError([sourceIssue]);
  // Routes reading a variable must find a URL there now, not at the first alarm that matches.
  const missing = raw.SLACK_ROUTES.flatMap((route, i) =>
    route.webhook.kind === 'env' && !isHttpUrl(env[route.webhook.variable]?.trim() ?? '')
      ? [
          `SLACK_ROUTES.${i}.webhook: variable ${route.webhook.variable} is ${
            env[route.webhook.variable] === undefined ? 'not set' : 'not an http(s) URL'
          }`,
        ]
      : [],
  );
  // On AWS a variable is plain configuration (visible in the console): routed URLs must be secrets too.
  if (raw.SLACK_WEBHOOK_SECRET_ARN) {
    raw.SLACK_ROUTES.forEach((route, i) => {
      if (route.webhook.kind === 'env') {
        missing.push(
          `SLACK_ROUTES.${i}.webhook: "env:" references are for local runs; with SLACK_WEBHOOK_SECRET_ARN ` +
            'set (AWS) use "secret:<name or ARN>"',
        );
      }
    });
  }
  if (missing.length) throw new ConfigError(missing);
  return {
    defaultWebhook: raw.SLACK_WEBHOOK_SECRET_ARN
      ? { kind: 'secret', secretId: raw.SLACK_WEBHOOK_SECRET_ARN }
      : { kind: 'url', url: raw.SLACK_WEBHOOK_URL! },
    idempotencyTable: raw.IDEMPOTENCY_TABLE,
    idempotencyTtlSeconds: raw.IDEMPOTENCY_TTL_SECONDS,
    routes: raw.SLACK_ROUTES,
    safetyMarginMs: raw.DELIVERY_SAFETY_MARGIN_MS,
    requestTimeoutMs: raw.SLACK_REQUEST_TIMEOUT_MS,
  };
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
