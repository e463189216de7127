// What each kind means independently of any runtime, as data: the access modes a resource kind accepts and
// the resource a trigger listens to. The runtimes implement each kind in a plug-in file of their own
// (infra/cdk/kinds/, infra/local/kinds/); validation (validate.ts) reads these tables.
import type { AccessMode, ResourceKind, ResourceRef, Trigger, TriggerKind, TriggerOf } from './types.ts';

/** Every resource kind, in the order the runtimes create them. */
export const RESOURCE_KINDS = [
  'bucket',
  'cdn',
  'topic',
  'table',
  'secret',
  'stream',
] as const satisfies readonly ResourceKind[];

/** The modes an `access` entry may ask for, per resource kind. */
export const ACCESS_MODES: { [K in ResourceKind]: readonly AccessMode[] } = {
  bucket: ['read', 'write', 'readwrite'],
  table: ['read', 'write', 'readwrite'],
  topic: ['publish'],
  secret: ['read'],
  stream: ['write', 'publish'],
  cdn: ['invalidate'],
};

/** The resource each trigger kind listens to. */
const SOURCES: { [K in TriggerKind]: (t: TriggerOf<K>) => ResourceRef } = {
  s3: (t) => ({ kind: 'bucket', name: t.bucket }),
  sns: (t) => ({ kind: 'topic', name: t.topic }),
  'firehose-transform': (t) => ({ kind: 'stream', name: t.stream }),
};

export function triggerSource(t: Trigger): ResourceRef {
  return (SOURCES[t.kind] as (t: Trigger) => ResourceRef)(t);
}
