// The shape of a pipeline definition: the one description of a pipeline that both the CDK app
// (infra/cdk) and the local cloud (infra/local) are built from. Pure data, no CDK and no I/O, so that
// function code and both runtimes can import it freely.

/** A reference to a resource declared by some pipeline, by its logical name. */
export type ResourceRef = { [K in ResourceKind]: { kind: K; name: string } }[ResourceKind];

export const ref = {
  bucket: (name: string): ResourceRef => ({ kind: 'bucket', name }),
  table: (name: string): ResourceRef => ({ kind: 'table', name }),
  topic: (name: string): ResourceRef => ({ kind: 'topic', name }),
  stream: (name: string): ResourceRef => ({ kind: 'stream', name }),
  secret: (name: string): ResourceRef => ({ kind: 'secret', name }),
  /** The CDN of bucket `name`: its distribution id in an environment, `invalidate` in `access`. */
  cdn: (bucket: string): ResourceRef => ({ kind: 'cdn', name: bucket }),
};

/**
 * An environment value: either a literal setting, or a resource reference that each runtime resolves
 * to its physical identifier (bucket name, table name, topic ARN, stream name, secret ARN, and for a
 * bucket's CDN the CloudFront distribution id; the local cloud gives each CDN bucket a fixed local id).
 */
export type EnvValue = string | ResourceRef;

export interface BucketSpec {
  /** Logical name; also the physical name on the local cloud. */
  name: string;
  description: string;
  /** Serve this bucket through CloudFront (Origin Access Control) on AWS. */
  cdn?: boolean;
  /** Key prefixes the CDN must never serve (e.g. internal markers); denied to CloudFront on AWS. */
  cdnPrivatePrefixes?: string[];
}

export interface TopicSpec {
  name: string;
  description: string;
}

export interface AttributeSpec {
  name: string;
  type: 'S' | 'N';
}

export interface TableSpec {
  name: string;
  description: string;
  partitionKey: AttributeSpec;
  sortKey?: AttributeSpec;
  /** Attribute holding an epoch-seconds expiry, enables DynamoDB TTL. */
  ttlAttribute?: string;
}

export interface SecretSpec {
  name: string;
  description: string;
  /** Environment variable that supplies the value on the local cloud instead of the secret. */
  localEnv: string;
  /**
   * What the local cloud supplies when `localEnv` is unset: `webhook-sink` = the URL of its built-in webhook
   * sink (`/_local/webhooks`, which records what is posted); unset = the function gets an empty value.
   */
  localFallback?: 'webhook-sink';
}

/**
 * The CDN (CloudFront distribution) in front of a bucket that declares `cdn: true`. Not declared on its own:
 * each runtime derives it from the bucket (pipelines/validate.ts), and `ref.cdn(bucket)` names it.
 */
export interface CdnSpec {
  /** The bucket's name. */
  name: string;
  description: string;
  /** The bucket's `cdnPrivatePrefixes`. */
  privatePrefixes: string[];
}

/** An Amazon Data Firehose delivery stream to S3 with a Lambda transform. */
export interface DeliveryStreamSpec {
  name: string;
  description: string;
  destination: {
    bucket: string;
    /** Firehose prefix expression, e.g. `events/type=!{partitionKeyFromLambda:type}/...`. */
    prefix: string;
    /** Firehose error prefix expression; must contain `!{firehose:error-output-type}`. */
    errorPrefix: string;
    compression: 'GZIP' | 'UNCOMPRESSED';
    /** Partition keys returned by the transform (`metadata.partitionKeys`), for dynamic partitioning. */
    partitionKeys: string[];
  };
  buffering: { sizeMiB: number; intervalSeconds: number };
  /** Logical id of the function (in this pipeline) that transforms records. */
  processor: string;
}

/** Every resource kind and its spec: a new kind is a new entry here, plus one plug-in file per runtime. */
export interface ResourceSpecs {
  bucket: BucketSpec;
  cdn: CdnSpec;
  topic: TopicSpec;
  table: TableSpec;
  secret: SecretSpec;
  stream: DeliveryStreamSpec;
}
export type ResourceKind = keyof ResourceSpecs;

export type S3EventName = 's3:ObjectCreated:*' | 's3:ObjectRemoved:*';

export type Trigger =
  | {
      kind: 's3';
      bucket: string;
      events: S3EventName[];
      filter?: { prefix?: string; suffix?: string };
    }
  | { kind: 'sns'; topic: string }
  /** Invoked synchronously by Firehose as the stream's data-transformation processor. */
  | { kind: 'firehose-transform'; stream: string };
export type TriggerKind = Trigger['kind'];
/** The trigger of kind K. */
export type TriggerOf<K extends TriggerKind> = Extract<Trigger, { kind: K }>;

/** `invalidate` applies to a `cdn` ref only: cloudfront:CreateInvalidation on that distribution alone. */
export type AccessMode = 'read' | 'write' | 'readwrite' | 'publish' | 'invalidate';

/**
 * Lambda runtime identifiers this project can deploy (AWS Lambda "Supported runtimes"). The CDK app deploys
 * the function on it and bundles for its Node major; the local cloud reports it (AWS_EXECUTION_ENV, health,
 * start screen) while running the code on the host's Node.
 */
export type NodeRuntime = 'nodejs22.x' | 'nodejs24.x';

/** The runtime of every function that names none: Node 24, Active LTS (Node 22 leaves LTS in April 2027). */
export const DEFAULT_RUNTIME: NodeRuntime = 'nodejs24.x';

/** A function's runtime: its own, else the default. */
export const runtimeOf = (fn: Pick<FunctionSpec, 'runtime'>): NodeRuntime => fn.runtime ?? DEFAULT_RUNTIME;

/** The Node major a runtime runs, e.g. 24 for `nodejs24.x` (esbuild's `node24` target). */
export const nodeMajor = (runtime: NodeRuntime): number => Number(/^nodejs(\d+)\.x$/.exec(runtime)![1]);

export interface FunctionSpec {
  /** Logical id, unique across all pipelines, e.g. `image-resize`. */
  id: string;
  description: string;
  /** Module path relative to the repository root, exporting `handler`. */
  entry: string;
  trigger: Trigger;
  memoryMb: number;
  timeoutSeconds: number;
  /** Upper bound on concurrent executions (locally: worker count). */
  reservedConcurrency?: number;
  /** Why the memory and timeout are what they are (rendered into docs and CDK descriptions). */
  sizing: string;
  environment: Record<string, EnvValue>;
  /** What the function may touch; CDK turns these into grants, nothing else gets access. */
  access: Array<{ resource: ResourceRef; mode: AccessMode }>;
  /** npm packages that must ship as node_modules rather than be bundled (native code). */
  nodeModules?: string[];
  /** Lambda runtime; default DEFAULT_RUNTIME (set it only to pin one function to another runtime). */
  runtime?: NodeRuntime;
  /** Hints for the local cloud only (infra/local); the CDK app ignores them. */
  local?: LocalHints;
}

export interface LocalHints {
  /**
   * The handler keeps a CPU busy for most of an invocation (e.g. image decoding and encoding). On AWS each
   * sandbox has its own vCPU share; locally all workers share the host's cores, so the local cloud runs at
   * most one worker per core (still bounded by reservedConcurrency): more would only hold memory while
   * waiting for a core.
   */
  cpuBound?: boolean;
  /**
   * A sample input for this function's trigger, used by the start screen's copy-paste commands and by
   * `npm run demo` (each trigger kind's local plug-in decides how to send it: an S3 upload, an SNS publish,
   * Firehose records).
   */
  sample?: LocalSample;
}

export interface LocalSample {
  /** File name of the sample, written under `<dataDir>/samples/` (or, for `file`, its base name). */
  name: string;
  /** A file of the repository to send as is (repository-relative path), e.g. a photo. */
  file?: string;
  /** Content made at start (a fresh timestamp), when there is no `file`. */
  content?: () => string;
  /** SNS: the subject to publish with. S3: the key to upload to (default: `name` under the filter prefix). */
  subject?: string;
  key?: string;
  /** Firehose: how many records the demo sends, cycling through the sample's lines (default: its lines). */
  records?: number;
  /** Extra commands for the start screen (`{sample}` is replaced by the sample's path). */
  commands?: string[];
}

export interface PipelineDefinition {
  name: string;
  title: string;
  description: string;
  resources: {
    buckets?: BucketSpec[];
    topics?: TopicSpec[];
    tables?: TableSpec[];
    secrets?: SecretSpec[];
    streams?: DeliveryStreamSpec[];
  };
  functions: FunctionSpec[];
}
