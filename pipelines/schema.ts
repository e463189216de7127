// The zod schema of a pipeline definition: the one description of its shape. pipelines/types.ts derives
// every definition type from it (z.infer), and validate.ts parses each definition with it before checking
// cross-references, so the CDK app, the local cloud and the tests all refuse the same malformed field with
// the same message. Field rules follow what AWS accepts (names, sizes, limits), so a definition that passes
// here does not fail later in CloudFormation. No defaults and no transforms: a parsed definition is the
// definition as written.
import { z } from 'zod';

/** Every resource kind, in the order the runtimes create them (re-exported by kinds.ts). */
export const RESOURCE_KINDS = [
  'bucket',
  'cdn',
  'topic',
  'table',
  'secret',
  'stream',
  'cache',
  'api',
] as const;

const text = (what: string) => z.string().trim().min(1, `${what} must not be empty`);
const named = (pattern: RegExp, rule: string) => z.string().regex(pattern, `must be ${rule}`);

/** Also the physical bucket name on the local cloud, so it must be a valid S3 bucket name. */
const bucketName = named(
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  'a valid S3 bucket name (3-63 a-z, 0-9, . and -)',
);
const topicName = named(/^[A-Za-z0-9_-]{1,256}$/, 'a valid SNS topic name (1-256 A-Z, a-z, 0-9, _ and -)');
const tableName = named(
  /^[A-Za-z0-9_.-]{3,255}$/,
  'a valid DynamoDB table name (3-255 A-Z, a-z, 0-9, _ . -)',
);
const secretName = named(
  /^[A-Za-z0-9/_+=.@-]{1,512}$/,
  'a valid Secrets Manager name (1-512 of A-Z a-z 0-9 /_+=.@-)',
);
const streamName = named(
  /^[A-Za-z0-9_.-]{1,64}$/,
  'a valid Firehose stream name (1-64 A-Z, a-z, 0-9, _ . -)',
);
/** Lambda's own rule for environment variable names. */
const envName = named(
  /^[A-Za-z][A-Za-z0-9_]*$/,
  'a valid environment variable name (a letter, then letters, digits, _)',
);

export const AttributeSpecSchema = z.strictObject({
  name: named(/^[A-Za-z0-9_.-]{1,255}$/, 'a valid DynamoDB attribute name'),
  type: z.enum(['S', 'N']),
});

/** An S3 key prefix as a filter or a CDN rule: relative (no leading /), no `..` segment. */
const keyPrefix = z
  .string()
  .min(1, 'must not be empty (leave it out instead)')
  .max(1024, 'must be at most 1024 characters (S3 key limit)')
  .refine((p) => !p.startsWith('/'), 'must not start with "/" (S3 keys have no leading slash)')
  .refine((p) => !p.includes('*'), 'must be literal (S3 filters take no wildcards)');

export const BucketSpecSchema = z
  .strictObject({
    /** Logical name; also the physical name on the local cloud. */
    name: bucketName,
    description: text('description'),
    /** Serve this bucket through CloudFront (Origin Access Control) on AWS. */
    cdn: z.boolean().optional(),
    /** Key prefixes the CDN must never serve (e.g. internal markers); denied to CloudFront on AWS. */
    cdnPrivatePrefixes: z.array(keyPrefix).optional(),
  })
  .refine((b) => b.cdn || !b.cdnPrivatePrefixes?.length, {
    path: ['cdnPrivatePrefixes'],
    message: 'only applies to a bucket with cdn: true',
  });

export const TopicSpecSchema = z.strictObject({ name: topicName, description: text('description') });

export const TableSpecSchema = z
  .strictObject({
    name: tableName,
    description: text('description'),
    partitionKey: AttributeSpecSchema,
    sortKey: AttributeSpecSchema.optional(),
    /** Attribute holding an epoch-seconds expiry, enables DynamoDB TTL. */
    ttlAttribute: z.string().min(1).optional(),
  })
  .refine((t) => t.sortKey?.name !== t.partitionKey.name, {
    path: ['sortKey', 'name'],
    message: 'must differ from the partition key',
  })
  .refine(
    (t) => t.ttlAttribute === undefined || ![t.partitionKey.name, t.sortKey?.name].includes(t.ttlAttribute),
    {
      path: ['ttlAttribute'],
      message: 'must not be a key attribute',
    },
  );

export const SecretSpecSchema = z
  .strictObject({
    name: secretName,
    description: text('description'),
    /** Environment variable that supplies the value on the local cloud instead of the secret. */
    localEnv: envName,
    /**
     * What the local cloud supplies when `localEnv` is unset: `webhook-sink` = the URL of its built-in webhook
     * sink (`/_local/webhooks`, which records what is posted); unset = the function gets an empty value.
     */
    localFallback: z.literal('webhook-sink').optional(),
    /**
     * The value is random and nobody needs to know it (e.g. a signing key): on AWS Secrets Manager generates
     * it at deploy; the local cloud makes one per data dir and keeps it there (unless `localEnv` is set).
     */
    generate: z.literal(true).optional(),
  })
  .refine((s) => !(s.generate && s.localFallback), {
    path: ['localFallback'],
    message: 'does not apply to a generated secret (the local cloud makes its value)',
  });

/**
 * The CDN (CloudFront distribution) in front of a bucket that declares `cdn: true`. Not declared on its own:
 * validate.ts derives it from the bucket, and `ref.cdn(bucket)` names it.
 */
export const CdnSpecSchema = z.strictObject({
  /** The bucket's name. */
  name: bucketName,
  description: text('description'),
  /** The bucket's `cdnPrivatePrefixes`. */
  privatePrefixes: z.array(keyPrefix),
});

/** A Firehose prefix expression's dynamic-partitioning keys, e.g. `type` in `!{partitionKeyFromLambda:type}`. */
export const lambdaPartitionKeys = (prefix: string): string[] =>
  [...prefix.matchAll(/!\{partitionKeyFromLambda:([^}]*)\}/g)].map((m) => m[1]!);

/** An Amazon Data Firehose delivery stream to S3 with a Lambda transform. */
export const DeliveryStreamSpecSchema = z
  .strictObject({
    name: streamName,
    description: text('description'),
    destination: z.strictObject({
      bucket: bucketName,
      /** Firehose prefix expression, e.g. `events/type=!{partitionKeyFromLambda:type}/...`. */
      prefix: keyPrefix,
      /** Firehose error prefix expression; must contain `!{firehose:error-output-type}`. */
      errorPrefix: keyPrefix.refine(
        (p) => p.includes('!{firehose:error-output-type}'),
        'must contain !{firehose:error-output-type} (Firehose requires it)',
      ),
      compression: z.enum(['GZIP', 'UNCOMPRESSED']),
      /** Partition keys returned by the transform (`metadata.partitionKeys`), for dynamic partitioning. */
      partitionKeys: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a plain key name')),
    }),
    buffering: z.strictObject({
      sizeMiB: z.int().min(1, 'must be at least 1 MiB').max(128, 'must be at most 128 MiB (Firehose limit)'),
      intervalSeconds: z.int().min(0).max(900, 'must be at most 900 seconds (Firehose limit)'),
    }),
    /** Logical id of the function (in this pipeline) that transforms records. */
    processor: z.string(),
    /**
     * How an operator re-delivers records that Firehose wrote under the error prefix once the cause is fixed
     * (e.g. a replay command); the stream's alarms quote it.
     */
    recovery: text('recovery').optional(),
  })
  .superRefine((s, ctx) => {
    const used = lambdaPartitionKeys(s.destination.prefix);
    const declared = s.destination.partitionKeys;
    for (const k of used.filter((k) => !declared.includes(k)))
      ctx.addIssue({
        code: 'custom',
        path: ['destination', 'prefix'],
        message: `uses partition key "${k}", which is not in destination.partitionKeys`,
      });
    for (const k of declared.filter((k) => !used.includes(k)))
      ctx.addIssue({
        code: 'custom',
        path: ['destination', 'partitionKeys'],
        message: `"${k}" is not used by destination.prefix`,
      });
    if (declared.length > 0 && s.buffering.sizeMiB < 64)
      ctx.addIssue({
        code: 'custom',
        path: ['buffering', 'sizeMiB'],
        message: 'must be at least 64 MiB with dynamic partitioning (Firehose requires it)',
      });
  });

/**
 * A Valkey cache: ElastiCache Serverless on AWS (TLS only, reachable only from the functions with access
 * to it, which run in a VPC), a valkey-server or redis-server child process on the local cloud. A function
 * names it in its environment to get its URL (`rediss://host:port` on AWS, `redis://127.0.0.1:port`
 * locally), or an empty value where there is none (`-c cache=false` on AWS, no server binary locally):
 * code using a cache must work without one.
 */
export const CacheSpecSchema = z.strictObject({
  /** ElastiCache's rule for a serverless cache name. */
  name: named(
    /^(?!.*--)[a-z][a-z0-9-]{0,38}[a-z0-9]$/,
    'a valid ElastiCache cache name (2-40 a-z, 0-9 and -, starting with a letter, no -- and no trailing -)',
  ),
  description: text('description'),
  engine: z.literal('valkey'),
  /** ElastiCache Serverless usage limits, which cap the bill: stored data and ECPUs per second. */
  limits: z.strictObject({
    maxDataGb: z.int().min(1).max(5_000, 'must be at most 5000 GB (ElastiCache Serverless limit)'),
    maxEcpuPerSecond: z
      .int()
      .min(1_000, 'must be at least 1000 (ElastiCache Serverless limit)')
      .max(15_000_000, 'must be at most 15000000 (ElastiCache Serverless limit)'),
  }),
});

/** An HTTP API identity source, e.g. `$request.header.Authorization` (API Gateway's selection expressions). */
const identitySource = z
  .string()
  .regex(
    /^\$(request\.(header|querystring)\.[A-Za-z0-9_-]+|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)$/,
    'must be an identity source like $request.header.Authorization',
  );

/**
 * An API Gateway HTTP API (payload format 2.0). Every route is authorized by `authorizer`, a Lambda REQUEST
 * authorizer with simple responses: there are no anonymous routes. Routes come from the `http` triggers of
 * the functions that serve them. Locally it is served under `/_api/<name>` on the local cloud's edge.
 */
export const ApiSpecSchema = z.strictObject({
  name: named(/^[a-z][a-z0-9-]{0,62}$/, 'kebab-case, 1-63 characters (also its local path /_api/<name>)'),
  description: text('description'),
  /** Logical id of the function (an `http-authorizer` trigger on this API) that authorizes every route. */
  authorizer: z.string(),
  /** Where the authorizer reads the caller's identity; API Gateway answers 401 when one is missing. */
  identitySource: z.array(identitySource).min(1, 'must name at least one identity source'),
  /** How long API Gateway reuses an authorizer's answer for the same identity (0 = never). */
  authorizerCacheSeconds: z.int().min(0).max(3_600, 'must be at most 3600 seconds (API Gateway limit)'),
  /** Stage throttling: steady-state requests per second and burst (account quota: 10,000 / 5,000). */
  throttling: z.strictObject({
    rateLimit: z.number().positive().max(10_000, 'must be at most 10000 (API Gateway account quota)'),
    burstLimit: z.int().min(1).max(5_000, 'must be at most 5000 (API Gateway account quota)'),
  }),
});

/** A reference to a resource declared by some pipeline, by its logical name. */
export const ResourceRefSchema = z.strictObject({ kind: z.enum(RESOURCE_KINDS), name: z.string().min(1) });

/**
 * An environment value: either a literal setting, or a resource reference that each runtime resolves
 * to its physical identifier (bucket name, table name, topic ARN, stream name, secret ARN, and for a
 * bucket's CDN the CloudFront distribution id; the local cloud gives each CDN bucket a fixed local id; a
 * cache's URL, empty where there is none; an API's base URL).
 */
export const EnvValueSchema = z.union([z.string(), ResourceRefSchema]);

export const S3EventNameSchema = z.enum(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);

const pathSegment = '([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\+?\\})';
/** An HTTP API route key: a method and a path whose segments may be `{param}` or a final `{proxy+}`. */
export const RouteKeySchema = z
  .string()
  .regex(
    new RegExp(`^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (/${pathSegment})+$`),
    'must be an HTTP API route key like "GET /events" or "GET /events/{id}"',
  );

export const TriggerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string(),
    events: z.array(S3EventNameSchema).min(1, 'must name at least one event'),
    filter: z.strictObject({ prefix: keyPrefix.optional(), suffix: keyPrefix.optional() }).optional(),
  }),
  z.strictObject({ kind: z.literal('sns'), topic: z.string() }),
  /** Invoked synchronously by Firehose as the stream's data-transformation processor. */
  z.strictObject({ kind: z.literal('firehose-transform'), stream: z.string() }),
  /** Invoked synchronously by an HTTP API for each of its routes (after the API's authorizer allowed it). */
  z.strictObject({
    kind: z.literal('http'),
    api: z.string(),
    routes: z.array(RouteKeySchema).min(1, 'must name at least one route'),
  }),
  /** Invoked synchronously by an HTTP API as its Lambda REQUEST authorizer (the API's `authorizer`). */
  z.strictObject({ kind: z.literal('http-authorizer'), api: z.string() }),
]);

/**
 * `invalidate` applies to a `cdn` ref only: cloudfront:CreateInvalidation on that distribution alone.
 * `connect` applies to a `cache` only: network reach to it (on AWS the function joins the cache's VPC and
 * its security group is admitted by the cache's).
 */
export const AccessModeSchema = z.enum(['read', 'write', 'readwrite', 'publish', 'invalidate', 'connect']);

/**
 * Lambda runtime identifiers this project can deploy (AWS Lambda "Supported runtimes"). The CDK app deploys
 * the function on it and bundles for its Node major; the local cloud reports it (AWS_EXECUTION_ENV, health,
 * start screen) while running the code on the host's Node.
 */
export const NodeRuntimeSchema = z.enum(['nodejs22.x', 'nodejs24.x']);

export const LocalSampleSchema = z
  .strictObject({
    /** File name of the sample, written under `<dataDir>/samples/` (or, for `file`, its base name). */
    name: z.string().regex(/^[^/\\]+$/, 'must be a file name (no directory)'),
    /** A file of the repository to send as is (repository-relative path), e.g. a photo. */
    file: z.string().optional(),
    /** Content made at start (a fresh timestamp), when there is no `file`. */
    content: z
      .custom<() => string>((v) => typeof v === 'function', 'must be a function returning the sample')
      .optional(),
    /** SNS: the subject to publish with. */
    subject: z.string().max(99, 'must be at most 99 characters (SNS limit)').optional(),
    /** S3: the key to upload to (default: `name` under the filter prefix). */
    key: z.string().min(1).optional(),
    /** Firehose: how many records the demo sends, cycling through the sample's lines (default: its lines). */
    records: z.int().min(1).optional(),
    /** Extra commands for the start screen (`{sample}` is replaced by the sample's path). */
    commands: z.array(z.string()).optional(),
    /**
     * HTTP: how a caller gets a credential. The demo runs `command` against the local cloud
     * (AWS_ENDPOINT_URL set) and takes its first output line; the start screen shows it as
     * `export <variable>=$(…)`. `authorization` is the Authorization header made of it (`{credential}`).
     */
    credential: z
      .strictObject({
        command: z.string().min(1),
        variable: envName,
        authorization: z.string().includes('{credential}', { message: 'must contain {credential}' }),
      })
      .optional(),
  })
  .refine((s) => (s.file === undefined) !== (s.content === undefined), {
    message: 'must have exactly one of file and content',
  });

export const LocalHintsSchema = z.strictObject({
  /**
   * The handler keeps a CPU busy for most of an invocation (e.g. image decoding and encoding). On AWS each
   * sandbox has its own vCPU share; locally all workers share the host's cores, so the local cloud runs at
   * most one worker per core (still bounded by reservedConcurrency): more would only hold memory while
   * waiting for a core.
   */
  cpuBound: z.boolean().optional(),
  /**
   * The handler parses a large request (megabytes of JSON) and allocates while it holds it. Locally, workers
   * get a small V8 young generation so that several fit one host; such a handler's workers get the one
   * Lambda gives the function's memory instead (infra/local/lambda.ts, localYoungGenerationMb), so that its
   * scavenges do not copy and promote the request it holds.
   */
  largeRequests: z.boolean().optional(),
  /**
   * A sample input for this function's trigger, used by the start screen's copy-paste commands and by
   * `npm run demo` (each trigger kind's local plug-in decides how to send it: an S3 upload, an SNS publish,
   * Firehose records).
   */
  sample: LocalSampleSchema.optional(),
});

/** Variables Lambda sets itself and refuses in a function's configuration. */
export const RESERVED_ENV = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

export const FunctionSpecSchema = z.strictObject({
  /** Logical id, unique across all pipelines, e.g. `image-resize`; valid as a Lambda function name. */
  id: named(/^[A-Za-z0-9_-]{1,64}$/, 'a valid Lambda function name (1-64 A-Z, a-z, 0-9, _ and -)'),
  description: text('description').max(256, 'must be at most 256 characters (Lambda limit)'),
  /** Module path relative to the repository root, exporting `handler`. */
  entry: z
    .string()
    .regex(
      /^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+\.(ts|mts|js|mjs)$/,
      'must be a repository-relative .ts or .js module path',
    ),
  trigger: TriggerSchema,
  memoryMb: z
    .int()
    .min(128, 'must be at least 128 MB')
    .max(10_240, 'must be at most 10240 MB (Lambda limit)'),
  timeoutSeconds: z
    .int()
    .min(1, 'must be at least 1 second')
    .max(900, 'must be at most 900 seconds (Lambda limit)'),
  /** Upper bound on concurrent executions (locally: worker count). */
  reservedConcurrency: z.int().min(1, 'must be at least 1 (0 would never run the function)').optional(),
  /** Why the memory and timeout are what they are (rendered into docs and CDK descriptions). */
  sizing: text('sizing'),
  environment: z.record(
    envName.refine((n) => !RESERVED_ENV.includes(n), 'is reserved by Lambda'),
    EnvValueSchema,
  ),
  /** What the function may touch; CDK turns these into grants, nothing else gets access. */
  access: z.array(z.strictObject({ resource: ResourceRefSchema, mode: AccessModeSchema })),
  /** npm packages that must ship as node_modules rather than be bundled (native code). */
  nodeModules: z.array(z.string().min(1)).optional(),
  /** Lambda runtime; default DEFAULT_RUNTIME (set it only to pin one function to another runtime). */
  runtime: NodeRuntimeSchema.optional(),
  /** Hints for the local cloud only (infra/local); the CDK app ignores them. */
  local: LocalHintsSchema.optional(),
});

/** The spec schema of each resource kind (a CDN is derived from its bucket, never declared). */
export const RESOURCE_SPEC_SCHEMAS = {
  bucket: BucketSpecSchema,
  cdn: CdnSpecSchema,
  topic: TopicSpecSchema,
  table: TableSpecSchema,
  secret: SecretSpecSchema,
  stream: DeliveryStreamSpecSchema,
  cache: CacheSpecSchema,
  api: ApiSpecSchema,
} as const satisfies { [K in (typeof RESOURCE_KINDS)[number]]: z.ZodType };

export const PipelineDefinitionSchema = z.strictObject({
  name: named(/^[a-z][a-z0-9-]*$/, 'kebab-case (its folder under pipelines/)'),
  title: text('title'),
  description: text('description'),
  resources: z.strictObject({
    buckets: z.array(BucketSpecSchema).optional(),
    topics: z.array(TopicSpecSchema).optional(),
    tables: z.array(TableSpecSchema).optional(),
    secrets: z.array(SecretSpecSchema).optional(),
    streams: z.array(DeliveryStreamSpecSchema).optional(),
    caches: z.array(CacheSpecSchema).optional(),
    apis: z.array(ApiSpecSchema).optional(),
  }),
  functions: z.array(FunctionSpecSchema),
});
