// The secret kind on AWS: a Secrets Manager secret per SecretSpec (a random placeholder until its value is
// put after deploy, retained on stack deletion), or the existing secret context secretArns names; its ARN in
// environments, the `read` grant, and the acknowledgment that no rotation Lambda is deployed.
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { pascal } from '../functions.ts';
import { ack } from '../nag.ts';
import type { CdkResourceKind } from './types.ts';

export const secretKind: CdkResourceKind<'secret'> = {
  create(ctx, spec) {
    const id = `Secret${pascal(spec.name)}`;
    const existing = ctx.settings.secretArns[spec.name];
    const secret = existing
      ? secretsmanager.Secret.fromSecretCompleteArn(ctx.stack, id, existing)
      : new secretsmanager.Secret(ctx.stack, id, {
          description: `${spec.description}. Set its value after deploy (see infra/cdk/README.md).`,
          removalPolicy: RemovalPolicy.RETAIN,
        });
    new CfnOutput(ctx.stack, `${id}Arn`, { value: secret.secretArn, description: spec.description });
    return secret;
  },
  resolve: (secret) => secret.secretArn,
  grants: {
    read: ({ resource, fn }) => resource.grantRead(fn.fn),
  },
  acknowledge(ctx, created) {
    for (const [name, secret] of created) {
      const { description } = ctx.catalog.resources.secret.find((s) => s.name === name)!;
      ack(
        secret,
        'AwsSolutions-SMG4',
        `Secret "${name}" ("${description}") holds a value issued outside AWS, which the operator puts after ` +
          'deploy (`aws secretsmanager put-secret-value`, see infra/cdk/README.md), so no rotation Lambda can ' +
          'mint a new one. Rotate it at its issuer, then put the new value.',
      );
    }
  },
};
