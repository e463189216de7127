// What a kind plug-in of the CDK app is: one resource kind (create each declared resource, resolve it for
// environments, grant each access mode, where a function with some access must run and what its access needs
// from a VPC, its alarms and cdk-nag acknowledgments) or one trigger kind (attach a function to its source). The stack (../stack.ts) only loops over the registries in ./index.ts.
import type { Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type {
  AccessMode,
  ResourceKind,
  ResourceRef,
  TriggerKind,
  TriggerOf,
} from '../../../pipelines/types.ts';
import type { Catalog, Declared } from '../../../pipelines/validate.ts';
import type { OperationalAlarms } from '../alarms.ts';
import type { BuiltFunction } from '../functions.ts';
import type { Network, Placement } from '../network.ts';
import type { DeploySettings } from '../settings.ts';

/** The construct the CDK plug-in of each resource kind creates for one declared resource. */
export interface CdkResources {
  bucket: s3.Bucket;
  cdn: cloudfront.Distribution;
  topic: sns.Topic;
  table: dynamodb.Table;
  secret: secretsmanager.ISecret;
  stream: firehose.DeliveryStream;
  /** Its ElastiCache Serverless cache and security groups; `deployed` is unset with `-c cache=false`. */
  cache: CdkCache;
  api: apigw.HttpApi;
}

/** A declared cache, as the cache kind (cache.ts) created it. */
export interface CdkCache {
  name: string;
  deployed?: {
    cache: elasticache.CfnServerlessCache;
    /** The cache's own group: admits Valkey's port from `clients` only. */
    securityGroup: ec2.SecurityGroup;
    /** The group of every function with `connect` access to this cache. */
    clients: ec2.SecurityGroup;
    network: Network;
  };
}

/** What the stack created of each kind, by logical name. */
export type ResourcesByKind = { [K in ResourceKind]: Map<string, CdkResources[K]> };

/** Everything the stack created, by kind and logical name (functions by id): read by alarms, nag and tests. */
export type PipelineResources = ResourcesByKind & { functions: Map<string, BuiltFunction> };

/** What every plug-in hook is given. */
export interface CdkContext {
  stack: Stack;
  catalog: Catalog;
  settings: DeploySettings;
  logRetention: logs.RetentionDays;
  /** Target of S3 server access logs and CloudFront standard logs. */
  accessLogs: s3.Bucket;
  /** What exists so far (while creating) and, in later hooks, everything. */
  resources: PipelineResources;
  alarms: OperationalAlarms;
  /** The stack's VPC (network.ts), created on first call: only when some function must run in it. */
  network(): Network;
}

/** What must exist before a resource can be created: other resources, functions (by id). */
export interface Needs {
  resources?: ResourceRef[];
  functions?: string[];
}

/** One `access` entry being granted: the resource (logical name and construct) and the function. */
export interface Grant<K extends ResourceKind> {
  ctx: CdkContext;
  name: string;
  resource: CdkResources[K];
  fn: BuiltFunction;
}

export interface CdkResourceKind<K extends ResourceKind> {
  /** Settings that name resources of this kind, checked against the declarations before anything is created. */
  checkSettings?(settings: DeploySettings, declared: ReadonlyArray<Declared<K>>): void;
  /** What a declared resource needs first (the stack creates those before it, and fails on a cycle). */
  needs?(spec: Declared<K>): Needs;
  /** Creates one declared resource, with its stack outputs. */
  create(ctx: CdkContext, spec: Declared<K>): CdkResources[K];
  /** Its physical id in a function's environment (name, ARN, distribution id …). */
  resolve(resource: CdkResources[K]): string;
  /**
   * One grant per access mode this kind accepts (pipelines/kinds.ts ACCESS_MODES; a test checks that every
   * one is here), with the cdk-nag acknowledgments that grant needs on the function's role.
   */
  grants: { [M in AccessMode]?: (grant: Grant<K>) => void };
  /**
   * Where a function with this access must run (e.g. a cache's clients: in its VPC, with its clients' security
   * group), asked before the function is built; undefined = anywhere (outside any VPC).
   */
  placement?(resource: CdkResources[K], mode: AccessMode): Placement | undefined;
  /**
   * For a function placed in a VPC: what its access to this resource needs there (a VPC endpoint of the
   * resource's service, nothing for a resource inside the VPC), asked after the grant. Every kind with access
   * modes has it (a test checks), so a VPC function never silently loses the way to what it accesses.
   */
  vpcAccess?(grant: Grant<K>, mode: AccessMode, placement: Placement): void;
  /** Operational alarms on the created resources of this kind (called once, with all of them). */
  alarms?(ctx: CdkContext, created: ReadonlyMap<string, CdkResources[K]>): void;
  /** cdk-nag acknowledgments on the created resources of this kind (called once, with all of them). */
  acknowledge?(ctx: CdkContext, created: ReadonlyMap<string, CdkResources[K]>): void;
}

export interface CdkTriggerKind<K extends TriggerKind> {
  /**
   * How the source invokes the function. Asynchronously: Lambda retries twice, then hands the event to the
   * function's own on-failure queue (functions.ts). Synchronously: the source owns the retries, and `onError`
   * says what it does (in the function's error alarm).
   */
  invocation: { asynchronous: true } | { asynchronous: false; onError: string };
  /** Connects the function to its source (after every resource and function exists). */
  attach(ctx: CdkContext, fn: BuiltFunction, trigger: TriggerOf<K>): void;
  /** Once, after every trigger is attached: constructs CDK added for this kind, their acknowledgments. */
  finish?(ctx: CdkContext): void;
}
