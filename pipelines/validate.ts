// Definitions are checked once, here, and both runtimes (infra/cdk, infra/local) and the tests build from
// what this returns: the catalog of every resource by kind (the CDN of each `cdn: true` bucket derived as a
// resource of its own) and every function with its pipeline. Each definition is first parsed with its zod
// schema (schema.ts: shapes, names, AWS limits), then the cross-references are checked: every ref resolves,
// names are unique per kind, triggers and processors point at resources of the right kind, access modes
// fit their kind, each function's access covers what its environment names (kinds.ts says when a name
// needs no access), and S3 notifications neither overlap nor feed a function its own output. Errors name
// the pipeline, the field and the problem: `pipeline <name>: <field path>: <problem>`.
import { ACCESS_MODES, NAMED_WITHOUT_ACCESS, RESOURCE_KINDS, triggerSource } from './kinds.ts';
import { PipelineDefinitionSchema } from './schema.ts';
import type {
  CdnSpec,
  FunctionSpec,
  PipelineDefinition,
  ResourceKind,
  ResourceRef,
  ResourceSpecs,
  TriggerOf,
} from './types.ts';

export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

/** A declared resource and the pipeline that declares it. */
export type Declared<K extends ResourceKind> = ResourceSpecs[K] & { pipeline: string };
export type CatalogFunction = FunctionSpec & { pipeline: string };

export interface Catalog {
  pipelines: readonly PipelineDefinition[];
  resources: { [K in ResourceKind]: Array<Declared<K>> };
  functions: CatalogFunction[];
}

/** Firehose waits at most 5 minutes for a data-transformation invocation. */
const FIREHOSE_TRANSFORM_MAX_SECONDS = 300;

/** Checks every definition and cross-reference; throws a DefinitionError naming what is wrong. */
export function validateDefinitions(pipelines: readonly PipelineDefinition[]): Catalog {
  pipelines.forEach(parseDefinition);
  const resources = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, []])) as unknown as Catalog['resources'];
  const functions: CatalogFunction[] = [];
  const fail = (pipeline: string, field: string, problem: string): never => {
    throw new DefinitionError(`pipeline ${pipeline}: ${field}: ${problem}`);
  };
  const pipelineNames = new Set<string>();
  for (const p of pipelines) {
    if (pipelineNames.has(p.name)) fail(p.name, 'name', 'another pipeline has the same name');
    pipelineNames.add(p.name);
    const lists: { [K in ResourceKind]?: Array<ResourceSpecs[K]> } = {
      bucket: p.resources.buckets,
      topic: p.resources.topics,
      table: p.resources.tables,
      secret: p.resources.secrets,
      stream: p.resources.streams,
      cdn: (p.resources.buckets ?? [])
        .filter((b) => b.cdn)
        .map(
          (b): CdnSpec => ({
            name: b.name,
            description: `CDN of bucket ${b.name}`,
            privatePrefixes: b.cdnPrivatePrefixes ?? [],
          }),
        ),
    };
    for (const kind of RESOURCE_KINDS) {
      const list = resources[kind] as Array<{ name: string; pipeline: string }>;
      for (const spec of (lists[kind] ?? []) as Array<{ name: string }>) {
        const other = list.find((r) => r.name === spec.name);
        if (other)
          fail(
            p.name,
            `resources.${kind}s`,
            `a ${kind} named "${spec.name}" is also declared by ${other.pipeline}`,
          );
        list.push({ ...spec, pipeline: p.name });
      }
    }
    for (const fn of p.functions) {
      const other = functions.find((f) => f.id === fn.id);
      if (other) fail(p.name, `functions`, `function id "${fn.id}" is also declared by ${other.pipeline}`);
      functions.push({ ...fn, pipeline: p.name });
    }
  }
  const exists = (r: ResourceRef) =>
    (resources[r.kind] as Array<{ name: string }>).some((x) => x.name === r.name);
  const same = (a: ResourceRef, b: ResourceRef) => a.kind === b.kind && a.name === b.name;

  for (const s of resources.stream) {
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

  for (const fn of functions) {
    const field = `functions.${fn.id}`;
    const source = triggerSource(fn.trigger);
    if (!exists(source))
      fail(fn.pipeline, `${field}.trigger`, `no pipeline declares ${source.kind} "${source.name}"`);
    if (fn.trigger.kind === 'firehose-transform') {
      const stream = resources.stream.find((s) => s.name === source.name)!;
      if (stream.processor !== fn.id)
        fail(
          fn.pipeline,
          `${field}.trigger`,
          `stream "${stream.name}" names "${stream.processor}" as its processor, not this function`,
        );
    }
    const refs = Object.entries(fn.environment).flatMap(([name, v]) =>
      typeof v === 'string' ? [] : [{ name, ref: v }],
    );
    for (const { name, ref } of refs)
      if (!exists(ref))
        fail(fn.pipeline, `${field}.environment.${name}`, `no pipeline declares ${ref.kind} "${ref.name}"`);
    for (const [i, a] of fn.access.entries()) {
      if (!exists(a.resource))
        fail(
          fn.pipeline,
          `${field}.access[${i}]`,
          `no pipeline declares ${a.resource.kind} "${a.resource.name}"`,
        );
      if (!ACCESS_MODES[a.resource.kind].includes(a.mode))
        fail(
          fn.pipeline,
          `${field}.access[${i}].mode`,
          `mode ${a.mode} does not apply to a ${a.resource.kind} (allowed: ${ACCESS_MODES[a.resource.kind].join(', ')})`,
        );
      const earlier = fn.access.findIndex((b) => same(a.resource, b.resource));
      if (earlier < i)
        fail(
          fn.pipeline,
          `${field}.access[${i}]`,
          `${a.resource.kind} "${a.resource.name}" is already listed in access[${earlier}]: give it one entry with one mode`,
        );
    }
    for (const { name, ref } of refs) {
      const exempt = NAMED_WITHOUT_ACCESS[ref.kind] === 'trigger' && same(ref, source);
      if (!exempt && !fn.access.some((a) => same(a.resource, ref)))
        fail(
          fn.pipeline,
          `${field}.environment.${name}`,
          `names ${ref.kind} "${ref.name}" but access has no entry for it (allowed modes: ${ACCESS_MODES[ref.kind].join(', ')})`,
        );
    }
    if (fn.trigger.kind === 's3' && !fn.trigger.filter?.prefix && !fn.trigger.filter?.suffix) {
      const writes = fn.access.find(
        (a) => same(a.resource, source) && (a.mode === 'write' || a.mode === 'readwrite'),
      );
      if (writes)
        fail(
          fn.pipeline,
          `${field}.trigger.filter`,
          `is needed: the function writes to bucket "${source.name}", which triggers it, so without a prefix or suffix that its output avoids, its own output would trigger it again`,
        );
    }
  }

  // S3 refuses two notification configurations of one bucket whose events and filters overlap.
  const s3 = functions.flatMap((fn) => (fn.trigger.kind === 's3' ? [{ fn, t: fn.trigger }] : []));
  for (const [i, a] of s3.entries()) {
    const b = s3.slice(0, i).find((b) => b.t.bucket === a.t.bucket && s3Overlap(a.t, b.t));
    if (b)
      fail(
        a.fn.pipeline,
        `functions.${a.fn.id}.trigger`,
        `overlaps the trigger of function "${b.fn.id}" on bucket "${a.t.bucket}" (same event, overlapping prefix and suffix): S3 refuses overlapping notifications`,
      );
  }
  return { pipelines, resources, functions };
}

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

/** Parses one definition with its schema; throws a DefinitionError listing every issue by field. */
function parseDefinition(definition: unknown, index: number): void {
  const result = PipelineDefinitionSchema.safeParse(definition);
  if (result.success) return;
  const name = (definition as { name?: unknown } | null)?.name;
  const pipeline = typeof name === 'string' && name ? name : `#${index}`;
  throw new DefinitionError(
    result.error.issues
      .map((issue) => {
        // A record key's own issues (e.g. an environment variable name) sit under the key issue.
        const message =
          issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : issue.message;
        return `pipeline ${pipeline}: ${fieldPath(definition, issue.path)}: ${message}`;
      })
      .join('\n'),
  );
}

/**
 * A zod issue path as the cross-reference checks write fields: an array element by its `id` or `name`
 * when it has one (`functions.image-resize.memoryMb`), else by index (`access[0].mode`).
 */
function fieldPath(root: unknown, path: readonly PropertyKey[]): string {
  let out = '';
  let node = root;
  for (const seg of path) {
    const next: unknown = node !== null && typeof node === 'object' ? Reflect.get(node, seg) : undefined;
    if (typeof seg === 'number') {
      const label =
        next !== null && typeof next === 'object'
          ? ((next as { id?: unknown }).id ?? (next as { name?: unknown }).name)
          : undefined;
      out += typeof label === 'string' && label ? `.${label}` : `[${seg}]`;
    } else out += `${out ? '.' : ''}${String(seg)}`;
    node = next;
  }
  return out.replace(/^\./, '') || '(definition)';
}
