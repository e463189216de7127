// The CDK app's generic mapping and deployment settings, synthesized without bundling (fast): context
// parameters (function environment, reserved concurrency, existing secrets, log retention), definitions
// other than the real ones (topic/stream references and grants), definition errors, native-module closure.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NATIVE_DIR, nativeModuleClosure, REPO_ROOT } from '../../infra/cdk/native-modules.ts';
import { pipelines } from '../../pipelines/index.ts';
import { type PipelineDefinition, ref } from '../../pipelines/types.ts';
import {
  asArray,
  idOf,
  ofType,
  referencedIds,
  removeSynthOutput,
  roleStatements,
  synth,
  topicKey,
} from './helpers.ts';

afterAll(removeSynthOutput);

const env = (s: ReturnType<typeof synth>, fnId: string) =>
  (
    ofType(s, 'AWS::Lambda::Function').find(
      ([id]) => id === idOf(s, s.stack.resources.functions.get(fnId)!.fn),
    )![1].Properties!.Environment as { Variables: Record<string, unknown> }
  ).Variables;

describe('deployment settings (CDK context)', () => {
  it('functionEnv sets variants and drop types; reservedConcurrency=false and logRetentionDays apply', () => {
    const variants = JSON.stringify([
      { name: 'thumb', width: 100, height: 100, fit: 'cover', format: 'jpeg' },
    ]);
    const s = synth({
      bundle: false,
      context: {
        // as given on the command line: -c functionEnv='{...}' -c reservedConcurrency=false
        functionEnv: JSON.stringify({
          'image-resize': { VARIANTS: variants },
          'stream-transform': { DROP_TYPES: 'a,b' },
        }),
        reservedConcurrency: 'false',
        logRetentionDays: '7',
      },
    });
    expect(env(s, 'image-resize').VARIANTS).toBe(variants);
    expect(env(s, 'stream-transform').DROP_TYPES).toBe('a,b');
    expect(env(s, 'image-resize').SOURCE_BUCKET).toBeDefined(); // merged, not replaced
    for (const [, fn] of ofType(s, 'AWS::Lambda::Function')) {
      expect(fn.Properties!.ReservedConcurrentExecutions).toBeUndefined();
    }
    for (const [id, lg] of ofType(s, 'AWS::Logs::LogGroup'))
      expect(lg.Properties!.RetentionInDays, id).toBe(7);
  }, 120_000); // the first synthesis of the file also pays for loading aws-cdk-lib

  it('secretArns uses an existing secret instead of creating one, and grants read on it only', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack/prod-AbCdEf';
    const s = synth({ bundle: false, context: { secretArns: { 'slack-webhook': arn } } });
    // every declared secret but the one context names is still created (the generated cursor key among them)
    const declared = pipelines.flatMap((p) => p.resources.secrets ?? []);
    s.template.resourceCountIs('AWS::SecretsManager::Secret', declared.length - 1);
    expect(s.stack.resources.secret.get('slack-webhook')!.secretArn).toBe(arn);
    expect(env(s, 'alarm-to-slack').SLACK_WEBHOOK_SECRET_ARN).toBe(arn);
    const statements = roleStatements(s, idOf(s, s.stack.resources.functions.get('alarm-to-slack')!.role));
    const onSecret = statements.filter((st) => asArray(st.Resource).includes(arn));
    expect(onSecret.flatMap((st) => asArray(st.Action))).toContain('secretsmanager:GetSecretValue');
  });

  it('rejects bad context with a message naming the key', () => {
    expect(() => synth({ bundle: false, context: { functionEnv: '{not json' } })).toThrow(
      /functionEnv.*JSON/,
    );
    expect(() => synth({ bundle: false, context: { functionEnv: { nope: { A: 'b' } } } })).toThrow(
      /unknown functions: nope/,
    );
    expect(() => synth({ bundle: false, context: { logRetentionDays: 8 } })).toThrow(/logRetentionDays/);
    expect(() => synth({ bundle: false, context: { alarmTopic: 'missing' } })).toThrow(/alarmTopic/);
    expect(() =>
      synth({
        bundle: false,
        context: {
          cdnDomains: {
            uploads: { certificateArn: 'arn:aws:acm:us-east-1:1:c/x', domainNames: ['a.example'] },
          },
        },
      }),
    ).toThrow(/cdnDomains.*uploads/);
    // a misspelt secret name would otherwise deploy a new, empty secret beside the existing one
    expect(() =>
      synth({
        bundle: false,
        context: { secretArns: { 'slack-webhok': 'arn:aws:secretsmanager:eu-west-1:1:secret:x-AbCdEf' } },
      }),
    ).toThrow(/secretArns.*slack-webhok/);
  });

  it('cdnDomains attaches the certificate and enforces TLS 1.2 for viewers', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
    const s = synth({
      bundle: false,
      context: { cdnDomains: { display: { certificateArn, domainNames: ['img.example.com'] } } },
    });
    const [, dist] = ofType(s, 'AWS::CloudFront::Distribution')[0]!;
    const config = dist.Properties!.DistributionConfig as {
      Aliases: string[];
      ViewerCertificate: Record<string, unknown>;
    };
    expect(config.Aliases).toEqual(['img.example.com']);
    expect(config.ViewerCertificate).toMatchObject({
      AcmCertificateArn: certificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
  });
});

describe('generic mapping of definitions', () => {
  const entry = 'test/cdk/fixtures/native-handler.ts';
  const extra: PipelineDefinition = {
    name: 'fanout',
    title: 'Test pipeline',
    description: 'publishes to a topic and a stream',
    resources: {
      topics: [{ name: 'notices', description: 'test topic' }],
      buckets: [{ name: 'drop', description: 'test bucket' }],
    },
    functions: [
      {
        id: 'fanout',
        description: 'test function',
        entry,
        trigger: { kind: 's3', bucket: 'drop', events: ['s3:ObjectCreated:*'], filter: { suffix: '.json' } },
        memoryMb: 128,
        timeoutSeconds: 3,
        sizing: 'tiny',
        environment: { TOPIC: ref.topic('notices'), STREAM: ref.stream('events'), MODE: 'literal' },
        access: [
          { resource: ref.topic('notices'), mode: 'publish' },
          { resource: ref.stream('events'), mode: 'write' },
          { resource: ref.bucket('drop'), mode: 'write' },
        ],
      },
    ],
  };

  it('maps topic/stream refs to ARN/name and access entries to publish/put-record grants', () => {
    const s = synth({ bundle: false, pipelines: [...pipelines, extra] });
    const r = s.stack.resources;
    const e = env(s, 'fanout');
    expect(e.TOPIC).toEqual({ Ref: idOf(s, r.topic.get('notices')!) });
    expect(e.STREAM).toEqual({ Ref: idOf(s, r.stream.get('events')!) });
    expect(e.MODE).toBe('literal');
    const statements = roleStatements(s, idOf(s, r.functions.get('fanout')!.role));
    const actionsOn = (id: string) =>
      statements.filter((st) => referencedIds(st.Resource).has(id)).flatMap((st) => asArray(st.Action));
    expect(actionsOn(idOf(s, r.topic.get('notices')!))).toEqual(['sns:Publish']);
    expect(actionsOn(idOf(s, r.stream.get('events')!))).toEqual(
      expect.arrayContaining(['firehose:PutRecord', 'firehose:PutRecordBatch']),
    );
    const drop = actionsOn(idOf(s, r.bucket.get('drop')!));
    expect(drop).toContain('s3:PutObject');
    expect(drop.some((a) => a.startsWith('s3:Get') || a.startsWith('s3:List'))).toBe(false);
    // The encrypted topic's key: publishing needs kms:GenerateDataKey/Decrypt on that key.
    expect(actionsOn(idOf(s, topicKey(s)))).toEqual(expect.arrayContaining(['kms:Decrypt']));
    // Suffix filter, and the new function still gets its DLQ and alarms.
    const notif = ofType(s, 'Custom::S3BucketNotifications').find(([, n]) =>
      referencedIds(n.Properties!.BucketName).has(idOf(s, r.bucket.get('drop')!)),
    )!;
    expect(JSON.stringify(notif[1].Properties!.NotificationConfiguration)).toContain(
      '{"Name":"suffix","Value":".json"}',
    );
    expect(r.functions.get('fanout')!.dlq).toBeDefined();
    const names = ofType(s, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!.AlarmName);
    expect(names).toEqual(
      expect.arrayContaining(['EventPipelines-fanout-errors', 'EventPipelines-fanout-dlq-not-empty']),
    );
  });

  it('refuses definitions that reference undeclared or duplicate resources, naming them', () => {
    const broken: PipelineDefinition = {
      ...extra,
      functions: [{ ...extra.functions[0]!, access: [{ resource: ref.bucket('nowhere'), mode: 'read' }] }],
    };
    expect(() => synth({ bundle: false, pipelines: [...pipelines, broken] })).toThrow(
      /functions.fanout.access\[0\]: no pipeline declares bucket "nowhere"/,
    );
    const dup: PipelineDefinition = {
      ...extra,
      resources: { buckets: [{ name: 'lake', description: 'again' }] },
    };
    expect(() => synth({ bundle: false, pipelines: [...pipelines, dup] })).toThrow(/bucket named "lake"/);
    const badMode: PipelineDefinition = {
      ...extra,
      functions: [{ ...extra.functions[0]!, access: [{ resource: ref.topic('notices'), mode: 'read' }] }],
    };
    expect(() => synth({ bundle: false, pipelines: [...pipelines, badMode] })).toThrow(
      /mode read does not apply/,
    );
  });
});

describe('Lambda-platform native modules', () => {
  it('sharp and its dependencies resolve to linux-arm64 packages of the project’s sharp version', () => {
    const closure = nativeModuleClosure(['sharp']);
    expect(closure).toEqual(
      expect.arrayContaining([
        'sharp',
        '@img/sharp-linux-arm64',
        '@img/sharp-libvips-linux-arm64',
        'detect-libc',
      ]),
    );
    expect(closure.filter((n) => /x64|darwin|win32|musl|wasm/.test(n))).toEqual([]);
    const pin = (file: string) =>
      (JSON.parse(readFileSync(file, 'utf8')) as { dependencies: Record<string, string> }).dependencies.sharp;
    expect(pin(path.join(NATIVE_DIR, 'package.json'))).toBe(pin(path.join(REPO_ROOT, 'package.json')));
  });
});
