// The sns trigger kind on AWS: a Lambda subscription of the function to the topic; Lambda invokes it
// asynchronously, and what SNS itself cannot hand to Lambda goes to the function's DLQ too.
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type { CdkTriggerKind } from './types.ts';

export const snsTrigger: CdkTriggerKind<'sns'> = {
  invocation: { asynchronous: true },
  attach(ctx, { fn, dlq }, trigger) {
    // The function's DLQ also catches what SNS itself could not hand to Lambda after its own retries.
    const topic = ctx.resources.topic.get(trigger.topic)!;
    fn.addEventSource(new lambdaEvents.SnsEventSource(topic, dlq ? { deadLetterQueue: dlq } : {}));
  },
};
