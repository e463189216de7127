// The stream kind on AWS: an Amazon Data Firehose delivery stream per DeliveryStreamSpec (direct PUT, SSE,
// S3 destination with its processor function, dynamic partitioning, compression, buffering, delivery logs),
// delivering with a role of its own that holds exactly AWS's documented S3 actions; its name in
// environments, the put-records grant (and, from a VPC, the Firehose interface endpoint), its alarms and the
// acknowledgments of its delivery role.
import { CfnOutput, Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { triggerSource } from '../../../pipelines/kinds.ts';
import { ALARM_PERIOD } from '../alarms.ts';
import { type BuiltFunction, pascal } from '../functions.ts';
import { ack, logicalId } from '../nag.ts';
import type { CdkResourceKind } from './types.ts';

/** How a delivery stream is wired. */
export interface StreamWiring {
  /** The role Firehose delivers with. */
  role: iam.Role;
  /** Logical names of its destination bucket and processor function. */
  bucket: string;
  processor: string;
  dynamicPartitioning: boolean;
  /** The definition's `recovery`: how to re-deliver error-prefix records (quoted by the alarms). */
  recovery?: string;
}

const wirings = new WeakMap<firehose.DeliveryStream, StreamWiring>();

/** The wiring of a delivery stream this plug-in created. */
export function wiringOf(stream: firehose.DeliveryStream): StreamWiring {
  const wiring = wirings.get(stream);
  if (!wiring) throw new Error(`${stream.node.path} was not created by the stream kind`);
  return wiring;
}

/**
 * S3 actions AWS lists for a Firehose S3 destination ("Grant Firehose access to an Amazon S3 destination",
 * https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3): multipart upload and
 * its cleanup, bucket location/listing, and put/get of objects.
 */
export const FIREHOSE_S3_DESTINATION_ACTIONS = [
  's3:AbortMultipartUpload',
  's3:GetBucketLocation',
  's3:GetObject',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
  's3:PutObject',
] as const;

export const streamKind: CdkResourceKind<'stream'> = {
  needs: (spec) => ({
    resources: [{ kind: 'bucket', name: spec.destination.bucket }],
    functions: [spec.processor],
  }),
  create(ctx, spec) {
    const id = `Stream${pascal(spec.name)}`;
    const bucket = ctx.resources.bucket.get(spec.destination.bucket)!;
    const processor = ctx.resources.functions.get(spec.processor)!;
    const source = triggerSource(processor.spec.trigger);
    if (source.kind !== 'stream' || source.name !== spec.name) {
      throw new Error(
        `function ${spec.processor} must declare trigger firehose-transform of stream ${spec.name}`,
      );
    }
    const dynamic = spec.destination.partitionKeys.length > 0;
    for (const key of spec.destination.partitionKeys) {
      if (!spec.destination.prefix.includes(`!{partitionKeyFromLambda:${key}}`)) {
        throw new Error(`stream ${spec.name}: partition key ${key} is not used in the destination prefix`);
      }
    }
    const logGroup = new logs.LogGroup(ctx.stack, `${id}Logs`, {
      retention: ctx.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = destinationRole(ctx.stack, id, bucket, processor, logGroup);
    // The L2 DeliveryStream covers everything needed here (Lambda processor, dynamic partitioning with keys
    // from Lambda, GZIP, error prefix, buffering, SSE), so no L1 CfnDeliveryStream is used.
    const stream = new firehose.DeliveryStream(ctx.stack, id, {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(bucket, {
        // Grants the L2 would add (grantReadWrite on the bucket, log and invoke grants) are dropped: the role
        // already holds exactly what AWS documents for an S3 destination (see destinationRole).
        role: role.withoutPolicyUpdates(),
        dataOutputPrefix: spec.destination.prefix,
        errorOutputPrefix: spec.destination.errorPrefix,
        compression:
          spec.destination.compression === 'GZIP'
            ? firehose.Compression.GZIP
            : firehose.Compression.UNCOMPRESSED,
        bufferingSize: Size.mebibytes(spec.buffering.sizeMiB),
        bufferingInterval: Duration.seconds(spec.buffering.intervalSeconds),
        processors: [
          new firehose.LambdaFunctionProcessor(processor.fn, {
            // Firehose batches ≤1 MiB per invocation (its default, stated): the response stays far under
            // Lambda's 6 MB payload limit even when records grow during normalisation.
            bufferSize: Size.mebibytes(1),
            bufferInterval: Duration.seconds(60),
            retries: 3,
          }),
        ],
        ...(dynamic ? { dynamicPartitioning: { enabled: true, retryDuration: Duration.minutes(5) } } : {}),
        loggingConfig: new firehose.EnableLogging(logGroup),
      }),
    });
    // The role's policy must exist before Firehose first assumes the role (the L2 would add this dependency
    // for its own grants, which the immutable role above dropped).
    stream.node.addDependency(role);
    new CfnOutput(ctx.stack, `${id}Name`, {
      value: stream.deliveryStreamName,
      description: spec.description,
    });
    wirings.set(stream, {
      role,
      bucket: spec.destination.bucket,
      processor: spec.processor,
      dynamicPartitioning: dynamic,
      ...(spec.recovery ? { recovery: spec.recovery } : {}),
    });
    return stream;
  },
  resolve: (stream) => stream.deliveryStreamName,
  grants: {
    write: ({ resource, fn }) => resource.grantPutRecords(fn.fn),
    publish: ({ resource, fn }) => resource.grantPutRecords(fn.fn),
  },
  // From a VPC: the Firehose interface endpoint (billed per AZ-hour), created only if a VPC function writes.
  vpcAccess: (_g, _mode, { network, securityGroups }) =>
    network.interfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE, securityGroups),
  alarms(ctx, created) {
    for (const [name, stream] of created) {
      const { dynamicPartitioning, recovery } = wiringOf(stream);
      const id = `Alarm${pascal(name)}Stream`;
      const metric = (metricName: string, statistic: string) =>
        stream.metric(metricName, { period: ALARM_PERIOD, statistic });
      ctx.alarms.add(`${id}Freshness`, {
        alarmName: `stream-${name}-freshness`,
        alarmDescription:
          `The oldest record in delivery stream ${name} waited more than 15 minutes (AWS's recommended alarm): ` +
          'delivery to S3 or the transform is failing or falling behind.',
        metric: metric('DeliveryToS3.DataFreshness', 'Maximum'),
        threshold: 900,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      ctx.alarms.add(`${id}DeliveryFailures`, {
        alarmName: `stream-${name}-s3-delivery-failures`,
        alarmDescription: `Some S3 puts of delivery stream ${name} failed (DeliveryToS3.Success below 1); Firehose retries.`,
        metric: metric('DeliveryToS3.Success', 'Minimum'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      ctx.alarms.add(`${id}ProcessingFailures`, {
        alarmName: `stream-${name}-processing-failures`,
        alarmDescription:
          `Invocations of the transform of delivery stream ${name} failed (ExecuteProcessing.Success below 1); ` +
          'after retries Firehose writes the batch under the error prefix as processing-failed.',
        metric: metric('ExecuteProcessing.Success', 'Minimum'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      ctx.alarms.add(`${id}ThrottledRecords`, {
        alarmName: `stream-${name}-throttled-records`,
        alarmDescription: `Producers were throttled by delivery stream ${name} (ThrottledRecords > 0): raise its quota.`,
        metric: metric('ThrottledRecords', 'Sum'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (dynamicPartitioning) {
        // Past the active-partition quota (500 per stream by default) Firehose delivers the remaining records
        // under the error prefix (error type activePartitionExceeded) instead of their partitions, and says so
        // only through the AWS/Firehose metric PartitionCountExceeded (1 when the limit is breached, else 0).
        ctx.alarms.add(`${id}PartitionCountExceeded`, {
          alarmName: `stream-${name}-partition-count-exceeded`,
          alarmDescription:
            `Delivery stream ${name} exceeded its active-partition quota (PartitionCountExceeded): records went to ` +
            'the error prefix (activePartitionExceeded) instead of their partitions. Fix the cause (partition key ' +
            `cardinality, or ask AWS to raise the quota)${recovery ? `, then ${recovery}` : ''}.`,
          metric: metric('PartitionCountExceeded', 'Maximum'),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }
  },
  acknowledge(ctx, created) {
    for (const stream of created.values()) {
      const wiring = wiringOf(stream);
      const processor = ctx.resources.functions.get(wiring.processor)!;
      const bucket = ctx.resources.bucket.get(wiring.bucket)!;
      ack(
        wiring.role,
        `AwsSolutions-IAM5[Resource::<${logicalId(ctx.stack, bucket)}.Arn>/*]`,
        'Firehose writes objects under keys it derives at delivery time (partition prefixes, timestamps, error ' +
          'prefix), so its documented S3 actions (kinds/stream.ts FIREHOSE_S3_DESTINATION_ACTIONS, no ' +
          "wildcard) apply to the destination bucket's objects; no other bucket.",
      );
      ack(
        wiring.role,
        `AwsSolutions-IAM5[Resource::<${logicalId(ctx.stack, processor.fn)}.Arn>:*]`,
        `Firehose may invoke its transform function ${processor.spec.id} and that function's versions/aliases ` +
          '(`:*` qualifier, as CDK grantInvoke writes it); no other function.',
      );
    }
    if (created.size > 0) {
      ack(
        ctx.stack,
        'CloudFormation-Validate::W7001',
        'The unused Mapping awscdkawskinesisfirehoseCidrBlocks is emitted by the aws-kinesisfirehose L2 ' +
          '(Firehose CIDR blocks for Redshift/OpenSearch destinations); harmless for an S3 destination.',
      );
    }
  },
};

/**
 * The role Firehose assumes to deliver to S3. Its S3 actions are exactly the list in AWS's "Grant Firehose
 * access to an Amazon S3 destination" (Amazon Data Firehose developer guide, controlling access), on the
 * destination bucket and its objects: the L2 would grant `bucket.grantReadWrite` (GetObject*, List*,
 * DeleteObject*, PutObjectLegalHold/Retention/Tagging …), more than delivery uses. Writing its delivery log
 * and invoking the transform are granted as the L2 grants them.
 */
function destinationRole(
  scope: Construct,
  id: string,
  bucket: s3.Bucket,
  processor: BuiltFunction,
  logGroup: logs.LogGroup,
): iam.Role {
  const role = new iam.Role(scope, `${id}DeliveryRole`, {
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com'),
    description: `Firehose stream ${id}: the S3 delivery actions AWS documents, its log group, its transform`,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: [...FIREHOSE_S3_DESTINATION_ACTIONS],
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
    }),
  );
  logGroup.grantWrite(role);
  processor.fn.grantInvoke(role);
  return role;
}
