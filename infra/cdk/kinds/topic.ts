// The topic kind on AWS: an SNS topic per TopicSpec, encrypted with the stack's one customer-managed key
// (CloudWatch may use it) and TLS-only; its ARN in environments; the `publish` grant (from a VPC, through the
// SNS interface endpoint). The topic that context
// alarmTopic names receives every operational alarm: CloudWatch alarms of this account and region may
// publish to it.
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { pascal } from '../functions.ts';
import { ack } from '../nag.ts';
import type { CdkResourceKind } from './types.ts';

const KEY_ID = 'TopicKey';

/** The key of every topic of the stack, created with the first topic. */
function topicKey(stack: Stack): kms.Key {
  const existing = stack.node.tryFindChild(KEY_ID);
  if (existing) return existing as kms.Key;
  // Deleted with the stack (after the topics, which reference it, so CloudFormation removes them first):
  // a retained key would keep billing $1/month with nothing left to decrypt. KMS waits the pending window
  // (7 days, its minimum) before the key is gone; `aws kms cancel-key-deletion` undoes it meanwhile.
  const key = new kms.Key(stack, KEY_ID, {
    description: 'Encrypts the SNS topics; CloudWatch alarms may use it to publish',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  return key;
}

export const topicKind: CdkResourceKind<'topic'> = {
  checkSettings(settings, declared) {
    if (!declared.some((t) => t.name === settings.alarmTopic))
      throw new Error(`context alarmTopic: no pipeline declares a topic named "${settings.alarmTopic}"`);
  },
  create(ctx, spec) {
    const topic = new sns.Topic(ctx.stack, `Topic${pascal(spec.name)}`, {
      displayName: spec.description.slice(0, 100),
      masterKey: topicKey(ctx.stack),
      enforceSSL: true,
    });
    if (spec.name === ctx.settings.alarmTopic) {
      allowCloudWatchAlarms(topic);
      ctx.alarms.notify(new cwActions.SnsAction(topic));
    }
    new CfnOutput(ctx.stack, `Topic${pascal(spec.name)}Arn`, {
      value: topic.topicArn,
      description: spec.description,
    });
    return topic;
  },
  resolve: (topic) => topic.topicArn,
  grants: {
    publish: ({ name, resource, fn }) => {
      resource.grantPublish(fn.fn);
      ack(
        fn.role,
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        `${fn.spec.id} publishes to the KMS-encrypted topic "${name}": SNS needs a data key from the ` +
          "topic's own key (GenerateDataKey and GenerateDataKeyWithoutPlaintext); the grant names that key only.",
      );
    },
  },
  // From a VPC: the SNS interface endpoint (SNS itself asks KMS for the data key, so no KMS endpoint).
  vpcAccess: (_g, _mode, { network, securityGroups }) =>
    network.interfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SNS, securityGroups),
};

/**
 * A topic policy replaces SNS's default policy, and `enforceSSL` gives the topic one whose only statement is
 * a Deny; without this Allow, every alarm action fails with "CloudWatch Alarms is not authorized to perform:
 * SNS:Publish". Scoped (confused-deputy protection, as SNS's docs advise for service principals) to alarms
 * of this stack's account and region.
 */
function allowCloudWatchAlarms(topic: sns.Topic): void {
  const stack = Stack.of(topic);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}
