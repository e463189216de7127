// The local cloud's lifecycle: starts the backends (S3 by the project's own engine in ./s3/, DynamoDB via
// dynalite, SNS, Firehose and CloudFront invalidations hand-written) behind one HTTP edge on 127.0.0.1:4566
// (edge.ts), wires every resource, trigger and function from the pipeline definitions (wiring.ts, through
// the kinds' plug-ins in kinds/), replays what the journal holds, and settles or stops with one drain loop.
// Durability: what the cloud accepts (Firehose records, S3 notifications, SNS deliveries) is journaled
// (journal.ts) before the answer and replayed at the next start if it was not yet delivered; one cloud
// per data directory (lock.ts). HTTP APIs are served under /_api/ (apis.ts); caches are valkey-server or
// redis-server children (caches.ts), started in the background. Endpoints and settings: infra/local/README.md.
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipelines as defaultPipelines } from '../../pipelines/index.ts';
import type { PipelineDefinition } from '../../pipelines/types.ts';
import type { Catalog } from '../../pipelines/validate.ts';
import { redact, redactDeep } from '../../shared/redact.ts';
import { LocalApis } from './apis.ts';
import { LocalCaches } from './caches.ts';
import { CloudFrontService } from './cloudfront.ts';
import { DEFAULTS, type LocalEnv, REPO_ROOT, readLocalEnv } from './config.ts';
import { createConsole } from './console/index.ts';
import { DeadLetterStore } from './dlq.ts';
import { startDynamo } from './dynamodb.ts';
import { createEdge, localRoutes } from './edge.ts';
import { type FirehoseOptions, FirehoseService } from './firehose/api.ts';
import { Journal, type JournalEntry, type JournalLike, NoJournal } from './journal.ts';
import type { LocalServices, TriggerWiring } from './kinds/types.ts';
import { AsyncInvoker } from './lambda.ts';
import { acquireLock } from './lock.ts';
import { collectResources } from './resources.ts';
import { type S3Change, startS3 } from './s3.ts';
import { SlackSink } from './slack-sink.ts';
import { SnsService } from './sns.ts';
import { pipelineTries, planSamples } from './start-screen.ts';
import { type FunctionLogs, invocationLine, type Wired, wire } from './wiring.ts';

export interface LocalCloudOptions {
  /** 0 = a free port; default LOCAL_PORT or 4566. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default LOCAL_DATA_DIR or <repo>/.local. */
  dataDir?: string;
  /** The pipelines to run; default pipelines/index.ts `pipelines`. Pass `[...pipelines, extra]` to add one. */
  pipelines?: readonly PipelineDefinition[];
  /** Extra environment for every function (e.g. settings overrides). */
  env?: Record<string, string>;
  /**
   * Values for secrets' local variables (SecretSpec.localEnv, e.g. `{ SLACK_WEBHOOK_URL: url }`); default
   * the process environment, then each secret's `localFallback`.
   */
  secrets?: Record<string, string>;
  /** Default 1 MiB / 5 s (LOCAL_FIREHOSE_BUFFER_BYTES / LOCAL_FIREHOSE_BUFFER_INTERVAL_MS). */
  firehoseBuffer?: { sizeBytes?: number; intervalMs?: number };
  /** Delay before the first async (S3/SNS) retry, doubled for the second; default 1,000 ms. */
  asyncRetryDelayMs?: number;
  /** No start-up messages, delivery summaries or invocation lines (unless `functionLogs` says otherwise). */
  quiet?: boolean;
  /** Per invocation: `summary` one line (default), `full` also the function's logs, `off` nothing. */
  functionLogs?: FunctionLogs;
  /**
   * Journal accepted records and notifications before answering (default true). `false` only for the
   * journal's benchmark baseline: then a crash loses whatever was not yet delivered.
   */
  journal?: boolean;
  /** How long stop() keeps delivering before it leaves the rest to the journal; default 5,000 ms. */
  stopGraceMs?: number;
  /** Run cache servers for `cache` resources (default LOCAL_CACHE, else on when a server binary exists). */
  cache?: boolean;
  /** An idle function worker is released after this long, 0 = never (default LOCAL_WORKER_IDLE_MS, 60 s). */
  workerIdleMs?: number;
}

export interface LocalCloud {
  endpoint: string;
  port: number;
  dataDir: string;
  /**
   * Graceful: refuses new Firehose records, flushes every buffer and waits for in-flight invocations for
   * up to `stopGraceMs` (then, or at once with `{ hurry: true }`, cuts them short: what they held stays
   * in the journal for the next start), closes everything and releases the data directory.
   */
  stop(opts?: { hurry?: boolean }): Promise<void>;
  /**
   * Flushes every Firehose buffer now and waits until the resulting deliveries and every pending
   * asynchronous invocation (including retries) have finished. Tests use it instead of sleeping.
   */
  settle(): Promise<void>;
  /** What runs: the validated definitions (resources by kind, functions), for the start screen and tests. */
  resources: Catalog;
  /** Functions whose handler module does not exist (yet); their invocations fail into the DLQ. */
  missingHandlers: string[];
  /** The backends the kinds' plug-ins use (start screen; tests reach a cache server through `caches`). */
  services: LocalServices;
}

const DEFAULT_STOP_GRACE_MS = 5_000;

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const env: LocalEnv = readLocalEnv();
  const quiet = options.quiet ?? false;
  const host = options.host ?? env.LOCAL_HOST ?? DEFAULTS.host;
  const dataDir = path.resolve(options.dataDir ?? env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.local'));
  const requestedPort = options.port ?? env.LOCAL_PORT ?? DEFAULTS.port;
  const buffer = {
    sizeBytes:
      options.firehoseBuffer?.sizeBytes ?? env.LOCAL_FIREHOSE_BUFFER_BYTES ?? DEFAULTS.firehoseBufferBytes,
    intervalMs:
      options.firehoseBuffer?.intervalMs ??
      env.LOCAL_FIREHOSE_BUFFER_INTERVAL_MS ??
      DEFAULTS.firehoseIntervalMs,
  };
  const retryDelayMs =
    options.asyncRetryDelayMs ?? env.LOCAL_ASYNC_RETRY_DELAY_MS ?? DEFAULTS.asyncRetryDelayMs;
  const functionLogs: FunctionLogs =
    options.functionLogs ?? functionLogsFromEnv(env.LOCAL_FUNCTION_LOGS) ?? (quiet ? 'off' : 'summary');
  const print = (line: string) => {
    if (!quiet) console.log(line);
  };

  const catalog = collectResources(options.pipelines ?? defaultPipelines);
  await mkdir(dataDir, { recursive: true });
  const lock = await acquireLock(dataDir);
  if (lock.tookOverFrom)
    print(`Took over the data directory from pid ${lock.tookOverFrom.pid}, which no longer runs.`);

  // If anything below fails (port in use, corrupt data dir), close what already started, so that a
  // failed start leaves no servers behind in the calling process.
  const cleanups: Array<() => Promise<unknown>> = [() => lock.release()];
  const failStart = async (err: unknown): Promise<never> => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    throw err;
  };

  // Secret values given to functions (e.g. a real webhook URL): removed, in any encoding, from function
  // log lines, failure summaries and dead letters, wherever a function's error or output might echo them.
  const secrets: string[] = [];
  const scrub = (text: string) => secrets.reduce((t, secret) => redact(t, secret), text);
  let wired: Wired | undefined;
  let ready = false;
  let stopping = false;
  const backends = await openBackends({
    dataDir,
    journal: options.journal ?? true,
    buffer,
    retryDelayMs,
    print,
    redactSecrets: (d) => secrets.reduce((v, secret) => redactDeep(v, secret), d),
    processor: (id) => wired?.pools.get(id),
    cleanups,
  }).catch(failStart);
  const { dlq, sink, cloudfront, journal, replay, s3, dynamo, sns, firehose, s3Listeners, snsListeners } =
    backends;
  const caches = new LocalCaches({
    dataDir,
    enabled: options.cache ?? env.LOCAL_CACHE !== 'off',
    log: print,
  });
  cleanups.push(() => caches.stop());
  // Route functions and authorizers are invoked synchronously (RequestResponse), as API Gateway does.
  const apis = new LocalApis(async (id, event) => {
    const pool = wired?.pools.get(id);
    if (!pool)
      return {
        ok: false,
        error: { errorType: 'ResourceNotFoundException', errorMessage: `no function ${id}` },
      };
    return pool.invoke(event);
  }, print);
  const asyncInvoker = new AsyncInvoker({
    retryDelayMs,
    retries: 2,
    dlq,
    onFailure: (id, error, attempt) =>
      print(
        scrub(
          `λ ${id} ✗ attempt ${attempt}/3: ${error.errorType}: ${error.errorMessage}${attempt === 3 ? ' → DLQ (GET /_local/dlq)' : ''}`,
        ),
      ),
  });

  /**
   * The one drain loop of settle() and stop(): deliveries create objects that trigger functions, whose
   * writes may trigger more, so flush and wait until quiet (at most five rounds).
   */
  const drain = async (opts: { hurry?: boolean } = {}) => {
    for (let round = 0; round < 5; round++) {
      await firehose.drain();
      await asyncInvoker.drain(opts);
      await new Promise((r) => setTimeout(r, 20));
      if (asyncInvoker.pending === 0) break;
    }
  };
  const settle = () => drain();

  // The console (console/): its routes join the edge's; it hears S3 changes and invocations.
  const web = createConsole({
    ...{ catalog, sink, dlq, firehose, cloudfront, health: () => health(), pools: () => wired?.pools },
    ...{ endpoint: () => endpoint, scrub: (v) => secrets.reduce((x, s) => redactDeep(x, s), v) },
  });
  s3Listeners.push(async (c) => web.activity.s3Change(c));
  cleanups.push(async () => web.close());
  // The edge.
  const server = createEdge(
    host,
    { s3, dynamo, sns, firehose, cloudfront, apis },
    [...localRoutes({ health: () => health(), sink, cloudfront, dlq, firehose, settle }), ...web.routes],
    () => ({
      // Each pipeline's copy-paste commands (the start screen's), e.g. the HTTP APIs' curl examples.
      try: Object.fromEntries(pipelineTries(catalog, endpoint, planSamples(catalog, dataDir))),
      // Where the HTTP APIs answer, how the caches are (the health report's resource states).
      resourceStates: wired?.health().resourceStates ?? {},
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => resolve());
  }).catch(failStart);
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  await lock.setEndpoint(endpoint).catch(failStart);

  // Resources, functions and triggers, from the definitions.
  const services: LocalServices = { endpoint, s3, dynamo, sns, firehose, cloudfront, caches, apis };
  try {
    wired = await wire({
      catalog,
      dataDir,
      services,
      env: options.workerIdleMs === undefined ? env : { ...env, LOCAL_WORKER_IDLE_MS: options.workerIdleMs },
      extraEnv: options.env ?? {},
      secrets: options.secrets ?? {},
      journal,
      asyncInvoker,
      dlq,
      functionLogs,
      print,
      keepSecret: (value) => {
        if (!secrets.includes(value)) secrets.push(value);
      },
      scrub,
      hooks: {
        onS3Change: (l) => s3Listeners.push(l),
        onSnsDelivery: (l) => snsListeners.push(l),
      },
      onInvocation: (fn, event, r, ms, waited) =>
        web.activity.invoked(fn.id, r.ok, ms, waited, scrub(invocationLine(fn, event, r, ms))),
    });
  } catch (err) {
    await failStart(err);
  }
  const { pools, missingHandlers } = wired!;
  cleanups.push(() => Promise.all([...pools.values()].map((p) => p.close())));

  // What was accepted before a crash (or a stop cut short) and not yet delivered: deliver it now.
  const replayed = { records: firehose.restore(replay), invocations: wired!.replay(replay) };
  if (replayed.records || replayed.invocations)
    print(
      `Replaying from the journal: ${replayed.records} Firehose record(s), ${replayed.invocations} function invocation(s) accepted before the last stop.`,
    );
  ready = true;

  function health() {
    return {
      ready: ready && !stopping,
      body: {
        status: ready && !stopping ? 'ok' : stopping ? 'stopping' : 'starting',
        endpoint,
        hostNode: process.version,
        dataDir,
        ...(wired?.health() ?? {}),
        pendingInvocations: asyncInvoker.pending,
        deadLetters: dlq.all().length,
      },
    };
  }

  let stopped: Promise<void> | undefined;
  let hurry: () => void = () => {};
  const hurried = new Promise<void>((resolve) => {
    hurry = resolve;
  });
  const stop = (opts: { hurry?: boolean } = {}) => {
    if (opts.hurry) hurry();
    stopped ??= (async () => {
      stopping = true;
      firehose.closeIntake();
      // Deliver what is buffered, and let running functions finish, for up to the grace period.
      const graceful = drain({ hurry: true });
      const grace = setTimeout(hurry, options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
      await Promise.race([graceful, hurried]);
      clearTimeout(grace);
      // Whatever is still under way is cut short; it stays in the journal for the next start.
      firehose.abort();
      asyncInvoker.abort();
      await Promise.all([...pools.values()].map((p) => p.close()));
      await Promise.race([graceful, new Promise((r) => setTimeout(r, 2_000))]);
      web.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([
        s3.close(),
        dynamo.close(),
        dlq.flush(),
        sink.flush(),
        cloudfront.flush(),
        sns.flush(),
        caches.stop(),
      ]);
      await journal.close();
      await lock.release();
    })();
    return stopped;
  };

  return { endpoint, port, dataDir, stop, settle, resources: catalog, missingHandlers, services };
}

function functionLogsFromEnv(value: LocalEnv['LOCAL_FUNCTION_LOGS']): FunctionLogs | undefined {
  if (value === '0') return 'off';
  if (value === '1') return 'full';
  return value;
}

/**
 * The stores and services on the data directory, each added to `cleanups` once open. The S3 and SNS
 * backends call the listeners the triggers register (kinds/*-trigger.ts), and answer only once every
 * resulting invocation is journaled.
 */
async function openBackends(o: {
  dataDir: string;
  journal: boolean;
  buffer: { sizeBytes: number; intervalMs: number };
  retryDelayMs: number;
  print: (line: string) => void;
  redactSecrets: <T>(value: T) => T;
  processor: FirehoseOptions['processor'];
  cleanups: Array<() => Promise<unknown>>;
}) {
  const { dataDir, print, cleanups } = o;
  const dlq = new DeadLetterStore(dataDir, o.redactSecrets);
  const sink = new SlackSink(dataDir, print);
  const cloudfront = new CloudFrontService(dataDir, [], print);
  await Promise.all([dlq.load(), sink.load(), cloudfront.load()]);
  let journal: JournalLike = new NoJournal();
  let replay: JournalEntry[] = [];
  if (o.journal) {
    const opened = await Journal.open(path.join(dataDir, 'journal'));
    journal = opened.journal;
    replay = opened.pending;
    cleanups.push(() => journal.close());
  }
  const s3Listeners: Array<(c: S3Change) => Promise<void>> = [];
  const snsListeners: Array<Parameters<TriggerWiring['onSnsDelivery']>[0]> = [];
  const s3 = await startS3(path.join(dataDir, 's3'), async (c) => {
    await Promise.all(s3Listeners.map((l) => l(c)));
  });
  cleanups.push(() => s3.close());
  const dynamo = await startDynamo(path.join(dataDir, 'dynamodb'));
  cleanups.push(() => dynamo.close());
  const sns = new SnsService(dataDir, async (sub, msg) => {
    await Promise.all(snsListeners.map((l) => l(sub, msg)));
  });
  await sns.load();
  const firehose = new FirehoseService({
    processor: o.processor,
    writeObject: (bucket, key, body) => s3.putObject(bucket, key, body),
    buffer: o.buffer,
    retryDelayMs: Math.min(o.retryDelayMs, 1_000),
    dataDir,
    log: print,
    journal,
  });
  return { dlq, sink, cloudfront, journal, replay, s3, dynamo, sns, firehose, s3Listeners, snsListeners };
}
