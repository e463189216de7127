// What AWS does with the synthesized template, judged by the documented models in aws-model.ts (synthesized
// without bundling): CloudWatch may publish to the alarms topic, Lambda accepts the default deploy on a new
// account, a waiting dead letter keeps its alarm in ALARM, partition overflow raises an alarm, the topic key
// goes with the stack, every Lambda function's logs expire, and Firehose holds exactly AWS's S3 action list.
import { describe, expect, it } from 'vitest';
import { FIREHOSE_S3_DESTINATION_ACTIONS, wiringOf } from '../../infra/cdk/kinds/index.ts';
import { allFunctions } from '../../pipelines/index.ts';
import {
  type AlarmProps,
  alarmStates,
  evaluatePolicy,
  type IntrinsicEnv,
  type PolicyRequest,
  type PolicyStatement,
  reservationError,
  resolve,
  sqsVisibleDatapoints,
} from './aws-model.ts';
import {
  asArray,
  asyncFunctionIds,
  idOf,
  ofType,
  referencedIds,
  type Synthesized,
  synth,
  synthesizedProject,
  topicKey,
} from './helpers.ts';

const s = synthesizedProject(60_000);

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const REGION = 'eu-west-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:EventPipelines-TopicAlarms-ABC123`;
const env = (): IntrinsicEnv => ({
  accountId: ACCOUNT,
  region: REGION,
  partition: 'aws',
  refs: { [idOf(s, s.stack.resources.topic.get('alarms')!)]: TOPIC_ARN },
});
const props = (id: string) => s.json.Resources[id]!.Properties as Record<string, unknown>;

describe('CloudWatch alarms can publish to the alarms topic (SNS topic policy)', () => {
  const topicPolicy = (): PolicyStatement[] => {
    const topicId = idOf(s, s.stack.resources.topic.get('alarms')!);
    const policies = ofType(s, 'AWS::SNS::TopicPolicy').filter(([, p]) =>
      referencedIds(p.Properties!.Topics).has(topicId),
    );
    // One policy per topic: a topic policy replaces SNS's default policy, so this document is all there is.
    expect(policies).toHaveLength(1);
    const doc = resolve(policies[0]![1].Properties!.PolicyDocument, env()) as {
      Statement: PolicyStatement[];
    };
    return doc.Statement;
  };
  // What CloudWatch sends when an alarm of this account changes state (SNS docs, "aws:SourceAccount and
  // aws:SourceArn" for service principals; the alarm ARN format is arn:aws:cloudwatch:region:account:alarm:name).
  const alarmPublish = (
    over: Partial<PolicyRequest> = {},
    ctx: Record<string, string> = {},
  ): PolicyRequest => ({
    principal: { service: 'cloudwatch.amazonaws.com' },
    action: 'sns:Publish',
    resource: TOPIC_ARN,
    context: {
      'aws:SourceAccount': ACCOUNT,
      'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:EventPipelines-image-resize-errors`,
      'aws:SecureTransport': 'true',
      ...ctx,
    },
    ...over,
  });

  it('allows an alarm of this account and region to publish over TLS (fails with only the TLS Deny)', () => {
    expect(evaluatePolicy(topicPolicy(), alarmPublish())).toBe('Allow');
    // any alarm name of this account/region, including the user's own alarms
    expect(
      evaluatePolicy(
        topicPolicy(),
        alarmPublish({}, { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:my-own-alarm` }),
      ),
    ).toBe('Allow');
  });

  it("denies another account's alarm, another region's alarm, another service and plain HTTP", () => {
    const st = topicPolicy();
    expect(
      evaluatePolicy(
        st,
        alarmPublish(
          {},
          {
            'aws:SourceAccount': OTHER_ACCOUNT,
            'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${OTHER_ACCOUNT}:alarm:x`,
          },
        ),
      ),
    ).toBe('ImplicitDeny');
    // a confused deputy: right SourceAccount claim, but the alarm is another account's
    expect(
      evaluatePolicy(
        st,
        alarmPublish({}, { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${OTHER_ACCOUNT}:alarm:x` }),
      ),
    ).toBe('ImplicitDeny');
    expect(
      evaluatePolicy(
        st,
        alarmPublish({}, { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:x` }),
      ),
    ).toBe('ImplicitDeny');
    expect(evaluatePolicy(st, alarmPublish({ principal: { service: 'events.amazonaws.com' } }))).toBe(
      'ImplicitDeny',
    );
    expect(evaluatePolicy(st, alarmPublish({}, { 'aws:SecureTransport': 'false' }))).toBe('ExplicitDeny');
    // only Publish is granted
    expect(evaluatePolicy(st, alarmPublish({ action: 'sns:Subscribe' }))).toBe('ImplicitDeny');
  });

  it('the topic key still lets CloudWatch encrypt the message (KMS key policy)', () => {
    const keyPolicy = resolve(props(idOf(s, topicKey(s))).KeyPolicy, env()) as {
      Statement: PolicyStatement[];
    };
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      const req: PolicyRequest = {
        principal: { service: 'cloudwatch.amazonaws.com' },
        action,
        resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        context: { 'aws:SecureTransport': 'true' },
      };
      expect(evaluatePolicy(keyPolicy.Statement, req), action).toBe('Allow');
    }
  });
});

describe('policy evaluator (aws-model.ts) follows the documented IAM rules', () => {
  const allow = (extra: Partial<PolicyStatement>): PolicyStatement => ({
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: 'sns:Publish',
    Resource: TOPIC_ARN,
    ...extra,
  });
  const req: PolicyRequest = {
    principal: { service: 'cloudwatch.amazonaws.com' },
    action: 'SNS:Publish', // action names are case-insensitive
    resource: TOPIC_ARN,
    context: { 'aws:SourceAccount': ACCOUNT },
  };
  it('explicit Deny beats Allow; no matching statement is an implicit deny', () => {
    expect(evaluatePolicy([allow({})], req)).toBe('Allow');
    expect(evaluatePolicy([allow({}), { ...allow({}), Effect: 'Deny', Principal: '*' }], req)).toBe(
      'ExplicitDeny',
    );
    expect(evaluatePolicy([allow({ Action: 'sns:Subscribe' })], req)).toBe('ImplicitDeny');
    expect(evaluatePolicy([allow({ Action: 'sns:*' })], req)).toBe('Allow');
    expect(evaluatePolicy([allow({ Resource: TOPIC_ARN.toUpperCase() })], req)).toBe('ImplicitDeny');
  });
  it('a condition key missing from the request fails positive operators and passes negated ones', () => {
    const cond = (op: string) => allow({ Condition: { [op]: { 'aws:SourceArn': 'arn:aws:cloudwatch:*' } } });
    expect(evaluatePolicy([cond('ArnLike')], req)).toBe('ImplicitDeny');
    expect(evaluatePolicy([cond('ArnNotLike')], req)).toBe('Allow');
    expect(evaluatePolicy([cond('ArnLikeIfExists')], req)).toBe('Allow');
    // values of one key are ORed; keys are ANDed; condition key names are case-insensitive
    const multi = allow({
      Condition: { StringEquals: { 'AWS:SourceAccount': [OTHER_ACCOUNT, ACCOUNT], 'aws:SourceArn': 'x' } },
    });
    expect(evaluatePolicy([multi], { ...req, context: { ...req.context, 'aws:SourceArn': 'x' } })).toBe(
      'Allow',
    );
    expect(evaluatePolicy([multi], req)).toBe('ImplicitDeny');
  });
  it('refuses what it does not model rather than guessing', () => {
    expect(() =>
      evaluatePolicy([allow({ Condition: { DateLessThan: { 'aws:CurrentTime': 'x' } } })], req),
    ).toThrow(/not modelled/);
    expect(() => evaluatePolicy([{ ...allow({}), NotAction: 'x' } as PolicyStatement], req)).toThrow(
      /NotAction/,
    );
  });
});

describe('reserved concurrency: the default deploy fits a new account', () => {
  const reservations = (x: Synthesized) =>
    ofType(x, 'AWS::Lambda::Function').flatMap(([, f]) =>
      f.Properties!.ReservedConcurrentExecutions === undefined
        ? []
        : [Number(f.Properties!.ReservedConcurrentExecutions)],
    );

  it('by default reserves nothing, which Lambda accepts on an account with a concurrency quota of 10', () => {
    expect(reservations(s)).toEqual([]);
    expect(reservationError(10, reservations(s))).toBeUndefined();
    // the throttle alarms do not blame a reservation that does not exist
    for (const spec of allFunctions()) {
      const [, a] = ofType(s, 'AWS::CloudWatch::Alarm').find(
        ([, x]) => x.Properties!.AlarmName === `EventPipelines-${spec.id}-throttles`,
      )!;
      expect(String(a.Properties!.AlarmDescription), spec.id).toMatch(/no reserved concurrency/);
    }
  });

  it("with -c reservedConcurrency=true the specs' values apply: fine at quota 1000, refused at quota 10", () => {
    const r = synth({ bundle: false, context: { reservedConcurrency: 'true' } });
    for (const spec of allFunctions()) {
      const [, res] = ofType(r, 'AWS::Lambda::Function').find(
        ([id]) => id === idOf(r, r.stack.resources.functions.get(spec.id)!.fn),
      )!;
      expect(res.Properties!.ReservedConcurrentExecutions, spec.id).toBe(spec.reservedConcurrency);
    }
    for (const spec of allFunctions().filter((f) => f.reservedConcurrency !== undefined)) {
      const [, a] = ofType(r, 'AWS::CloudWatch::Alarm').find(
        ([, x]) => x.Properties!.AlarmName === `EventPipelines-${spec.id}-throttles`,
      )!;
      expect(String(a.Properties!.AlarmDescription), spec.id).toContain(
        `reserved concurrency (${spec.reservedConcurrency})`,
      );
    }
    const reserved = reservations(r);
    expect(reserved.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(reservationError(1000, reserved)).toBeUndefined();
    expect(reservationError(10, reserved)).toMatch(/below its minimum value of \[10\]/);
  }, 60_000);
});

describe('alarms over missing data (CloudWatch missing-data semantics, SQS publication rules)', () => {
  const alarm = (name: string): AlarmProps & Record<string, unknown> => {
    const found = ofType(s, 'AWS::CloudWatch::Alarm').find(
      ([, a]) => a.Properties!.AlarmName === `EventPipelines-${name}`,
    );
    expect(found, name).toBeDefined();
    return found![1].Properties as AlarmProps & Record<string, unknown>;
  };
  const asyncIds = asyncFunctionIds();

  // 12 hours of 5-minute periods. The queue is created at minute 0; Lambda's on-failure destination sends one
  // dead letter at minute 30; nobody touches the queue for 7.5 hours; the operator redrives (receive + delete)
  // at minute 480.
  const PERIODS = 144;
  const calls = [
    { atMinute: 0, visibleAfter: 0 },
    { atMinute: 30, visibleAfter: 1 },
    { atMinute: 480, visibleAfter: 0 },
  ];
  const datapoints = sqsVisibleDatapoints(calls, PERIODS);

  it('SQS stops publishing for the idle queue after six hours while the message still waits (the model)', () => {
    const firstGap = datapoints.findIndex((d, i) => i > 6 && d === undefined);
    expect(firstGap * 5).toBeGreaterThanOrEqual(30 + 360 - 5);
    expect(firstGap * 5).toBeLessThan(480);
    // today's setting (notBreaching) would report OK in that gap: the false "resolved" in Slack
    const notBreaching = alarmStates(
      { ...alarm('image-resize-dlq-not-empty'), TreatMissingData: 'notBreaching' },
      datapoints,
    );
    expect(notBreaching[firstGap]).toBe('OK');
  });

  it('each dead-letter alarm stays in ALARM from the first dead letter until the queue is drained', () => {
    for (const id of asyncIds) {
      const states = alarmStates(alarm(`${id}-dlq-not-empty`), datapoints);
      const arrived = Math.floor(30 / 5); // the period holding minute 30
      const drained = Math.floor(480 / 5);
      expect(
        states.slice(0, arrived).every((x) => x === 'OK'),
        id,
      ).toBe(true);
      expect(states.slice(arrived, drained), id).toEqual(Array(drained - arrived).fill('ALARM'));
      expect(states[drained], id).toBe('OK');
    }
  });

  it('partition overflow on a dynamically partitioned stream raises an alarm on the alarms topic', () => {
    const topic = { Ref: idOf(s, s.stack.resources.topic.get('alarms')!) };
    for (const [name, stream] of s.stack.resources.stream) {
      if (!wiringOf(stream).dynamicPartitioning) continue;
      const a = alarm(`stream-${name}-partition-count-exceeded`);
      // AWS/Firehose PartitionCountExceeded is 1 while the active-partition limit is breached, else 0
      // (Firehose developer guide, dynamic partitioning metrics).
      expect(a).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'PartitionCountExceeded' });
      expect(referencedIds(a.Dimensions)).toEqual(new Set([idOf(s, s.stack.resources.stream.get(name)!)]));
      expect(a.AlarmActions).toEqual([topic]);
      expect(a.OKActions).toEqual([topic]);
      expect(String(a.AlarmDescription)).toContain('npm run replay');
      expect(alarmStates(a, [0, 0, 1, undefined, 0])).toEqual(['OK', 'OK', 'ALARM', 'OK', 'OK']);
    }
    expect([...s.stack.resources.stream.values()].some((x) => wiringOf(x).dynamicPartitioning)).toBe(true);
  });
});

describe('nothing left billing or logging forever after the stack', () => {
  it('the topic key is scheduled for deletion with the stack, after the topics that use it', () => {
    const keyId = idOf(s, topicKey(s));
    const key = s.json.Resources[keyId] as { DeletionPolicy?: string; Properties: Record<string, unknown> };
    // CloudFormation: no DeletionPolicy, or Delete, deletes the resource; for AWS::KMS::Key that schedules
    // deletion after PendingWindowInDays (7-30, KMS's allowed range).
    expect(key.DeletionPolicy ?? 'Delete').toBe('Delete');
    expect(key.Properties.PendingWindowInDays).toBeGreaterThanOrEqual(7);
    expect(key.Properties.PendingWindowInDays).toBeLessThanOrEqual(30);
    // Everything that references the key depends on it, so CloudFormation deletes it first; none of it may
    // be retained, or a kept resource would be left encrypted under a deleted key.
    const users = Object.entries(s.json.Resources).filter(([, r]) => referencedIds(r.Properties).has(keyId));
    expect(users.length).toBeGreaterThan(0);
    for (const [id, r] of users)
      expect((r as { DeletionPolicy?: string }).DeletionPolicy ?? 'Delete', id).toBe('Delete');
  });

  it('every Lambda function in the template logs to a log group with a finite retention', () => {
    const fns = ofType(s, 'AWS::Lambda::Function');
    expect(fns.some(([id]) => id.startsWith('BucketNotificationsHandler'))).toBe(true);
    for (const [id, fn] of fns) {
      // Lambda writes to LoggingConfig.LogGroup when set, else to /aws/lambda/<function name>, which it creates
      // on first write with no retention (Lambda developer guide, "Sending Lambda function logs to CloudWatch
      // Logs"). The function name is generated here, so only an explicit log group can carry a retention.
      const target = (fn.Properties!.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
      const [lg] = [...referencedIds(target)];
      expect(lg, `${id} has no LoggingConfig.LogGroup`).toBeDefined();
      const group = s.json.Resources[lg!]!;
      expect(group.Type, id).toBe('AWS::Logs::LogGroup');
      expect(group.Properties!.RetentionInDays, id).toBeGreaterThan(0);
    }
  });
});

describe('Firehose delivery role', () => {
  it('holds exactly the S3 actions AWS documents for an S3 destination, on the lake only', () => {
    // "Grant Firehose access to an Amazon S3 destination", Amazon Data Firehose developer guide:
    // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
    expect([...FIREHOSE_S3_DESTINATION_ACTIONS].sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:PutObject',
    ]);
    const lake = idOf(s, s.stack.resources.bucket.get('lake')!);
    for (const delivery of s.stack.resources.stream.values()) {
      const roleId = idOf(s, wiringOf(delivery).role);
      const stream = s.json.Resources[idOf(s, delivery)]!;
      const dest = stream.Properties!.ExtendedS3DestinationConfiguration as { RoleARN: unknown };
      expect(referencedIds(dest.RoleARN)).toEqual(new Set([roleId]));
      // every policy attached to the delivery role (the L2's own grants are dropped)
      const statements = ofType(s, 'AWS::IAM::Policy')
        .filter(([, p]) => referencedIds(p.Properties!.Roles).has(roleId))
        .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
      const s3Actions = statements.flatMap((st) => asArray(st.Action)).filter((a) => a.startsWith('s3:'));
      expect(s3Actions.sort()).toEqual([...FIREHOSE_S3_DESTINATION_ACTIONS].sort());
      for (const st of statements.filter((x) => asArray(x.Action).some((a) => a.startsWith('s3:'))))
        expect(referencedIds(st.Resource)).toEqual(new Set([lake]));
      // judged as an identity policy: delivery works, deleting or tagging objects does not
      const lakeArn = 'arn:aws:s3:::lake-bucket';
      const s3req = (action: string, resource: string): PolicyRequest => ({
        principal: { service: 'firehose.amazonaws.com' },
        action,
        resource,
        context: {},
      });
      const only = resolve(
        statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('s3:'))),
        { ...env(), attrs: { [`${lake}.Arn`]: lakeArn }, refs: {} },
      ) as PolicyStatement[];
      expect(
        evaluatePolicy(only, s3req('s3:PutObject', `${lakeArn}/events/x.gz`), { resourcePolicy: false }),
      ).toBe('Allow');
      expect(evaluatePolicy(only, s3req('s3:ListBucket', lakeArn), { resourcePolicy: false })).toBe('Allow');
      for (const denied of [
        's3:DeleteObject',
        's3:PutObjectTagging',
        's3:PutObjectRetention',
        's3:GetObjectAcl',
      ])
        expect(
          evaluatePolicy(only, s3req(denied, `${lakeArn}/events/x.gz`), { resourcePolicy: false }),
          denied,
        ).toBe('ImplicitDeny');
    }
  });
});
