// Optional routing of alarms to different Slack webhooks by alarm-name pattern, configured in one place
// (the SLACK_ROUTES setting). A route names where its webhook URL lives (`secret:<name or ARN>` in
// Secrets Manager, or `env:<VARIABLE>`), never the URL itself: configuration is not a secret store.
import * as z from '../../shared/zod.ts';

/** `secret:<Secrets Manager name or ARN>` or `env:<ENVIRONMENT_VARIABLE>`. */
export type WebhookRef = { kind: 'secret'; secretId: string } | { kind: 'env'; variable: string };

const WebhookRefSchema = z.pipe(
  z.string().check(
    z.trim(),
    z.refine((s) => !/^https?:/i.test(s), {
      message: 'looks like a URL: put the webhook URL in a secret or variable and reference it here',
    }),
  ),
  z.transform((s: string, ctx): WebhookRef => {
    const secret = /^secret:(.+)$/.exec(s);
    if (secret) return { kind: 'secret', secretId: secret[1]!.trim() };
    const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(s);
    if (env) return { kind: 'env', variable: env[1]! };
    z.addCustomIssue(ctx, 'must be "secret:<name or ARN>" or "env:<VARIABLE_NAME>"');
    return z.NEVER;
  }),
);

export const RouteSchema = z.object({
  /** Glob on the alarm name: `*` any run of characters, `?` one character. Case-sensitive. */
  match: z.string().check(z.minLength(1, 'must not be empty')),
  webhook: WebhookRefSchema,
});
export const RoutesSchema = z.array(RouteSchema).check(z.maxLength(50, 'at most 50 routes'));

export type Route = z.infer<typeof RouteSchema>;

/** Compiles a glob to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const source = Array.from(glob, (ch) => {
    if (ch === '*') return '.*';
    if (ch === '?') return '.';
    return ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }).join('');
  return new RegExp(`^${source}$`, 'su');
}

/**
 * The route for an alarm name (first match wins), or undefined for the default webhook. Messages that
 * are not alarms (no name) always go to the default webhook.
 */
export function selectRoute(routes: readonly Route[], alarmName: string | undefined): Route | undefined {
  if (alarmName === undefined) return undefined;
  return routes.find((r) => globToRegExp(r.match).test(alarmName));
}

export function describeRef(ref: WebhookRef): string {
  return ref.kind === 'secret' ? `secret:${ref.secretId}` : `env:${ref.variable}`;
}
