// Wiring of the local cloud, from the catalog and the kinds' plug-ins (kinds/): a worker pool per function
// with its environment resolved, every resource created in its backend, every trigger connected, durable
// asynchronous invocation (journaled before the caller is answered, acknowledged once handled or
// dead-lettered, replayed at the next start), one log line per invocation, and the health report.
import path from 'node:path';
import { RESOURCE_KINDS } from '../../pipelines/kinds.ts';
import { type FunctionSpec, type ResourceKind, runtimeOf } from '../../pipelines/types.ts';
import type { Catalog, CatalogFunction, Declared } from '../../pipelines/validate.ts';
import { DEFAULTS, type LocalEnv, REPO_ROOT } from './config.ts';
import type { DeadLetterStore } from './dlq.ts';
import type { JournalEntry, JournalLike } from './journal.ts';
import { eachResource, resourceKind, triggerKind } from './kinds/index.ts';
import { supplySecret } from './kinds/secret.ts';
import type { LocalServices, TriggerWiring } from './kinds/types.ts';
import {
  type AsyncInvoker,
  FunctionPool,
  functionArn,
  type InvokeResult,
  localWorkerCap,
  localYoungGenerationMb,
} from './lambda.ts';
import { REGION } from './names.ts';
import { resolveEnvironment } from './resources.ts';

/** How much of each invocation the terminal shows: nothing, one line (default), or the function's logs too. */
export type FunctionLogs = 'off' | 'summary' | 'full';

export interface WiringOptions {
  catalog: Catalog;
  /** Where generated secrets are kept (secret.ts). */
  dataDir: string;
  services: LocalServices;
  env: LocalEnv;
  /** Extra environment for every function. */
  extraEnv: Record<string, string>;
  /** Values of secrets' local variables (SecretSpec.localEnv) that win over the process environment. */
  secrets: Record<string, string>;
  journal: JournalLike;
  asyncInvoker: AsyncInvoker;
  dlq: DeadLetterStore;
  functionLogs: FunctionLogs;
  print(line: string): void;
  /** Remembers a secret value, so that it is redacted from everything the cloud prints or keeps. */
  keepSecret(value: string): void;
  scrub(text: string): string;
  hooks: Pick<TriggerWiring, 'onS3Change' | 'onSnsDelivery'>;
  /** After every invocation (the console's counters); `waited`: it queued for a free worker. */
  onInvocation?(fn: CatalogFunction, event: unknown, result: InvokeResult, ms: number, waited: boolean): void;
}

export interface Wired {
  pools: Map<string, FunctionPool>;
  /** Functions whose handler module does not exist (yet); their invocations fail into the DLQ. */
  missingHandlers: string[];
  /** Delivers what the journal holds of asynchronous invocations; returns how many. */
  replay(entries: readonly JournalEntry[]): number;
  /** The resources and functions part of /_local/health. */
  health(): Record<string, unknown>;
}

/** Journal kind of an asynchronous invocation (S3 notification, SNS delivery): `{ functionId, event }`. */
const INVOKE_KIND = 'invoke';

export async function wire(o: WiringOptions): Promise<Wired> {
  const { catalog, services, journal, asyncInvoker } = o;
  const pools = new Map<string, FunctionPool>();
  const secretValue = (secret: Parameters<typeof supplySecret>[0]) => {
    const value = supplySecret(secret, {
      endpoint: services.endpoint,
      given: (variable) => o.secrets[variable] ?? process.env[variable],
      dataDir: o.dataDir,
    });
    // The sink's own URL is no secret; anything else given for a secret is.
    if (value && !value.startsWith(`${services.endpoint}/_local/`)) o.keepSecret(value);
    return value;
  };
  // Resources first: some are known only once created (a cache's port), and functions' environments name them.
  for (const { spec, plugin } of eachResource(catalog)) await plugin.create(spec, services);
  for (const fn of catalog.functions) {
    const env = {
      ...baseEnv(fn, services.endpoint),
      ...resolveEnvironment(catalog, fn, secretValue, services),
      ...o.extraEnv,
    };
    pools.set(
      fn.id,
      new LoggedPool(
        {
          id: fn.id,
          entry: fn.entry,
          entryPath: path.resolve(REPO_ROOT, fn.entry),
          handlerName: 'handler',
          memoryMb: fn.memoryMb,
          timeoutSeconds: fn.timeoutSeconds,
          concurrency: localWorkerCap(fn, o.env),
          youngGenerationMb: localYoungGenerationMb(fn),
          idleMs: o.env.LOCAL_WORKER_IDLE_MS ?? DEFAULTS.workerIdleMs,
          env,
        },
        (id, line) => {
          if (o.functionLogs === 'full') console.log(`λ ${id} │ ${o.scrub(line)}`);
        },
        (event, result, ms, waited) => {
          if (o.functionLogs !== 'off') console.log(o.scrub(invocationLine(fn, event, result, ms)));
          o.onInvocation?.(fn, event, result, ms, waited);
        },
      ),
    );
  }
  const missingHandlers = [...pools.values()].filter((p) => !p.moduleExists).map((p) => p.config.id);

  const submit = (fnId: string, event: unknown, journalId: number) => {
    const pool = pools.get(fnId);
    if (pool) {
      void asyncInvoker.submit(pool, event).then((done) => {
        if (done) journal.ack(journalId);
      });
      return;
    }
    // The function is no longer defined: keep the event where it can be seen, rather than drop it.
    void o.dlq
      .add({
        functionId: fnId,
        event,
        error: {
          errorType: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${functionArn(fnId)} (a journaled event replayed at start)`,
          stack: [],
        },
        attempts: 0,
        time: new Date().toISOString(),
      })
      .then(() => journal.ack(journalId));
  };
  const ctx: TriggerWiring = {
    services,
    catalog,
    ...o.hooks,
    log: o.print,
    async invokeDurably(fn: CatalogFunction, event: unknown) {
      const id = await journal.append(INVOKE_KIND, Buffer.from(JSON.stringify({ functionId: fn.id, event })));
      submit(fn.id, event, id);
    },
  };

  const setUp = new Set<unknown>();
  for (const fn of catalog.functions) {
    const kind = triggerKind(fn.trigger);
    if (!setUp.has(kind)) kind.setup?.(ctx);
    setUp.add(kind);
    await kind.wire(fn, fn.trigger, ctx);
  }

  return {
    pools,
    missingHandlers,
    replay(entries) {
      let count = 0;
      for (const e of entries) {
        if (e.kind !== INVOKE_KIND) continue;
        const { functionId, event } = JSON.parse(e.payload.toString('utf8')) as {
          functionId: string;
          event: unknown;
        };
        submit(functionId, event, e.id);
        count++;
      }
      return count;
    },
    health() {
      const resources: Record<string, string[]> = {};
      const states: Record<string, Record<string, unknown>> = {};
      for (const kind of RESOURCE_KINDS) {
        const plugin = resourceKind(kind);
        const specs = catalog.resources[kind] as Array<Declared<ResourceKind>>;
        resources[plugin.health] = specs.map((spec) => plugin.id(spec));
        for (const spec of specs) {
          const state = plugin.state?.(spec, services);
          if (state) states[`${kind}:${spec.name}`] = state;
        }
      }
      return {
        ...resources,
        // What some resources are doing now (a cache server's status and URL, an API's address and routes).
        resourceStates: states,
        functions: catalog.functions.map((f) => ({
          id: f.id,
          pipeline: f.pipeline,
          runtime: runtimeOf(f), // the Lambda runtime the definition deploys; the code runs on the host's Node
          trigger: triggerKind(f.trigger).describe(f.trigger),
          subscribed: triggerKind(f.trigger).wired(f, f.trigger, services),
          handler: missingHandlers.includes(f.id) ? `missing: ${f.entry} does not exist` : 'ok',
        })),
      };
    },
  };
}

/** A pool that reports each finished invocation (the terminal's line per invocation, the console's counters). */
class LoggedPool extends FunctionPool {
  constructor(
    config: ConstructorParameters<typeof FunctionPool>[0],
    log: ConstructorParameters<typeof FunctionPool>[1],
    private readonly onInvoked?: (event: unknown, result: InvokeResult, ms: number, waited: boolean) => void,
  ) {
    super(config, log);
  }

  private running = 0;

  override async invoke(event: unknown): Promise<InvokeResult> {
    const started = performance.now();
    const waited = this.running >= this.config.concurrency; // every worker busy: this one queues
    this.running++;
    const result = await super.invoke(event).finally(() => this.running--);
    this.onInvoked?.(event, result, performance.now() - started, waited);
    return result;
  }
}

/** `λ image-resize ✓ 1.42 s  ObjectCreated:Put s3://uploads/a.jpg` (or ✗ and the error). */
export function invocationLine(
  fn: CatalogFunction,
  event: unknown,
  result: InvokeResult,
  ms: number,
): string {
  const took = ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
  const what = triggerKind(fn.trigger).summarise(event);
  return result.ok
    ? `λ ${fn.id} ✓ ${took}  ${what}`
    : `λ ${fn.id} ✗ ${took}  ${what}: ${result.error.errorType}: ${result.error.errorMessage}`;
}

function baseEnv(fn: FunctionSpec, endpoint: string): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'LOG_LEVEL', 'POWERTOOLS_LOG_LEVEL', 'NODE_EXTRA_CA_CERTS'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: fn.id,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.id}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtimeOf(fn)}`, // as Lambda sets it, from the definition's runtime
    LAMBDA_TASK_ROOT: REPO_ROOT,
    POWERTOOLS_SERVICE_NAME: fn.id,
  };
}
