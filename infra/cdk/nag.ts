// cdk-nag (v3) acknowledgments for AwsSolutionsChecks, each on the narrowest construct that raises it and
// with the reason it is accepted. Findings are acknowledged one by one (`Rule[Finding]`), never a whole rule
// on the stack, so a new wildcard or a new resource still fails synthesis. Rule ids are cdk-nag's; the
// reasons are ours. Keep infra/cdk/README.md (section "cdk-nag") in step with this file.
import { type CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type AccessMode, DEFAULT_RUNTIME } from '../../pipelines/types.ts';
import type { PipelineResources } from './resources.ts';
import type { DeploySettings } from './settings.ts';

function ack(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

const logicalId = (stack: Stack, c: IConstruct): string =>
  stack.getLogicalId(c.node.defaultChild as CfnResource);

/** Wildcard actions that CDK's bucket grants (grantRead/grantWrite/grantReadWrite) put in a policy. */
const BUCKET_GRANT_ACTIONS: Record<Exclude<AccessMode, 'publish' | 'invalidate'>, string[]> = {
  read: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
  write: ['s3:DeleteObject*', 's3:Abort*'],
  readwrite: ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'],
};

const BUCKET_GRANT_REASON =
  'CDK bucket grant from the pipeline definition (access mode "%MODE%"): the action families cover the object ' +
  'operations the mode needs (e.g. GetObject + GetObjectVersion, PutObject + multipart abort), and every ' +
  'statement is scoped to this one bucket and its objects, never to other buckets or "*".';

export function acknowledgeFindings(stack: Stack, res: PipelineResources, settings: DeploySettings): void {
  // --- Lambda functions ----------------------------------------------------------------------------------
  for (const { spec, fn, role, dlq } of res.functions.values()) {
    // The default runtime (pipelines/types.ts) is the newest Node runtime CDK knows, so L1 passes; a function
    // whose definition pins an older one is acknowledged, and says so.
    if (spec.runtime !== undefined && spec.runtime !== DEFAULT_RUNTIME) {
      ack(
        fn,
        'AwsSolutions-L1',
        `${spec.id}'s pipeline definition pins ${spec.runtime} (the default is ${DEFAULT_RUNTIME}); ` +
          'the pin is a deliberate choice made in the definition, visible in the template, not an oversight.',
      );
    }
    for (const { resource, mode } of spec.access) {
      if (resource.kind === 'topic') {
        ack(
          role,
          'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          `${spec.id} publishes to the KMS-encrypted topic "${resource.name}": SNS needs a data key from the ` +
            "topic's own key (GenerateDataKey and GenerateDataKeyWithoutPlaintext); the grant names that key only.",
        );
      }
      if (resource.kind !== 'bucket' || mode === 'publish' || mode === 'invalidate') continue;
      const bucket = res.buckets.get(resource.name)!;
      const reason = BUCKET_GRANT_REASON.replace('%MODE%', mode);
      for (const action of BUCKET_GRANT_ACTIONS[mode])
        ack(role, `AwsSolutions-IAM5[Action::${action}]`, reason);
      ack(
        role,
        `AwsSolutions-IAM5[Resource::<${logicalId(stack, bucket)}.Arn>/*]`,
        `${spec.id} reads/writes arbitrary object keys (user uploads, derived variants, Firehose objects) in ` +
          `bucket "${resource.name}", so object access is granted on that bucket's objects only.`,
      );
    }
    if (dlq) {
      ack(
        dlq,
        'AwsSolutions-SQS3',
        `This queue IS the dead-letter destination of ${spec.id} (Lambda on-failure destination after two ` +
          'retries); a DLQ of a DLQ would only move the problem. Its depth has an alarm.',
      );
    }
  }

  // --- Delivery streams -----------------------------------------------------------------------------------
  for (const wiring of res.streamWiring.values()) {
    const processor = res.functions.get(wiring.processor)!;
    const bucket = res.buckets.get(wiring.bucket)!;
    ack(
      wiring.role,
      `AwsSolutions-IAM5[Resource::<${logicalId(stack, bucket)}.Arn>/*]`,
      'Firehose writes objects under keys it derives at delivery time (partition prefixes, timestamps, error ' +
        'prefix), so its documented S3 actions (stack.ts FIREHOSE_S3_DESTINATION_ACTIONS, no wildcard) apply ' +
        "to the destination bucket's objects; no other bucket.",
    );
    ack(
      wiring.role,
      `AwsSolutions-IAM5[Resource::<${logicalId(stack, processor.fn)}.Arn>:*]`,
      `Firehose may invoke its transform function ${processor.spec.id} and that function's versions/aliases ` +
        '(`:*` qualifier, as CDK grantInvoke writes it); no other function.',
    );
  }

  // --- CloudFront -----------------------------------------------------------------------------------------
  for (const [name, distribution] of res.distributions) {
    const custom = Boolean(settings.cdnDomains[name]);
    ack(
      distribution,
      'AwsSolutions-CFR1',
      `Bucket "${name}" serves public, non-sensitive image variants to a worldwide audience: no country is ` +
        'restricted. Add geoRestriction here if a legal requirement appears.',
    );
    ack(
      distribution,
      'AwsSolutions-CFR2',
      'Only GET/HEAD of immutable, cached images from a private bucket (OAC); no forms, no origin logic to ' +
        'attack. A WAF web ACL costs at least $5/month plus per-request fees at rest; attach one (webAclId) ' +
        'when the site needs rate limiting.',
    );
    if (!custom) {
      ack(
        distribution,
        'AwsSolutions-CFR4',
        'No custom domain configured: the default *.cloudfront.net certificate has a security policy fixed by ' +
          'CloudFront (TLSv1 minimum). Setting context cdnDomains (ACM certificate + names) switches this ' +
          'distribution to TLSv1.2_2021 and this finding disappears. The origin leg is S3 over HTTPS with OAC.',
      );
    }
  }

  // --- Secrets --------------------------------------------------------------------------------------------
  for (const [name, secret] of res.secrets) {
    ack(
      secret,
      'AwsSolutions-SMG4',
      `Secret "${name}" holds a Slack incoming-webhook URL, issued by Slack: no rotation Lambda can mint a new ` +
        'one. Rotate by creating a new webhook in Slack and `aws secretsmanager put-secret-value` (README).',
    );
  }

  // --- CDK-internal constructs ----------------------------------------------------------------------------
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('BucketNotificationsHandler')) continue;
    ack(
      child,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's own singleton custom resource (Custom::S3BucketNotifications) that writes the buckets' notification " +
        'configuration at deploy time; its role and managed logging policy are fixed by aws-cdk-lib. It never ' +
        'runs on the data path.',
    );
  }
  ack(
    stack,
    'CloudFormation-Validate::W7001',
    'The unused Mapping awscdkawskinesisfirehoseCidrBlocks is emitted by the aws-kinesisfirehose L2 (Firehose ' +
      'CIDR blocks for Redshift/OpenSearch destinations); harmless for an S3 destination.',
  );
}
