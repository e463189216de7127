// The one stack holding every pipeline, built generically from `pipelines/index.ts`: the definitions are
// validated, then each declared resource is created by the plug-in of its kind (kinds/), each FunctionSpec
// becomes a function whose environment references are resolved and whose `access` entries are granted by
// those plug-ins (nothing else is granted), and each trigger is attached by the plug-in of its kind. No kind
// and no pipeline is named here: what must exist first is what the plug-ins and definitions declare.
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { RESOURCE_KINDS } from '../../pipelines/kinds.ts';
import type { AccessMode, PipelineDefinition, ResourceKind, ResourceRef } from '../../pipelines/types.ts';
import {
  type Catalog,
  type CatalogFunction,
  type Declared,
  validateDefinitions,
} from '../../pipelines/validate.ts';
import { addFunctionAlarms, OperationalAlarms } from './alarms.ts';
import { ASYNC_ON_ERROR, type BuiltFunction, buildFunction } from './functions.ts';
import {
  type CdkContext,
  type CdkResourceKind,
  createdOf,
  type Needs,
  type PipelineResources,
  type ResourcesByKind,
  resourceKinds,
  triggerKindOf,
  triggerKinds,
} from './kinds/index.ts';
import { acknowledgeFunction } from './nag.ts';
import { Network, type Placement } from './network.ts';
import type { DeploySettings } from './settings.ts';

export type { PipelineResources } from './kinds/index.ts';

export interface EventPipelinesStackProps extends StackProps {
  pipelines: readonly PipelineDefinition[];
  settings: DeploySettings;
}

export class EventPipelinesStack extends Stack {
  /** Everything created, by kind and logical name; functions by id. */
  readonly resources: PipelineResources;
  /** Target of S3 server access logs and CloudFront standard logs. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: EventPipelinesStackProps) {
    super(scope, id, props);
    const { pipelines, settings } = props;
    this.templateOptions.description = `Event pipelines (${pipelines.map((p) => p.name).join(', ')}), built from pipelines/index.ts`;
    const catalog = validateDefinitions(pipelines);
    for (const kind of RESOURCE_KINDS) checkSettings(kind, settings, catalog);

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // CloudFront standard logging writes with an ACL grant to its log-delivery account, so ACLs must be on.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(Math.max(settings.logRetentionDays, 1)) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const resources = {
      ...(Object.fromEntries(RESOURCE_KINDS.map((k) => [k, new Map()])) as ResourcesByKind),
      functions: new Map(),
    } satisfies PipelineResources;
    this.resources = resources;
    let network: Network | undefined;
    const ctx: CdkContext = {
      stack: this,
      catalog,
      settings,
      logRetention: retentionDays(settings.logRetentionDays),
      accessLogs: this.accessLogs,
      resources,
      alarms: new OperationalAlarms(this, settings.stackName),
      network: () => {
        network ??= new Network(this, 'Network', { flowLogs: this.accessLogs });
        return network;
      },
    };

    // Resources kind by kind (RESOURCE_KINDS order), then the functions nothing needed earlier. What a
    // resource needs (its plug-in's `needs`: e.g. a CDN its bucket, a stream its processor function) and what
    // a function references (environment, access) is created first; a cycle stops synthesis, naming it.
    const inProgress: string[] = [];
    const enter = (what: string) => {
      if (inProgress.includes(what))
        throw new Error(`definitions form a cycle: ${[...inProgress, what].join(' needs ')}`);
      inProgress.push(what);
    };
    const ensureResource = ({ kind, name }: ResourceRef): void => {
      if (resources[kind].has(name)) return;
      enter(`${kind} ${name}`);
      const needs = needsOf(catalog, kind, name);
      for (const r of needs.resources ?? []) ensureResource(r);
      for (const id of needs.functions ?? []) ensureFunction(catalog.functions.find((f) => f.id === id)!);
      createResource(ctx, kind, name);
      inProgress.pop();
    };
    const ensureFunction = (spec: CatalogFunction): void => {
      if (resources.functions.has(spec.id)) return;
      enter(`function ${spec.id}`);
      for (const v of Object.values(spec.environment)) if (typeof v !== 'string') ensureResource(v);
      for (const { resource } of spec.access) ensureResource(resource);
      const environment: Record<string, string> = { POWERTOOLS_SERVICE_NAME: spec.id, LOG_LEVEL: 'INFO' };
      for (const [name, value] of Object.entries(spec.environment))
        environment[name] = typeof value === 'string' ? value : resolve(resources, value);
      Object.assign(environment, settings.functionEnv[spec.id] ?? {});
      const placement = placementOf(spec, resources);
      const built = buildFunction(this, spec, {
        environment,
        logRetention: ctx.logRetention,
        reservedConcurrency: settings.reservedConcurrency,
        asynchronous: triggerKindOf(spec.trigger).invocation.asynchronous,
        ...(placement ? { placement } : {}),
      });
      resources.functions.set(spec.id, built);
      for (const { resource, mode } of spec.access) grant(ctx, resource, mode, built);
      inProgress.pop();
    };
    for (const kind of RESOURCE_KINDS) {
      for (const { name } of catalog.resources[kind]) ensureResource({ kind, name } as ResourceRef);
    }
    for (const spec of catalog.functions) ensureFunction(spec);
    const unknownEnv = Object.keys(settings.functionEnv).filter((id) => !resources.functions.has(id));
    if (unknownEnv.length)
      throw new Error(`context functionEnv names unknown functions: ${unknownEnv.join(', ')}`);

    for (const built of resources.functions.values())
      triggerKindOf(built.spec.trigger).attach(ctx, built, built.spec.trigger);
    for (const trigger of Object.values(triggerKinds)) trigger.finish?.(ctx);

    for (const built of resources.functions.values()) {
      const { invocation } = triggerKindOf(built.spec.trigger);
      const onError = invocation.asynchronous ? ASYNC_ON_ERROR : invocation.onError;
      addFunctionAlarms(ctx.alarms, built, settings, onError);
    }
    for (const kind of RESOURCE_KINDS) kindHook(ctx, kind, 'alarms');
    ctx.alarms.publish();

    for (const built of resources.functions.values()) acknowledgeFunction(built);
    for (const kind of RESOURCE_KINDS) kindHook(ctx, kind, 'acknowledge');
  }
}

// Each helper below handles one kind K at a time, so that a plug-in only ever sees its own kind's specs and
// constructs (resourceKinds[K] is CdkResourceKind<K>, resources[K] holds CdkResources[K]).

function checkSettings<K extends ResourceKind>(kind: K, settings: DeploySettings, catalog: Catalog): void {
  resourceKinds[kind].checkSettings?.(settings, catalog.resources[kind]);
}

const declared = <K extends ResourceKind>(catalog: Catalog, kind: K, name: string): Declared<K> =>
  (catalog.resources[kind] as Array<Declared<K>>).find((r) => r.name === name)!;

function needsOf<K extends ResourceKind>(catalog: Catalog, kind: K, name: string): Needs {
  const plugin: CdkResourceKind<K> = resourceKinds[kind];
  return plugin.needs?.(declared(catalog, kind, name)) ?? {};
}

function createResource<K extends ResourceKind>(ctx: CdkContext, kind: K, name: string): void {
  const plugin: CdkResourceKind<K> = resourceKinds[kind];
  const created = createdOf(ctx.resources, kind);
  created.set(name, plugin.create(ctx, declared(ctx.catalog, kind, name)));
}

/** A reference's physical id (a name, an ARN, a distribution id …), as its kind's plug-in resolves it. */
function resolve<K extends ResourceKind>(
  resources: PipelineResources,
  ref: { kind: K; name: string },
): string {
  const plugin: CdkResourceKind<K> = resourceKinds[ref.kind];
  const created = createdOf(resources, ref.kind);
  return plugin.resolve(created.get(ref.name)!);
}

/**
 * Where a function runs: what the plug-ins of its access entries' kinds ask for (`placement`), merged; all
 * must name the same network. Undefined when none asks (the function runs outside any VPC).
 */
function placementOf(spec: CatalogFunction, resources: PipelineResources): Placement | undefined {
  let merged: Placement | undefined;
  for (const { resource, mode } of spec.access) {
    const asked = kindPlacement(resources, resource, mode);
    if (!asked) continue;
    if (merged && merged.network !== asked.network)
      throw new Error(`function ${spec.id}: its access entries ask for two different networks`);
    const securityGroups = [...(merged?.securityGroups ?? [])];
    for (const sg of asked.securityGroups) if (!securityGroups.includes(sg)) securityGroups.push(sg);
    merged = { network: asked.network, securityGroups };
  }
  return merged;
}

function kindPlacement<K extends ResourceKind>(
  resources: PipelineResources,
  ref: { kind: K; name: string },
  mode: AccessMode,
): Placement | undefined {
  const plugin: CdkResourceKind<K> = resourceKinds[ref.kind];
  return plugin.placement?.(createdOf(resources, ref.kind).get(ref.name)!, mode);
}

/**
 * The only place functions get permissions: one grant per `access` entry, by its kind's plug-in; for a
 * function in a VPC, also what that access needs there (the plug-in's `vpcAccess`: an endpoint …).
 */
function grant<K extends ResourceKind>(
  ctx: CdkContext,
  ref: { kind: K; name: string },
  mode: AccessMode,
  fn: BuiltFunction,
): void {
  const plugin: CdkResourceKind<K> = resourceKinds[ref.kind];
  const created = createdOf(ctx.resources, ref.kind);
  const apply = plugin.grants[mode];
  // validateDefinitions admits only the modes of pipelines/kinds.ts ACCESS_MODES, and every plug-in grants
  // each mode of its kind (test/cdk/kinds/registry.test.ts); this names the gap should one be added there only.
  if (!apply) throw new Error(`the CDK plug-in of kind ${ref.kind} cannot grant mode ${mode}`);
  const g = { ctx, name: ref.name, resource: created.get(ref.name)!, fn };
  apply(g);
  if (fn.placement) {
    if (!plugin.vpcAccess)
      throw new Error(`the CDK plug-in of kind ${ref.kind} cannot reach its resources from a VPC`);
    plugin.vpcAccess(g, mode, fn.placement);
  }
}

function kindHook<K extends ResourceKind>(ctx: CdkContext, kind: K, hook: 'alarms' | 'acknowledge'): void {
  const plugin: CdkResourceKind<K> = resourceKinds[kind];
  const created = createdOf(ctx.resources, kind);
  plugin[hook]?.(ctx, created);
}

function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter(
    (v): v is number => typeof v === 'number' && v > 0,
  );
  const match = allowed.find((v) => v === days);
  if (match === undefined)
    throw new Error(`logRetentionDays must be one of ${allowed.join(', ')}, got ${days}`);
  return match as logs.RetentionDays;
}
