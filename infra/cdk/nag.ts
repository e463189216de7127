// cdk-nag (v3) acknowledgments for AwsSolutionsChecks, each on the narrowest construct that raises it and
// with the reason it is accepted. Findings are acknowledged one by one (`Rule[Finding]`), never a whole rule
// on the stack, so a new wildcard or a new resource still fails synthesis. Rule ids are cdk-nag's; the
// reasons are ours. Here: the helpers and what every function raises; a finding that comes from a kind (a
// grant on a bucket, a distribution, a delivery stream's role …) is acknowledged by that kind's plug-in
// (kinds/). Keep infra/cdk/README.md (section "Security settings and cdk-nag") in step.
import { type CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DEFAULT_RUNTIME } from '../../pipelines/types.ts';
import type { BuiltFunction } from './functions.ts';

export function ack(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The logical id cdk-nag prints for a construct's resource in a finding (e.g. `<BucketLake….Arn>`). */
export const logicalId = (stack: Stack, c: IConstruct): string =>
  stack.getLogicalId(c.node.defaultChild as CfnResource);

/**
 * What a function raises whatever its trigger and access: a pinned runtime, its dead-letter queue, and, in a
 * VPC, the network-interface actions Lambda needs on Resource "*".
 */
export function acknowledgeFunction({ spec, fn, role, dlq, placement }: BuiltFunction): void {
  if (placement) {
    ack(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      `${spec.id} runs in the stack's VPC: Lambda creates, describes and deletes its network interfaces with ` +
        'the execution role (Lambda Developer Guide, VPC configuration; the actions of AWSLambdaVPCAccessExecutionRole ' +
        'without its log wildcard). ec2:DescribeNetworkInterfaces works only on "*" and the interfaces do not exist ' +
        'before Lambda creates them, so these six EC2 actions, and nothing else, are on "*".',
    );
  }
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
  if (dlq) {
    ack(
      dlq,
      'AwsSolutions-SQS3',
      `This queue IS the dead-letter destination of ${spec.id} (Lambda on-failure destination after two ` +
        'retries); a DLQ of a DLQ would only move the problem. Its depth has an alarm.',
    );
  }
}
