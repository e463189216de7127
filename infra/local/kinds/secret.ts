// The `secret` resource kind on the local cloud: there is no Secrets Manager locally. A function that
// references a secret gets the secret's local variable (SecretSpec.localEnv) instead of its ARN, with the
// value given for that variable (startLocalCloud's `secrets`, else the environment of `npm start`), else
// what the definition's `localFallback` names: `webhook-sink` = the URL of the built-in webhook sink
// (GET /_local/webhooks shows what was posted), nothing = an empty value. A `generate: true` secret (one
// nobody needs to know, e.g. a signing key) is, unless its variable is given, a random value made once per
// data directory and kept in `<dataDir>/secrets/<name>` (mode 0600), so it survives restarts as a secret
// in Secrets Manager does; like every secret value it is redacted from what the cloud prints.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretSpec } from '../../../pipelines/types.ts';
import { type SlackPayload, summarise } from '../slack-sink.ts';
import type { LocalResourceKind } from './types.ts';

/** The sink's path on the edge: POST receives a webhook call, GET lists them, DELETE clears them. */
export const WEBHOOK_SINK_PATH = '/_local/webhooks';

/** The value the local cloud supplies for a secret. */
export function supplySecret(
  secret: SecretSpec,
  ctx: { given: (variable: string) => string | undefined; endpoint: string; dataDir?: string },
): string {
  const value = ctx.given(secret.localEnv);
  if (value !== undefined && value !== '') return value;
  if (secret.generate && ctx.dataDir) return generatedSecret(ctx.dataDir, secret.name);
  return secret.localFallback === 'webhook-sink' ? `${ctx.endpoint}${WEBHOOK_SINK_PATH}` : '';
}

/** Where a generated secret is kept: its name made a file name (Secrets Manager names may hold `/`). */
export const generatedSecretPath = (dataDir: string, name: string) =>
  path.join(dataDir, 'secrets', encodeURIComponent(name));

/**
 * The data directory's value of a generated secret: read, or made (256 random bits as 64 hex characters)
 * and written owner-only. `wx` makes the first writer win should two readers race.
 */
function generatedSecret(dataDir: string, name: string): string {
  const file = generatedSecretPath(dataDir, name);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString('hex');
  try {
    writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFileSync(file, 'utf8').trim();
  }
}

const usesSink = (spec: SecretSpec) => spec.localFallback === 'webhook-sink';

export const secret: LocalResourceKind<'secret'> = {
  title: 'Secrets',
  health: 'secrets',
  // Nothing to create: the value reaches functions through their environment (resolve).
  create: async () => {},
  id: (spec) => `${spec.name} ($${spec.localEnv})`,
  describe: (spec, ctx) =>
    `${spec.name} from $${spec.localEnv}${usesSink(spec) ? `, unset: the webhook sink ${ctx.endpoint}${WEBHOOK_SINK_PATH}` : ''}${spec.generate ? ', unset: generated once per data dir (secrets/, mode 0600)' : ''}`,
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
