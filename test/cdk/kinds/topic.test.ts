// The topic kind on AWS (infra/cdk/kinds/topic.ts), on the template synthesized from the real definitions
// (without bundling): one SNS topic per declared topic, encrypted with the stack's rotating key (which
// CloudWatch may use) and TLS-only. What AWS does with the alarm topic's policy is in aws-behaviour.test.ts.
import { describe, expect, it } from 'vitest';
import { catalog, idOf, ofType, propsOf, referencedIds, synthesizedProject, topicKey } from '../helpers.ts';

const s = synthesizedProject();

const props = (logicalId: string) => propsOf(s, logicalId);

describe('topics', () => {
  it('creates every declared topic', () => {
    const names = catalog.resources.topic.map((t) => t.name);
    expect(names.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::SNS::Topic', names.length);
    expect([...s.stack.resources.topic.keys()].sort()).toEqual([...names].sort());
  });

  it('every topic is KMS-encrypted with one rotating key CloudWatch may use, and requires TLS', () => {
    const keyId = idOf(s, topicKey(s));
    s.template.resourceCountIs('AWS::KMS::Key', 1);
    expect(props(keyId).EnableKeyRotation).toBe(true);
    expect(JSON.stringify(props(keyId).KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    for (const [name, topic] of s.stack.resources.topic) {
      const topicId = idOf(s, topic);
      expect(referencedIds(props(topicId).KmsMasterKeyId), name).toEqual(new Set([keyId]));
      const [, policy] = ofType(s, 'AWS::SNS::TopicPolicy').find(([, p]) =>
        referencedIds(p.Properties!.Topics).has(topicId),
      )!;
      expect(
        (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
        name,
      ).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});
