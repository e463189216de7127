// The CloudWatch alarm message that SNS delivers (the JSON in `Sns.Message`). No public schema exists, so
// this one is written from AWS's documented schema and real messages: single-metric alarms carry
// `Trigger.MetricName`; metric-math and anomaly-detection alarms carry `Trigger.Metrics[]` (anomaly
// detection adds `ThresholdMetricId` and has no `Threshold`); composite alarms carry `AlarmRule` and
// `TriggeringChildren` and no `Trigger`. `Region` is a display name ("US East (N. Virginia)"), so the region
// code comes from `AlarmArn` when it parses, else from the display name (current and pre-2019 forms).
// Fields CloudWatch sends loosely (TreatMissingData, Unit, AlarmArn) stay loose: an alarm whose ARN is
// unusual is still rendered as an alarm.
import * as z from '../zod.ts';

export const AlarmStateSchema = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
export type AlarmState = z.infer<typeof AlarmStateSchema>;

const Dimension = z.object({ name: z.string(), value: z.string() });

const MetricDataQuery = z.object({
  Id: z.string(),
  Expression: z.optional(z.string()),
  Label: z.optional(z.string()),
  ReturnData: z.optional(z.boolean()),
  Period: z.optional(z.number()),
  AccountId: z.optional(z.string()),
  MetricStat: z.optional(
    z.object({
      Metric: z.object({
        Namespace: z.optional(z.string()),
        MetricName: z.string(),
        Dimensions: z._default(z.array(Dimension), []),
      }),
      Period: z.number(),
      Stat: z.string(),
      Unit: z.nullish(z.string()),
    }),
  ),
});

export const AlarmTriggerSchema = z.object({
  MetricName: z.optional(z.string()),
  Namespace: z.optional(z.string()),
  StatisticType: z.optional(z.string()),
  Statistic: z.optional(z.string()),
  ExtendedStatistic: z.optional(z.string()),
  Unit: z.nullish(z.string()),
  Dimensions: z.optional(z.array(Dimension)),
  Period: z.optional(z.number()),
  EvaluationPeriods: z.number(),
  DatapointsToAlarm: z.optional(z.number()),
  ComparisonOperator: z.string(),
  Threshold: z.nullish(z.number()),
  ThresholdMetricId: z.optional(z.string()),
  TreatMissingData: z.optional(z.string()),
  EvaluateLowSampleCountPercentile: z.nullish(z.string()),
  Metrics: z.optional(z.array(MetricDataQuery)),
});

// AWS documents TriggeringChildren as strings; real messages carry objects. Accept both.
const TriggeringChild = z.union([
  z.object({
    Arn: z.string(),
    State: z.optional(z.object({ Value: z.string(), Timestamp: z.string() })),
  }),
  z.pipe(
    z.string(),
    z.transform((Arn: string) => ({ Arn, State: undefined })),
  ),
]);

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/;

export const CloudWatchAlarmMessageSchema = z
  .object({
    AlarmName: z.string().check(z.minLength(1)),
    AlarmDescription: z.nullish(z.string()),
    AWSAccountId: z.string(),
    AlarmConfigurationUpdatedTimestamp: z.optional(z.string()),
    NewStateValue: AlarmStateSchema,
    NewStateReason: z.string(),
    StateChangeTime: z.string(),
    Region: z.string(),
    // Sent by CloudWatch today; absent from messages of older alarms, so optional. Not checked against
    // ALARM_ARN: AWS's own sample carries `arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE`, and a
    // link or region we cannot derive is no reason to lose the alarm (alarmRegionCode falls back).
    AlarmArn: z.optional(z.string()),
    OldStateValue: AlarmStateSchema,
    OKActions: z.optional(z.array(z.string())),
    AlarmActions: z.optional(z.array(z.string())),
    InsufficientDataActions: z.optional(z.array(z.string())),
    Trigger: z.optional(AlarmTriggerSchema),
    AlarmRule: z.optional(z.string()),
    TriggeringChildren: z.optional(z.array(TriggeringChild)),
  })
  .check(
    z.refine((a) => a.Trigger !== undefined || a.AlarmRule !== undefined, {
      message: 'an alarm message has either Trigger (metric alarm) or AlarmRule (composite alarm)',
      path: ['Trigger'],
    }),
  );

export type CloudWatchAlarmMessage = z.infer<typeof CloudWatchAlarmMessageSchema>;
export type AlarmTrigger = z.infer<typeof AlarmTriggerSchema>;
export type AlarmKind = 'metric' | 'metric-math' | 'anomaly-detection' | 'composite';

export function alarmKind(alarm: CloudWatchAlarmMessage): AlarmKind {
  if (!alarm.Trigger) return 'composite';
  if (alarm.Trigger.ThresholdMetricId) return 'anomaly-detection';
  if (alarm.Trigger.Metrics?.length) return 'metric-math';
  return 'metric';
}

// Display names CloudWatch writes into `Region` (the console's region names), one per region code. The
// builders invert this table, so it holds exactly one name per code; other spellings are in
// REGION_NAME_ALIASES.
export const REGION_CODES: Record<string, string> = {
  'US East (N. Virginia)': 'us-east-1',
  'US East (Ohio)': 'us-east-2',
  'US West (N. California)': 'us-west-1',
  'US West (Oregon)': 'us-west-2',
  'Africa (Cape Town)': 'af-south-1',
  'Asia Pacific (Hong Kong)': 'ap-east-1',
  'Asia Pacific (Taipei)': 'ap-east-2',
  'Asia Pacific (Mumbai)': 'ap-south-1',
  'Asia Pacific (Hyderabad)': 'ap-south-2',
  'Asia Pacific (Osaka)': 'ap-northeast-3',
  'Asia Pacific (Seoul)': 'ap-northeast-2',
  'Asia Pacific (Singapore)': 'ap-southeast-1',
  'Asia Pacific (Sydney)': 'ap-southeast-2',
  'Asia Pacific (Jakarta)': 'ap-southeast-3',
  'Asia Pacific (Melbourne)': 'ap-southeast-4',
  'Asia Pacific (Malaysia)': 'ap-southeast-5',
  'Asia Pacific (New Zealand)': 'ap-southeast-6',
  'Asia Pacific (Thailand)': 'ap-southeast-7',
  'Asia Pacific (Tokyo)': 'ap-northeast-1',
  'Canada (Central)': 'ca-central-1',
  'Canada West (Calgary)': 'ca-west-1',
  'China (Beijing)': 'cn-north-1',
  'China (Ningxia)': 'cn-northwest-1',
  'EU (Frankfurt)': 'eu-central-1',
  'EU (Zurich)': 'eu-central-2',
  'EU (Ireland)': 'eu-west-1',
  'EU (London)': 'eu-west-2',
  'EU (Milan)': 'eu-south-1',
  'EU (Spain)': 'eu-south-2',
  'EU (Paris)': 'eu-west-3',
  'EU (Stockholm)': 'eu-north-1',
  'Israel (Tel Aviv)': 'il-central-1',
  'Mexico (Central)': 'mx-central-1',
  'Middle East (Bahrain)': 'me-south-1',
  'Middle East (UAE)': 'me-central-1',
  'South America (Sao Paulo)': 'sa-east-1',
  'AWS GovCloud (US-West)': 'us-gov-west-1',
  'AWS GovCloud (US-East)': 'us-gov-east-1',
};

/**
 * Other names seen in `Region`: the console's newer "Europe (…)" form, "São Paulo" with its accent, and
 * the older names of messages from before 2019 ("US East - N. Virginia", "EU - Ireland",
 * "Asia Pacific - Tokyo", "US (Virginia)", "US Standard"). Spacing, case and the "(…)" / " - " forms are
 * normalised before lookup (`regionCodeFromName`), so only genuinely different words need listing.
 */
export const REGION_NAME_ALIASES: Record<string, string> = {
  'US (Virginia)': 'us-east-1',
  'US (N. Virginia)': 'us-east-1',
  'US East (Northern Virginia)': 'us-east-1',
  'US East (Virginia)': 'us-east-1',
  'US Standard': 'us-east-1',
  'US (Ohio)': 'us-east-2',
  'US (N. California)': 'us-west-1',
  'US West (Northern California)': 'us-west-1',
  'US (Oregon)': 'us-west-2',
  'Asia Pacific (Osaka-Local)': 'ap-northeast-3',
  'Europe (Frankfurt)': 'eu-central-1',
  'Europe (Zurich)': 'eu-central-2',
  'Europe (Ireland)': 'eu-west-1',
  'Europe (London)': 'eu-west-2',
  'Europe (Milan)': 'eu-south-1',
  'Europe (Spain)': 'eu-south-2',
  'Europe (Paris)': 'eu-west-3',
  'Europe (Stockholm)': 'eu-north-1',
  'South America (São Paulo)': 'sa-east-1',
  'AWS GovCloud (US)': 'us-gov-west-1',
  'GovCloud (US)': 'us-gov-west-1',
};

/** "US East - N. Virginia", "us east (n. virginia)" and "US East (N. Virginia)" all become one key. */
// The en dash is written \u2013: esbuild keeps a regex literal's characters as written, and one non-ASCII
// character makes V8 hold a whole deployed bundle as a two-byte string (slower to decode and scan).
function regionNameKey(name: string): string {
  return name
    .normalize('NFC')
    .toLowerCase()
    .replace(/[()\-\u2013,.]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const REGION_BY_NAME_KEY = new Map<string, string>(
  [...Object.entries(REGION_NAME_ALIASES), ...Object.entries(REGION_CODES)].map(([name, code]) => [
    regionNameKey(name),
    code,
  ]),
);

/** The region code for a display name in any form CloudWatch has written it, or undefined. */
export function regionCodeFromName(name: string): string | undefined {
  return REGION_BY_NAME_KEY.get(regionNameKey(name));
}

/**
 * Region code (e.g. `us-east-1`) of an alarm: from `AlarmArn` when it is a well-formed alarm ARN, else
 * from the `Region` display name (messages without an ARN, or with one that does not parse). Undefined
 * when neither tells.
 */
export function alarmRegionCode(
  alarm: Pick<CloudWatchAlarmMessage, 'AlarmArn' | 'Region'>,
): string | undefined {
  const match = alarm.AlarmArn ? ALARM_ARN.exec(alarm.AlarmArn) : null;
  return match ? match[1] : regionCodeFromName(alarm.Region);
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
