// The bucket kind on AWS (infra/cdk/kinds/bucket.ts), on the template synthesized from the real definitions
// (without bundling): one S3 bucket per declared bucket, each private, encrypted, TLS-only and logging to the
// access-log bucket, and grants that follow the access modes.
import { describe, expect, it } from 'vitest';
import { allFunctions } from '../../../pipelines/index.ts';
import {
  actionsOn as actionsOf,
  catalog,
  idOf,
  ofType,
  propsOf,
  referencedIds,
  refId,
  synthesizedProject,
} from '../helpers.ts';

const s = synthesizedProject();

const props = (logicalId: string) => propsOf(s, logicalId);
const actionsOn = (fnId: string, resourceId: string) => actionsOf(s, fnId, resourceId);

describe('buckets', () => {
  it('creates every declared bucket, plus the access-log bucket', () => {
    const names = catalog.resources.bucket.map((b) => b.name);
    expect(names.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::S3::Bucket', names.length + 1);
    expect([...s.stack.resources.bucket.keys()].sort()).toEqual([...names].sort());
  });

  it('every bucket blocks public access, is encrypted, denies non-TLS and TLS < 1.2', () => {
    const buckets = ofType(s, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(catalog.resources.bucket.length + 1);
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
    const logsId = idOf(s, s.stack.accessLogs);
    expect(s.stack.resources.bucket.size).toBe(catalog.resources.bucket.length);
    for (const [name, bucket] of s.stack.resources.bucket) {
      const lc = props(idOf(s, bucket)).LoggingConfiguration as {
        DestinationBucketName: unknown;
        LogFilePrefix: string;
      };
      expect(referencedIds(lc.DestinationBucketName), name).toEqual(new Set([logsId]));
      expect(lc.LogFilePrefix).toBe(`s3/${name}/`);
    }
  });
});

describe('bucket grants', () => {
  it('each access mode grants what it says on that bucket: read never writes, write never reads', () => {
    const entries = allFunctions().flatMap((f) =>
      f.access.filter((a) => a.resource.kind === 'bucket').map((a) => ({ fn: f.id, ...a })),
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const { fn, resource, mode } of entries) {
      const actions = actionsOn(fn, refId(s, resource));
      const reads = actions.some((a) => a.startsWith('s3:Get') || a.startsWith('s3:List'));
      const writes = actions.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'));
      expect({ fn, bucket: resource.name, reads, writes }).toEqual({
        fn,
        bucket: resource.name,
        reads: mode !== 'write',
        writes: mode !== 'read',
      });
    }
  });

  it('the image function cannot write uploads, and writes and deletes variants in display', () => {
    const uploads = actionsOn('image-resize', idOf(s, s.stack.resources.bucket.get('uploads')!));
    expect(uploads).toContain('s3:GetObject*');
    expect(uploads.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'))).toBe(false);
    const display = actionsOn('image-resize', idOf(s, s.stack.resources.bucket.get('display')!));
    expect(display).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject*']));
  });
});
