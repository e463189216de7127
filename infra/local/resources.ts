// The catalog the local cloud runs (pipelines/validate.ts: every definition checked once, resources by
// kind, functions with their pipeline), and a function's environment resolved the way the CDK app does on
// AWS, each ref by its kind's plug-in (kinds/): bucket → name, table → name, topic → ARN, stream → name,
// cdn → the local id of the bucket's distribution, secret → its local variable with the supplied value,
// cache → its server's URL (empty without one), api → its base URL under /_api/.
import type { FunctionSpec, PipelineDefinition, SecretSpec } from '../../pipelines/types.ts';
import { type Catalog, validateDefinitions } from '../../pipelines/validate.ts';
import { lookup, resourceKind } from './kinds/index.ts';
import type { LocalServices } from './kinds/types.ts';

/** Validated once (pipelines/validate.ts); throws a DefinitionError naming what is wrong. */
export function collectResources(pipelines: readonly PipelineDefinition[]): Catalog {
  return validateDefinitions(pipelines);
}

/** The function's environment with every ref resolved by its kind's plug-in. */
export function resolveEnvironment(
  catalog: Catalog,
  fn: FunctionSpec,
  secretValue: (secret: SecretSpec) => string,
  services?: LocalServices,
): Record<string, string> {
  const env: Record<string, string> = {};
  const ctx = { secretValue, ...(services ? { services } : {}) };
  for (const [name, v] of Object.entries(fn.environment)) {
    if (typeof v === 'string') env[name] = v;
    else Object.assign(env, resourceKind(v.kind).resolve(lookup(catalog, v), name, ctx));
  }
  return env;
}
