// The CDN pieces of the synthesized app: the image function learns the distribution id from its
// environment and may CreateInvalidation on that one distribution only; CloudFront sees 404 (not 403) for
// a missing key because it may s3:ListBucket, limited to this distribution by AWS:SourceArn, and `GET /`
// cannot list the bucket because of a default root object. The bucket policy is also evaluated with a
// IAM evaluator of aws-model.ts (explicit Deny > Allow > implicit deny) over the template's own statements.
import { describe, expect, it } from 'vitest';
import { pipelines } from '../../pipelines/index.ts';
import { type PipelineDefinition, ref } from '../../pipelines/types.ts';
import {
  evaluatePolicy,
  type IntrinsicEnv,
  type PolicyStatement,
  resolve as resolveIntrinsics,
} from './aws-model.ts';
import {
  asArray,
  idOf,
  ofType,
  referencedIds,
  roleStatements,
  type Statement,
  synth,
  synthesizedProject,
} from './helpers.ts';

const s = synthesizedProject();

const ACCOUNT = '111122223333';
const distributionId = () => idOf(s, s.stack.resources.cdn.get('display')!);
const bucketId = () => idOf(s, s.stack.resources.bucket.get('display')!);

/** Intrinsics resolved with fixed values: a logical id's Ref stands for its physical name. */
const env = (): IntrinsicEnv => ({
  accountId: ACCOUNT,
  region: 'us-east-1',
  partition: 'aws',
  refs: new Proxy({}, { get: (_t, id) => `physical-${String(id)}` }),
  attrs: new Proxy(
    {},
    {
      get: (_t, key) => {
        const [id = '', attr] = String(key).split('.');
        return attr === 'Arn' && s.json.Resources[id]?.Type === 'AWS::S3::Bucket'
          ? `arn:aws:s3:::physical-${id}`
          : undefined;
      },
    },
  ),
});
const resolve = (v: unknown) => resolveIntrinsics(v, env());

interface Request {
  service: string;
  action: string;
  resource: string;
  context: Record<string, string>;
}

/** The bucket policy's decision for a request by an AWS service principal (aws-model.ts's IAM evaluator). */
const decide = (statements: Statement[], req: Request) =>
  evaluatePolicy(statements as unknown as PolicyStatement[], {
    principal: { service: req.service },
    action: req.action,
    resource: req.resource,
    context: req.context,
  });

describe('image function and its CDN', () => {
  it('gets the distribution id as CDN_DISTRIBUTION_ID', () => {
    const fn = s.stack.resources.functions.get('image-resize')!;
    const [, resource] = ofType(s, 'AWS::Lambda::Function').find(([id]) => id === idOf(s, fn.fn))!;
    const env = (resource.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.CDN_DISTRIBUTION_ID).toEqual({ Ref: distributionId() });
  });

  it('may cloudfront:CreateInvalidation on that distribution only, and no other function may touch CloudFront', () => {
    for (const built of s.stack.resources.functions.values()) {
      const cf = roleStatements(s, idOf(s, built.role)).filter((st) =>
        asArray(st.Action).some((a) => String(a).startsWith('cloudfront:')),
      );
      if (built.spec.id !== 'image-resize') {
        expect(cf, built.spec.id).toEqual([]);
        continue;
      }
      expect(cf).toHaveLength(1);
      expect(cf[0]).toMatchObject({ Effect: 'Allow', Action: 'cloudfront:CreateInvalidation' });
      expect(asArray(resolve(cf[0]!.Resource))).toEqual([
        `arn:aws:cloudfront::${ACCOUNT}:distribution/physical-${distributionId()}`,
      ]);
    }
  });

  it('refuses an invalidate grant on a bucket, and a cdn ref to a bucket without a CDN', () => {
    const fn = pipelines[0]!.functions[0]!;
    const withAccess = (access: PipelineDefinition['functions'][number]['access']): PipelineDefinition[] => [
      { ...pipelines[0]!, functions: [{ ...fn, access }] },
      ...pipelines.slice(1),
    ];
    expect(() =>
      synth({
        bundle: false,
        pipelines: withAccess([{ resource: ref.bucket('display'), mode: 'invalidate' }]),
      }),
    ).toThrow(/mode invalidate does not apply to a bucket/);
    expect(() =>
      synth({ bundle: false, pipelines: withAccess([{ resource: ref.cdn('uploads'), mode: 'invalidate' }]) }),
    ).toThrow(/access\[0\]: no pipeline declares cdn "uploads"/);
  }, 120_000); // two syntheses
});

describe('missing variants are 404 through CloudFront, and the bucket stays unlisted', () => {
  const policy = (): Statement[] => {
    const [, p] = ofType(s, 'AWS::S3::BucketPolicy').find(([, x]) =>
      referencedIds(x.Properties?.Bucket).has(bucketId()),
    )!;
    return (resolve(p.Properties!.PolicyDocument) as { Statement: Statement[] }).Statement;
  };
  const bucketArn = () => `arn:aws:s3:::physical-${bucketId()}`;
  const distributionArn = () => `arn:aws:cloudfront::${ACCOUNT}:distribution/physical-${distributionId()}`;
  const viaCloudFront = (action: string, resource: string, sourceArn = distributionArn()): Request => ({
    service: 'cloudfront.amazonaws.com',
    action,
    resource,
    context: { 'AWS:SourceArn': sourceArn, 'aws:SecureTransport': 'true', 's3:TlsVersion': '1.3' },
  });

  it('sets a default root object, so `GET /` is a GetObject (404), never a listing', () => {
    const [, dist] = ofType(s, 'AWS::CloudFront::Distribution')[0]!;
    expect((dist.Properties!.DistributionConfig as { DefaultRootObject?: string }).DefaultRootObject).toBe(
      'index.html',
    );
  });

  it('lets this distribution, and only it, s3:ListBucket (S3 then answers 404 for a missing key)', () => {
    const list = policy().find((st) => asArray(st.Action).includes('s3:ListBucket'))!;
    expect(list).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(list.Resource).toBe(bucketArn()); // the bucket, not its objects
    expect(decide(policy(), viaCloudFront('s3:ListBucket', bucketArn()))).toBe('Allow');
    const other = `arn:aws:cloudfront::${ACCOUNT}:distribution/EOTHERDIST`;
    expect(decide(policy(), viaCloudFront('s3:ListBucket', bucketArn(), other))).toBe('ImplicitDeny');
  });

  it('still serves variants and still denies the private prefixes to CloudFront (explicit Deny wins)', () => {
    expect(decide(policy(), viaCloudFront('s3:GetObject', `${bucketArn()}/thumb/a.jpg`))).toBe('Allow');
    expect(decide(policy(), viaCloudFront('s3:GetObject', `${bucketArn()}/_rejected/a.jpg.json`))).toBe(
      'ExplicitDeny',
    );
    // Nothing but reading and listing: no writes for CloudFront.
    expect(decide(policy(), viaCloudFront('s3:PutObject', `${bucketArn()}/thumb/a.jpg`))).toBe(
      'ImplicitDeny',
    );
  });
});
