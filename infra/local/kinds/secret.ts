// The `secret` resource kind on the local cloud: there is no Secrets Manager locally. A function that
// references a secret gets the secret's local variable (SecretSpec.localEnv) instead of its ARN, with the
// value given for that variable (startLocalCloud's `secrets`, else the environment of `npm start`), else
// what the definition's `localFallback` names: `webhook-sink` = the URL of the built-in webhook sink
// (GET /_local/webhooks shows what was posted), nothing = an empty value.
import type { SecretSpec } from '../../../pipelines/types.ts';
import { type SlackPayload, summarise } from '../slack-sink.ts';
import type { LocalResourceKind } from './types.ts';

/** The sink's path on the edge: POST receives a webhook call, GET lists them, DELETE clears them. */
export const WEBHOOK_SINK_PATH = '/_local/webhooks';

/** The value the local cloud supplies for a secret. */
export function supplySecret(
  secret: SecretSpec,
  ctx: { given: (variable: string) => string | undefined; endpoint: string },
): string {
  const value = ctx.given(secret.localEnv);
  if (value !== undefined && value !== '') return value;
  return secret.localFallback === 'webhook-sink' ? `${ctx.endpoint}${WEBHOOK_SINK_PATH}` : '';
}

const usesSink = (spec: SecretSpec) => spec.localFallback === 'webhook-sink';

export const secret: LocalResourceKind<'secret'> = {
  title: 'Secrets',
  health: 'secrets',
  // Nothing to create: the value reaches functions through their environment (resolve).
  create: async () => {},
  id: (spec) => `${spec.name} ($${spec.localEnv})`,
  describe: (spec, ctx) =>
    `${spec.name} from $${spec.localEnv}${usesSink(spec) ? `, unset: the webhook sink ${ctx.endpoint}${WEBHOOK_SINK_PATH}` : ''}`,
  resolve: (spec, _variable, ctx) => ({ [spec.localEnv]: ctx.secretValue(spec) }),
  lookCommand: (spec, _mode, endpoint) =>
    usesSink(spec) ? `curl -s ${endpoint}${WEBHOOK_SINK_PATH}` : undefined,
  watch: (spec, _mode, demo) => {
    if (!usesSink(spec)) return undefined;
    const posts = () => demo.local<SlackPayload[]>(WEBHOOK_SINK_PATH.replace('/_local/', ''));
    return {
      snapshot: async () => (await posts()).length,
      changes: async (before) =>
        (await posts())
          .slice(before as number)
          .map((p) => `webhook sink (${demo.endpoint}${WEBHOOK_SINK_PATH}): ${summarise(p)}`),
    };
  },
};
