// The `topic` resource kind on the local cloud: an SNS topic in the local SNS service, its ARN in
// environments. Nothing to watch: SNS keeps no messages, its subscribers show the results.
import { topicArn } from '../names.ts';
import type { LocalResourceKind } from './types.ts';

export const topic: LocalResourceKind<'topic'> = {
  title: 'SNS topics',
  health: 'topics',
  async create(spec, services) {
    await services.sns.createTopic(spec.name);
  },
  id: (spec) => topicArn(spec.name),
  describe: (spec) => topicArn(spec.name),
  resolve: (spec, variable) => ({ [variable]: topicArn(spec.name) }),
};
