// Definitions are checked once, here, and both runtimes (infra/cdk, infra/local) and the tests build from
// what this returns: the catalog of every resource by kind (the CDN of each `cdn: true` bucket derived as a
// resource of its own) and every function with its pipeline. Errors name the pipeline, the field and the
// problem.
import { ACCESS_MODES, RESOURCE_KINDS, triggerSource } from './kinds.ts';
import type {
  CdnSpec,
  FunctionSpec,
  PipelineDefinition,
  ResourceKind,
  ResourceRef,
  ResourceSpecs,
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

/** Checks every definition and cross-reference; throws a DefinitionError naming what is wrong. */
export function validateDefinitions(pipelines: readonly PipelineDefinition[]): Catalog {
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
  for (const s of resources.stream) {
    if (!exists({ kind: 'bucket', name: s.destination.bucket }))
      fail(
        s.pipeline,
        `streams.${s.name}.destination.bucket`,
        `no pipeline declares bucket "${s.destination.bucket}"`,
      );
    const processor = functions.find((f) => f.id === s.processor);
    if (!processor)
      fail(s.pipeline, `streams.${s.name}.processor`, `no pipeline declares function "${s.processor}"`);
    const source = processor && triggerSource(processor.trigger);
    if (source && (source.kind !== 'stream' || source.name !== s.name))
      fail(
        s.pipeline,
        `streams.${s.name}.processor`,
        `function "${s.processor}" must be triggered by this stream`,
      );
  }
  for (const fn of functions) {
    const source = triggerSource(fn.trigger);
    if (!exists(source))
      fail(fn.pipeline, `functions.${fn.id}.trigger`, `no pipeline declares ${source.kind} "${source.name}"`);
    for (const [name, v] of Object.entries(fn.environment)) {
      if (typeof v !== 'string' && !exists(v))
        fail(
          fn.pipeline,
          `functions.${fn.id}.environment.${name}`,
          `no pipeline declares ${v.kind} "${v.name}"`,
        );
    }
    for (const [i, a] of fn.access.entries()) {
      if (!exists(a.resource))
        fail(
          fn.pipeline,
          `functions.${fn.id}.access[${i}]`,
          `no pipeline declares ${a.resource.kind} "${a.resource.name}"`,
        );
      if (!ACCESS_MODES[a.resource.kind].includes(a.mode))
        fail(
          fn.pipeline,
          `functions.${fn.id}.access[${i}].mode`,
          `mode ${a.mode} does not apply to a ${a.resource.kind} (allowed: ${ACCESS_MODES[a.resource.kind].join(', ')})`,
        );
    }
  }
  return { pipelines, resources, functions };
}
