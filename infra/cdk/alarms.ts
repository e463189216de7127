// Operational alarms on the pipelines themselves, publishing (ALARM and OK) to the alarm pipeline's topic,
// so that a failing resize, a stuck Firehose or a loader error shows up in Slack like any other alarm:
// per function errors and throttles, per DLQ depth, per delivery stream freshness, S3 delivery and Lambda
// processing success, throttled records.
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
      alarmDescription: `${spec.id} was throttled (reserved concurrency ${spec.reservedConcurrency ?? 'none'} or account limit)`,
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
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }

  for (const [name, stream] of res.streams) {
    const id = `Alarm${pascal(name)}Stream`;
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
  }

  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
