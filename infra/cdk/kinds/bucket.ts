// The bucket kind on AWS: an S3 bucket per BucketSpec (public access blocked, SSE-S3, TLS ≥ 1.2 required,
// ACLs off, server access logs, retained on stack deletion), its name in environments, and the read/write/
// readwrite grants with the cdk-nag acknowledgments CDK's bucket grants need, the S3 gateway endpoint for a
// function in the VPC. Its CDN is the cdn kind (cdn.ts).
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { pascal } from '../functions.ts';
import { ack, logicalId } from '../nag.ts';
import type { CdkResourceKind, Grant } from './types.ts';

/** Wildcard actions that CDK's bucket grants (grantRead/grantWrite/grantReadWrite) put in a policy. */
const BUCKET_GRANT_ACTIONS = {
  read: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
  write: ['s3:DeleteObject*', 's3:Abort*'],
  readwrite: ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'],
} as const;

const BUCKET_GRANT_REASON =
  'CDK bucket grant from the pipeline definition (access mode "%MODE%"): the action families cover the object ' +
  'operations the mode needs (e.g. GetObject + GetObjectVersion, PutObject + multipart abort), and every ' +
  'statement is scoped to this one bucket and its objects, never to other buckets or "*".';

/** The findings a CDK bucket grant raises on the grantee's role, acknowledged one by one. */
function acknowledgeGrant(
  { ctx, name, resource, fn }: Grant<'bucket'>,
  mode: keyof typeof BUCKET_GRANT_ACTIONS,
) {
  const reason = BUCKET_GRANT_REASON.replace('%MODE%', mode);
  for (const action of BUCKET_GRANT_ACTIONS[mode])
    ack(fn.role, `AwsSolutions-IAM5[Action::${action}]`, reason);
  ack(
    fn.role,
    `AwsSolutions-IAM5[Resource::<${logicalId(ctx.stack, resource)}.Arn>/*]`,
    `${fn.spec.id} reads/writes object keys that are not known in advance (whatever its pipeline's producers ` +
      `name them) in bucket "${name}", so object access is granted on that bucket's objects only.`,
  );
}

export const bucketKind: CdkResourceKind<'bucket'> = {
  create(ctx, spec) {
    const id = `Bucket${pascal(spec.name)}`;
    const bucket = new s3.Bucket(ctx.stack, id, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: ctx.accessLogs,
      serverAccessLogsPrefix: `s3/${spec.name}/`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(ctx.stack, `${id}Name`, { value: bucket.bucketName, description: spec.description });
    return bucket;
  },
  resolve: (bucket) => bucket.bucketName,
  grants: {
    read: (g) => {
      g.resource.grantRead(g.fn.fn);
      acknowledgeGrant(g, 'read');
    },
    write: (g) => {
      g.resource.grantWrite(g.fn.fn);
      acknowledgeGrant(g, 'write');
    },
    readwrite: (g) => {
      g.resource.grantReadWrite(g.fn.fn);
      acknowledgeGrant(g, 'readwrite');
    },
  },
  // From a VPC: the S3 gateway endpoint (free; a route in the isolated subnets' route tables).
  vpcAccess: (_g, _mode, { network, securityGroups }) =>
    network.gatewayEndpoint(ec2.GatewayVpcEndpointAwsService.S3, securityGroups),
};
