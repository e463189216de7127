// What each kind means independently of any runtime, as data: the access modes a resource kind accepts, the
// resource a trigger listens to, and whether a function may name a resource in its environment without an
// access entry for it. The runtimes implement each kind in a plug-in file of their own (infra/cdk/kinds/,
// infra/local/kinds/); validation (validate.ts) reads these tables.
import type { AccessMode, ResourceKind, ResourceRef, Trigger, TriggerKind, TriggerOf } from './types.ts';

/** Every resource kind, in the order the runtimes create them (the schema's list). */
export { RESOURCE_KINDS } from './schema.ts';

/** The modes an `access` entry may ask for, per resource kind. */
export const ACCESS_MODES: { [K in ResourceKind]: readonly AccessMode[] } = {
  bucket: ['read', 'write', 'readwrite'],
  table: ['read', 'write', 'readwrite'],
  topic: ['publish'],
  secret: ['read'],
  stream: ['write', 'publish'],
  cdn: ['invalidate'],
  cache: ['connect'],
  // Functions reach an API through its routes (an `http` trigger), never through an access entry.
  api: [],
};

/**
 * When a function may name a resource in its environment without an `access` entry for it:
 * - `trigger`: only the resource its own trigger listens to. Naming it is meaningful without any right (e.g.
 *   to tell its events apart from others, or to check where an event came from); touching it is not.
 * - `never`: the name is only useful for a call that needs the access (a table to query, a secret to read,
 *   a CDN to invalidate), so a name without access is a grant someone forgot.
 */
export const NAMED_WITHOUT_ACCESS: { [K in ResourceKind]: 'trigger' | 'never' } = {
  bucket: 'trigger',
  topic: 'trigger',
  stream: 'trigger',
  table: 'never',
  secret: 'never',
  cdn: 'never',
  cache: 'never',
  api: 'trigger',
};

/** The resource each trigger kind listens to. */
const SOURCES: { [K in TriggerKind]: (t: TriggerOf<K>) => ResourceRef } = {
  s3: (t) => ({ kind: 'bucket', name: t.bucket }),
  sns: (t) => ({ kind: 'topic', name: t.topic }),
  'firehose-transform': (t) => ({ kind: 'stream', name: t.stream }),
  http: (t) => ({ kind: 'api', name: t.api }),
  'http-authorizer': (t) => ({ kind: 'api', name: t.api }),
};

export function triggerSource(t: Trigger): ResourceRef {
  return (SOURCES[t.kind] as (t: Trigger) => ResourceRef)(t);
}
