// Event builders, like `sam local generate-event`: functions that produce valid, realistic events in the
// exact shape AWS sends, for tests and for the local cloud (which delivers what these build). Every
// builder's output parses with the matching schema; test/shared/builders.test.ts holds them to that.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type AlarmKind, type AlarmState, type CloudWatchAlarmMessage, REGION_CODES } from './alarm.ts';
import type { FirehoseTransformEvent } from './firehose.ts';
import type { HttpApiEvent, HttpAuthorizerEvent } from './http.ts';
import { encodeS3Key, type S3Event, type S3EventRecord, s3EventAction } from './s3.ts';
import type { SnsEvent, SnsRecord } from './sns.ts';

/** The account id of the local cloud, and the default of every builder. */
export const LOCAL_ACCOUNT_ID = '000000000000';
const ACCOUNT = LOCAL_ACCOUNT_ID;

export interface S3RecordOptions {
  bucket: string;
  /** The object key as stored (decoded); the builder encodes it as S3 does. */
  key: string;
  /** e.g. `ObjectCreated:Put`, `ObjectRemoved:Delete` (no `s3:` prefix, as in real events). */
  eventName?: string;
  size?: number;
  eTag?: string;
  sequencer?: string;
  region?: string;
  eventTime?: Date;
  versionId?: string;
  sourceIp?: string;
  requestId?: string;
  configurationId?: string;
}

/** A monotonically increasing hex sequencer, like S3's (ordering of events for one key). */
let sequencerCounter = 0n;
export function nextSequencer(): string {
  sequencerCounter += 1n;
  return (BigInt(Date.now()) * 1000n + sequencerCounter).toString(16).toUpperCase().padStart(18, '0');
}

export function buildS3Record(o: S3RecordOptions): S3EventRecord {
  const eventName = o.eventName ?? 'ObjectCreated:Put';
  const removed = s3EventAction(eventName) === 'removed';
  const requestId = o.requestId ?? randomBytes(8).toString('hex').toUpperCase();
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: o.region ?? 'us-east-1',
    eventTime: (o.eventTime ?? new Date()).toISOString(),
    eventName,
    userIdentity: { principalId: `AWS:${ACCOUNT}` },
    requestParameters: { sourceIPAddress: o.sourceIp ?? '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': requestId,
      'x-amz-id-2': randomBytes(48).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: o.configurationId ?? 'local-notification',
      bucket: {
        name: o.bucket,
        ownerIdentity: { principalId: ACCOUNT },
        arn: `arn:aws:s3:::${o.bucket}`,
      },
      object: {
        key: encodeS3Key(o.key),
        ...(removed
          ? {}
          : { size: o.size ?? 0, eTag: o.eTag ?? createHash('md5').update(o.key).digest('hex') }),
        ...(o.versionId ? { versionId: o.versionId } : {}),
        sequencer: o.sequencer ?? nextSequencer(),
      },
    },
  };
}

export function buildS3Event(o: S3RecordOptions): S3Event {
  return { Records: [buildS3Record(o)] };
}

export interface SnsRecordOptions {
  topicArn: string;
  message: string;
  subject?: string | null;
  messageId?: string;
  timestamp?: Date;
  messageAttributes?: Record<string, { Type: string; Value: string }>;
  subscriptionArn?: string;
}

export function buildSnsRecord(o: SnsRecordOptions): SnsRecord {
  const region = o.topicArn.split(':')[3] || 'us-east-1';
  const subscriptionArn = o.subscriptionArn ?? `${o.topicArn}:${randomUUID()}`;
  return {
    EventSource: 'aws:sns',
    EventVersion: '1.0',
    EventSubscriptionArn: subscriptionArn,
    Sns: {
      Type: 'Notification',
      MessageId: o.messageId ?? randomUUID(),
      TopicArn: o.topicArn,
      Subject: o.subject ?? null,
      Message: o.message,
      Timestamp: (o.timestamp ?? new Date()).toISOString(),
      SignatureVersion: '1',
      Signature: randomBytes(256).toString('base64'),
      SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-local.pem`,
      UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
      MessageAttributes: o.messageAttributes ?? {},
    },
  };
}

export function buildSnsEvent(o: SnsRecordOptions): SnsEvent {
  return { Records: [buildSnsRecord(o)] };
}

export interface AlarmMessageOptions {
  kind?: AlarmKind;
  name?: string;
  description?: string | null;
  state?: AlarmState;
  oldState?: AlarmState;
  reason?: string;
  accountId?: string;
  region?: string;
  time?: Date;
}

// Display names as CloudWatch writes them into `Region`: the inverse of the table alarm.ts reads them with.
const REGION_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(REGION_CODES).map(([name, code]) => [code, name]),
);

/** CloudWatch's timestamp form in alarm messages: `2024-05-01T12:00:00.000+0000`. */
export function cloudWatchTime(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

export function buildAlarmMessage(o: AlarmMessageOptions = {}): CloudWatchAlarmMessage {
  const kind = o.kind ?? 'metric';
  const region = o.region ?? 'us-east-1';
  const account = o.accountId ?? '123456789012';
  const name = o.name ?? `${kind}-alarm`;
  const state = o.state ?? 'ALARM';
  const oldState = o.oldState ?? (state === 'ALARM' ? 'OK' : 'ALARM');
  const time = cloudWatchTime(o.time ?? new Date());
  const topic = `arn:aws:sns:${region}:${account}:alarms`;
  const base = {
    AlarmName: name,
    AlarmDescription: o.description === undefined ? `Description of ${name}` : o.description,
    AWSAccountId: account,
    AlarmConfigurationUpdatedTimestamp: time,
    NewStateValue: state,
    NewStateReason:
      o.reason ?? `Threshold Crossed: 1 out of the last 1 datapoints was greater than the threshold.`,
    StateChangeTime: time,
    Region: REGION_NAMES[region] ?? region,
    AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
    OldStateValue: oldState,
    OKActions: [topic],
    AlarmActions: [topic],
    InsufficientDataActions: [],
  };
  const common = { Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: 'missing' };
  switch (kind) {
    case 'metric':
      return {
        ...base,
        Trigger: {
          MetricName: 'Errors',
          Namespace: 'AWS/Lambda',
          StatisticType: 'Statistic',
          Statistic: 'SUM',
          Unit: null,
          Dimensions: [{ name: 'FunctionName', value: 'image-resize' }],
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
          EvaluateLowSampleCountPercentile: '',
          ...common,
        },
      };
    case 'metric-math':
      return {
        ...base,
        Trigger: {
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 5,
          EvaluateLowSampleCountPercentile: '',
          Metrics: [
            { Id: 'e1', Expression: '100 * errors / invocations', Label: 'Error rate (%)', ReturnData: true },
            metricQuery('errors', 'Errors'),
            metricQuery('invocations', 'Invocations'),
          ],
          ...common,
        },
      };
    case 'anomaly-detection':
      return {
        ...base,
        Trigger: {
          ComparisonOperator: 'GreaterThanUpperThreshold',
          ThresholdMetricId: 'ad1',
          EvaluateLowSampleCountPercentile: '',
          Metrics: [
            { ...metricQuery('m1', 'Duration'), ReturnData: true },
            {
              Id: 'ad1',
              Expression: 'ANOMALY_DETECTION_BAND(m1, 2)',
              Label: 'Duration (expected)',
              ReturnData: true,
            },
          ],
          ...common,
        },
      };
    case 'composite': {
      const child = `arn:aws:cloudwatch:${region}:${account}:alarm:image-resize-errors`;
      return {
        ...base,
        AlarmRule: `ALARM("image-resize-errors") OR ALARM("image-resize-throttles")`,
        TriggeringChildren: [{ Arn: child, State: { Value: 'ALARM', Timestamp: time } }],
      };
    }
  }
}

function metricQuery(id: string, metricName: string) {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ name: 'FunctionName', value: 'image-resize' }],
      },
      Period: 300,
      Stat: 'Sum',
    },
    ReturnData: false,
  };
}

export interface FirehoseEventOptions {
  records: Array<{ data: Buffer | string; recordId?: string; approximateArrivalTimestamp?: number }>;
  deliveryStreamArn?: string;
  region?: string;
  invocationId?: string;
}

export function buildFirehoseTransformEvent(o: FirehoseEventOptions): FirehoseTransformEvent {
  const region = o.region ?? 'us-east-1';
  const now = Date.now();
  return {
    invocationId: o.invocationId ?? randomUUID(),
    deliveryStreamArn: o.deliveryStreamArn ?? `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/events`,
    region,
    records: o.records.map((r, i) => ({
      recordId: r.recordId ?? firehoseRecordId(now, i),
      approximateArrivalTimestamp: r.approximateArrivalTimestamp ?? now,
      data: (typeof r.data === 'string' ? Buffer.from(r.data, 'utf8') : r.data).toString('base64'),
    })),
  };
}

/** Firehose record ids are long decimal strings; this makes unique ones of the same form. */
export function firehoseRecordId(time: number, index: number): string {
  return `4964${String(time).padStart(16, '0')}${String(index).padStart(8, '0')}0000000000000000000000`;
}

export interface HttpApiEventOptions {
  method: string;
  /** The path as requested, e.g. `/events`. */
  path: string;
  /** The raw query string without `?`, as sent (percent-encoded). */
  rawQueryString?: string;
  headers?: Record<string, string>;
  /** Text, or bytes (then base64-encoded, `isBase64Encoded: true`). */
  body?: string | Uint8Array;
  /** The matched route, e.g. `GET /events`; default `$default`. */
  routeKey?: string;
  apiId?: string;
  stage?: string;
  sourceIp?: string;
  /** What the Lambda authorizer returned as `context`. */
  authorizerContext?: Record<string, unknown>;
  pathParameters?: Record<string, string>;
  time?: Date;
}

/** API Gateway's `requestContext` (HTTP API, payload format 2.0). */
function httpRequestContext(o: HttpApiEventOptions) {
  const headers = lowerCaseHeaders(o.headers ?? {});
  const time = o.time ?? new Date();
  const apiId = o.apiId ?? 'localapi01';
  const domainName = headers.host ?? `${apiId}.execute-api.us-east-1.amazonaws.com`;
  return {
    accountId: ACCOUNT,
    apiId,
    domainName,
    domainPrefix: domainName.split('.')[0]!,
    http: {
      method: o.method.toUpperCase() as 'GET',
      path: o.path,
      protocol: 'HTTP/1.1',
      sourceIp: o.sourceIp ?? '127.0.0.1',
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: `${randomBytes(6).toString('base64url')}=`,
    routeKey: o.routeKey ?? '$default',
    stage: o.stage ?? '$default',
    time: apiGatewayTime(time),
    timeEpoch: time.getTime(),
    ...(o.authorizerContext ? { authorizer: { lambda: o.authorizerContext } } : {}),
  };
}

/**
 * The event an HTTP API route's function receives (payload format 2.0), built as API Gateway builds it:
 * headers lower-cased and repeated values joined with commas, `cookies` split out of `Cookie`, query
 * parameters decoded and repeated ones joined with commas, text bodies as is and others base64-encoded.
 */
export function buildHttpApiEvent(o: HttpApiEventOptions): HttpApiEvent {
  const headers = lowerCaseHeaders(o.headers ?? {});
  const cookies = headers.cookie?.split(/;\s*/).filter(Boolean);
  delete headers.cookie;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(o.rawQueryString ?? ''))
    query[k] = k in query ? `${query[k]},${v}` : v;
  const binary = o.body instanceof Uint8Array;
  return {
    version: '2.0',
    routeKey: o.routeKey ?? '$default',
    rawPath: o.path,
    rawQueryString: o.rawQueryString ?? '',
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: httpRequestContext(o),
    ...(o.body !== undefined
      ? { body: binary ? Buffer.from(o.body as Uint8Array).toString('base64') : (o.body as string) }
      : {}),
    ...(o.pathParameters ? { pathParameters: o.pathParameters } : {}),
    isBase64Encoded: binary,
  };
}

/** The event a REQUEST Lambda authorizer receives for the same request (payload format 2.0). */
export function buildHttpAuthorizerEvent(
  o: HttpApiEventOptions & { identitySource?: string[] },
): HttpAuthorizerEvent {
  const e = buildHttpApiEvent(o);
  const context = httpRequestContext({ ...o, authorizerContext: undefined });
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${context.apiId}/${context.stage}/${o.method.toUpperCase()}${o.path}`,
    identitySource: o.identitySource ?? [],
    routeKey: e.routeKey,
    rawPath: e.rawPath,
    rawQueryString: e.rawQueryString,
    ...(e.cookies ? { cookies: e.cookies } : {}),
    headers: e.headers,
    ...(e.queryStringParameters ? { queryStringParameters: e.queryStringParameters } : {}),
    requestContext: context,
    ...(e.pathParameters ? { pathParameters: e.pathParameters } : {}),
  };
}

function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    out[name] = name in out ? `${out[name]},${v}` : v;
  }
  return out;
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
function apiGatewayTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
