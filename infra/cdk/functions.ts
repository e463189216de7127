// Builds one Lambda function from a FunctionSpec: NodejsFunction bundled by the local esbuild (never Docker)
// as ESM for the spec's runtime (pipelines/types.ts, default nodejs24.x) on arm64, its own log group and least-privilege role, sizing from the spec, native
// modules installed for linux-arm64, and, for asynchronous triggers, retries plus an on-failure queue.
import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type FunctionSpec, type NodeRuntime, runtimeOf } from '../../pipelines/types.ts';
import { DEPLOYED_BUNDLE, esbuildTarget } from './bundle-options.ts';
import { copyNativeModulesCommands, REPO_ROOT } from './native-modules.ts';
import type { Placement } from './network.ts';

/** CDK's runtime object for each runtime a definition may name (a new entry there fails to compile here). */
export const LAMBDA_RUNTIMES: Record<NodeRuntime, lambda.Runtime> = {
  'nodejs22.x': lambda.Runtime.NODEJS_22_X,
  'nodejs24.x': lambda.Runtime.NODEJS_24_X,
};
export const ARCHITECTURE = lambda.Architecture.ARM_64;

export interface BuiltFunction {
  spec: FunctionSpec;
  fn: NodejsFunction;
  role: iam.Role;
  logGroup: logs.LogGroup;
  /** On-failure destination of asynchronous invocations (trigger kinds that invoke asynchronously). */
  dlq?: sqs.Queue;
  /** Set when it runs in the stack's VPC (a kind's `placement` of one of its access entries asked for it). */
  placement?: Placement;
}

export interface FunctionOptions {
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  reservedConcurrency: boolean;
  /** Its trigger invokes it asynchronously (kinds/: the trigger kind's `invocation`): retries, then a DLQ. */
  asynchronous: boolean;
  /** Run in the VPC's isolated subnets with these security groups (see network.ts). */
  placement?: Placement;
}

/** What happens to an asynchronous invocation that threw (the retries and destination set below). */
export const ASYNC_ON_ERROR = 'Lambda retries twice, then the event goes to the DLQ.';

export const pascal = (s: string): string =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** Lambda descriptions are capped at 256 characters. */
const clip = (s: string, max = 256): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** How NodejsFunction bundles this function: DEPLOYED_BUNDLE, with the esbuild target of the spec's runtime. */
export function bundlingFor(spec: FunctionSpec): BundlingOptions {
  const nodeModules = spec.nodeModules ?? [];
  return {
    forceDockerBundling: false, // esbuild from node_modules; fails loudly rather than falling back to Docker
    format: OutputFormat.ESM,
    target: esbuildTarget(runtimeOf(spec)),
    mainFields: [...DEPLOYED_BUNDLE.mainFields],
    minify: DEPLOYED_BUNDLE.minify,
    keepNames: DEPLOYED_BUNDLE.keepNames,
    sourceMap: false,
    banner: DEPLOYED_BUNDLE.banner.js,
    // Bundle the AWS SDK (pinned version, tree-shaken) instead of relying on the runtime's copy; native
    // packages stay external and are copied in for linux-arm64 by the hook below.
    externalModules: [...nodeModules],
    logLevel: LogLevel.ERROR,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        copyNativeModulesCommands(nodeModules, outputDir),
    },
  };
}

export function buildFunction(scope: Construct, spec: FunctionSpec, opts: FunctionOptions): BuiltFunction {
  const id = `Fn${pascal(spec.id)}`;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: opts.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Own role instead of the default one: the default attaches the AWS-managed AWSLambdaBasicExecutionRole
  // (logs:CreateLogGroup and writes on every log group); this one may write to its own log group only.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${spec.id}: only what its pipeline definition grants`,
  });
  logGroup.grantWrite(role);

  let dlq: sqs.Queue | undefined;
  if (opts.asynchronous) {
    dlq = new sqs.Queue(scope, `${id}Dlq`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }

  const fn = new NodejsFunction(scope, id, {
    entry: `${REPO_ROOT}/${spec.entry}`,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
    runtime: LAMBDA_RUNTIMES[runtimeOf(spec)],
    architecture: ARCHITECTURE,
    memorySize: spec.memoryMb,
    timeout: Duration.seconds(spec.timeoutSeconds),
    reservedConcurrentExecutions: opts.reservedConcurrency ? spec.reservedConcurrency : undefined,
    description: clip(`${spec.description}. ${spec.memoryMb} MB / ${spec.timeoutSeconds} s: ${spec.sizing}`),
    role,
    logGroup,
    environment: opts.environment,
    // Asynchronous triggers: two retries (Lambda's default, stated), then the event and its error go to the DLQ.
    ...(dlq
      ? { onFailure: new destinations.SqsDestination(dlq), retryAttempts: 2, maxEventAge: Duration.hours(6) }
      : {}),
    bundling: bundlingFor(spec),
    ...(opts.placement
      ? {
          vpc: opts.placement.network.vpc,
          vpcSubnets: opts.placement.network.subnets,
          securityGroups: opts.placement.securityGroups,
        }
      : {}),
  });
  // With its own role, CDK adds no VPC permissions (it would attach AWSLambdaVPCAccessExecutionRole to a role
  // it created); the network grants exactly what Lambda needs to attach the function.
  if (opts.placement) opts.placement.network.allowAttach(role);
  // The full sizing rationale travels with the resource in the template (the description is length-capped).
  (fn.node.defaultChild as CfnResource).addMetadata('Sizing', {
    memoryMb: spec.memoryMb,
    timeoutSeconds: spec.timeoutSeconds,
    reservedConcurrency: spec.reservedConcurrency ?? null,
    reason: spec.sizing,
  });
  return { spec, fn, role, logGroup, dlq, ...(opts.placement ? { placement: opts.placement } : {}) };
}
