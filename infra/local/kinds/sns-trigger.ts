// The `sns` trigger kind on the local cloud: the function is subscribed to the topic (protocol lambda,
// persisted with the topic); every delivery to a Lambda subscription becomes an SNS event
// (shared/events/builders.ts), journaled before Publish is answered and invoked asynchronously (retries,
// DLQ), as SNS invokes Lambda.
import { PublishCommand } from '@aws-sdk/client-sns';
import { buildSnsEvent } from '../../../shared/events/builders.ts';
import { functionArn } from '../lambda.ts';
import { topicArn } from '../names.ts';
import { quote } from './s3-trigger.ts';
import type { LocalTriggerKind } from './types.ts';

export const snsTrigger: LocalTriggerKind<'sns'> = {
  // Any Lambda subscription (the triggers' and those made with the API) delivers to a defined function.
  setup(ctx) {
    ctx.onSnsDelivery((sub, msg) => {
      if (sub.Protocol !== 'lambda') return undefined;
      const fn = ctx.catalog.functions.find((f) => functionArn(f.id) === sub.Endpoint);
      if (!fn) {
        ctx.log(
          `sns: subscription ${sub.SubscriptionArn} points at ${sub.Endpoint}, which is not running; message not delivered`,
        );
        return undefined;
      }
      return ctx.invokeDurably(
        fn,
        buildSnsEvent({
          topicArn: msg.topicArn,
          message: msg.message,
          subject: msg.subject,
          messageId: msg.messageId,
          timestamp: msg.timestamp,
          messageAttributes: msg.attributes,
          subscriptionArn: sub.SubscriptionArn,
        }),
      );
    });
  },
  async wire(fn, t, ctx) {
    await ctx.services.sns.subscribe(topicArn(t.topic), 'lambda', functionArn(fn.id));
  },
  wired: (fn, t, services) =>
    services.sns
      .subscriptions()
      .some((s) => s.Endpoint === functionArn(fn.id) && s.TopicArn === topicArn(t.topic)),
  describe: (t) => `sns ${topicArn(t.topic)}`,
  summarise(event) {
    const sns = (event as { Records?: Array<{ Sns?: { Subject?: string | null; Message?: string } }> })
      .Records?.[0]?.Sns;
    const text = (sns?.Subject || sns?.Message || '').replace(/\s+/g, ' ');
    return `sns ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
  },
  tryCommands: (t, sample) => [
    `aws sns publish --topic-arn ${topicArn(t.topic)}${sample.subject ? ` --subject ${quote(sample.subject)}` : ''} --message ${quote(`file://${sample.shown}`)}`,
  ],
  async send(t, sample, content, demo) {
    const out = await demo.sns.send(
      new PublishCommand({
        TopicArn: topicArn(t.topic),
        Subject: sample.subject,
        Message: content.toString('utf8'),
      }),
    );
    return `published ${sample.name} to ${topicArn(t.topic)} (MessageId ${out.MessageId})`;
  },
  results: () => [],
};
