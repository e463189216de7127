// The CloudWatch alarm message that SNS delivers (the JSON in `Sns.Message`). No public schema exists, so
// this one is written from AWS's documented schema and real messages: single-metric alarms carry
// `Trigger.MetricName`; metric-math and anomaly-detection alarms carry `Trigger.Metrics[]` (anomaly
// detection adds `ThresholdMetricId` and has no `Threshold`); composite alarms carry `AlarmRule` and
// `TriggeringChildren` and no `Trigger`. `Region` is a display name ("US East (N. Virginia)"), so the region
// code comes from `AlarmArn`. Fields CloudWatch sends loosely (TreatMissingData, Unit) stay loose.
import { z } from 'zod';

export const AlarmStateSchema = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
export type AlarmState = z.infer<typeof AlarmStateSchema>;

const Dimension = z.object({ name: z.string(), value: z.string() });

const MetricDataQuery = z.object({
  Id: z.string(),
  Expression: z.string().optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.number().optional(),
  AccountId: z.string().optional(),
  MetricStat: z
    .object({
      Metric: z.object({
        Namespace: z.string().optional(),
        MetricName: z.string(),
        Dimensions: z.array(Dimension).default([]),
      }),
      Period: z.number(),
      Stat: z.string(),
      Unit: z.string().nullish(),
    })
    .optional(),
});

export const AlarmTriggerSchema = z.object({
  MetricName: z.string().optional(),
  Namespace: z.string().optional(),
  StatisticType: z.string().optional(),
  Statistic: z.string().optional(),
  ExtendedStatistic: z.string().optional(),
  Unit: z.string().nullish(),
  Dimensions: z.array(Dimension).optional(),
  Period: z.number().optional(),
  EvaluationPeriods: z.number(),
  DatapointsToAlarm: z.number().optional(),
  ComparisonOperator: z.string(),
  Threshold: z.number().nullish(),
  ThresholdMetricId: z.string().optional(),
  TreatMissingData: z.string().optional(),
  EvaluateLowSampleCountPercentile: z.string().nullish(),
  Metrics: z.array(MetricDataQuery).optional(),
});

// AWS documents TriggeringChildren as strings; real messages carry objects. Accept both.
const TriggeringChild = z.union([
  z.object({
    Arn: z.string(),
    State: z.object({ Value: z.string(), Timestamp: z.string() }).optional(),
  }),
  z.string().transform((Arn) => ({ Arn, State: undefined })),
]);

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/;

export const CloudWatchAlarmMessageSchema = z
  .object({
    AlarmName: z.string().min(1),
    AlarmDescription: z.string().nullish(),
    AWSAccountId: z.string(),
    AlarmConfigurationUpdatedTimestamp: z.string().optional(),
    NewStateValue: AlarmStateSchema,
    NewStateReason: z.string(),
    StateChangeTime: z.string(),
    Region: z.string(),
    // Sent by CloudWatch today; absent from messages of older alarms, so optional.
    AlarmArn: z.string().regex(ALARM_ARN, 'must be a CloudWatch alarm ARN').optional(),
    OldStateValue: AlarmStateSchema,
    OKActions: z.array(z.string()).optional(),
    AlarmActions: z.array(z.string()).optional(),
    InsufficientDataActions: z.array(z.string()).optional(),
    Trigger: AlarmTriggerSchema.optional(),
    AlarmRule: z.string().optional(),
    TriggeringChildren: z.array(TriggeringChild).optional(),
  })
  .refine((a) => a.Trigger !== undefined || a.AlarmRule !== undefined, {
    message: 'an alarm message has either Trigger (metric alarm) or AlarmRule (composite alarm)',
    path: ['Trigger'],
  });

export type CloudWatchAlarmMessage = z.infer<typeof CloudWatchAlarmMessageSchema>;
export type AlarmTrigger = z.infer<typeof AlarmTriggerSchema>;
export type AlarmKind = 'metric' | 'metric-math' | 'anomaly-detection' | 'composite';

export function alarmKind(alarm: CloudWatchAlarmMessage): AlarmKind {
  if (!alarm.Trigger) return 'composite';
  if (alarm.Trigger.ThresholdMetricId) return 'anomaly-detection';
  if (alarm.Trigger.Metrics?.length) return 'metric-math';
  return 'metric';
}

// Display names CloudWatch writes into `Region`, for messages without an AlarmArn.
export const REGION_CODES: Record<string, string> = {
  'US East (N. Virginia)': 'us-east-1',
  'US East (Ohio)': 'us-east-2',
  'US West (N. California)': 'us-west-1',
  'US West (Oregon)': 'us-west-2',
  'Africa (Cape Town)': 'af-south-1',
  'Asia Pacific (Hong Kong)': 'ap-east-1',
  'Asia Pacific (Mumbai)': 'ap-south-1',
  'Asia Pacific (Osaka)': 'ap-northeast-3',
  'Asia Pacific (Seoul)': 'ap-northeast-2',
  'Asia Pacific (Singapore)': 'ap-southeast-1',
  'Asia Pacific (Sydney)': 'ap-southeast-2',
  'Asia Pacific (Tokyo)': 'ap-northeast-1',
  'Canada (Central)': 'ca-central-1',
  'China (Beijing)': 'cn-north-1',
  'China (Ningxia)': 'cn-northwest-1',
  'EU (Frankfurt)': 'eu-central-1',
  'EU (Ireland)': 'eu-west-1',
  'EU (London)': 'eu-west-2',
  'EU (Milan)': 'eu-south-1',
  'EU (Paris)': 'eu-west-3',
  'EU (Stockholm)': 'eu-north-1',
  'Middle East (Bahrain)': 'me-south-1',
  'South America (Sao Paulo)': 'sa-east-1',
  'AWS GovCloud (US-West)': 'us-gov-west-1',
  'AWS GovCloud (US-East)': 'us-gov-east-1',
};

/**
 * Region code (e.g. `us-east-1`) of an alarm. `Region` in the message is a display name, so the code comes
 * from `AlarmArn`; for older messages without one, from the display name. Undefined when neither tells.
 */
export function alarmRegionCode(
  alarm: Pick<CloudWatchAlarmMessage, 'AlarmArn' | 'Region'>,
): string | undefined {
  const match = alarm.AlarmArn ? ALARM_ARN.exec(alarm.AlarmArn) : null;
  return match ? match[1] : REGION_CODES[alarm.Region];
}

export type AlarmParseResult = { ok: true; alarm: CloudWatchAlarmMessage } | { ok: false; reason: string };

/**
 * Parses an SNS message body as a CloudWatch alarm. Never throws: anything else (plain text, other
 * JSON) comes back as `{ ok: false, reason }` so the caller can render it as a generic message.
 */
export function parseAlarmMessage(text: string): AlarmParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'message is not JSON' };
  }
  if (typeof json !== 'object' || json === null || !('AlarmName' in json)) {
    return { ok: false, reason: 'message is JSON but has no AlarmName' };
  }
  const result = CloudWatchAlarmMessageSchema.safeParse(json);
  if (result.success) return { ok: true, alarm: result.data };
  const first = result.error.issues[0]!;
  return { ok: false, reason: `not a valid alarm message: ${first.path.join('.')}: ${first.message}` };
}
