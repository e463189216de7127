// The registries of the local cloud's kinds: one plug-in per resource kind and per trigger kind of
// pipelines/types.ts. Typed as mapped types over ResourceKind and TriggerKind, so a kind without a local
// plug-in fails the type check. Adding a kind locally: a file in this folder implementing
// LocalResourceKind / LocalTriggerKind (types.ts), and its line here.
import { RESOURCE_KINDS } from '../../../pipelines/kinds.ts';
import type { ResourceKind, ResourceRef, Trigger, TriggerKind } from '../../../pipelines/types.ts';
import type { Catalog, Declared } from '../../../pipelines/validate.ts';
import { api } from './api.ts';
import { bucket } from './bucket.ts';
import { cache } from './cache.ts';
import { cdn } from './cdn.ts';
import { firehoseTransformTrigger } from './firehose-transform-trigger.ts';
import { httpAuthorizerTrigger } from './http-authorizer-trigger.ts';
import { httpTrigger } from './http-trigger.ts';
import { s3Trigger } from './s3-trigger.ts';
import { secret } from './secret.ts';
import { snsTrigger } from './sns-trigger.ts';
import { stream } from './stream.ts';
import { table } from './table.ts';
import { topic } from './topic.ts';
import type { LocalResourceKind, LocalTriggerKind } from './types.ts';

export const RESOURCES: { [K in ResourceKind]: LocalResourceKind<K> } = {
  bucket,
  cdn,
  topic,
  table,
  secret,
  stream,
  cache,
  api,
};

export const TRIGGERS: { [K in TriggerKind]: LocalTriggerKind<K> } = {
  s3: s3Trigger,
  sns: snsTrigger,
  'firehose-transform': firehoseTransformTrigger,
  http: httpTrigger,
  'http-authorizer': httpAuthorizerTrigger,
};

/** The plug-in of a resource kind, for a spec of that kind (TypeScript cannot correlate the two itself). */
export function resourceKind<K extends ResourceKind>(kind: K): LocalResourceKind<ResourceKind> {
  return RESOURCES[kind] as unknown as LocalResourceKind<ResourceKind>;
}

/** The plug-in of a trigger's kind, typed for that trigger. */
export function triggerKind(t: Trigger): LocalTriggerKind<TriggerKind> {
  return TRIGGERS[t.kind] as unknown as LocalTriggerKind<TriggerKind>;
}

/** The declared resource a ref names (validated: it exists). */
export function lookup(catalog: Catalog, ref: ResourceRef): Declared<ResourceKind> {
  const found = (catalog.resources[ref.kind] as Array<Declared<ResourceKind>>).find(
    (r) => r.name === ref.name,
  );
  if (!found) throw new Error(`no ${ref.kind} named ${ref.name}`);
  return found;
}

/** Every declared resource with its plug-in, in creation order (pipelines/kinds.ts RESOURCE_KINDS). */
export function eachResource(
  catalog: Catalog,
): Array<{ kind: ResourceKind; spec: Declared<ResourceKind>; plugin: LocalResourceKind<ResourceKind> }> {
  return RESOURCE_KINDS.flatMap((kind) =>
    (catalog.resources[kind] as Array<Declared<ResourceKind>>).map((spec) => ({
      kind,
      spec,
      plugin: resourceKind(kind),
    })),
  );
}
