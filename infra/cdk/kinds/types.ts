// What a kind plug-in of the CDK app is: one resource kind (create each declared resource, resolve it for
// environments, grant each access mode, its alarms and cdk-nag acknowledgments) or one trigger kind (attach a
// function to its source). The stack (../stack.ts) only loops over the registries in ./index.ts.
import type { Stack } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
import type { DeploySettings } from '../settings.ts';

/** The construct the CDK plug-in of each resource kind creates for one declared resource. */
export interface CdkResources {
  bucket: s3.Bucket;
  cdn: cloudfront.Distribution;
  topic: sns.Topic;
  table: dynamodb.Table;
  secret: secretsmanager.ISecret;
  stream: firehose.DeliveryStream;
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
