// The firehose-transform trigger kind on AWS: the function is its delivery stream's processor, which the
// stream kind (stream.ts) sets when it creates the stream (a stream needs its processor first); attaching
// checks the other direction, that the stream names this function. Firehose invokes it synchronously.
import { wiringOf } from './stream.ts';
import type { CdkTriggerKind } from './types.ts';

export const firehoseTransformTrigger: CdkTriggerKind<'firehose-transform'> = {
  invocation: { asynchronous: false, onError: 'Firehose retries the batch.' },
  attach(ctx, { spec }, trigger) {
    const stream = ctx.resources.stream.get(trigger.stream);
    if (!stream || wiringOf(stream).processor !== spec.id)
      throw new Error(
        `function ${spec.id} is the transform of stream ${trigger.stream}, whose processor it is not`,
      );
  },
};
