// The local cloud's plug-in interfaces: what each resource kind and each trigger kind provides (one file
// per kind in this folder, registered in index.ts with mapped types so that a kind of pipelines/types.ts
// without a local implementation fails the type check). Generic code (wiring, start screen, demo) only
// calls these; it never switches on a kind.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type {
  AccessMode,
  LocalSample,
  ResourceKind,
  ResourceRef,
  SecretSpec,
  TriggerKind,
  TriggerOf,
} from '../../../pipelines/types.ts';
import type { Catalog, CatalogFunction, Declared } from '../../../pipelines/validate.ts';
import type { LocalApis } from '../apis.ts';
import type { LocalCaches } from '../caches.ts';
import type { CloudFrontService } from '../cloudfront.ts';
import type { DynamoBackend } from '../dynamodb.ts';
import type { FirehoseService } from '../firehose/api.ts';
import type { S3Backend, S3Change } from '../s3.ts';
import type { SnsMessage, SnsService, Subscription } from '../sns.ts';

/** The backends a plug-in creates its resources in. */
export interface LocalServices {
  endpoint: string;
  s3: S3Backend;
  dynamo: DynamoBackend;
  sns: SnsService;
  firehose: FirehoseService;
  cloudfront: CloudFrontService;
  /** Cache servers (valkey-server / redis-server children). */
  caches: LocalCaches;
  /** HTTP APIs served under /_api/<name>. */
  apis: LocalApis;
}

/** What a resource's environment ref needs to be resolved. */
export interface ResolveContext {
  /** The value the local cloud supplies for a secret (secret.ts `supplySecret`). */
  secretValue(secret: SecretSpec): string;
  /** The running cloud's services; absent when resolving outside one (then a cache resolves to none). */
  services?: LocalServices;
}

/** Settings shown next to a resource on the start screen. */
export interface DescribeContext {
  endpoint: string;
  /** The Firehose buffer in use, e.g. `1 MiB / 5 s`. */
  firehoseBuffer: string;
  services: LocalServices;
}

/** The AWS SDK clients and local endpoints the demo (`npm run demo`) works with. */
export interface DemoClients {
  endpoint: string;
  s3: S3Client;
  sns: SNSClient;
  firehose: FirehoseClient;
  dynamo: DynamoDBClient;
  /** GET /_local/<path> as JSON. */
  local<T>(path: string): Promise<T>;
}

/** How the demo sees what changed in a resource: a snapshot before, the differences after. */
export interface DemoWatch {
  snapshot(): Promise<unknown>;
  /** One line per result, e.g. `s3://display/thumb/a.webp  3.1 KB  image/webp`. */
  changes(before: unknown): Promise<string[]>;
}

export interface LocalResourceKind<K extends ResourceKind> {
  /** Heading on the start screen, e.g. `S3 buckets`. */
  title: string;
  /** Key of the list in /_local/health, e.g. `buckets`. */
  health: string;
  /** Creates the resource in its backend at start (kept across restarts: creating again is a no-op). */
  create(spec: Declared<K>, services: LocalServices): Promise<void>;
  /** Its identifier: what /_local/health lists (bucket name, topic ARN, distribution id...). */
  id(spec: Declared<K>): string;
  /** Its start-screen line: the identifier and what else helps (keys, destination...). */
  describe(spec: Declared<K>, ctx: DescribeContext): string;
  /** Something the user should know about it now (e.g. a cache that could not start), for the start screen. */
  warning?(spec: Declared<K>, ctx: DescribeContext): string | undefined;
  /** Its state beyond the identifier, for /_local/health (e.g. a cache server's status and URL). */
  state?(spec: Declared<K>, services: LocalServices): Record<string, unknown> | undefined;
  /**
   * The environment a ref to it gives a function: `{ [variable]: identifier }` for most kinds; a secret
   * supplies its local variable instead (SecretSpec.localEnv).
   */
  resolve(spec: Declared<K>, variable: string, ctx: ResolveContext): Record<string, string>;
  /** A command that shows what a function with `mode` access left in it (start screen), if any. */
  lookCommand?(spec: Declared<K>, mode: AccessMode, endpoint: string): string | undefined;
  /** Where the demo looks for results of a function with `mode` access, if anywhere. */
  watch?(spec: Declared<K>, mode: AccessMode, demo: DemoClients): DemoWatch | undefined;
}

/** What wiring a trigger can use. */
export interface TriggerWiring {
  services: LocalServices;
  catalog: Catalog;
  /** Journals the event, then invokes the function asynchronously (retries, DLQ); resolves once journaled. */
  invokeDurably(fn: CatalogFunction, event: unknown): Promise<void>;
  /** Called after each committed S3 change; the S3 answer waits for the returned promise. */
  onS3Change(listener: (change: S3Change) => Promise<void>): void;
  /** Called for each SNS delivery; the Publish answer waits for the returned promise. */
  onSnsDelivery(listener: (sub: Subscription, msg: SnsMessage) => Promise<void> | undefined): void;
  log(line: string): void;
}

/** A sample of a function's trigger as the start screen wrote it: the file and the definition's hints. */
export interface WrittenSample extends LocalSample {
  /** Absolute path of the sample file. */
  path: string;
  /** Path as shown in commands (relative to the working directory where possible). */
  shown: string;
}

export interface LocalTriggerKind<K extends TriggerKind> {
  /** Once per cloud, before any function is wired (e.g. the SNS delivery to Lambda subscriptions). */
  setup?(ctx: TriggerWiring): void;
  /** Connects the function to its source: notifications, a subscription, a Firehose processor. */
  wire(fn: CatalogFunction, trigger: TriggerOf<K>, ctx: TriggerWiring): Promise<void>;
  /** Whether the connection is in place now (health `subscribed`). */
  wired(fn: CatalogFunction, trigger: TriggerOf<K>, services: LocalServices): boolean;
  /** One line: where the function's events come from. */
  describe(trigger: TriggerOf<K>): string;
  /** One readable line about an event of this kind, for the per-invocation log line. */
  summarise(event: unknown): string;
  /** Copy-paste commands that send the sample to the trigger (start screen, GET /_local). */
  tryCommands(trigger: TriggerOf<K>, sample: WrittenSample, ctx: { endpoint: string }): string[];
  /** Sends the sample with the AWS SDK (demo); returns what was sent, as one line. */
  send(trigger: TriggerOf<K>, sample: LocalSample, content: Buffer, demo: DemoClients): Promise<string>;
  /**
   * After the pipeline settled (demo): reads results back through the trigger itself (e.g. the HTTP GETs
   * of the sample), one line per result.
   */
  check?(trigger: TriggerOf<K>, sample: LocalSample, content: Buffer, demo: DemoClients): Promise<string[]>;
  /** Resources (beyond the function's own `access`) where the trigger leaves results. */
  results(trigger: TriggerOf<K>, catalog: Catalog): Array<{ resource: ResourceRef; mode: AccessMode }>;
}
