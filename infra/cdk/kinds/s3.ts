// The s3 trigger kind on AWS: an S3 event notification from the bucket to the function, with the trigger's
// events and prefix/suffix filter; Lambda invokes it asynchronously. CDK writes notifications with a helper
// function of its own (BucketNotificationsHandler…), which gets a log group with the stack's retention and
// the acknowledgment of its managed policy.
import { type CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { S3EventName } from '../../../pipelines/types.ts';
import { ack } from '../nag.ts';
import type { CdkTriggerKind } from './types.ts';

const S3_EVENTS: Record<S3EventName, s3.EventType> = {
  's3:ObjectCreated:*': s3.EventType.OBJECT_CREATED,
  's3:ObjectRemoved:*': s3.EventType.OBJECT_REMOVED,
};

export const s3Trigger: CdkTriggerKind<'s3'> = {
  invocation: { asynchronous: true },
  attach(ctx, { fn }, trigger) {
    const bucket = ctx.resources.bucket.get(trigger.bucket)!;
    const filter = {
      ...(trigger.filter?.prefix ? { prefix: trigger.filter.prefix } : {}),
      ...(trigger.filter?.suffix ? { suffix: trigger.filter.suffix } : {}),
    };
    fn.addEventSource(
      new lambdaEvents.S3EventSourceV2(bucket, {
        events: trigger.events.map((name) => S3_EVENTS[name]),
        ...(Object.keys(filter).length ? { filters: [filter] } : {}),
      }),
    );
  },
  /**
   * CDK's S3-notification custom resource is a Lambda function (BucketNotificationsHandler…) that would log
   * to /aws/lambda/<name>, created on first run and kept forever. Point it at a log group of ours with the
   * stack's retention instead (Lambda's LoggingConfig; its managed role may write to any log group).
   */
  finish(ctx) {
    const handler = ctx.stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    const fn = handler?.node.defaultChild as CfnResource | undefined;
    if (!handler || !fn) return;
    const logGroup = new logs.LogGroup(ctx.stack, 'BucketNotificationsHandlerLogs', {
      retention: ctx.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    fn.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
    ack(
      handler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's own singleton custom resource (Custom::S3BucketNotifications) that writes the buckets' notification " +
        'configuration at deploy time; its role and managed logging policy are fixed by aws-cdk-lib. It never ' +
        'runs on the data path.',
    );
  },
};
