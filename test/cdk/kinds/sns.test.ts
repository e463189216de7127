// The sns trigger kind on AWS (infra/cdk/kinds/sns.ts), on the template synthesized from the real definitions
// (without bundling): each SNS-triggered function is subscribed to its topic, and what SNS cannot deliver
// lands in the function's DLQ.
import { describe, expect, it } from 'vitest';
import { idOf, synthesizedProject, triggeredBy } from '../helpers.ts';

const s = synthesizedProject();

describe('SNS subscriptions', () => {
  it('each SNS-triggered function is subscribed to its topic, with its DLQ as redrive target', () => {
    const fns = triggeredBy('sns');
    expect(fns.map((f) => f.id)).toContain('alarm-to-slack');
    s.template.resourceCountIs('AWS::SNS::Subscription', fns.length);
    for (const f of fns) {
      const built = s.stack.resources.functions.get(f.id)!;
      s.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: { Ref: idOf(s, s.stack.resources.topic.get(f.trigger.topic)!) },
        Endpoint: { 'Fn::GetAtt': [idOf(s, built.fn), 'Arn'] },
        // what SNS cannot deliver after its own retries lands in the function's DLQ too
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(s, built.dlq!), 'Arn'] } },
      });
    }
  });
});
