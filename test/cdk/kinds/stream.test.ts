// The stream kind on AWS (infra/cdk/kinds/stream.ts), on the template synthesized from the real definitions
// (without bundling): one Firehose delivery stream per declared stream, configured as its spec says (processor,
// dynamic partitioning, compression, prefixes, buffering, SSE), a delivery role that touches only its bucket,
// log group and processor, and its alarms. AWS's S3 action list for the role is in aws-behaviour.test.ts.
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { wiringOf } from '../../../infra/cdk/kinds/index.ts';
import {
  catalog,
  idOf,
  ofType,
  propsOf,
  referencedIds,
  roleStatements,
  synthesizedProject,
} from '../helpers.ts';

const s = synthesizedProject();

const props = (logicalId: string) => propsOf(s, logicalId);
const fnLogicalId = (id: string) => idOf(s, s.stack.resources.functions.get(id)!.fn);

describe('delivery streams', () => {
  it('creates every declared stream', () => {
    const names = catalog.resources.stream.map((x) => x.name);
    expect(names.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', names.length);
    expect([...s.stack.resources.stream.keys()].sort()).toEqual([...names].sort());
  });

  it('transform as processor, dynamic partitioning, compression, prefixes, buffering, SSE: as the spec says', () => {
    for (const spec of catalog.resources.stream) {
      const stream = props(idOf(s, s.stack.resources.stream.get(spec.name)!));
      expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
      const d = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
      expect(referencedIds(d.BucketARN)).toEqual(
        new Set([idOf(s, s.stack.resources.bucket.get(spec.destination.bucket)!)]),
      );
      expect(d.CompressionFormat).toBe(spec.destination.compression);
      expect(d.Prefix).toBe(spec.destination.prefix);
      expect(d.ErrorOutputPrefix).toBe(spec.destination.errorPrefix);
      expect(d.BufferingHints).toEqual({
        IntervalInSeconds: spec.buffering.intervalSeconds,
        SizeInMBs: spec.buffering.sizeMiB,
      });
      if (spec.destination.partitionKeys.length)
        expect(d.DynamicPartitioningConfiguration).toMatchObject({ Enabled: true });
      else expect(d.DynamicPartitioningConfiguration).toBeUndefined();
      const processing = d.ProcessingConfiguration as {
        Enabled: boolean;
        Processors: Array<{
          Type: string;
          Parameters: Array<{ ParameterName: string; ParameterValue: unknown }>;
        }>;
      };
      expect(processing.Enabled).toBe(true);
      expect(processing.Processors).toHaveLength(1);
      expect(processing.Processors[0]!.Type).toBe('Lambda');
      const param = (n: string) =>
        processing.Processors[0]!.Parameters.find((p) => p.ParameterName === n)?.ParameterValue;
      expect(param('LambdaArn')).toEqual({ 'Fn::GetAtt': [fnLogicalId(spec.processor), 'Arn'] });
      expect(Number(param('BufferSizeInMBs'))).toBeLessThanOrEqual(3);
      expect((d.CloudWatchLoggingOptions as { Enabled: boolean }).Enabled).toBe(true);
    }
  });

  it('the events stream partitions by type and day into the lake, GZIP, 64 MiB / 60 s', () => {
    const d = props(idOf(s, s.stack.resources.stream.get('events')!))
      .ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(referencedIds(d.BucketARN)).toEqual(new Set([idOf(s, s.stack.resources.bucket.get('lake')!)]));
    expect(d.CompressionFormat).toBe('GZIP');
    expect(d.Prefix).toBe('events/type=!{partitionKeyFromLambda:type}/dt=!{partitionKeyFromLambda:dt}/');
    expect(d.ErrorOutputPrefix).toBe('errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/');
    expect(d.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    expect(d.DynamicPartitioningConfiguration).toMatchObject({ Enabled: true });
  });

  it('Firehose may invoke only its transform and write only its destination bucket', () => {
    for (const spec of catalog.resources.stream) {
      const stream = s.stack.resources.stream.get(spec.name)!;
      const roles = [...stream.node.findAll().filter((c) => c instanceof iam.Role), wiringOf(stream).role];
      const statements = roles.flatMap((role) => roleStatements(s, idOf(s, role)));
      expect(statements.length).toBeGreaterThan(0);
      const used = referencedIds(statements.map((st) => st.Resource));
      const expected = new Set([
        idOf(s, s.stack.resources.bucket.get(spec.destination.bucket)!),
        fnLogicalId(spec.processor),
      ]);
      for (const id of used) {
        if (s.json.Resources[id]!.Type.startsWith('AWS::Logs::')) continue;
        expect(expected.has(id), id).toBe(true);
      }
    }
  });
});

describe('delivery stream alarms', () => {
  const named = (n: string) =>
    ofType(s, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties as Record<string, unknown>)
      .find((a) => a.AlarmName === `EventPipelines-${n}`);

  it('freshness, S3 delivery and processing failures, throttled records; partition overflow when partitioned', () => {
    for (const spec of catalog.resources.stream) {
      const streamId = idOf(s, s.stack.resources.stream.get(spec.name)!);
      const fresh = named(`stream-${spec.name}-freshness`)!;
      expect(fresh).toMatchObject({
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.DataFreshness',
        Threshold: 900,
      });
      expect(referencedIds(fresh.Dimensions)).toEqual(new Set([streamId]));
      expect(named(`stream-${spec.name}-s3-delivery-failures`)).toMatchObject({
        MetricName: 'DeliveryToS3.Success',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
      });
      expect(named(`stream-${spec.name}-processing-failures`)).toMatchObject({
        MetricName: 'ExecuteProcessing.Success',
        ComparisonOperator: 'LessThanThreshold',
      });
      expect(named(`stream-${spec.name}-throttled-records`)).toMatchObject({
        MetricName: 'ThrottledRecords',
        Threshold: 1,
      });
      expect(Boolean(named(`stream-${spec.name}-partition-count-exceeded`))).toBe(
        spec.destination.partitionKeys.length > 0,
      );
    }
  });
});
