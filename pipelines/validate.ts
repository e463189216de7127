// Definitions are checked once, here, and both runtimes (infra/cdk, infra/local) and the tests build from
// what this returns: the catalog of every resource by kind (the CDN of each `cdn: true` bucket derived as a
// resource of its own) and every function with its pipeline. Each definition is first parsed with its zod
// schema (schema.ts: shapes, names, AWS limits), then the cross-references are checked: every ref resolves,
// names are unique per kind, triggers and processors point at resources of the right kind, access modes
// fit their kind, each function's access covers what its environment names (kinds.ts says when a name
// needs no access); then the checks only one kind can make (kind-checks.ts: a stream's bucket and
// processor, S3 notifications that overlap or feed a function its own output). Errors name the pipeline,
// the field and the problem: `pipeline <name>: <field path>: <problem>`.
import { type CheckContext, RESOURCE_CHECKS, sameRef, TRIGGER_CHECKS } from './kind-checks.ts';
import { ACCESS_MODES, NAMED_WITHOUT_ACCESS, RESOURCE_KINDS, triggerSource } from './kinds.ts';
import { PipelineDefinitionSchema } from './schema.ts';
import type {
  Catalog,
  CatalogFunction,
  CdnSpec,
  PipelineDefinition,
  ResourceKind,
  ResourceRef,
  ResourceSpecs,
  TriggerKind,
} from './types.ts';

export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

export type { Catalog, CatalogFunction, Declared } from './types.ts';

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
      cache: p.resources.caches,
      api: p.resources.apis,
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
  const same = sameRef;

  const ctx: CheckContext = { resources, functions, exists, fail };
  for (const kind of RESOURCE_KINDS) {
    const check = RESOURCE_CHECKS[kind] as ((d: unknown[], c: CheckContext) => void) | undefined;
    check?.(resources[kind], ctx);
  }

  for (const fn of functions) {
    const field = `functions.${fn.id}`;
    const source = triggerSource(fn.trigger);
    if (!exists(source))
      fail(fn.pipeline, `${field}.trigger`, `no pipeline declares ${source.kind} "${source.name}"`);
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
  }

  // Then what only one trigger kind can check, given every function with a trigger of that kind.
  const byTrigger = new Map<string, Array<{ fn: CatalogFunction; t: unknown }>>();
  for (const fn of functions)
    byTrigger.set(fn.trigger.kind, [...(byTrigger.get(fn.trigger.kind) ?? []), { fn, t: fn.trigger }]);
  for (const [kind, uses] of byTrigger) {
    const check = TRIGGER_CHECKS[kind as TriggerKind] as
      | ((u: typeof uses, c: CheckContext) => void)
      | undefined;
    check?.(uses, ctx);
  }
  return { pipelines, resources, functions };
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
