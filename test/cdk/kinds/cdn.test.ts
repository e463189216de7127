// The cdn kind on AWS (infra/cdk/kinds/cdn.ts), on the template synthesized from the real definitions
// (without bundling): a CloudFront distribution with Origin Access Control in front of each `cdn: true`
// bucket only, logging to the access-log bucket, and a bucket policy that admits that distribution alone.
// What the bucket policy then allows (404 for missing keys, private prefixes) is in test/cdk/cdn.test.ts.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { catalog, idOf, ofType, referencedIds, synthesizedProject } from '../helpers.ts';

const s = synthesizedProject();

describe('CDN of a bucket', () => {
  it('one distribution per `cdn: true` bucket, none for the others', () => {
    const names = catalog.resources.bucket.filter((b) => b.cdn).map((b) => b.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(catalog.resources.bucket.length);
    s.template.resourceCountIs('AWS::CloudFront::Distribution', names.length);
    expect([...s.stack.resources.cdn.keys()].sort()).toEqual([...names].sort());
  });

  it('puts CloudFront with Origin Access Control in front of its bucket, the only one it reads', () => {
    s.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    for (const [name, distribution] of s.stack.resources.cdn) {
      const bucket = idOf(s, s.stack.resources.bucket.get(name)!);
      const config = (s.json.Resources[idOf(s, distribution)]!.Properties!.DistributionConfig ?? {}) as {
        Origins: Array<{ DomainName: unknown; OriginAccessControlId: unknown; S3OriginConfig: unknown }>;
        DefaultCacheBehavior: { ViewerProtocolPolicy: string };
        Logging: { Bucket: unknown };
      };
      expect(config.Origins, name).toHaveLength(1);
      expect(referencedIds(config.Origins[0]!.DomainName)).toEqual(new Set([bucket]));
      expect(config.Origins[0]!.OriginAccessControlId).toBeDefined();
      expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
      expect(referencedIds(config.Logging.Bucket)).toEqual(new Set([idOf(s, s.stack.accessLogs)]));
      // The bucket policy lets only this distribution (AWS:SourceArn) read objects.
      const [, policy] = ofType(s, 'AWS::S3::BucketPolicy').find(([, p]) =>
        referencedIds(p.Properties?.Bucket).has(bucket),
      )!;
      const statements = (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> })
        .Statement;
      const cf = statements.find(
        (st) =>
          st.Effect === 'Allow' &&
          st.Action === 's3:GetObject' &&
          JSON.stringify(st.Principal).includes('cloudfront.amazonaws.com'),
      )!;
      expect(cf, name).toBeDefined();
      expect(JSON.stringify(cf.Condition)).toContain('AWS:SourceArn');
      expect(referencedIds(cf.Condition)).toEqual(new Set([idOf(s, distribution)]));
    }
  });

  it("denies display's private prefix (_rejected/) to CloudFront, whatever the Allow says", () => {
    const display = idOf(s, s.stack.resources.bucket.get('display')!);
    const [, policy] = ofType(s, 'AWS::S3::BucketPolicy').find(([, p]) =>
      referencedIds(p.Properties?.Bucket).has(display),
    )!;
    const statements = (policy.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> })
      .Statement;
    const deny = statements.find((st) => st.Sid === 'CdnNeverServesPrivatePrefixes')!;
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:GetObject' });
    expect(JSON.stringify(deny.Principal)).toContain('cloudfront.amazonaws.com');
    expect(JSON.stringify(deny.Resource)).toContain('/_rejected/*');
  });
});
