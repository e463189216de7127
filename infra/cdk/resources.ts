// The map of everything the stack creates, by logical name: what stack.ts fills in and alarms.ts, nag.ts
// and the tests read. Kept in its own module so those readers do not import the stack (no import cycle).
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { BuiltFunction } from './functions.ts';

/** Every resource the stack created, by logical name, for wiring, alarms, nag acknowledgments and tests. */
export interface PipelineResources {
  buckets: Map<string, s3.Bucket>;
  distributions: Map<string, cloudfront.Distribution>;
  topics: Map<string, sns.Topic>;
  tables: Map<string, dynamodb.Table>;
  secrets: Map<string, secretsmanager.ISecret>;
  streams: Map<string, firehose.DeliveryStream>;
  functions: Map<string, BuiltFunction>;
  /**
   * Per delivery stream: its destination bucket and processor function (logical names), the role Firehose
   * delivers with, and whether dynamic partitioning is on.
   */
  streamWiring: Map<
    string,
    { bucket: string; processor: string; role: iam.Role; dynamicPartitioning: boolean }
  >;
  /** Target of S3 server access logs and CloudFront standard logs. */
  accessLogs: s3.Bucket;
  /** Customer-managed key of the SNS topics (CloudWatch alarms cannot publish to a topic under aws/sns). */
  topicKey: kms.Key;
}
