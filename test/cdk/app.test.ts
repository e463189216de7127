// Assertions on the synthesized CDK app built from the real pipeline definitions: resources and wiring,
// runtime and bundling, IAM scoping, encryption/TLS, DLQs, log retention, operational alarms, cdk-nag.
// The app is synthesized once (with real esbuild bundling) for the whole file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/cdk/native-modules.ts';
import { allFunctions, pipelines } from '../../pipelines/index.ts';
import { runtimeOf } from '../../pipelines/types.ts';
import {
  asArray,
  idOf,
  ofType,
  referencedIds,
  removeSynthOutput,
  roleStatements,
  type Synthesized,
  synth,
} from './helpers.ts';

let s: Synthesized;
let synthError: unknown;
beforeAll(() => {
  // A failed synthesis (bundling, a definition error, an unacknowledged cdk-nag finding) fails the first test
  // with its message, and every other test fails too instead of being skipped.
  try {
    s = synth();
  } catch (err) {
    synthError = err;
  }
}, 120_000);
afterAll(removeSynthOutput);

const fnIds = allFunctions().map((f) => f.id);
const asyncIds = allFunctions()
  .filter((f) => f.trigger.kind !== 'firehose-transform')
  .map((f) => f.id);
const built = (id: string) => s.stack.resources.functions.get(id)!;
const fnLogicalId = (id: string) => idOf(s, built(id).fn);
const resourceOf = (logicalId: string) => s.json.Resources[logicalId]!;
const props = (logicalId: string) => resourceOf(logicalId).Properties as Record<string, unknown>;

it('synthesizes with bundling, CloudFormation validation and cdk-nag passing', () => {
  expect(synthError).toBeUndefined();
});

describe('resources from the pipeline definitions', () => {
  it('creates every declared bucket (plus the access-log bucket), table, topic, secret and stream', () => {
    const specs = pipelines.flatMap((p) => Object.values(p.resources).flat());
    expect(specs.length).toBeGreaterThan(0);
    const count = (k: keyof (typeof pipelines)[number]['resources']) =>
      pipelines.reduce((n, p) => n + (p.resources[k]?.length ?? 0), 0);
    s.template.resourceCountIs('AWS::S3::Bucket', count('buckets') + 1);
    s.template.resourceCountIs('AWS::DynamoDB::Table', count('tables'));
    s.template.resourceCountIs('AWS::SNS::Topic', count('topics'));
    s.template.resourceCountIs('AWS::SecretsManager::Secret', count('secrets'));
    s.template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', count('streams'));
    expect([...s.stack.resources.buckets.keys()].sort()).toEqual(['display', 'lake', 'uploads']);
    expect([...s.stack.resources.tables.keys()].sort()).toEqual(['events', 'idempotency']);
    expect([...s.stack.resources.topics.keys()]).toEqual(['alarms']);
  });

  it('creates one function per FunctionSpec, on its runtime (nodejs24.x) and arm64, sized as the spec says', () => {
    const ours = ofType(s, 'AWS::Lambda::Function').filter(
      ([id]) => !id.startsWith('BucketNotificationsHandler'),
    );
    expect(ours).toHaveLength(fnIds.length);
    for (const spec of allFunctions()) {
      const p = props(fnLogicalId(spec.id));
      expect(p.Runtime, spec.id).toBe(runtimeOf(spec));
      expect(p.Runtime, spec.id).toBe('nodejs24.x'); // no definition pins another runtime today
      expect(p.Architectures, spec.id).toEqual(['arm64']);
      expect(p.Handler, spec.id).toBe('index.handler');
      expect(p.MemorySize, spec.id).toBe(spec.memoryMb);
      expect(p.Timeout, spec.id).toBe(spec.timeoutSeconds);
      // Off by default (a new account's quota of 10 allows no reservation); see aws-behaviour.test.ts.
      expect(p.ReservedConcurrentExecutions, spec.id).toBeUndefined();
      expect(String(p.Description).length).toBeLessThanOrEqual(256);
      expect(resourceOf(fnLogicalId(spec.id)).Metadata?.Sizing).toMatchObject({ reason: spec.sizing });
    }
    // The image function has the most memory (sharp/libvips), as the issue asks.
    const image = props(fnLogicalId('image-resize'));
    expect(image.MemorySize).toBe(Math.max(...allFunctions().map((f) => f.memoryMb)));
  });

  it("CDK's own helper functions: only the S3 notifications handler, on CDK's inline Python runtime", () => {
    // Not ours to choose: aws-cdk-lib 2.276.0 adds BucketNotificationsHandler (aws-s3 notifications, inline
    // Python) and picks its runtime. Listed here so a change (e.g. a new Node custom resource) shows up.
    const ours = new Set(fnIds.map(fnLogicalId));
    const helpers = ofType(s, 'AWS::Lambda::Function')
      .filter(([id]) => !ours.has(id))
      .map(([id, r]) => ({ id: id.replace(/[0-9a-f]{8,}[0-9A-F]{8}$/, ''), runtime: r.Properties!.Runtime }));
    expect(helpers).toEqual([{ id: 'BucketNotificationsHandler', runtime: 'python3.13' }]);
  });

  it('resolves ResourceRefs in environments to physical names and ARNs', () => {
    const env = (id: string) =>
      (props(fnLogicalId(id)).Environment as { Variables: Record<string, unknown> }).Variables;
    const r = s.stack.resources;
    expect(env('image-resize').SOURCE_BUCKET).toEqual({ Ref: idOf(s, r.buckets.get('uploads')!) });
    expect(env('image-resize').DISPLAY_BUCKET).toEqual({ Ref: idOf(s, r.buckets.get('display')!) });
    expect(env('alarm-to-slack').IDEMPOTENCY_TABLE).toEqual({ Ref: idOf(s, r.tables.get('idempotency')!) });
    expect(env('alarm-to-slack').SLACK_WEBHOOK_SECRET_ARN).toEqual({
      Ref: idOf(s, r.secrets.get('slack-webhook')!),
    });
    expect(env('stream-loader').EVENTS_TABLE).toEqual({ Ref: idOf(s, r.tables.get('events')!) });
    for (const id of fnIds) expect(env(id).POWERTOOLS_SERVICE_NAME).toBe(id);
  });

  it('puts CloudFront with Origin Access Control in front of the display bucket only', () => {
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    s.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    const display = idOf(s, s.stack.resources.buckets.get('display')!);
    const [, dist] = ofType(s, 'AWS::CloudFront::Distribution')[0]!;
    const config = dist.Properties!.DistributionConfig as {
      Origins: Array<{ DomainName: unknown; OriginAccessControlId: unknown; S3OriginConfig: unknown }>;
      DefaultCacheBehavior: { ViewerProtocolPolicy: string };
      Logging: { Bucket: unknown };
    };
    expect(config.Origins).toHaveLength(1);
    expect(referencedIds(config.Origins[0]!.DomainName)).toEqual(new Set([display]));
    expect(config.Origins[0]!.OriginAccessControlId).toBeDefined();
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(referencedIds(config.Logging.Bucket)).toEqual(new Set([idOf(s, s.stack.resources.accessLogs)]));
    // The bucket policy lets only this distribution (AWS:SourceArn) read objects.
    const [, policy] = ofType(s, 'AWS::S3::BucketPolicy').find(([, p]) =>
      referencedIds(p.Properties?.Bucket).has(display),
    )!;
    const statements = (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> })
      .Statement;
    const cf = statements.find(
      (st) => st.Effect === 'Allow' && JSON.stringify(st.Principal).includes('cloudfront.amazonaws.com'),
    )!;
    expect(cf.Effect).toBe('Allow');
    // Rejection markers (_rejected/) are denied to CloudFront, whatever the Allow says.
    const deny = statements.find((st) => st.Sid === 'CdnNeverServesPrivatePrefixes')!;
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:GetObject' });
    expect(JSON.stringify(deny.Principal)).toContain('cloudfront.amazonaws.com');
    expect(JSON.stringify(deny.Resource)).toContain('/_rejected/*');
    expect(cf.Action).toBe('s3:GetObject');
    expect(JSON.stringify(cf.Condition)).toContain('AWS:SourceArn');
  });

  it('tables are on-demand with point-in-time recovery; the idempotency table has TTL', () => {
    for (const [name, table] of s.stack.resources.tables) {
      const p = props(idOf(s, table));
      expect(p.BillingMode, name).toBe('PAY_PER_REQUEST');
      expect(p.PointInTimeRecoverySpecification, name).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.SSESpecification, name).toEqual({ SSEEnabled: true });
    }
    expect(props(idOf(s, s.stack.resources.tables.get('idempotency')!)).TimeToLiveSpecification).toEqual({
      AttributeName: 'expiration',
      Enabled: true,
    });
    expect(props(idOf(s, s.stack.resources.tables.get('events')!)).KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });
});

describe('wiring', () => {
  const notifications = () =>
    ofType(s, 'Custom::S3BucketNotifications').map(([, r]) => ({
      bucket: [...referencedIds(r.Properties!.BucketName)][0],
      configs: (
        r.Properties!.NotificationConfiguration as {
          LambdaFunctionConfigurations: Array<{
            Events: string[];
            Filter?: unknown;
            LambdaFunctionArn: unknown;
          }>;
        }
      ).LambdaFunctionConfigurations,
    }));

  it('uploads notify the image function on every create and remove, unfiltered', () => {
    const uploads = idOf(s, s.stack.resources.buckets.get('uploads')!);
    const n = notifications().find((x) => x.bucket === uploads)!;
    expect(n.configs.flatMap((c) => c.Events).sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    for (const c of n.configs) {
      expect(c.Filter).toBeUndefined();
      expect(referencedIds(c.LambdaFunctionArn)).toEqual(new Set([fnLogicalId('image-resize')]));
    }
  });

  it('lake notifies the loader only on ObjectCreated under events/ (not on the error prefix)', () => {
    const lake = idOf(s, s.stack.resources.buckets.get('lake')!);
    const n = notifications().find((x) => x.bucket === lake)!;
    expect(n.configs).toHaveLength(1);
    expect(n.configs[0]).toEqual({
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'events/' }] } },
      LambdaFunctionArn: { 'Fn::GetAtt': [fnLogicalId('stream-loader'), 'Arn'] },
    });
    expect(notifications()).toHaveLength(2); // display (written by the image function) triggers nothing: no loop
  });

  it('S3 may invoke each S3-triggered function only from its own bucket', () => {
    const perms = ofType(s, 'AWS::Lambda::Permission').map(([, p]) => p.Properties!);
    const s3perms = perms.filter((p) => p.Principal === 's3.amazonaws.com');
    expect(s3perms).toHaveLength(2);
    for (const p of s3perms) expect(p.SourceArn).toBeDefined();
  });

  it('the Slack function is subscribed to the alarms topic', () => {
    s.template.resourceCountIs('AWS::SNS::Subscription', 1);
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: idOf(s, s.stack.resources.topics.get('alarms')!) },
      Endpoint: { 'Fn::GetAtt': [fnLogicalId('alarm-to-slack'), 'Arn'] },
      // what SNS cannot deliver after its own retries lands in the function's DLQ too
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(s, built('alarm-to-slack').dlq!), 'Arn'] },
      },
    });
  });

  it('Firehose: transform as processor, dynamic partitioning, GZIP, prefixes, buffering, SSE', () => {
    const stream = props(idOf(s, s.stack.resources.streams.get('events')!));
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const d = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(referencedIds(d.BucketARN)).toEqual(new Set([idOf(s, s.stack.resources.buckets.get('lake')!)]));
    expect(d.CompressionFormat).toBe('GZIP');
    expect(d.Prefix).toBe('events/type=!{partitionKeyFromLambda:type}/dt=!{partitionKeyFromLambda:dt}/');
    expect(d.ErrorOutputPrefix).toBe('errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/');
    expect(d.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    expect(d.DynamicPartitioningConfiguration).toMatchObject({ Enabled: true });
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
    expect(param('LambdaArn')).toEqual({ 'Fn::GetAtt': [fnLogicalId('stream-transform'), 'Arn'] });
    expect(Number(param('BufferSizeInMBs'))).toBeLessThanOrEqual(3);
    expect((d.CloudWatchLoggingOptions as { Enabled: boolean }).Enabled).toBe(true);
  });
});

describe('asynchronous functions: retries, then a dead-letter destination', () => {
  it('each S3/SNS-triggered function sends failures to its own encrypted, TLS-only queue after two retries', () => {
    const configs = ofType(s, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties!);
    expect(configs).toHaveLength(asyncIds.length);
    for (const id of asyncIds) {
      const { dlq } = built(id);
      expect(dlq, id).toBeDefined();
      const dlqId = idOf(s, dlq!);
      const c = configs.find((x) => x.FunctionName && referencedIds(x.FunctionName).has(fnLogicalId(id)))!;
      expect(c, id).toBeDefined();
      expect(c.MaximumRetryAttempts).toBe(2);
      expect(referencedIds(c.DestinationConfig)).toEqual(new Set([dlqId]));
      expect(JSON.stringify(c.DestinationConfig)).toContain('OnFailure');
      expect(props(dlqId).SqsManagedSseEnabled).toBe(true);
      const [, qp] = ofType(s, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        referencedIds(p.Properties!.Queues).has(dlqId),
      )!;
      expect(JSON.stringify(qp.Properties!.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
    expect(built('stream-transform').dlq).toBeUndefined(); // synchronous: Firehose retries and writes failures
  });

  it('every function logs to its own log group with a retention', () => {
    for (const id of fnIds) {
      const lc = props(fnLogicalId(id)).LoggingConfig as { LogGroup: unknown };
      const [lg] = [...referencedIds(lc.LogGroup)];
      expect(resourceOf(lg!).Type).toBe('AWS::Logs::LogGroup');
      expect(props(lg!).RetentionInDays).toBe(30);
    }
  });
});

describe('least privilege', () => {
  const policies = () =>
    ofType(s, 'AWS::IAM::Policy').flatMap(([id, p]) =>
      (
        p.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }
      ).Statement.map((st) => ({ id, ...st })),
    );

  it('no statement allows "*" or a service-wide wildcard, and none but CDK’s notification handler uses Resource "*"', () => {
    for (const st of policies()) {
      for (const a of asArray(st.Action)) {
        expect(a, st.id).not.toBe('*');
        expect(a, st.id).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
      if (asArray(st.Resource).includes('*')) {
        expect(st.id).toMatch(/^BucketNotificationsHandler/);
        expect(asArray(st.Action)).toEqual(['s3:PutBucketNotification']);
      }
    }
  });

  it('function roles have no managed policies and reference only their own resources', () => {
    const r = s.stack.resources;
    const refId = (kind: string, name: string) => {
      const m = {
        bucket: r.buckets,
        table: r.tables,
        topic: r.topics,
        secret: r.secrets,
        stream: r.streams,
        cdn: r.distributions,
      }[kind]!;
      return idOf(s, (m as Map<string, never>).get(name)!);
    };
    for (const spec of allFunctions()) {
      const b = built(spec.id);
      const roleId = idOf(s, b.role);
      expect(props(roleId).ManagedPolicyArns, spec.id).toBeUndefined();
      const allowed = new Set([
        idOf(s, b.logGroup),
        ...spec.access.map((a) => refId(a.resource.kind, a.resource.name)),
      ]);
      if (b.dlq) allowed.add(idOf(s, b.dlq));
      const statements = roleStatements(s, roleId);
      expect(statements.length, spec.id).toBeGreaterThan(0);
      const used = referencedIds(statements.map((st) => st.Resource));
      expect(
        [...used].filter((x) => !allowed.has(x)),
        spec.id,
      ).toEqual([]);
      // …and every declared access is actually granted.
      for (const a of spec.access)
        expect(used.has(refId(a.resource.kind, a.resource.name)), spec.id).toBe(true);
    }
  });

  it('grants match the access modes: the image function cannot write uploads, the loader cannot read the table', () => {
    const actionsOn = (fnId: string, resourceId: string) =>
      roleStatements(s, idOf(s, built(fnId).role))
        .filter((st) => referencedIds(st.Resource).has(resourceId))
        .flatMap((st) => asArray(st.Action));
    const r = s.stack.resources;
    const uploads = actionsOn('image-resize', idOf(s, r.buckets.get('uploads')!));
    expect(uploads).toContain('s3:GetObject*');
    expect(uploads.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'))).toBe(false);
    const display = actionsOn('image-resize', idOf(s, r.buckets.get('display')!));
    expect(display).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject*']));
    const events = actionsOn('stream-loader', idOf(s, r.tables.get('events')!));
    expect(events).toContain('dynamodb:BatchWriteItem');
    expect(events.some((a) => a.includes('GetItem') || a.includes('Query') || a.includes('Scan'))).toBe(
      false,
    );
    const secret = actionsOn('alarm-to-slack', idOf(s, r.secrets.get('slack-webhook')!));
    expect(secret).toContain('secretsmanager:GetSecretValue');
    expect(secret.some((a) => a.startsWith('secretsmanager:Put'))).toBe(false);
  });

  it('Firehose may invoke only its transform and write only the lake', () => {
    const stream = s.stack.resources.streams.get('events')!;
    const roles = [
      ...stream.node.findAll().filter((c) => c instanceof iam.Role),
      s.stack.resources.streamWiring.get('events')!.role,
    ];
    const statements = roles.flatMap((role) => roleStatements(s, idOf(s, role)));
    expect(statements.length).toBeGreaterThan(0);
    const used = referencedIds(statements.map((st) => st.Resource));
    const expected = new Set([
      idOf(s, s.stack.resources.buckets.get('lake')!),
      fnLogicalId('stream-transform'),
    ]);
    for (const id of used) {
      if (resourceOf(id).Type.startsWith('AWS::Logs::')) continue;
      expect(expected.has(id), id).toBe(true);
    }
  });
});

describe('encryption and TLS', () => {
  it('every bucket blocks public access, is encrypted, denies non-TLS and TLS < 1.2', () => {
    const buckets = ofType(s, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(4);
    for (const [id, b] of buckets) {
      const p = b.Properties!;
      expect(p.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(JSON.stringify(p.BucketEncryption), id).toContain('"SSEAlgorithm":"AES256"');
      const policy = ofType(s, 'AWS::S3::BucketPolicy').find(([, bp]) =>
        referencedIds(bp.Properties!.Bucket).has(id),
      );
      expect(policy, id).toBeDefined();
      const statements = (
        policy![1].Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }
      ).Statement;
      expect(statements, id).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      expect(statements, id).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      );
    }
  });

  it('pipeline buckets send server access logs to the access-log bucket', () => {
    const logsId = idOf(s, s.stack.resources.accessLogs);
    for (const [name, bucket] of s.stack.resources.buckets) {
      const lc = props(idOf(s, bucket)).LoggingConfiguration as {
        DestinationBucketName: unknown;
        LogFilePrefix: string;
      };
      expect(referencedIds(lc.DestinationBucketName), name).toEqual(new Set([logsId]));
      expect(lc.LogFilePrefix).toBe(`s3/${name}/`);
    }
  });

  it('the alarms topic is KMS-encrypted with a rotating key CloudWatch may use, and requires TLS', () => {
    const topicId = idOf(s, s.stack.resources.topics.get('alarms')!);
    const keyId = idOf(s, s.stack.resources.topicKey);
    expect(referencedIds(props(topicId).KmsMasterKeyId)).toEqual(new Set([keyId]));
    expect(props(keyId).EnableKeyRotation).toBe(true);
    expect(JSON.stringify(props(keyId).KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });
});

describe('operational alarms', () => {
  type AlarmProps = Record<string, unknown> & { id: string };
  const alarms = (): AlarmProps[] =>
    ofType(s, 'AWS::CloudWatch::Alarm').map(([id, a]) => ({
      ...(a.Properties as Record<string, unknown>),
      id,
    }));

  it('every alarm publishes ALARM and OK to the alarms topic', () => {
    const topic = { Ref: idOf(s, s.stack.resources.topics.get('alarms')!) };
    const all = alarms();
    // errors + throttles per function, DLQ depth per async function, four per delivery stream plus partition
    // overflow for the dynamically partitioned one
    expect(all).toHaveLength(2 * fnIds.length + asyncIds.length + 5);
    for (const a of all) {
      expect(a.AlarmActions, a.id).toEqual([topic]);
      expect(a.OKActions, a.id).toEqual([topic]);
    }
  });

  it('covers function errors and throttles, DLQ depth, Firehose freshness and failures, loader errors', () => {
    const all = alarms();
    const named = (n: string) => all.find((a) => a.AlarmName === `EventPipelines-${n}`);
    for (const id of fnIds) {
      expect(named(`${id}-errors`)?.MetricName, id).toBe('Errors');
      expect(named(`${id}-throttles`)?.MetricName, id).toBe('Throttles');
      expect(referencedIds(named(`${id}-errors`)!.Dimensions)).toEqual(new Set([fnLogicalId(id)]));
    }
    for (const id of asyncIds) {
      const a = named(`${id}-dlq-not-empty`)!;
      expect(a.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(a.Namespace).toBe('AWS/SQS');
      expect(referencedIds(a.Dimensions)).toEqual(new Set([idOf(s, built(id).dlq!)]));
    }
    expect(named('stream-loader-errors')).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1 });
    const fresh = named('stream-events-freshness')!;
    expect(fresh).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.DataFreshness',
      Threshold: 900,
    });
    expect(named('stream-events-s3-delivery-failures')).toMatchObject({
      MetricName: 'DeliveryToS3.Success',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
    });
    expect(named('stream-events-processing-failures')).toMatchObject({
      MetricName: 'ExecuteProcessing.Success',
      ComparisonOperator: 'LessThanThreshold',
    });
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('reports no unacknowledged finding (errors or warnings) on the whole app', () => {
    const report = new AwsSolutionsChecks(s.app).validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId ?? ''}`),
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgment carries a specific written reason', () => {
    const acks = s.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) {
      expect(reason.length, id).toBeGreaterThan(60);
      expect(id).toMatch(/^(Annotation::)?(AwsSolutions-|CloudFormation-Validate::)/);
    }
  });

  it('the stack carries no CDK warnings or errors', () => {
    const anns = Annotations.fromStack(s.stack);
    expect(anns.findError('*', Match.anyValue())).toEqual([]);
    expect(anns.findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('function assets', () => {
  const assetDir = (id: string): string => {
    const code = props(fnLogicalId(id)).Code as { S3Key: string };
    const dir = path.join(s.assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(existsSync(dir), dir).toBe(true);
    return dir;
  };
  const files = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
  /** ELF e_machine: 183 = AArch64, 62 = x86-64; undefined for non-ELF files. */
  const elfMachine = (file: string): number | undefined => {
    const head = readFileSync(file).subarray(0, 20);
    if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    return head.readUInt16LE(18);
  };

  it('the image function ships sharp with the linux-arm64 binaries and no other platform’s', () => {
    const dir = assetDir('image-resize');
    const all = files(dir);
    const rel = all.map((f) => path.relative(dir, f));
    const addon = rel.filter((f) =>
      /^node_modules\/@img\/sharp-linux-arm64\/lib\/sharp-linux-arm64.*\.node$/.test(f),
    );
    expect(addon).toHaveLength(1);
    expect(elfMachine(path.join(dir, addon[0]!))).toBe(183);
    const libvips = rel.filter((f) =>
      /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips.*\.so/.test(f),
    );
    expect(libvips.length).toBeGreaterThan(0);
    for (const f of libvips) expect(elfMachine(path.join(dir, f)), f).toBe(183);
    // No binary for the build host (linux-x64) or any other platform.
    expect(rel.filter((f) => /x64|darwin|win32|musl|wasm/.test(f))).toEqual([]);
    for (const f of all) {
      const m = elfMachine(f);
      if (m !== undefined) expect(m, f).toBe(183);
    }
    // sharp is the project's version, loaded at run time from node_modules rather than bundled.
    const version = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
    expect(version(path.join(dir, 'node_modules/sharp/package.json'))).toBe(
      version(path.join(REPO_ROOT, 'node_modules/sharp/package.json')),
    );
    expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toMatch(/from\s*"sharp"/);
  });

  it('the other functions are single ESM bundles with the AWS SDK inside and no node_modules', () => {
    for (const id of fnIds.filter((f) => f !== 'image-resize')) {
      const dir = assetDir(id);
      expect(readdirSync(dir), id).toEqual(['index.mjs']);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __bannerCreateRequire }'), id).toBe(true);
      expect(code, id).not.toMatch(/from\s*"@aws-sdk\//);
    }
  });

  it('each bundle (but the arm64-only image one) loads on Node as ESM and exports handler', () => {
    const valueFor = (ref: unknown): string => {
      const [id] = [...referencedIds(ref)];
      const type = resourceOf(id!).Type;
      if (type === 'AWS::SecretsManager::Secret')
        return 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf';
      if (type === 'AWS::SNS::Topic') return 'arn:aws:sns:us-east-1:123456789012:alarms';
      return `test-${id!.toLowerCase()}`;
    };
    for (const id of fnIds.filter((f) => f !== 'image-resize')) {
      const vars = (props(fnLogicalId(id)).Environment as { Variables: Record<string, unknown> }).Variables;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        NODE_NO_WARNINGS: '1',
      };
      for (const [k, v] of Object.entries(vars)) env[k] = typeof v === 'string' ? v : valueFor(v);
      const out = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          'const m = await import("./index.mjs"); console.log(typeof m.handler);',
        ],
        { cwd: assetDir(id), env, encoding: 'utf8', timeout: 20_000 },
      );
      expect(out.trim(), id).toBe('function');
    }
  });
});
