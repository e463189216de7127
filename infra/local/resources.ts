// Reads the pipeline definitions into the set of resources and functions the local cloud must provide,
// checks them (unique ids, triggers and refs pointing at declared resources), and resolves a function's
// environment the way the CDK app does on AWS: bucket → name, table → name, topic → ARN, stream → name,
// cdn → the local id of the bucket's distribution (infra/local/cloudfront.ts).
import type {
  BucketSpec,
  DeliveryStreamSpec,
  FunctionSpec,
  PipelineDefinition,
  SecretSpec,
  TableSpec,
  TopicSpec,
} from '../../pipelines/types.ts';
import { validateDefinitions } from '../../pipelines/validate.ts';
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

/** Validated once (pipelines/validate.ts), then flattened into the lists the local cloud uses. */
export function collectResources(pipelines: readonly PipelineDefinition[]): ResourceSet {
  const { resources, functions } = validateDefinitions(pipelines);
  return {
    buckets: resources.bucket,
    topics: resources.topic,
    tables: resources.table,
    secrets: resources.secret,
    streams: resources.stream,
    functions,
  };
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
