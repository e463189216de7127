// Operational alarms on the pipelines themselves, publishing (ALARM and OK) to the topic the deployment names
// (settings.alarmTopic), so that a failing function or a stuck resource shows up in Slack like any other
// alarm. Here: the collector every plug-in adds to, and the alarms every function gets (errors, throttles,
// DLQ depth). Alarms of a resource kind (e.g. a delivery stream's) are in that kind's plug-in (kinds/).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { type BuiltFunction, pascal } from './functions.ts';
import type { DeploySettings } from './settings.ts';

export const ALARM_PERIOD = Duration.minutes(5);

/** Collects the stack's alarms; `publish` sends each one's ALARM and OK to the target one plug-in set. */
export class OperationalAlarms {
  private readonly alarms: cloudwatch.Alarm[] = [];
  private target: cloudwatch.IAlarmAction | undefined;

  constructor(
    private readonly scope: Construct,
    /** Prefix of every alarm name (the stack name). */
    private readonly prefix: string,
  ) {}

  add(id: string, props: cloudwatch.AlarmProps): void {
    this.alarms.push(
      new cloudwatch.Alarm(this.scope, id, { ...props, alarmName: `${this.prefix}-${props.alarmName}` }),
    );
  }

  /** Sets where alarms publish; set once, by the plug-in of the kind settings.alarmTopic names. */
  notify(action: cloudwatch.IAlarmAction): void {
    if (this.target) throw new Error('operational alarms already have a target');
    this.target = action;
  }

  publish(): void {
    if (!this.target) throw new Error('operational alarms have no target (context alarmTopic)');
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(this.target);
      alarm.addOkAction(this.target);
    }
  }
}

/**
 * Errors, throttles and (asynchronous invocation) DLQ depth of one function. `onError` says what happens to
 * an invocation that threw: for asynchronous triggers Lambda's own retries, else what the trigger's plug-in
 * says its source does.
 */
export function addFunctionAlarms(
  alarms: OperationalAlarms,
  { spec, fn, dlq }: BuiltFunction,
  settings: DeploySettings,
  onError: string,
): void {
  const id = `Alarm${pascal(spec.id)}`;
  alarms.add(`${id}Errors`, {
    alarmName: `${spec.id}-errors`,
    alarmDescription: `${spec.id} threw in at least one invocation in 5 minutes. ${onError}`,
    metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarms.add(`${id}Throttles`, {
    alarmName: `${spec.id}-throttles`,
    alarmDescription:
      settings.reservedConcurrency && spec.reservedConcurrency !== undefined
        ? `${spec.id} was throttled: its reserved concurrency (${spec.reservedConcurrency}) was in use, or the account limit was reached.`
        : `${spec.id} was throttled: the account's concurrency limit was reached (no reserved concurrency; ` +
          'see reservedConcurrency in infra/cdk/README.md).',
    metric: fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (dlq) {
    alarms.add(`${id}DlqDepth`, {
      alarmName: `${spec.id}-dlq-not-empty`,
      alarmDescription:
        `Events for ${spec.id} failed every retry and wait in its dead-letter queue ` +
        `(${dlq.node.path}); inspect, fix, then redrive them.`,
      metric: dlq.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
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
