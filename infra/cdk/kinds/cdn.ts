// The cdn kind on AWS: a CloudFront distribution in front of each `cdn: true` bucket, with Origin Access
// Control (the bucket stays private), 404 rather than 403 for missing keys, private prefixes denied, a custom
// domain from context cdnDomains; its distribution id in environments, the `invalidate` grant, and the
// cdk-nag acknowledgments of a distribution.
import { CfnOutput } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import { pascal } from '../functions.ts';
import { ack } from '../nag.ts';
import type { CdkResourceKind } from './types.ts';

/** Object CloudFront asks for on `GET /` of a CDN bucket; never written, so `/` answers 404. */
export const CDN_DEFAULT_ROOT_OBJECT = 'index.html';

export const cdnKind: CdkResourceKind<'cdn'> = {
  checkSettings(settings, declared) {
    const unknown = Object.keys(settings.cdnDomains).filter((b) => !declared.some((c) => c.name === b));
    if (unknown.length)
      throw new Error(`context cdnDomains names buckets without cdn: ${unknown.join(', ')}`);
  },
  needs: (spec) => ({ resources: [{ kind: 'bucket', name: spec.name }] }),
  create(ctx, spec) {
    const bucket = ctx.resources.bucket.get(spec.name)!;
    const bucketSpec = ctx.catalog.resources.bucket.find((b) => b.name === spec.name)!;
    const domain = ctx.settings.cdnDomains[spec.name];
    const distribution = new cloudfront.Distribution(ctx.stack, `Cdn${pascal(spec.name)}`, {
      comment: `${spec.name}: ${bucketSpec.description}`.slice(0, 128),
      defaultBehavior: {
        // Origin Access Control: only this distribution may read the bucket (SigV4-signed, bucket stays private).
        origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      // With s3:ListBucket granted below, `GET /` would be a ListObjects of the bucket; a default root object
      // (which no pipeline writes: keys it serves have a `<prefix>/`) turns it into a GetObject → 404.
      defaultRootObject: CDN_DEFAULT_ROOT_OBJECT,
      // With the default *.cloudfront.net certificate CloudFront fixes the policy at TLSv1; with a custom
      // domain (context cdnDomains) viewers must use TLS 1.2 or later.
      ...(domain
        ? {
            certificate: acm.Certificate.fromCertificateArn(
              ctx.stack,
              `Cdn${pascal(spec.name)}Cert`,
              domain.certificateArn,
            ),
            domainNames: domain.domainNames,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      enableLogging: true,
      logBucket: ctx.accessLogs,
      logFilePrefix: `cloudfront/${spec.name}/`,
    });
    // A missing key must be 404, not 403: S3 answers 404 only to a requester that may s3:ListBucket (S3 API
    // reference, GetObject "Permissions"). Granted to this distribution alone (AWS:SourceArn), on the bucket
    // (listing), not its objects. CloudFront never forwards a query string here (CACHING_OPTIMIZED, no origin
    // request policy), and `/` maps to the default root object, so no viewer request becomes a listing.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CdnSees404ForMissingKeys',
        effect: iam.Effect.ALLOW,
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: { 'AWS:SourceArn': distribution.distributionArn } },
      }),
    );
    // An explicit Deny outranks the Origin Access Control Allow: CloudFront gets 403 for private prefixes.
    if (spec.privatePrefixes.length) {
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CdnNeverServesPrivatePrefixes',
          effect: iam.Effect.DENY,
          principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
          actions: ['s3:GetObject'],
          resources: spec.privatePrefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    new CfnOutput(ctx.stack, `Cdn${pascal(spec.name)}Domain`, {
      value: distribution.distributionDomainName,
      description: `HTTPS domain serving bucket ${spec.name}`,
    });
    return distribution;
  },
  resolve: (distribution) => distribution.distributionId,
  grants: {
    // cloudfront:CreateInvalidation on this one distribution's ARN, nothing else.
    invalidate: ({ resource, fn }) => resource.grantCreateInvalidation(fn.fn),
  },
  vpcAccess({ fn }) {
    // CloudFront's API has no VPC endpoint, and the VPC has no NAT gateway: refuse rather than deploy a
    // function whose invalidations could never arrive.
    throw new Error(
      `function ${fn.spec.id} runs in the VPC (no NAT) and cannot reach the CloudFront API to invalidate`,
    );
  },
  acknowledge(ctx, created) {
    for (const [name, distribution] of created) {
      ack(
        distribution,
        'AwsSolutions-CFR1',
        `\`cdn: true\` publishes bucket "${name}" to the internet for a worldwide audience: no country is ` +
          'restricted. Add geoRestriction here if a legal requirement appears.',
      );
      ack(
        distribution,
        'AwsSolutions-CFR2',
        'Only GET/HEAD of cached objects from a private bucket (OAC); no forms, no origin logic to attack. A ' +
          'WAF web ACL costs at least $5/month plus per-request fees at rest; attach one (webAclId) when the ' +
          'site needs rate limiting.',
      );
      if (!ctx.settings.cdnDomains[name]) {
        ack(
          distribution,
          'AwsSolutions-CFR4',
          'No custom domain configured: the default *.cloudfront.net certificate has a security policy fixed by ' +
            'CloudFront (TLSv1 minimum). Setting context cdnDomains (ACM certificate + names) switches this ' +
            'distribution to TLSv1.2_2021 and this finding disappears. The origin leg is S3 over HTTPS with OAC.',
        );
      }
    }
  },
};
