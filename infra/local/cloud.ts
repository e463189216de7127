// The local cloud: one HTTP edge on 127.0.0.1:4566 speaking the real AWS wire protocols (S3 by the
// project's own engine in ./s3/, DynamoDB via dynalite, SNS, Firehose and CloudFront invalidations
// hand-written), with every resource, trigger and function built
// from the pipeline definitions (pipelines/index.ts), functions run as local Lambdas (lambda.ts), and
// inspection endpoints under /_local/ (documented in infra/local/README.md).
// Durability: what the cloud accepts (Firehose records, S3 notifications, SNS deliveries) is journaled
// (journal.ts) before the answer and replayed at the next start if it was not yet delivered; one cloud
// per data directory (lock.ts).
import { mkdir } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipelines as defaultPipelines } from '../../pipelines/index.ts';
import { type FunctionSpec, type PipelineDefinition, runtimeOf } from '../../pipelines/types.ts';
import { buildS3Event, buildSnsEvent } from '../../shared/events/builders.ts';
import { redact, redactDeep } from '../../shared/redact.ts';
import { CloudFrontService } from './cloudfront.ts';
import { DEFAULTS, type LocalEnv, REPO_ROOT, readLocalEnv } from './config.ts';
import { DeadLetterStore } from './dlq.ts';
import { startDynamo } from './dynamodb.ts';
import { FirehoseService } from './firehose/api.ts';
import { checkRequest, sendRefusal } from './guard.ts';
import { Journal, type JournalEntry, type JournalLike, NoJournal } from './journal.ts';
import { AsyncInvoker, FunctionPool, functionArn, localWorkerCap } from './lambda.ts';
import { acquireLock } from './lock.ts';
import { REGION, topicArn } from './names.ts';
import { readBody, requestUrl, sendLocalJson, sendPlain, serviceFromHeaders } from './protocol.ts';
import { collectResources, type ResourceSet, resolveEnvironment } from './resources.ts';
import { type S3Change, startS3 } from './s3.ts';
import { SlackSink } from './slack-sink.ts';
import { SnsService } from './sns.ts';

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
  /** Default SLACK_WEBHOOK_URL; unset → the built-in sink. */
  slackWebhookUrl?: string;
  /** Default 1 MiB / 5 s (LOCAL_FIREHOSE_BUFFER_BYTES / LOCAL_FIREHOSE_BUFFER_INTERVAL_MS). */
  firehoseBuffer?: { sizeBytes?: number; intervalMs?: number };
  /** Delay before the first async (S3/SNS) retry, doubled for the second; default 1,000 ms. */
  asyncRetryDelayMs?: number;
  /** No start screen, no console summaries, no function logs. */
  quiet?: boolean;
  /**
   * Journal accepted records and notifications before answering (default true). `false` only for the
   * journal's benchmark baseline: then a crash loses whatever was not yet delivered.
   */
  journal?: boolean;
  /** How long stop() keeps delivering before it leaves the rest to the journal; default 5,000 ms. */
  stopGraceMs?: number;
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
  /** What was created, for the start screen and tests. */
  resources: ResourceSet;
  /** Functions whose handler module does not exist (yet); their invocations fail into the DLQ. */
  missingHandlers: string[];
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const env: LocalEnv = readLocalEnv();
  const quiet = options.quiet ?? false;
  const host = options.host ?? env.LOCAL_HOST ?? DEFAULTS.host;
  const dataDir = path.resolve(options.dataDir ?? env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.local'));
  const requestedPort = options.port ?? env.LOCAL_PORT ?? DEFAULTS.port;
  const slackWebhookUrl = options.slackWebhookUrl ?? env.SLACK_WEBHOOK_URL;
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
  const showFunctionLogs = !quiet || env.LOCAL_FUNCTION_LOGS === '1';
  const print = (line: string) => {
    if (!quiet) console.log(line);
  };

  const resources = collectResources(options.pipelines ?? defaultPipelines);
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

  // Stores and backends.
  // Secret values given to functions (a real SLACK_WEBHOOK_URL): removed, in any encoding, from function
  // log lines, failure summaries and dead letters, wherever a function's error or output might echo them.
  const secrets: string[] = [];
  const scrub = (text: string) => secrets.reduce((t, secret) => redact(t, secret), text);
  const dlq = new DeadLetterStore(dataDir, (d) => secrets.reduce((v, secret) => redactDeep(v, secret), d));
  const slack = new SlackSink(dataDir, print);
  const cloudfront = new CloudFrontService(dataDir, resources.buckets, print);
  await Promise.all([dlq.load(), slack.load(), cloudfront.load()]).catch(failStart);
  let journal: JournalLike = new NoJournal();
  let replay: JournalEntry[] = [];
  if (options.journal ?? true) {
    const opened = await Journal.open(path.join(dataDir, 'journal')).catch(failStart);
    journal = opened.journal;
    replay = opened.pending;
    cleanups.push(() => journal.close());
  }
  const pools = new Map<string, FunctionPool>();
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
  let ready = false;
  let stopping = false;

  /**
   * An asynchronous invocation that survives a crash: journaled before the caller answers, acknowledged
   * once the function handled it (or it was dead-lettered), replayed at the next start otherwise.
   */
  const invokeDurably = async (fnId: string, pool: FunctionPool, event: unknown): Promise<void> => {
    const id = await journal.append(INVOKE_KIND, Buffer.from(JSON.stringify({ functionId: fnId, event })));
    void asyncInvoker.submit(pool, event).then((done) => {
      if (done) journal.ack(id);
    });
  };

  // Resolves once every notification the change triggers is journaled: the S3 backend answers only then.
  const onS3Change = async (c: S3Change): Promise<void> => {
    const journaled: Promise<void>[] = [];
    for (const fn of resources.functions) {
      const t = fn.trigger;
      if (t.kind !== 's3' || t.bucket !== c.bucket) continue;
      if (!t.events.some((e) => matchesEvent(e, c.eventName))) continue;
      if (t.filter?.prefix && !c.key.startsWith(t.filter.prefix)) continue;
      if (t.filter?.suffix && !c.key.endsWith(t.filter.suffix)) continue;
      const pool = pools.get(fn.id);
      if (!pool) continue;
      const journalEntry = invokeDurably(
        fn.id,
        pool,
        buildS3Event({
          bucket: c.bucket,
          key: c.key,
          eventName: c.eventName,
          size: c.size,
          eTag: c.eTag,
          ...(c.sequencer ? { sequencer: c.sequencer } : {}),
          region: REGION,
          configurationId: `${fn.id}-trigger`,
        }),
      );
      journaled.push(journalEntry);
    }
    await Promise.all(journaled);
  };
  const s3 = await startS3(path.join(dataDir, 's3'), onS3Change).catch(failStart);
  cleanups.push(() => s3.close());
  const dynamo = await startDynamo(path.join(dataDir, 'dynamodb')).catch(failStart);
  cleanups.push(() => dynamo.close());
  const sns = new SnsService(dataDir, (sub, msg) => {
    if (sub.Protocol !== 'lambda') return;
    const fn = resources.functions.find((f) => functionArn(f.id) === sub.Endpoint);
    const pool = fn && pools.get(fn.id);
    if (!pool) {
      print(
        `sns: subscription ${sub.SubscriptionArn} points at ${sub.Endpoint}, which is not running; message not delivered`,
      );
      return;
    }
    return invokeDurably(
      fn.id,
      pool,
      buildSnsEvent({
        topicArn: msg.topicArn,
        message: msg.message,
        subject: msg.subject,
        messageId: msg.messageId,
        timestamp: msg.timestamp,
        messageAttributes: msg.attributes,
        subscriptionArn: sub.SubscriptionArn,
      }),
    );
  });
  await sns.load().catch(failStart);

  const firehose = new FirehoseService({
    streams: resources.streams,
    processor: (id) => pools.get(id),
    writeObject: (bucket, key, body) => s3.putObject(bucket, key, body),
    buffer,
    retryDelayMs: Math.min(retryDelayMs, 1_000),
    dataDir,
    log: print,
    journal,
  });

  // The edge.
  const server = http.createServer((req, res) => {
    // Only the user's own tools: loopback Host, no cross-site browser requests (guard.ts).
    const refusal = checkRequest(req, host);
    if (refusal) return sendRefusal(req, res, refusal);
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendPlain(res, 500, `local cloud error: ${String(err)}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    if (url.pathname.startsWith('/_local/')) return localRoute(req, res, url);
    const service = serviceFromHeaders(req, url);
    if (service === 'dynamodb') return dynamo.proxy(req, res);
    if (service === 'firehose') return firehose.handle(req, res);
    if (service === 'sns') return sns.handle(req, res, url);
    if (service === 'cloudfront') return cloudfront.handle(req, res, url);
    if (service === 's3' || service === undefined) {
      // Unsigned form posts with an Action are query-protocol calls (SNS); everything else is S3.
      if (service === undefined && req.method === 'POST' && url.pathname === '/' && isForm(req)) {
        return sns.handle(req, res, url);
      }
      return s3.handle(req, res, url);
    }
    sendPlain(
      res,
      400,
      `The local cloud does not emulate the "${service}" service (S3, DynamoDB, SNS, Firehose, CloudFront invalidations only).\n`,
    );
  };
  const localRoute = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const key = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
    switch (key) {
      case 'GET /_local/health':
        return sendLocalJson(res, ready && !stopping ? 200 : 503, health());
      case 'GET /_local/slack':
        return sendLocalJson(res, 200, slack.all());
      case 'DELETE /_local/slack':
        await slack.clear();
        return sendLocalJson(res, 200, []);
      case 'POST /_local/slack/webhook': {
        const { status, text } = await slack.receive((await readBody(req, 1024 * 1024)).toString('utf8'));
        return sendPlain(res, status, text, 'text/html');
      }
      case 'GET /_local/cloudfront/invalidations':
        return sendLocalJson(res, 200, cloudfront.all());
      case 'DELETE /_local/cloudfront/invalidations':
        await cloudfront.clear();
        return sendLocalJson(res, 200, []);
      case 'GET /_local/dlq':
        return sendLocalJson(res, 200, dlq.all());
      case 'DELETE /_local/dlq':
        await dlq.clear();
        return sendLocalJson(res, 200, []);
      case 'GET /_local/firehose':
        return sendLocalJson(res, 200, firehose.deliveries);
      case 'POST /_local/firehose/faults': {
        let body: { stream?: string; count?: number; errorCode?: string };
        try {
          body = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8') || '{}') ?? {};
        } catch (err) {
          return sendLocalJson(res, 400, { error: `body is not a JSON object: ${String(err)}` });
        }
        firehose.injectFaults(body.stream, Number(body.count ?? 0), body.errorCode);
        return sendLocalJson(res, 200, { ok: true });
      }
      case 'POST /_local/settle':
        await settle();
        return sendLocalJson(res, 200, { settled: true });
      default:
        return sendLocalJson(res, 404, {
          error: `unknown local endpoint ${key}`,
          endpoints: [
            'GET /_local/health',
            'GET|DELETE /_local/slack',
            'POST /_local/slack/webhook',
            'GET|DELETE /_local/cloudfront/invalidations',
            'GET|DELETE /_local/dlq',
            'GET /_local/firehose',
            'POST /_local/firehose/faults',
            'POST /_local/settle',
          ],
        });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => resolve());
  }).catch(failStart);
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  await lock.setEndpoint(endpoint).catch(failStart);

  // Functions.
  const sinkUrl = `${endpoint}/_local/slack/webhook`;
  const secretValue = (value: string) => {
    if (value !== sinkUrl && !secrets.includes(value)) secrets.push(value);
    return value;
  };
  for (const fn of resources.functions) {
    const fnEnv: Record<string, string> = {
      ...baseEnv(fn, endpoint),
      ...resolveEnvironment(resources, fn, (secret) =>
        secretValue(
          secret.localEnv === 'SLACK_WEBHOOK_URL'
            ? (slackWebhookUrl ?? sinkUrl)
            : (process.env[secret.localEnv] ?? sinkUrl),
        ),
      ),
      ...(options.env ?? {}),
    };
    pools.set(
      fn.id,
      new FunctionPool(
        {
          id: fn.id,
          entry: fn.entry,
          entryPath: path.resolve(REPO_ROOT, fn.entry),
          handlerName: 'handler',
          memoryMb: fn.memoryMb,
          timeoutSeconds: fn.timeoutSeconds,
          concurrency: localWorkerCap(fn, env),
          idleMs: env.LOCAL_WORKER_IDLE_MS ?? DEFAULTS.workerIdleMs,
          env: fnEnv,
        },
        (id, line) => {
          if (showFunctionLogs) console.log(`λ ${id} │ ${scrub(line)}`);
        },
      ),
    );
  }
  const missingHandlers = [...pools.values()].filter((p) => !p.moduleExists).map((p) => p.config.id);

  // Resources and subscriptions.
  cleanups.push(() => Promise.all([...pools.values()].map((p) => p.close())));
  try {
    for (const b of resources.buckets) await s3.ensureBucket(b.name);
    for (const t of resources.tables) await dynamo.ensureTable(t);
    for (const t of resources.topics) await sns.createTopic(t.name);
    for (const fn of resources.functions) {
      if (fn.trigger.kind === 'sns')
        await sns.subscribe(topicArn(fn.trigger.topic), 'lambda', functionArn(fn.id));
    }
  } catch (err) {
    await failStart(err);
  }

  // What was accepted before a crash (or a stop cut short) and not yet delivered: deliver it now.
  const replayed = { records: firehose.restore(replay), invocations: 0 };
  for (const e of replay) {
    if (e.kind !== INVOKE_KIND) continue;
    const { functionId, event } = JSON.parse(e.payload.toString('utf8')) as {
      functionId: string;
      event: unknown;
    };
    const pool = pools.get(functionId);
    replayed.invocations++;
    if (pool) {
      void asyncInvoker.submit(pool, event).then((done) => {
        if (done) journal.ack(e.id);
      });
    } else {
      // The function is no longer defined: keep the event where it can be seen, rather than drop it.
      void dlq
        .add({
          functionId,
          event,
          error: {
            errorType: 'ResourceNotFoundException',
            errorMessage: `Function not found: ${functionArn(functionId)} (a journaled event replayed at start)`,
            stack: [],
          },
          attempts: 0,
          time: new Date().toISOString(),
        })
        .then(() => journal.ack(e.id));
    }
  }
  if (replayed.records || replayed.invocations)
    print(
      `Replaying from the journal: ${replayed.records} Firehose record(s), ${replayed.invocations} function invocation(s) accepted before the last stop.`,
    );
  ready = true;

  function health() {
    const subscribed = sns.subscriptions();
    return {
      status: ready && !stopping ? 'ok' : stopping ? 'stopping' : 'starting',
      endpoint,
      hostNode: process.version,
      dataDir,
      buckets: resources.buckets.map((b) => b.name),
      tables: resources.tables.map((t) => t.name),
      topics: resources.topics.map((t) => topicArn(t.name)),
      streams: resources.streams.map((s) => s.name),
      distributions: cloudfront.list(),
      functions: resources.functions.map((f) => ({
        id: f.id,
        pipeline: f.pipeline,
        runtime: runtimeOf(f), // the Lambda runtime the definition deploys; the code runs on the host's Node
        trigger: describeTrigger(f),
        subscribed:
          f.trigger.kind !== 'sns' ||
          subscribed.some(
            (s) =>
              s.Endpoint === functionArn(f.id) &&
              s.TopicArn === topicArn((f.trigger as { topic: string }).topic),
          ),
        handler: missingHandlers.includes(f.id) ? `missing: ${f.entry} does not exist` : 'ok',
      })),
      pendingInvocations: asyncInvoker.pending,
      deadLetters: dlq.all().length,
    };
  }

  async function settle(): Promise<void> {
    // Deliveries create objects that trigger functions, whose writes may trigger more: repeat until quiet.
    for (let round = 0; round < 5; round++) {
      await firehose.drain();
      await asyncInvoker.drain();
      await new Promise((r) => setTimeout(r, 20));
      if (asyncInvoker.pending === 0) break;
    }
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
      const graceful = (async () => {
        for (let round = 0; round < 5; round++) {
          await firehose.drain();
          await asyncInvoker.drain({ hurry: true });
          await new Promise((r) => setTimeout(r, 20));
          if (asyncInvoker.pending === 0) break;
        }
      })();
      const grace = setTimeout(hurry, options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
      await Promise.race([graceful, hurried]);
      clearTimeout(grace);
      // Whatever is still under way is cut short; it stays in the journal for the next start.
      firehose.abort();
      asyncInvoker.abort();
      await Promise.all([...pools.values()].map((p) => p.close()));
      await Promise.race([graceful, new Promise((r) => setTimeout(r, 2_000))]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([
        s3.close(),
        dynamo.close(),
        dlq.flush(),
        slack.flush(),
        cloudfront.flush(),
        sns.flush(),
      ]);
      await journal.close();
      await lock.release();
    })();
    return stopped;
  };

  return { endpoint, port, dataDir, stop, settle, resources, missingHandlers };
}

/** Journal kind of an asynchronous invocation (S3 notification, SNS delivery): `{ functionId, event }`. */
const INVOKE_KIND = 'invoke';
const DEFAULT_STOP_GRACE_MS = 5_000;

function matchesEvent(pattern: string, eventName: string): boolean {
  const p = pattern.replace(/^s3:/, '');
  return p.endsWith(':*') ? eventName.startsWith(p.slice(0, -1)) : p === eventName;
}

function isForm(req: IncomingMessage): boolean {
  return String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

export function describeTrigger(fn: FunctionSpec): string {
  const t = fn.trigger;
  if (t.kind === 's3') {
    const filter = [
      t.filter?.prefix && `prefix ${t.filter.prefix}`,
      t.filter?.suffix && `suffix ${t.filter.suffix}`,
    ]
      .filter(Boolean)
      .join(', ');
    return `s3://${t.bucket} ${t.events.join(' ')}${filter ? ` (${filter})` : ''}`;
  }
  if (t.kind === 'sns') return `sns ${topicArn(t.topic)}`;
  return `firehose ${t.stream} (transform)`;
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
