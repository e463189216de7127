// The shape of a pipeline definition: the one description of a pipeline that both the CDK app
// (infra/cdk) and the local cloud (infra/local) are built from. Pure data, no CDK and no I/O, so that
// function code and both runtimes can import it freely. Every type here is derived from the zod schema in
// schema.ts (field documentation lives there), so the shape is written once.
import type { z } from 'zod';
import type {
  AccessModeSchema,
  ApiSpecSchema,
  AttributeSpecSchema,
  BucketSpecSchema,
  CacheSpecSchema,
  CdnSpecSchema,
  DeliveryStreamSpecSchema,
  EnvValueSchema,
  FunctionSpecSchema,
  LocalHintsSchema,
  LocalSampleSchema,
  NodeRuntimeSchema,
  PipelineDefinitionSchema,
  RESOURCE_SPEC_SCHEMAS,
  ResourceRefSchema,
  S3EventNameSchema,
  SecretSpecSchema,
  TableSpecSchema,
  TopicSpecSchema,
  TriggerSchema,
} from './schema.ts';

export type BucketSpec = z.infer<typeof BucketSpecSchema>;
export type TopicSpec = z.infer<typeof TopicSpecSchema>;
export type AttributeSpec = z.infer<typeof AttributeSpecSchema>;
export type TableSpec = z.infer<typeof TableSpecSchema>;
export type SecretSpec = z.infer<typeof SecretSpecSchema>;
export type CdnSpec = z.infer<typeof CdnSpecSchema>;
export type DeliveryStreamSpec = z.infer<typeof DeliveryStreamSpecSchema>;
export type CacheSpec = z.infer<typeof CacheSpecSchema>;
export type ApiSpec = z.infer<typeof ApiSpecSchema>;

/** Every resource kind and its spec: a new kind is a new entry in schema.ts, plus one plug-in file per runtime. */
export type ResourceSpecs = {
  [K in keyof typeof RESOURCE_SPEC_SCHEMAS]: z.infer<(typeof RESOURCE_SPEC_SCHEMAS)[K]>;
};
export type ResourceKind = keyof ResourceSpecs;

/** A reference to a resource declared by some pipeline, by its logical name. */
export type ResourceRef = z.infer<typeof ResourceRefSchema>;

export const ref = {
  bucket: (name: string): ResourceRef => ({ kind: 'bucket', name }),
  table: (name: string): ResourceRef => ({ kind: 'table', name }),
  topic: (name: string): ResourceRef => ({ kind: 'topic', name }),
  stream: (name: string): ResourceRef => ({ kind: 'stream', name }),
  secret: (name: string): ResourceRef => ({ kind: 'secret', name }),
  /** The CDN of bucket `name`: its distribution id in an environment, `invalidate` in `access`. */
  cdn: (bucket: string): ResourceRef => ({ kind: 'cdn', name: bucket }),
  /** A cache: its URL in an environment (empty where there is none), `connect` in `access`. */
  cache: (name: string): ResourceRef => ({ kind: 'cache', name }),
  /** An HTTP API: its base URL in an environment. */
  api: (name: string): ResourceRef => ({ kind: 'api', name }),
};

/** A literal setting, or a resource reference each runtime resolves to its physical identifier. */
export type EnvValue = z.infer<typeof EnvValueSchema>;

export type S3EventName = z.infer<typeof S3EventNameSchema>;
export type Trigger = z.infer<typeof TriggerSchema>;
export type TriggerKind = Trigger['kind'];
/** The trigger of kind K. */
export type TriggerOf<K extends TriggerKind> = Extract<Trigger, { kind: K }>;

/** What a function may do with a resource (see AccessModeSchema; kinds.ts says which modes fit which kind). */
export type AccessMode = z.infer<typeof AccessModeSchema>;

/** A Lambda runtime identifier this project can deploy (see NodeRuntimeSchema). */
export type NodeRuntime = z.infer<typeof NodeRuntimeSchema>;

/** The runtime of every function that names none: Node 24, Active LTS (Node 22 leaves LTS in April 2027). */
export const DEFAULT_RUNTIME: NodeRuntime = 'nodejs24.x';

/** A function's runtime: its own, else the default. */
export const runtimeOf = (fn: Pick<FunctionSpec, 'runtime'>): NodeRuntime => fn.runtime ?? DEFAULT_RUNTIME;

/** The Node major a runtime runs, e.g. 24 for `nodejs24.x` (esbuild's `node24` target). */
export const nodeMajor = (runtime: NodeRuntime): number => Number(/^nodejs(\d+)\.x$/.exec(runtime)![1]);

export type FunctionSpec = z.infer<typeof FunctionSpecSchema>;
export type LocalHints = z.infer<typeof LocalHintsSchema>;
export type LocalSample = z.infer<typeof LocalSampleSchema>;
export type PipelineDefinition = z.infer<typeof PipelineDefinitionSchema>;

/** What validateDefinitions returns (pipelines/validate.ts). A declared resource and the pipeline that declares it. */
export type Declared<K extends ResourceKind> = ResourceSpecs[K] & { pipeline: string };
export type CatalogFunction = FunctionSpec & { pipeline: string };

export interface Catalog {
  pipelines: readonly PipelineDefinition[];
  resources: { [K in ResourceKind]: Array<Declared<K>> };
  functions: CatalogFunction[];
}
