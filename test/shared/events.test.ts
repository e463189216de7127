// The typed event library against real AWS sample events: every fixture parses, a corrupted copy fails
// with an error naming the field, keys round-trip through S3's encoding, builders make valid events.
import { readdirSync, readFileSync } from 'node:fs';
import {
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerEventV2Schema,
} from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import { KinesisFirehoseSchema } from '@aws-lambda-powertools/parser/schemas/kinesis-firehose';
import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import { describe, expect, it } from 'vitest';
import type { $ZodType } from 'zod/v4/core';
import { formatAlarm } from '../../pipelines/alarm-to-slack/format.ts';
import { render } from '../../pipelines/alarm-to-slack/notifier.ts';
import {
  alarmKind,
  alarmRegionCode,
  authorizerContext,
  bodyText,
  buildAlarmMessage,
  buildFirehoseTransformEvent,
  buildHttpApiEvent,
  buildHttpAuthorizerEvent,
  buildS3Event,
  buildSnsEvent,
  CloudWatchAlarmMessageSchema,
  decodeFirehoseData,
  decodeS3Key,
  EventValidationError,
  encodeS3Key,
  FirehoseTransformEventSchema,
  FirehoseTransformResponseSchema,
  HttpApiEventSchema,
  HttpAuthorizerEventSchema,
  header,
  parseAlarmMessage,
  parseEvent,
  REGION_CODES,
  REGION_NAME_ALIASES,
  regionCodeFromName,
  S3_EVENT_ACTIONS,
  S3EventSchema,
  SnsEventSchema,
  s3Changes,
  s3EventAction,
} from '../../shared/events/index.ts';

const dir = new URL('../fixtures/events/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));

function schemaFor(name: string): { schema: $ZodType; label: string } {
  if (name.startsWith('s3-')) return { schema: S3EventSchema, label: 'S3 event' };
  if (name.startsWith('sns-')) return { schema: SnsEventSchema, label: 'SNS event' };
  if (name.startsWith('firehose-')) return { schema: FirehoseTransformEventSchema, label: 'Firehose event' };
  if (name.startsWith('http-')) return { schema: HttpApiEventSchema, label: 'HTTP API event' };
  if (name.startsWith('httpauthorizer-'))
    return { schema: HttpAuthorizerEventSchema, label: 'HTTP API authorizer event' };
  throw new Error(`no schema for fixture ${name}`);
}

/** Where to corrupt each kind of fixture: a required field to delete and one to give the wrong type. */
const corruptions: Record<string, { missing: string[]; wrongType: string[] }> = {
  s3: { missing: ['Records', '0', 's3', 'object', 'key'], wrongType: ['Records', '0', 'eventTime'] },
  sns: { missing: ['Records', '0', 'Sns', 'MessageId'], wrongType: ['Records', '0', 'Sns', 'Message'] },
  firehose: {
    missing: ['records', '0', 'recordId'],
    wrongType: ['records', '0', 'approximateArrivalTimestamp'],
  },
  http: { missing: ['requestContext', 'http', 'method'], wrongType: ['rawPath'] },
  httpauthorizer: { missing: ['routeArn'], wrongType: ['requestContext', 'routeKey'] },
};

function mutate(
  value: unknown,
  path: string[],
  change: (parent: Record<string, unknown>, key: string) => void,
) {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  change(node, path.at(-1)!);
  return copy;
}

describe('fixtures', () => {
  it('has a fixture for each event kind', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(13);
  });

  for (const name of fixtures) {
    const { schema, label } = schemaFor(name);
    const kind = name.split('-')[0]!;
    it(`${name} parses`, () => {
      expect(() => parseEvent(schema, fixture(name), label)).not.toThrow();
    });
    it(`${name} with a missing required field fails naming the field`, () => {
      const path = corruptions[kind]!.missing;
      const bad = mutate(fixture(name), path, (p, k) => delete p[k]);
      expect(() => parseEvent(schema, bad, label)).toThrowError(
        new RegExp(`^Invalid ${label}: ${path.join('\\.')}: .*expected`),
      );
    });
    it(`${name} with a field of the wrong type fails naming the field`, () => {
      const path = corruptions[kind]!.wrongType;
      const bad = mutate(fixture(name), path, (p, k) => {
        p[k] = { not: 'right' };
      });
      try {
        parseEvent(schema, bad, label);
        expect.unreachable('corrupted event parsed');
      } catch (err) {
        expect(err).toBeInstanceOf(EventValidationError);
        expect((err as EventValidationError).issues.map((i) => i.path)).toContain(path.join('.'));
      }
    });
  }

  it('every alarm fixture carries a valid alarm message of the expected kind', () => {
    const expected: Record<string, string> = {
      'sns-alarm-metric.json': 'metric',
      'sns-alarm-metric-ok.json': 'metric',
      'sns-alarm-extended-statistic.json': 'metric',
      'sns-alarm-legacy-no-arn.json': 'metric',
      'sns-alarm-metric-math.json': 'metric-math',
      'sns-alarm-anomaly.json': 'anomaly-detection',
      'sns-alarm-composite.json': 'composite',
      'sns-alarm-go-sample.json': 'metric',
      'sns-alarm-go-multiple-metrics.json': 'metric-math',
    };
    for (const [name, kind] of Object.entries(expected)) {
      const event = parseEvent(SnsEventSchema, fixture(name), 'SNS event');
      const parsed = parseAlarmMessage(event.Records[0]!.Sns.Message);
      if (!parsed.ok) throw new Error(`${name}: ${parsed.reason}`);
      expect(alarmKind(parsed.alarm), name).toBe(kind);
    }
  });
});

describe('CloudWatch alarm message', () => {
  const alarmOf = (name: string) => {
    const event = parseEvent(SnsEventSchema, fixture(name), 'SNS event');
    const parsed = parseAlarmMessage(event.Records[0]!.Sns.Message);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.alarm;
  };

  it('derives the region code from the ARN, not the display name', () => {
    const alarm = alarmOf('sns-alarm-metric.json');
    expect(alarm.Region).toBe('Asia Pacific (Seoul)');
    expect(alarmRegionCode(alarm)).toBe('ap-northeast-2');
  });

  it('falls back to the display name when an old message has no ARN', () => {
    const alarm = alarmOf('sns-alarm-legacy-no-arn.json');
    expect(alarm.AlarmArn).toBeUndefined();
    expect(alarmRegionCode(alarm)).toBe('cn-north-1');
    expect(alarmRegionCode({ Region: 'Nowhere (Moon)' })).toBeUndefined();
  });

  it('keeps a null description and the composite children', () => {
    expect(alarmOf('sns-alarm-metric.json').AlarmDescription).toBeNull();
    const composite = alarmOf('sns-alarm-composite.json');
    expect(composite.Trigger).toBeUndefined();
    expect(composite.AlarmRule).toContain(' OR ');
    expect(composite.TriggeringChildren?.[0]?.State?.Value).toBe('ALARM');
  });

  it('accepts TriggeringChildren as documented (strings) too', () => {
    const alarm = {
      ...buildAlarmMessage({ kind: 'composite' }),
      TriggeringChildren: ['arn:aws:cloudwatch:x'],
    };
    const parsed = CloudWatchAlarmMessageSchema.parse(alarm);
    expect(parsed.TriggeringChildren?.[0]).toEqual({ Arn: 'arn:aws:cloudwatch:x', State: undefined });
  });

  it('tells why a message is not an alarm, without throwing', () => {
    expect(parseAlarmMessage('Hello from SNS!')).toEqual({ ok: false, reason: 'message is not JSON' });
    expect(parseAlarmMessage('{"hello":"world"}')).toEqual({
      ok: false,
      reason: 'message is JSON but has no AlarmName',
    });
    const noState = JSON.stringify({ ...buildAlarmMessage(), NewStateValue: 'BROKEN' });
    const result = parseAlarmMessage(noState);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/NewStateValue/);
    const neither = buildAlarmMessage({ kind: 'composite' });
    delete neither.AlarmRule;
    expect(parseAlarmMessage(JSON.stringify(neither))).toMatchObject({ ok: false, reason: /Trigger/ });
  });
});

describe('S3 keys', () => {
  const keys = [
    'My Photos/Été/a+b (1).jpg',
    'plain.jpg',
    'spaces  two/and trailing .png',
    '100% real/50%off.webp',
    'percent%20literal.gif',
    'unicode/日本語/😀.avif',
    "symbols/!'()*~@#$&=;:,?[].tiff",
    'a+b+c/+/++.jpg',
  ];

  for (const key of keys) {
    it(`round-trips ${JSON.stringify(key)}`, () => {
      const encoded = encodeS3Key(key);
      expect(encoded).not.toContain(' ');
      expect(decodeS3Key(encoded)).toBe(key);
    });
  }

  it('decodes keys exactly as S3 encodes them in notifications', () => {
    expect(encodeS3Key('My Photos/Été/a+b (1).jpg')).toBe('My+Photos/%C3%89t%C3%A9/a%2Bb+%281%29.jpg');
    const event = parseEvent(S3EventSchema, fixture('s3-put-encoded-key.json'), 'S3 event');
    expect(s3Changes(event)[0]).toMatchObject({
      bucket: 'uploads',
      key: 'My Photos/Été/beach + sun (1).jpg',
      action: 'created',
      size: 2843415,
    });
    expect(decodeS3Key('test%2Fkey')).toBe('test/key');
  });

  it('rejects a key that is not valid percent-encoding with a clear error', () => {
    expect(() => decodeS3Key('bad%E9key')).toThrow(/not validly percent-encoded/);
  });

  it('reports removals without size or eTag', () => {
    const event = parseEvent(S3EventSchema, fixture('s3-delete.json'), 'S3 event');
    expect(s3Changes(event)[0]).toMatchObject({ action: 'removed', key: 'test/key', size: undefined });
  });
});

describe('builders', () => {
  it('build events that parse with their schemas', () => {
    const s3 = buildS3Event({ bucket: 'uploads', key: 'My Photos/Été/a+b (1).jpg', size: 42 });
    expect(parseEvent(S3EventSchema, s3, 'S3 event').Records[0]!.eventVersion).toBe('2.1');
    expect(s3Changes(s3)[0]!.key).toBe('My Photos/Été/a+b (1).jpg');
    const removed = buildS3Event({ bucket: 'uploads', key: 'x.jpg', eventName: 'ObjectRemoved:Delete' });
    expect(s3Changes(parseEvent(S3EventSchema, removed, 'S3 event'))[0]!.action).toBe('removed');

    for (const kind of ['metric', 'metric-math', 'anomaly-detection', 'composite'] as const) {
      for (const state of ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const) {
        const alarm = buildAlarmMessage({ kind, state, region: 'eu-west-1' });
        const sns = buildSnsEvent({
          topicArn: 'arn:aws:sns:eu-west-1:000000000000:alarms',
          message: JSON.stringify(alarm),
        });
        const parsed = parseAlarmMessage(
          parseEvent(SnsEventSchema, sns, 'SNS event').Records[0]!.Sns.Message,
        );
        if (!parsed.ok) throw new Error(parsed.reason);
        expect(alarmKind(parsed.alarm)).toBe(kind);
        expect(parsed.alarm.NewStateValue).toBe(state);
        expect(alarmRegionCode(parsed.alarm)).toBe('eu-west-1');
      }
    }

    const firehose = buildFirehoseTransformEvent({
      records: [{ data: '{"a":1}' }, { data: Buffer.from([0xff]) }],
    });
    const parsed = parseEvent(FirehoseTransformEventSchema, firehose, 'Firehose event');
    expect(new Set(parsed.records.map((r) => r.recordId)).size).toBe(2);
    expect(Buffer.from(parsed.records[1]!.data, 'base64')).toEqual(Buffer.from([0xff]));
  });

  it('build HTTP API events as API Gateway does (payload format 2.0)', () => {
    const e = parseEvent(
      HttpApiEventSchema,
      buildHttpApiEvent({
        method: 'post',
        path: '/events',
        rawQueryString: 'a=1&a=2&b=%20x',
        headers: { 'Content-Type': 'application/json', Cookie: 'c1=1; c2=2', 'X-Twice': 'one' },
        body: Buffer.from([0xff, 0x00]),
        routeKey: 'POST /events',
        authorizerContext: { scopes: 'write' },
      }),
      'HTTP API event',
    );
    // "Duplicate query strings are combined with commas"; cookies move to `cookies`; header names lower-case.
    expect(e.queryStringParameters).toEqual({ a: '1,2', b: ' x' });
    expect(e.cookies).toEqual(['c1=1', 'c2=2']);
    expect(e.headers).toEqual({ 'content-type': 'application/json', 'x-twice': 'one' });
    expect(header(e, 'Content-Type')).toBe('application/json');
    expect(e.isBase64Encoded).toBe(true);
    expect(Buffer.from(e.body!, 'base64')).toEqual(Buffer.from([0xff, 0x00]));
    expect(e.requestContext.http.method).toBe('POST');
    expect(authorizerContext(e)).toEqual({ scopes: 'write' });
    // The captured sample's keys are all present in what the builder makes.
    const sample = fixture('http-lambda-authorizer.json') as Record<string, unknown>;
    expect(Object.keys(e).sort()).toEqual(expect.arrayContaining(Object.keys(sample).sort()));
    const auth = parseEvent(
      HttpAuthorizerEventSchema,
      buildHttpAuthorizerEvent({
        method: 'GET',
        path: '/events',
        headers: { authorization: 'Bearer k' },
        identitySource: ['Bearer k'],
      }),
      'HTTP API authorizer event',
    );
    expect(auth.routeArn).toMatch(
      /^arn:aws:execute-api:us-east-1:000000000000:[^/]+\/\$default\/GET\/events$/,
    );
    expect(bodyText({ body: 'plain', isBase64Encoded: false })).toBe('plain');
  });

  it('reads a captured authorizer-backed event whose authorizer context is null', () => {
    const e = parseEvent(HttpApiEventSchema, fixture('http-lambda-authorizer.json'), 'HTTP API event');
    expect(authorizerContext(e)).toEqual({});
    expect(header(e, 'Authorization')).toBe('Bearer foo');
  });

  it('validates a Firehose response and rejects an unknown result', () => {
    const ok = {
      records: [{ recordId: '1', result: 'Ok', data: 'e30=', metadata: { partitionKeys: { type: 'a' } } }],
    };
    expect(FirehoseTransformResponseSchema.parse(ok)).toEqual(ok);
    expect(() =>
      parseEvent(
        FirehoseTransformResponseSchema,
        { records: [{ recordId: '1', result: 'Maybe', data: '' }] },
        'response',
      ),
    ).toThrow(/records\.0\.result/);
  });
});

describe('SNS envelope: fields the handler never reads never reject the batch', () => {
  // Variants from AWS's own samples and deliveries (see test/fixtures/events/SOURCES.md): the handler
  // reads MessageId, Message, TopicArn, Timestamp and Subject only.
  const base = () => fixture('sns-plain.json') as { Records: Array<{ Sns: Record<string, unknown> }> };
  const variants: Record<string, (sns: Record<string, unknown>) => void> = {
    'MessageAttributes: null': (n) => {
      n.MessageAttributes = null;
    },
    'no MessageAttributes': (n) => {
      delete n.MessageAttributes;
    },
    'SigningCertURL / UnsubscribeURL spelling': (n) => {
      n.SigningCertURL = n.SigningCertUrl;
      n.UnsubscribeURL = n.UnsubscribeUrl;
      delete n.SigningCertUrl;
      delete n.UnsubscribeUrl;
    },
    'placeholder URLs ("EXAMPLE")': (n) => {
      n.SigningCertUrl = 'EXAMPLE';
      n.UnsubscribeUrl = 'EXAMPLE';
    },
    'no UnsubscribeUrl, Signature or SignatureVersion': (n) => {
      delete n.UnsubscribeUrl;
      delete n.Signature;
      delete n.SignatureVersion;
    },
    'no Subject': (n) => {
      delete n.Subject;
    },
    'Subject: null': (n) => {
      n.Subject = null;
    },
    'an attribute of another shape, and an unknown field': (n) => {
      n.MessageAttributes = { odd: { Type: 'Number', Value: 3 } };
      n.SomethingNew = { nested: true };
    },
  };
  for (const [name, change] of Object.entries(variants)) {
    it(`accepts ${name}`, () => {
      const event = base();
      const good = structuredClone(event.Records[0]!);
      change(event.Records[0]!.Sns);
      event.Records.push(good); // the variant shares a batch with an ordinary record
      const parsed = parseEvent(SnsEventSchema, event, 'SNS event');
      expect(parsed.Records.map((r) => r.Sns.Message)).toEqual(['Hello from SNS!', 'Hello from SNS!']);
      expect(parsed.Records[0]!.Sns.MessageId).toBe('95df01b4-ee98-5cb9-9903-4c221d41eb5e');
    });
  }

  it('still rejects an envelope without what the handler reads', () => {
    for (const field of ['MessageId', 'Message', 'TopicArn', 'Timestamp']) {
      const event = base();
      delete event.Records[0]!.Sns[field];
      expect(() => parseEvent(SnsEventSchema, event, 'SNS event'), field).toThrow(
        new RegExp(`Records\\.0\\.Sns\\.${field}`),
      );
    }
  });
});

describe('alarm region: from the ARN when it parses, else from the display name', () => {
  const alarmOf = (name: string) => {
    const event = parseEvent(SnsEventSchema, fixture(name), 'SNS event');
    const parsed = parseAlarmMessage(event.Records[0]!.Sns.Message);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.alarm;
  };

  it('renders AWS\'s sample alarm (placeholder ARN, Region "EXAMPLE") as an alarm', () => {
    const alarm = alarmOf('sns-alarm-go-sample.json');
    expect(alarm.AlarmArn).toBe('arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE');
    expect(alarmRegionCode(alarm)).toBeUndefined();
    // Through the notifier's own path (SNS envelope → alarm message → Slack message), not a generic post.
    const event = parseEvent(SnsEventSchema, fixture('sns-alarm-go-sample.json'), 'SNS event');
    expect(render(event.Records[0]!.Sns).alarmName).toBe('EXAMPLE');
    const message = formatAlarm(alarm);
    expect(JSON.stringify(message.blocks[0])).toContain('EXAMPLE');
    expect(message.text).toMatch(/ALARM/);
  });

  it('takes the region from the display name when the ARN does not parse', () => {
    const alarm = buildAlarmMessage({ region: 'eu-west-1' });
    for (const [arn, Region, code] of [
      ['arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:x', 'EU - Ireland', 'eu-west-1'],
      ['not an arn', 'US West - Oregon', 'us-west-2'],
      ['arn:aws:cloudwatch:eu-west-1:12345:alarm:x', 'Asia Pacific - Tokyo', 'ap-northeast-1'],
    ] as const) {
      const parsed = CloudWatchAlarmMessageSchema.safeParse({ ...alarm, AlarmArn: arn, Region });
      expect(parsed.success, arn).toBe(true);
      expect(alarmRegionCode({ AlarmArn: arn, Region }), Region).toBe(code);
    }
    // A well-formed ARN wins over the display name.
    expect(alarmRegionCode({ AlarmArn: alarm.AlarmArn, Region: 'US East (Ohio)' })).toBe('eu-west-1');
  });

  it('knows the display names of every form CloudWatch has written', () => {
    const names: Array<[string, string]> = [
      // Pre-2019 forms.
      ['US East - N. Virginia', 'us-east-1'],
      ['US (Virginia)', 'us-east-1'],
      ['US Standard', 'us-east-1'],
      ['US East - Ohio', 'us-east-2'],
      ['US West - N. California', 'us-west-1'],
      ['US West - Oregon', 'us-west-2'],
      ['EU - Ireland', 'eu-west-1'],
      ['EU - Frankfurt', 'eu-central-1'],
      ['EU - London', 'eu-west-2'],
      ['Asia Pacific - Tokyo', 'ap-northeast-1'],
      ['Asia Pacific - Singapore', 'ap-southeast-1'],
      ['Asia Pacific - Sydney', 'ap-southeast-2'],
      ['Asia Pacific - Seoul', 'ap-northeast-2'],
      ['Asia Pacific - Mumbai', 'ap-south-1'],
      ['South America - Sao Paulo', 'sa-east-1'],
      ['Canada - Central', 'ca-central-1'],
      ['China - Beijing', 'cn-north-1'],
      // Today's forms, including the console's "Europe (…)" and the accented São Paulo.
      ['US East (N. Virginia)', 'us-east-1'],
      ['Europe (Ireland)', 'eu-west-1'],
      ['Europe (Stockholm)', 'eu-north-1'],
      ['South America (São Paulo)', 'sa-east-1'],
      ['Asia Pacific (Osaka)', 'ap-northeast-3'],
      ['Israel (Tel Aviv)', 'il-central-1'],
      ['AWS GovCloud (US-West)', 'us-gov-west-1'],
      ['  us east (n. virginia) ', 'us-east-1'],
    ];
    for (const [name, code] of names) expect(regionCodeFromName(name), name).toBe(code);
    for (const [name, code] of Object.entries({ ...REGION_CODES, ...REGION_NAME_ALIASES })) {
      expect(regionCodeFromName(name), name).toBe(code);
    }
    expect(regionCodeFromName('Nowhere (Moon)')).toBeUndefined();
    // One display name per code, so the builders can invert the table.
    const codes = Object.values(REGION_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('S3 event types: creations, removals and the rest', () => {
  // S3 User Guide, "Event notification types and destinations" → "Supported event types for SQS, SNS,
  // and Lambda": each documented type and what it means for the object.
  const documented: Record<string, 'created' | 'removed' | 'other'> = {
    'ObjectCreated:Put': 'created',
    'ObjectCreated:Post': 'created',
    'ObjectCreated:Copy': 'created',
    'ObjectCreated:CompleteMultipartUpload': 'created',
    'ObjectRemoved:Delete': 'removed',
    'ObjectRemoved:DeleteMarkerCreated': 'removed',
    'LifecycleExpiration:Delete': 'removed',
    'LifecycleExpiration:DeleteMarkerCreated': 'removed',
    'ObjectRestore:Post': 'other',
    'ObjectRestore:Completed': 'other',
    'ObjectRestore:Delete': 'other',
    ReducedRedundancyLostObject: 'other',
    'Replication:OperationFailedReplication': 'other',
    'Replication:OperationMissedThreshold': 'other',
    'Replication:OperationReplicatedAfterThreshold': 'other',
    'Replication:OperationNotTracked': 'other',
    LifecycleTransition: 'other',
    IntelligentTiering: 'other',
    'ObjectTagging:Put': 'other',
    'ObjectTagging:Delete': 'other',
    'ObjectAcl:Put': 'other',
  };

  for (const [eventName, action] of Object.entries(documented)) {
    it(`${eventName} is ${action === 'other' ? 'neither a creation nor a removal' : `a ${action === 'created' ? 'creation' : 'removal'}`}`, () => {
      const event = buildS3Event({ bucket: 'b', key: 'k.jpg', eventName });
      expect(s3Changes(parseEvent(S3EventSchema, event, 'S3 event'))[0]!.action).toBe(action);
      expect(s3EventAction(`s3:${eventName}`)).toBe(action);
    });
  }

  it('classifies exactly the documented types, and anything new as other', () => {
    expect(S3_EVENT_ACTIONS).toEqual(documented);
    expect(s3EventAction('ObjectAnnotation:Put')).toBe('other');
    expect(s3EventAction('constructor')).toBe('other');
    expect(s3EventAction('ObjectCreatedSomething')).toBe('other');
  });

  it('reads the published lifecycle-expiration and restore samples right', () => {
    const expired = parseEvent(S3EventSchema, fixture('s3-lifecycle-expiration-delete.json'), 'S3 event');
    expect(s3Changes(expired)[0]).toMatchObject({
      action: 'removed',
      key: 'Assets/CameraAnimation/41552/CameraAnimation.txt',
      size: undefined,
    });
    const restored = parseEvent(S3EventSchema, fixture('s3-restore-completed-go-sample.json'), 'S3 event');
    expect(s3Changes(restored)[0]).toMatchObject({ action: 'other', key: 'glacier-test.txt' });
  });
});

describe('Firehose record data: checked per record, not per batch', () => {
  it('accepts an event in which one record is not base64 (the transform fails that record alone)', () => {
    const event = buildFirehoseTransformEvent({ records: [{ data: '{"a":1}' }, { data: '{"b":2}' }] });
    event.records[1]!.data = 'not base64!';
    const parsed = parseEvent(FirehoseTransformEventSchema, event, 'Firehose event');
    expect(parsed.records.map((r) => decodeFirehoseData(r.data)?.toString())).toEqual(['{"a":1}', undefined]);
  });

  it('decodes base64 exactly, refusing what Node would silently skip', () => {
    expect(decodeFirehoseData('')).toEqual(Buffer.alloc(0));
    expect(decodeFirehoseData('e30=')?.toString()).toBe('{}');
    expect(decodeFirehoseData('QUJD')?.toString()).toBe('ABC');
    for (const bad of ['e30', 'e3!0', '@@@@', 'e3 0', 'QQ==QQ==', 'AAAA====', 'Q===', 'AA=A', 'e30=\n']) {
      expect(decodeFirehoseData(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

/** Every path to a leaf (or an empty array/object) in a JSON value. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Object.entries(value);
  if (!entries.length) return [prefix];
  return [prefix, ...entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]))].filter((p) => p.length);
}

// shared/events copies Powertools' S3, Firehose record and API Gateway HTTP API (payload 2.0) event
// schemas (so that handler bundles can tree-shake zod); these hold the copies to the originals: on every
// fixture, with every field removed, and with every field given a value of another type, both accept or
// both refuse. The widenings the module comments name (IPv6 / regional host names as sourceIPAddress;
// Firehose `data` kept as text, kinesisRecordMetadata in AWS's documented string forms) are left out of
// the comparison. The HTTP API fixtures carry neither a JWT nor an IAM authorizer nor a client
// certificate, so each is also compared with those added, in the shapes of the samples on the API Gateway
// pages "Working with AWS Lambda proxy integrations for HTTP APIs" (payload format 2.0: `jwt`,
// `authentication.clientCert`) and "Controlling access to HTTP APIs with IAM authorization" (`iam`).
const withAuthorizers = (e: unknown) => {
  const copy = structuredClone(e) as { requestContext: Record<string, unknown> };
  copy.requestContext.authentication = {
    clientCert: {
      clientCertPem: 'CERT_CONTENT',
      subjectDN: 'www.example.com',
      issuerDN: 'Example issuer',
      serialNumber: 'a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1',
      validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' },
    },
  };
  copy.requestContext.authorizer = {
    jwt: { claims: { claim1: 'value1', claim2: 'value2' }, scopes: ['scope1', 'scope2'] },
    iam: {
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      accountId: '123456789012',
      callerId: 'AIDACKCEVSQ6C2EXAMPLE',
      principalOrgId: 'o-a1b2c3d4e5',
      userArn: 'arn:aws:iam::123456789012:user/example',
      userId: 'AIDACKCEVSQ6C2EXAMPLE',
      cognitoIdentity: {
        amr: ['authenticated'],
        identityId: 'us-east-1:id',
        identityPoolId: 'us-east-1:pool',
      },
    },
    lambda: { scope: 'read' },
  };
  return copy;
};

interface Parser {
  safeParse(value: unknown): { success: boolean };
}

describe('copies of Powertools schemas', () => {
  const cases: Array<{
    prefix: string;
    ours: Parser;
    theirs: Parser;
    /** Fields where ours deliberately accepts more: left out of the comparison. */
    widened: string[];
    prepare: (e: unknown) => unknown;
    /** Further events made from each fixture, compared the same way. */
    more?: (e: unknown) => unknown;
  }> = [
    {
      prefix: 's3-',
      ours: S3EventSchema,
      theirs: S3Schema,
      widened: ['sourceIPAddress'],
      // Powertools refuses IPv6 and regional host names there: compare with an IPv4 client.
      prepare: (e: unknown) => {
        const copy = structuredClone(e) as { Records: Array<{ requestParameters: object }> };
        for (const r of copy.Records) r.requestParameters = { sourceIPAddress: '203.0.113.7' };
        return copy;
      },
    },
    {
      prefix: 'firehose-',
      ours: FirehoseTransformEventSchema,
      theirs: KinesisFirehoseSchema,
      widened: ['data', 'kinesisRecordMetadata'],
      // Powertools refuses AWS's own metadata sample (strings where it wants numbers): compare without it.
      prepare: (e: unknown) => {
        const copy = structuredClone(e) as { records: Array<Record<string, unknown>> };
        for (const r of copy.records) r.kinesisRecordMetadata = null;
        return copy;
      },
    },
    {
      prefix: 'http-',
      ours: HttpApiEventSchema,
      theirs: APIGatewayProxyEventV2Schema,
      widened: [],
      prepare: (e: unknown) => e,
      more: withAuthorizers,
    },
    {
      prefix: 'httpauthorizer-',
      ours: HttpAuthorizerEventSchema,
      theirs: APIGatewayRequestAuthorizerEventV2Schema,
      widened: [],
      prepare: (e: unknown) => e,
      more: withAuthorizers,
    },
  ];
  for (const { prefix, ours, theirs, widened, prepare, more } of cases) {
    it(`${prefix}* fixtures: accepted and refused exactly as Powertools does`, () => {
      let compared = 0;
      const named = fixtures.filter((f) => f.startsWith(prefix));
      expect(named.length, prefix).toBeGreaterThan(0);
      const events = named.flatMap((name) => {
        const event = prepare(fixture(name));
        return more
          ? [
              { name, event },
              { name: `${name} with authorizers`, event: more(event) },
            ]
          : [{ name, event }];
      });
      for (const { name, event } of events) {
        expect(theirs.safeParse(event).success, name).toBe(true);
        const variants: unknown[] = [event];
        for (const path of leafPaths(event)) {
          if (path.some((k) => widened.includes(k))) continue;
          variants.push(mutate(event, path, (parent, key) => delete parent[key]));
          variants.push(
            mutate(event, path, (parent, key) => {
              parent[key] = typeof parent[key] === 'string' ? 42 : 'a string';
            }),
          );
        }
        for (const v of variants) {
          expect(ours.safeParse(v).success, `${name}: ${JSON.stringify(v)}`).toBe(
            theirs.safeParse(v).success,
          );
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(40);
    });
  }
});
