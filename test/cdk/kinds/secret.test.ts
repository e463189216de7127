// The secret kind on AWS (infra/cdk/kinds/secret.ts), on the template synthesized from the real definitions
// (without bundling): one Secrets Manager secret per declared secret (a placeholder, retained), its ARN in
// environments, and a read grant that cannot change it. An existing secret (context secretArns) is tested in
// settings.test.ts.
import { describe, expect, it } from 'vitest';
import { asArray, catalog, idOf, referencedIds, roleStatements, synthesizedProject } from '../helpers.ts';

const s = synthesizedProject();

describe('secrets', () => {
  it('creates every declared secret, retained on stack deletion', () => {
    const names = catalog.resources.secret.map((x) => x.name);
    expect(names.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::SecretsManager::Secret', names.length);
    expect([...s.stack.resources.secret.keys()].sort()).toEqual([...names].sort());
    for (const secret of s.stack.resources.secret.values()) {
      const resource = s.json.Resources[idOf(s, secret)] as { DeletionPolicy?: string };
      expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('a `generate` secret gets 64 random letters and digits from Secrets Manager; the others a placeholder', () => {
    // AWS::SecretsManager::Secret GenerateSecretString (CloudFormation reference): PasswordLength, and
    // ExcludePunctuation drops the punctuation characters from the generated value.
    const generated = catalog.resources.secret.filter((x) => x.generate);
    expect(generated.map((x) => x.name)).toEqual(['events-api-cursor-key']);
    for (const spec of catalog.resources.secret) {
      const p = s.json.Resources[idOf(s, s.stack.resources.secret.get(spec.name)!)]!.Properties!;
      if (spec.generate)
        expect(p.GenerateSecretString, spec.name).toEqual({ PasswordLength: 64, ExcludePunctuation: true });
      // CDK's placeholder for a value put after deploy: a generated string without options
      else expect(p.GenerateSecretString, spec.name).toEqual({});
    }
  });

  it('the nag acknowledgment of a generated secret says it is generated and why nothing rotates it', () => {
    const secret = s.stack.resources.secret.get('events-api-cursor-key')!;
    const acks = secret.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .filter(([id]) => id.endsWith('AwsSolutions-SMG4'))
      .map(([, reason]) => reason);
    expect(acks).toHaveLength(1);
    expect(acks.join(' ')).toMatch(/generated at deploy.*No rotation Lambda is deployed/);
  });

  it('the Slack function may read the webhook secret and not change it', () => {
    const secretId = idOf(s, s.stack.resources.secret.get('slack-webhook')!);
    const actions = roleStatements(s, idOf(s, s.stack.resources.functions.get('alarm-to-slack')!.role))
      .filter((st) => referencedIds(st.Resource).has(secretId))
      .flatMap((st) => asArray(st.Action));
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions.some((a) => a.startsWith('secretsmanager:Put'))).toBe(false);
  });
});
