// The cross-reference checks that only one kind can make, one entry per kind (resource or trigger), run by
// validate.ts after its generic checks: a delivery stream's bucket and processor, a Firehose transform's
// stream naming it back, an S3 trigger that would feed its function its own output or overlap another
// notification on the same bucket, an API's authorizer naming it back, routes served twice, route
// functions that outlast API Gateway's wait. A new kind with rules of its own adds its entry here.
import { triggerSource } from './kinds.ts';
import type {
  Catalog,
  CatalogFunction,
  Declared,
  ResourceKind,
  ResourceRef,
  TriggerKind,
  TriggerOf,
} from './types.ts';

export interface CheckContext {
  resources: Catalog['resources'];
  functions: CatalogFunction[];
  exists(ref: ResourceRef): boolean;
  /** Throws the DefinitionError `pipeline <pipeline>: <field>: <problem>`. */
  fail(pipeline: string, field: string, problem: string): never;
}

/** Firehose waits at most 5 minutes for a data-transformation invocation. */
export const FIREHOSE_TRANSFORM_MAX_SECONDS = 300;

/** API Gateway waits at most 30 seconds for an integration (HTTP API quotas), so a route function ends sooner. */
export const HTTP_API_INTEGRATION_MAX_SECONDS = 30;

/** Whether two refs name the same resource. */
export const sameRef = (a: ResourceRef, b: ResourceRef) => a.kind === b.kind && a.name === b.name;
const same = sameRef;

export const RESOURCE_CHECKS: {
  [K in ResourceKind]?: (declared: Array<Declared<K>>, ctx: CheckContext) => void;
} = {
  stream(streams, { exists, fail, functions }) {
    for (const s of streams) {
      const field = `resources.streams.${s.name}`;
      if (!exists({ kind: 'bucket', name: s.destination.bucket }))
        fail(
          s.pipeline,
          `${field}.destination.bucket`,
          `no pipeline declares bucket "${s.destination.bucket}"`,
        );
      const processor = functions.find((f) => f.id === s.processor);
      if (!processor)
        return fail(s.pipeline, `${field}.processor`, `no pipeline declares function "${s.processor}"`);
      if (!same(triggerSource(processor.trigger), { kind: 'stream', name: s.name }))
        fail(s.pipeline, `${field}.processor`, `function "${s.processor}" must be triggered by this stream`);
      if (processor.timeoutSeconds > FIREHOSE_TRANSFORM_MAX_SECONDS)
        fail(
          processor.pipeline,
          `functions.${processor.id}.timeoutSeconds`,
          `must be at most ${FIREHOSE_TRANSFORM_MAX_SECONDS} seconds: Firehose waits no longer for a transform`,
        );
    }
  },
  api(apis, { fail, functions }) {
    for (const api of apis) {
      const field = `resources.apis.${api.name}`;
      const authorizer = functions.find((f) => f.id === api.authorizer);
      if (!authorizer)
        return fail(api.pipeline, `${field}.authorizer`, `no pipeline declares function "${api.authorizer}"`);
      const t = authorizer.trigger;
      if (t.kind !== 'http-authorizer' || t.api !== api.name)
        fail(
          api.pipeline,
          `${field}.authorizer`,
          `function "${api.authorizer}" must have the trigger { kind: 'http-authorizer', api: '${api.name}' }`,
        );
      if (!functions.some((f) => f.trigger.kind === 'http' && f.trigger.api === api.name))
        fail(api.pipeline, field, 'no function serves a route of this API (an `http` trigger naming it)');
    }
  },
};

export const TRIGGER_CHECKS: {
  [K in TriggerKind]?: (uses: Array<{ fn: CatalogFunction; t: TriggerOf<K> }>, ctx: CheckContext) => void;
} = {
  'firehose-transform'(uses, { resources, fail }) {
    for (const { fn, t } of uses) {
      const stream = resources.stream.find((s) => s.name === t.stream)!;
      if (stream.processor !== fn.id)
        fail(
          fn.pipeline,
          `functions.${fn.id}.trigger`,
          `stream "${stream.name}" names "${stream.processor}" as its processor, not this function`,
        );
    }
  },
  'http-authorizer'(uses, { resources, fail }) {
    for (const { fn, t } of uses) {
      const api = resources.api.find((a) => a.name === t.api)!;
      if (api.authorizer !== fn.id)
        fail(
          fn.pipeline,
          `functions.${fn.id}.trigger`,
          `API "${api.name}" names "${api.authorizer}" as its authorizer, not this function`,
        );
    }
  },
  http(uses, { fail }) {
    const served = new Map<string, string>();
    for (const { fn, t } of uses) {
      if (fn.timeoutSeconds > HTTP_API_INTEGRATION_MAX_SECONDS)
        fail(
          fn.pipeline,
          `functions.${fn.id}.timeoutSeconds`,
          `must be at most ${HTTP_API_INTEGRATION_MAX_SECONDS} seconds: API Gateway waits no longer for a route's function`,
        );
      for (const route of t.routes) {
        const key = `${t.api} ${route}`;
        const other = served.get(key);
        if (other)
          fail(
            fn.pipeline,
            `functions.${fn.id}.trigger.routes`,
            `route "${route}" of API "${t.api}" is also served by function "${other}"`,
          );
        served.set(key, fn.id);
      }
    }
  },
  s3(uses, { fail }) {
    for (const { fn, t } of uses) {
      if (t.filter?.prefix || t.filter?.suffix) continue;
      const source: ResourceRef = { kind: 'bucket', name: t.bucket };
      const writes = fn.access.find(
        (a) => same(a.resource, source) && (a.mode === 'write' || a.mode === 'readwrite'),
      );
      if (writes)
        fail(
          fn.pipeline,
          `functions.${fn.id}.trigger.filter`,
          `is needed: the function writes to bucket "${t.bucket}", which triggers it, so without a prefix or suffix that its output avoids, its own output would trigger it again`,
        );
    }
    // S3 refuses two notification configurations of one bucket whose events and filters overlap.
    for (const [i, a] of uses.entries()) {
      const b = uses.slice(0, i).find((b) => b.t.bucket === a.t.bucket && s3Overlap(a.t, b.t));
      if (b)
        fail(
          a.fn.pipeline,
          `functions.${a.fn.id}.trigger`,
          `overlaps the trigger of function "${b.fn.id}" on bucket "${a.t.bucket}" (same event, overlapping prefix and suffix): S3 refuses overlapping notifications`,
        );
    }
  },
};

/** Whether two S3 triggers would both fire for some object event (S3's own overlap rule). */
function s3Overlap(a: TriggerOf<'s3'>, b: TriggerOf<'s3'>): boolean {
  const startsLike = (x?: string, y?: string) => !x || !y || x.startsWith(y) || y.startsWith(x);
  const endsLike = (x?: string, y?: string) => !x || !y || x.endsWith(y) || y.endsWith(x);
  return (
    a.events.some((e) => b.events.includes(e)) &&
    startsLike(a.filter?.prefix, b.filter?.prefix) &&
    endsLike(a.filter?.suffix, b.filter?.suffix)
  );
}
