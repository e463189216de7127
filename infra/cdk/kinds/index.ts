// The registries of the CDK app's kind plug-ins, one file per kind. Typed as mapped types over the kinds
// of pipelines/types.ts, so a resource or trigger kind without a CDK plug-in here fails the type check.
import type { ResourceKind, Trigger, TriggerKind } from '../../../pipelines/types.ts';
import { apiKind } from './api.ts';
import { bucketKind } from './bucket.ts';
import { cacheKind } from './cache.ts';
import { cdnKind } from './cdn.ts';
import { firehoseTransformTrigger } from './firehose-transform.ts';
import { httpTrigger } from './http.ts';
import { httpAuthorizerTrigger } from './http-authorizer.ts';
import { s3Trigger } from './s3.ts';
import { secretKind } from './secret.ts';
import { snsTrigger } from './sns.ts';
import { streamKind } from './stream.ts';
import { tableKind } from './table.ts';
import { topicKind } from './topic.ts';
import type { CdkResourceKind, CdkResources, CdkTriggerKind, ResourcesByKind } from './types.ts';

export const resourceKinds: { [K in ResourceKind]: CdkResourceKind<K> } = {
  bucket: bucketKind,
  cdn: cdnKind,
  topic: topicKind,
  table: tableKind,
  secret: secretKind,
  stream: streamKind,
  cache: cacheKind,
  api: apiKind,
};

export const triggerKinds: { [K in TriggerKind]: CdkTriggerKind<K> } = {
  s3: s3Trigger,
  sns: snsTrigger,
  'firehose-transform': firehoseTransformTrigger,
  http: httpTrigger,
  'http-authorizer': httpAuthorizerTrigger,
};

/** The plug-in of a trigger's kind, typed for that trigger. */
export const triggerKindOf = (trigger: Trigger): CdkTriggerKind<TriggerKind> =>
  triggerKinds[trigger.kind] as CdkTriggerKind<TriggerKind>;

/** The created resources of one kind, typed for that kind. */
export const createdOf = <K extends ResourceKind>(
  resources: ResourcesByKind,
  kind: K,
): Map<string, CdkResources[K]> => resources[kind];

export { type ApiWiring, apiWiringOf } from './api.ts';
export { CDN_DEFAULT_ROOT_OBJECT } from './cdn.ts';
export { FIREHOSE_S3_DESTINATION_ACTIONS, type StreamWiring, wiringOf } from './stream.ts';
export type * from './types.ts';
