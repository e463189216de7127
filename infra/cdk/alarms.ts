// Operational alarms on the pipelines themselves, publishing (ALARM and OK) to the alarm pipeline's topic,
// so that a failing resize, a stuck Firehose or a loader error shows up in Slack like any other alarm:
// per function errors and throttles, per DLQ depth, per delivery stream freshness, S3 delivery and Lambda
// processing success, throttled records, and (dynamic partitioning) active-partition overflow.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import { isAsync, pascal } from './functions.ts';
import type { PipelineResources } from './resources.ts';
import type { DeploySettings } from './settings.ts';

const PERIOD = Duration.minutes(5);

export function addOperationalAlarms(
  scope: Construct,
  res: PipelineResources,
  settings: DeploySettings,
): void {
  const topic = res.topics.get(settings.alarmTopic);
  if (!topic)
    throw new Error(`context alarmTopic: no pipeline declares a topic named "${settings.alarmTopic}"`);
  const action = new cwActions.SnsAction(topic);
  const prefix = settings.stackName;
  const alarms: cloudwatch.Alarm[] = [];
  const add = (id: string, props: cloudwatch.AlarmProps) => {
    alarms.push(new cloudwatch.Alarm(scope, id, { ...props, alarmName: `${prefix}-${props.alarmName}` }));
  };

  for (const { spec, fn, dlq } of res.functions.values()) {
    const id = `Alarm${pascal(spec.id)}`;
    add(`${id}Errors`, {
      alarmName: `${spec.id}-errors`,
      alarmDescription:
        `${spec.id} threw in at least one invocation in 5 minutes. ` +
        (isAsync(spec)
          ? 'Lambda retries twice, then the event goes to the DLQ.'
          : 'Firehose retries the batch.'),
      metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add(`${id}Throttles`, {
      alarmName: `${spec.id}-throttles`,
      alarmDescription:
        settings.reservedConcurrency && spec.reservedConcurrency !== undefined
          ? `${spec.id} was throttled: its reserved concurrency (${spec.reservedConcurrency}) was in use, or the account limit was reached.`
          : `${spec.id} was throttled: the account's concurrency limit was reached (no reserved concurrency; ` +
            'see reservedConcurrency in infra/cdk/README.md).',
      metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (dlq) {
      add(`${id}DlqDepth`, {
        alarmName: `${spec.id}-dlq-not-empty`,
        alarmDescription:
          `Events for ${spec.id} failed every retry and wait in its dead-letter queue ` +
          `(${dlq.node.path}); inspect, fix, then redrive them.`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SQS publishes queue metrics only while the queue is active (up to six hours after the last API call
        // on it). A dead letter nobody touches therefore stops producing datapoints after ~6 h; "notBreaching"
        // would then turn the alarm OK while the message still waits. "ignore" keeps the current state when
        // data is missing, so the alarm stays ALARM until a receive/delete (which makes the queue active and
        // publishes the real, lower count) drains it.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
    }
  }

  for (const [name, stream] of res.streams) {
    const id = `Alarm${pascal(name)}Stream`;
    const wiring = res.streamWiring.get(name);
    const metric = (metricName: string, statistic: string) =>
      stream.metric(metricName, { period: PERIOD, statistic });
    add(`${id}Freshness`, {
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
    add(`${id}DeliveryFailures`, {
      alarmName: `stream-${name}-s3-delivery-failures`,
      alarmDescription: `Some S3 puts of delivery stream ${name} failed (DeliveryToS3.Success below 1); Firehose retries.`,
      metric: metric('DeliveryToS3.Success', 'Minimum'),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add(`${id}ProcessingFailures`, {
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
    add(`${id}ThrottledRecords`, {
      alarmName: `stream-${name}-throttled-records`,
      alarmDescription: `Producers were throttled by delivery stream ${name} (ThrottledRecords > 0): raise its quota.`,
      metric: metric('ThrottledRecords', 'Sum'),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (wiring?.dynamicPartitioning) {
      // Past the active-partition quota (500 per stream by default) Firehose delivers the remaining records
      // under the error prefix (error type activePartitionExceeded) instead of their partitions, and says so
      // only through the AWS/Firehose metric PartitionCountExceeded (1 when the limit is breached, else 0).
      add(`${id}PartitionCountExceeded`, {
        alarmName: `stream-${name}-partition-count-exceeded`,
        alarmDescription:
          `Delivery stream ${name} exceeded its active-partition quota (PartitionCountExceeded): records went to ` +
          "the error prefix (activePartitionExceeded) instead of the lake's partitions and the loader never saw " +
          'them. Fix the cause (partition key cardinality, or ask AWS to raise the quota), then run ' +
          '`npm run replay` to deliver the error-prefix records again.',
        metric: metric('PartitionCountExceeded', 'Maximum'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }

  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
