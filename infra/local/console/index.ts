// The local console: a web page served by the local cloud itself at /_local/console/, organised by
// pipeline (views.ts reads them from the definitions), and the /_local/console/api/* endpoints it reads
// (documented in infra/local/README.md, listed by GET /_local like every local endpoint). Everything it
// shows passes through `scrub` (secret values the cloud was given, e.g. a real webhook URL) and a
// Slack-webhook URL pattern, and the console's own API keys (see apiKey below) are replaced by any
// events-API key pattern, so no secret reaches the page. The page is same-origin with the edge, so the
// edge's guard (guard.ts) lets its requests through and refuses every other site's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { KeyStore } from '../../../pipelines/events-api/key-store.ts';
import { createApiKey } from '../../../pipelines/events-api/keys.ts';
import type { Catalog } from '../../../pipelines/validate.ts';
import type { CloudFrontService } from '../cloudfront.ts';
import type { DeadLetter, DeadLetterStore } from '../dlq.ts';
import type { LocalRoute } from '../edge.ts';
import type { FirehoseService } from '../firehose/api.ts';
import { triggerKind } from '../kinds/index.ts';
import type { FunctionPool } from '../lambda.ts';
import { REGION } from '../names.ts';
import { readBody, requestUrl, sendLocalJson } from '../protocol.ts';
import type { SlackSink } from '../slack-sink.ts';
import { Activity } from './activity.ts';
import { sendAsset } from './assets.ts';
import * as data from './data.ts';
import { type ApiView, type ImagesView, type StreamView, viewsOf } from './views.ts';

export interface ConsoleContext {
  catalog: Catalog;
  endpoint(): string;
  sink: SlackSink;
  dlq: DeadLetterStore;
  firehose: FirehoseService;
  cloudfront: CloudFrontService;
  /** The functions' worker pools, once wired. */
  pools(): ReadonlyMap<string, FunctionPool> | undefined;
  health(): { ready: boolean; body: unknown };
  /** Removes the secret values the cloud was given from any value. */
  scrub<T>(value: T): T;
}

export interface LocalConsole {
  activity: Activity;
  routes: LocalRoute[];
  close(): void;
}

/** Slack incoming-webhook URLs (the URL is the credential), wherever they appear. */
const WEBHOOK_URL = /https?:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"'<>)]*/gi;

/** Events-API keys (`eak_<id>_<secret>`, pipelines/events-api/keys.ts), the console's own or any other. */
const API_KEY = /eak_[a-z0-9]{16}_[A-Za-z0-9_-]{43}/g;
/** The name of the keys the console makes for itself in an API's key table. */
const CONSOLE_KEY_NAME = 'local-console';

/**
 * `scrub`, then any Slack webhook URL and API key replaced: what every console answer goes through.
 * `ctx.scrub` is applied to all of the answer's strings in one call: its distinct strings joined with NUL,
 * scrubbed as one text and split again. The scrub builds its patterns on each call (shared/redact.ts), so a
 * page of 24 uploads (~1,000 strings) took 100-170 ms string by string, and ~1 ms this way. No match can
 * span two strings (a pattern holds a NUL only if a secret does); should the split not give back as many
 * strings (a secret with a NUL in it), each string is scrubbed on its own as before.
 */
function safe<T>(ctx: ConsoleContext, value: T): T {
  const strings = new Set<string>();
  JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'string') strings.add(v);
    return v;
  });
  const list = [...strings];
  const scrubbed = ctx.scrub(list.join('\u0000')).split('\u0000');
  const map = new Map(list.map((s, i) => [s, scrubbed[i]!]));
  const text =
    scrubbed.length === list.length
      ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? map.get(v) : v))
      : JSON.stringify(ctx.scrub(value));
  return JSON.parse(
    text.replace(WEBHOOK_URL, '<redacted webhook>').replace(API_KEY, '<redacted API key>'),
  ) as T;
}

const Json = <S extends z.ZodType>(schema: S) =>
  async function parse(req: IncomingMessage): Promise<z.infer<S>> {
    const text = (await readBody(req, 1024 * 1024)).toString('utf8') || '{}';
    return schema.parse(JSON.parse(text));
  };

const DeadLetterRef = Json(
  z.object({ index: z.number().int().min(0), time: z.string(), functionId: z.string() }),
);
const UploadRef = Json(z.object({ pipeline: z.string(), key: z.string().min(1) }));
const StreamRef = Json(z.object({ pipeline: z.string(), stream: z.string() }));
const RecordFix = Json(
  z.object({
    pipeline: z.string(),
    stream: z.string(),
    key: z.string(),
    line: z.number().int().min(1),
    data: z.string().max(1_000_000),
  }),
);

const ApiCall = Json(
  z.object({
    method: z.enum(['GET', 'POST']),
    path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/),
    query: z.record(z.string(), z.string()).default({}),
    /** The JSON text to POST, sent as it is (so the page can show the API's answer to invalid JSON too). */
    body: z
      .string()
      .max(4 * 1024 * 1024)
      .optional(),
  }),
);

class BadRequest extends Error {}

export function createConsole(ctx: ConsoleContext): LocalConsole {
  const activity = new Activity(ctx.catalog);
  const views = viewsOf(ctx.catalog);
  let clients: data.Clients | undefined;
  const c = () => {
    clients ??= data.clientsFor(ctx.endpoint());
    return clients;
  };
  const imagesView = (pipeline: string | null) => {
    const v = views.find((x): x is ImagesView => x.kind === 'images' && x.pipeline === pipeline);
    if (!v) throw new BadRequest(`pipeline "${pipeline}" has no images view`);
    return v;
  };
  const streamView = (pipeline: string | null, stream: string | null) => {
    const v = views.find(
      (x): x is StreamView => x.kind === 'stream' && x.pipeline === pipeline && x.stream === stream,
    );
    if (!v) throw new BadRequest(`pipeline "${pipeline}" has no stream "${stream}"`);
    return v;
  };

  // One local key per API, made for the console when the page first asks (read and write scopes), kept in
  // this process only: never in an answer (the redaction above would replace it anyway), never in a file.
  // The page calls the API through the proxy route below, so no user pastes a secret into a page. Keys an
  // earlier console made (their secrets died with its process) are revoked once the new one is stored, so
  // that a long-lived data dir does not gather valid keys nobody holds.
  const apiKeys = new Map<string, Promise<{ key: string; id: string }>>();
  const apiKey = (v: ApiView) => {
    let k = apiKeys.get(v.api);
    if (!k) {
      const table = v.keysTable;
      if (!table) throw new BadRequest(`API ${v.api} has no authorizer table to hold a key`);
      k = (async () => {
        const dynamo = new DynamoDBClient({
          endpoint: ctx.endpoint(),
          region: REGION,
          credentials: { accessKeyId: 'local-console', secretAccessKey: 'local-console' },
        });
        try {
          const { key, item } = createApiKey(CONSOLE_KEY_NAME, ['read', 'write']);
          const store = new KeyStore(dynamo, table);
          await store.put(item);
          const earlier = (await store.list()).filter(
            (k) => k.name === CONSOLE_KEY_NAME && !k.revoked && k.id !== item.id,
          );
          for (const k of earlier) await store.revoke(k.id);
          return { key, id: item.id };
        } finally {
          dynamo.destroy();
        }
      })();
      k.catch(() => apiKeys.delete(v.api));
      apiKeys.set(v.api, k);
    }
    return k;
  };
  const callApi = async (v: ApiView, call: Awaited<ReturnType<typeof ApiCall>>) => {
    if (!v.routes.includes(`${call.method} ${call.path}`))
      throw new BadRequest(`API ${v.api} has no route ${call.method} ${call.path}`);
    const { key } = await apiKey(v);
    const q = new URLSearchParams(Object.entries(call.query).filter(([, x]) => x !== ''));
    const res = await fetch(`${ctx.endpoint()}/_api/${v.api}${call.path}${q.size ? `?${q}` : ''}`, {
      method: call.method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(call.method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      body: call.method === 'POST' ? (call.body ?? '') : undefined,
      // Past API Gateway's 30 s integration limit, which the local API applies too, nothing will answer.
      signal: AbortSignal.timeout(35_000),
    });
    // Refused (the key was revoked, e.g. with `npm run api-key -- revoke`): the next call makes a new one.
    if (res.status === 401 || res.status === 403) apiKeys.delete(v.api);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: shown as text
    }
    const pipeline = v.pipeline;
    activity.push({
      pipeline,
      kind: 'console',
      ok: res.status < 400,
      text: `${call.method} ${call.path} → ${res.status}`,
    });
    return { status: res.status, cache: res.headers.get('x-cache') ?? undefined, body };
  };

  // Stores the edge already serves do not report their changes: a light poll, only while a page listens.
  const seen = {
    sink: ctx.sink.all().length,
    dlq: ctx.dlq.all().length,
    deliveries: ctx.firehose.deliveries.at(-1),
  };
  const pipelineOfFunction = (id: string) => ctx.catalog.functions.find((f) => f.id === id)?.pipeline;
  const poll = () => {
    const sink = ctx.sink.all();
    if (sink.length !== seen.sink) {
      // At most the 20 newest (a page that connects after a busy while does not get thousands).
      for (const p of sink.slice(Math.min(seen.sink, sink.length)).slice(-20)) {
        const view = views.find((v) => v.kind === 'slack');
        activity.push({
          pipeline: view?.pipeline,
          kind: 'webhook',
          ok: true,
          text: safe(ctx, webhookLine(p)),
        });
      }
      seen.sink = sink.length;
    }
    const dlq = ctx.dlq.all();
    if (dlq.length > seen.dlq) {
      for (const d of dlq.slice(seen.dlq).slice(-20)) {
        activity.push({
          pipeline: pipelineOfFunction(d.functionId),
          kind: 'dead-letter',
          ok: false,
          text: safe(ctx, `dead letter ${d.functionId}: ${d.error.errorType}: ${d.error.errorMessage}`),
        });
      }
    }
    seen.dlq = dlq.length;
    const deliveries = ctx.firehose.deliveries;
    const last = deliveries.at(-1);
    if (last !== seen.deliveries) {
      // The reports keep the last 100: if the one seen last fell out, only the newest is reported.
      const at = seen.deliveries ? deliveries.indexOf(seen.deliveries) : -1;
      const from = at >= 0 ? at + 1 : seen.deliveries ? deliveries.length - 1 : 0;
      for (const d of deliveries.slice(from)) {
        const stream = views.find((v) => v.kind === 'stream' && v.stream === d.stream);
        activity.push({
          pipeline: stream?.pipeline,
          kind: 'delivery',
          ok: d.failed === 0,
          text: `firehose ${d.stream}: ${d.ok} ok, ${d.dropped} dropped, ${d.failed} failed → ${d.objects.length} object(s)`,
        });
      }
      seen.deliveries = last;
    }
  };
  let listeners = 0;
  const timer = setInterval(() => {
    if (listeners > 0) poll();
  }, 300);
  timer.unref();
  const streams = new Set<ServerResponse>();

  const overview = () => {
    const dead = ctx.dlq.all();
    const pools = ctx.pools();
    return {
      ready: ctx.health().ready,
      endpoint: ctx.endpoint(),
      pipelines: ctx.catalog.pipelines.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description,
        views: views.filter((v) => v.pipeline === p.name).map((v) => v.kind),
        resources: Object.entries(ctx.catalog.resources).flatMap(([kind, list]) =>
          (list as Array<{ name: string; pipeline: string }>)
            .filter((r) => r.pipeline === p.name)
            .map((r) => ({ kind, name: r.name })),
        ),
        functions: ctx.catalog.functions
          .filter((f) => f.pipeline === p.name)
          .map((f) => {
            const n = activity.of(f.id);
            return {
              id: f.id,
              description: f.description,
              trigger: triggerKind(f.trigger).describe(f.trigger),
              workers: pools?.get(f.id)?.workerCount ?? 0,
              invocations: n.invocations,
              errors: n.errors,
              throttles: n.throttles,
              meanMs: n.invocations ? Math.round(n.totalMs / n.invocations) : undefined,
              deadLetters: dead.filter((d) => d.functionId === f.id).length,
            };
          }),
      })),
      recent: activity.recent(50),
    };
  };

  const findDeadLetter = (ref: { index: number; time: string; functionId: string }): DeadLetter => {
    const d = ctx.dlq.all()[ref.index];
    if (!d || d.time !== ref.time || d.functionId !== ref.functionId)
      throw new BadRequest('that dead letter is no longer in the store (reload)');
    return d;
  };

  const get = (path: string, what: string, fn: (url: URL) => Promise<unknown> | unknown): LocalRoute => ({
    method: 'GET',
    path,
    what,
    handle: (req, res) => answer(res, () => fn(requestUrl(req))),
  });
  const post = (path: string, what: string, fn: (req: IncomingMessage) => Promise<unknown>): LocalRoute => ({
    method: 'POST',
    path,
    what,
    handle: (req, res) => answer(res, () => fn(req)),
  });
  const answer = async (res: ServerResponse, fn: () => Promise<unknown> | unknown) => {
    try {
      sendLocalJson(res, 200, safe(ctx, await fn()));
    } catch (err) {
      const status =
        err instanceof BadRequest ||
        err instanceof z.ZodError ||
        err instanceof SyntaxError ||
        err instanceof RangeError
          ? 400
          : 500;
      sendLocalJson(res, status, {
        error: safe(
          ctx,
          err instanceof z.ZodError ? z.prettifyError(err) : String((err as Error).message ?? err),
        ),
      });
    }
  };

  const routes: LocalRoute[] = [
    {
      method: 'GET',
      path: '/_local/console',
      what: 'the local console (a web page): every pipeline, live',
      handle: (_req, res) => sendAsset(res, 'index.html'),
    },
    {
      method: 'GET',
      path: '/_local/console/app.js',
      what: "the console's script (bundled by esbuild at the first request)",
      handle: (_req, res) => sendAsset(res, 'app.js'),
    },
    {
      method: 'GET',
      path: '/_local/console/api/events',
      what: 'server-sent events: each activity item (invocation, S3 change, webhook post, dead letter, delivery) as it happens',
      handle: (_req, res) => {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write('retry: 2000\n\n');
        listeners++;
        streams.add(res);
        const off = activity.subscribe((item) => res.write(`data: ${JSON.stringify(safe(ctx, item))}\n\n`));
        const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
        res.on('close', () => {
          listeners--;
          streams.delete(res);
          off();
          clearInterval(ping);
        });
      },
    },
    get(
      '/_local/console/api/overview',
      'pipelines with their functions, triggers, counters and dead letters; recent activity',
      () => overview(),
    ),
    get(
      '/_local/console/api/images',
      '?pipeline=&cursor=: a page of uploads with their variants (size, bytes, format) or rejection',
      (url) =>
        data.imagesPage(
          c(),
          imagesView(url.searchParams.get('pipeline')),
          url.searchParams.get('cursor') || undefined,
        ),
    ),
    {
      method: 'GET',
      path: '/_local/console/api/object',
      what: '?bucket=&key=[&width=][&etag=]: an object of a declared bucket (with width: a JPEG preview at most that wide)',
      handle: async (req, res) => {
        const url = requestUrl(req);
        const bucket = url.searchParams.get('bucket') ?? '';
        const key = url.searchParams.get('key') ?? '';
        const width = Number(url.searchParams.get('width') ?? 0);
        if (!ctx.catalog.resources.bucket.some((b) => b.name === bucket) || !key)
          return sendLocalJson(res, 400, {
            error: 'bucket must be a bucket the definitions declare, key non-empty',
          });
        try {
          const out = await data.objectForPage(c().s3, bucket, key, Math.min(Math.round(width) || 0, 800));
          // Named by its ETag (the page passes it): the browser may keep it, so a page shown again asks nothing.
          const named = url.searchParams.get('etag');
          res.writeHead(200, {
            'content-type': out.contentType,
            'content-length': out.body.length,
            'cache-control':
              named && named === out.eTag ? 'private, max-age=31536000, immutable' : 'no-cache',
            'x-content-type-options': 'nosniff',
            // Whatever an upload holds (HTML, SVG with scripts), it runs in no origin of ours.
            'content-security-policy': "default-src 'none'; sandbox",
            ...(out.contentType.startsWith('image/') ? {} : { 'content-disposition': 'attachment' }),
          });
          res.end(out.body);
        } catch (err) {
          const code = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          const status = err instanceof data.NotAnImage ? 415 : code === 404 ? 404 : 500;
          sendLocalJson(res, status, { error: String((err as Error).message) });
        }
      },
    },
    get(
      '/_local/console/api/images/variants',
      '?pipeline=&key=: the variants of one upload as they are now (to watch them go after a delete)',
      (url) =>
        data.variantsOf(c(), imagesView(url.searchParams.get('pipeline')), url.searchParams.get('key') ?? ''),
    ),
    post(
      '/_local/console/api/images/delete',
      '{"pipeline","key"}: deletes an upload (its function then removes the variants)',
      async (req) => {
        const ref = await UploadRef(req);
        await data.deleteUpload(c(), imagesView(ref.pipeline), ref.key);
        return { deleted: ref.key };
      },
    ),
    get(
      '/_local/console/api/slack',
      '?offset=: what the webhook sink received, newest first, 20 a page, webhook URLs redacted',
      (url) => {
        const all = ctx.sink.all();
        const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
        const newestFirst = all
          .slice(0, Math.max(0, all.length - offset))
          .slice(-data.PAGE.slack)
          .reverse();
        return { total: all.length, offset, messages: newestFirst };
      },
    ),
    get(
      '/_local/console/api/stream/deliveries',
      "?pipeline=&stream=: the stream's latest Firehose deliveries, newest first",
      (url) => {
        const v = streamView(url.searchParams.get('pipeline'), url.searchParams.get('stream'));
        return ctx.firehose.deliveries
          .filter((d) => d.stream === v.stream)
          .slice()
          .reverse();
      },
    ),
    get(
      '/_local/console/api/stream/lake',
      '?pipeline=&stream=&prefix=&cursor=: one level of the lake (partitions type=…, dt=…, objects)',
      (url) => {
        const v = streamView(url.searchParams.get('pipeline'), url.searchParams.get('stream'));
        return data.lakePage(
          c(),
          v,
          url.searchParams.get('prefix') ?? v.dataRoot,
          url.searchParams.get('cursor') || undefined,
        );
      },
    ),
    get(
      '/_local/console/api/stream/object',
      '?pipeline=&stream=&key=: the first records of a lake object, decompressed',
      (url) => {
        const v = streamView(url.searchParams.get('pipeline'), url.searchParams.get('stream'));
        const key = url.searchParams.get('key') ?? '';
        if (!key.startsWith(v.dataRoot)) throw new BadRequest(`key must be under ${v.dataRoot}`);
        return data.lakeObject(c(), v, key);
      },
    ),
    get(
      '/_local/console/api/stream/failed',
      '?pipeline=&stream=: the first 100 failed records (error prefix, not yet replayed), decoded, with reason',
      (url) => {
        const v = streamView(url.searchParams.get('pipeline'), url.searchParams.get('stream'));
        return data.failedPage(c(), v);
      },
    ),
    post(
      '/_local/console/api/stream/fix',
      '{"pipeline","stream","key","line","data"}: corrects one failed record before a replay',
      async (req) => {
        const f = await RecordFix(req);
        await data.fixRecord(c(), streamView(f.pipeline, f.stream), f.key, f.line, f.data);
        return { fixed: `${f.key}:${f.line}` };
      },
    ),
    post(
      '/_local/console/api/stream/replay',
      '{"pipeline","stream"}: replays the failed records (pipelines/stream-etl/replay.ts); answers its report',
      async (req) => {
        const ref = await StreamRef(req);
        const r = await data.replay(c(), streamView(ref.pipeline, ref.stream));
        activity.push({
          pipeline: ref.pipeline,
          kind: 'console',
          ok: r.failed === 0,
          text: `replay ${ref.stream}: ${r.resent} re-sent, ${r.stillInvalid} still invalid, ${r.dropped} dropped`,
        });
        return r;
      },
    ),
    get(
      '/_local/console/api/stream/items',
      "?pipeline=&stream=&table=&pk=&from=&to=&cursor=: a table's items (Query by partition key and sort-key range, else Scan), 50 a page",
      (url) => {
        const v = streamView(url.searchParams.get('pipeline'), url.searchParams.get('stream'));
        const table = v.tables.find((t) => t.name === url.searchParams.get('table')) ?? v.tables[0];
        if (!table) throw new BadRequest(`pipeline ${v.pipeline} has no table`);
        const q = (n: string) => url.searchParams.get(n) || undefined;
        return data.itemsPage(c(), table, { pk: q('pk'), from: q('from'), to: q('to'), cursor: q('cursor') });
      },
    ),
    get(
      '/_local/console/api/stream/count',
      "?pipeline=&stream=&table=: counts a table's items (a full Scan)",
      async (url) => {
        const v = streamView(url.searchParams.get('pipeline'), url.searchParams.get('stream'));
        const table = v.tables.find((t) => t.name === url.searchParams.get('table')) ?? v.tables[0];
        if (!table) throw new BadRequest(`pipeline ${v.pipeline} has no table`);
        return { table: table.name, count: await data.countTable(c(), table.name) };
      },
    ),
    get(
      '/_local/console/api/dlq',
      'dead letters, newest first, with their index for re-drive and discard',
      () =>
        ctx.dlq
          .all()
          .map((d, index) => ({ index, pipeline: pipelineOfFunction(d.functionId), ...d }))
          .reverse(),
    ),
    post(
      '/_local/console/api/dlq/redrive',
      '{"index","time","functionId"}: invokes the function once more with the event; removed on success, error updated on failure',
      async (req) => {
        const d = findDeadLetter(await DeadLetterRef(req));
        const pool = ctx.pools()?.get(d.functionId);
        if (!pool) throw new BadRequest(`function ${d.functionId} is not defined`);
        const result = await pool.invoke(d.event);
        if (result.ok) await ctx.dlq.replace(d, undefined);
        else
          await ctx.dlq.replace(
            d,
            ctx.scrub({
              ...d,
              error: result.error,
              attempts: d.attempts + 1,
              time: new Date().toISOString(),
            }),
          );
        activity.push({
          pipeline: pipelineOfFunction(d.functionId),
          kind: 'console',
          ok: result.ok,
          text: `re-drive ${d.functionId}: ${result.ok ? 'handled, dead letter removed' : `failed again: ${result.error.errorMessage}`}`,
        });
        return { ok: result.ok, error: result.ok ? undefined : result.error };
      },
    ),
    post(
      '/_local/console/api/dlq/discard',
      '{"index","time","functionId"}: removes one dead letter',
      async (req) => {
        const d = findDeadLetter(await DeadLetterRef(req));
        await ctx.dlq.replace(d, undefined);
        return { discarded: true };
      },
    ),
  ];

  routes.push(
    get('/_local/console/api/apis', 'the HTTP APIs functions serve: pipeline, name, routes', () =>
      views.filter((v) => v.kind === 'api').map(({ pipeline, api, routes }) => ({ pipeline, api, routes })),
    ),
  );
  for (const v of views) {
    if (v.kind !== 'api') continue;
    routes.push(
      post(
        `/_local/console/api/apis/${v.api}/key`,
        `makes (once) the console's local API key for ${v.api} (read,write), kept in memory; answers its id, never the key`,
        async () => ({ api: v.api, keyId: (await apiKey(v)).id, scopes: ['read', 'write'] }),
      ),
      post(
        `/_local/console/api/apis/${v.api}/call`,
        `{"method","path","query","body"}: calls ${v.api} with the console's key; answers status, x-cache and body`,
        async (req) => callApi(v, await ApiCall(req)),
      ),
    );
  }

  return {
    activity,
    routes,
    close() {
      clearInterval(timer);
      for (const s of streams) s.end();
      if (clients) data.destroyClients(clients);
    },
  };
}

function webhookLine(p: Record<string, unknown>): string {
  const header = Array.isArray(p.blocks)
    ? (p.blocks as Array<{ type?: string; text?: { text?: string } }>).find((b) => b?.type === 'header')?.text
        ?.text
    : undefined;
  return `slack ◂ ${header ?? (typeof p.text === 'string' ? p.text : '(blocks only)')}`;
}
