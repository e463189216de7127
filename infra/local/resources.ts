// Reads the pipeline definitions into the set of resources and functions the local cloud must provide,
// checks them (unique ids, triggers and refs pointing at declared resources), and resolves a function's
// environment the way the CDK app does on AWS: bucket → name, table → name, topic → ARN, stream → name,
// cdn → the local id of the bucket's distribution (infra/local/cloudfront.ts).
import type {
  BucketSpec,
  DeliveryStreamSpec,
  FunctionSpec,
  PipelineDefinition,
  ResourceRef,
  SecretSpec,
  TableSpec,
  TopicSpec,
} from '../../pipelines/types.ts';
import { localDistributionId } from './cloudfront.ts';
import { topicArn } from './names.ts';

export interface ResourceSet {
  buckets: BucketSpec[];
  topics: TopicSpec[];
  tables: TableSpec[];
  secrets: SecretSpec[];
  streams: DeliveryStreamSpec[];
  functions: Array<FunctionSpec & { pipeline: string }>;
}

export class DefinitionError extends Error {}

export function collectResources(pipelines: readonly PipelineDefinition[]): ResourceSet {
  const set: ResourceSet = { buckets: [], topics: [], tables: [], secrets: [], streams: [], functions: [] };
  const add = <T extends { name: string }>(list: T[], items: T[] | undefined) => {
    for (const item of items ?? []) if (!list.some((x) => x.name === item.name)) list.push(item);
  };
  for (const p of pipelines) {
    add(set.buckets, p.resources.buckets);
    add(set.topics, p.resources.topics);
    add(set.tables, p.resources.tables);
    add(set.secrets, p.resources.secrets);
    add(set.streams, p.resources.streams);
    for (const fn of p.functions) {
      if (set.functions.some((f) => f.id === fn.id)) {
        throw new DefinitionError(`function id "${fn.id}" is declared twice (pipeline ${p.name})`);
      }
      set.functions.push({ ...fn, pipeline: p.name });
    }
  }
  // A Firehose destination bucket is a resource even if no pipeline lists it separately.
  for (const s of set.streams) {
    if (!set.buckets.some((b) => b.name === s.destination.bucket)) {
      throw new DefinitionError(
        `stream "${s.name}" delivers to bucket "${s.destination.bucket}", which no pipeline declares`,
      );
    }
    if (!set.functions.some((f) => f.id === s.processor)) {
      throw new DefinitionError(
        `stream "${s.name}" names processor "${s.processor}", which no pipeline declares`,
      );
    }
  }
  for (const fn of set.functions) {
    const t = fn.trigger;
    const missing =
      (t.kind === 's3' && !set.buckets.some((b) => b.name === t.bucket) && `bucket "${t.bucket}"`) ||
      (t.kind === 'sns' && !set.topics.some((x) => x.name === t.topic) && `topic "${t.topic}"`) ||
      (t.kind === 'firehose-transform' &&
        !set.streams.some((x) => x.name === t.stream) &&
        `stream "${t.stream}"`);
    if (missing)
      throw new DefinitionError(`function "${fn.id}" is triggered by ${missing}, which no pipeline declares`);
    for (const v of Object.values(fn.environment)) if (typeof v !== 'string') refExists(set, v, fn.id);
  }
  return set;
}

function refExists(set: ResourceSet, ref: ResourceRef, fnId: string): void {
  const lists: Record<ResourceRef['kind'], Array<{ name: string }>> = {
    bucket: set.buckets,
    table: set.tables,
    topic: set.topics,
    stream: set.streams,
    secret: set.secrets,
    cdn: set.buckets.filter((b) => b.cdn),
  };
  if (!lists[ref.kind].some((x) => x.name === ref.name)) {
    throw new DefinitionError(
      `function "${fnId}" refers to ${ref.kind} "${ref.name}", which no pipeline declares`,
    );
  }
}

/** The function's environment with refs resolved; secret refs are replaced by the secret's local variable. */
export function resolveEnvironment(
  set: ResourceSet,
  fn: FunctionSpec,
  secretValue: (secret: SecretSpec) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, v] of Object.entries(fn.environment)) {
    if (typeof v === 'string') {
      env[name] = v;
      continue;
    }
    switch (v.kind) {
      case 'bucket':
      case 'table':
      case 'stream':
        env[name] = v.name;
        break;
      case 'topic':
        env[name] = topicArn(v.name);
        break;
      case 'cdn':
        env[name] = localDistributionId(v.name);
        break;
      case 'secret': {
        const secret = set.secrets.find((s) => s.name === v.name)!;
        env[secret.localEnv] = secretValue(secret);
        break;
      }
    }
  }
  return env;
}
