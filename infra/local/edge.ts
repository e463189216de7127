// The local cloud's HTTP edge: one server on 127.0.0.1 that refuses what is not the user's own tools
// (guard.ts), sends each AWS call to its service by the request's signature or target header (S3 by the
// engine in ./s3/, DynamoDB via dynalite, SNS, Firehose, CloudFront invalidations), and answers the local
// inspection endpoints under /_local/ from one route table, which GET /_local lists (with each pipeline's
// copy-paste commands, among them the HTTP APIs' curl examples). The HTTP APIs are served under /_api/
// (apis.ts), behind the same guard: see infra/local/README.md for why browsers on other sites are refused.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { API_PATH_PREFIX, type LocalApis } from './apis.ts';
import type { CloudFrontService } from './cloudfront.ts';
import type { DeadLetterStore } from './dlq.ts';
import type { DynamoBackend } from './dynamodb.ts';
import type { FirehoseService } from './firehose/api.ts';
import { checkRequest, sendRefusal } from './guard.ts';
import { WEBHOOK_SINK_PATH } from './kinds/secret.ts';
import { readBody, requestUrl, sendLocalJson, sendPlain, serviceFromHeaders } from './protocol.ts';
import type { S3Backend } from './s3.ts';
import type { SlackSink } from './slack-sink.ts';
import type { SnsService } from './sns.ts';

export interface EdgeServices {
  s3: S3Backend;
  dynamo: DynamoBackend;
  sns: SnsService;
  firehose: FirehoseService;
  cloudfront: CloudFrontService;
  apis: LocalApis;
}

/** One endpoint under /_local/. */
export interface LocalRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  what: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

export function createEdge(
  host: string,
  services: EdgeServices,
  routes: readonly LocalRoute[],
  /** More for GET /_local, e.g. the HTTP APIs' addresses and each pipeline's commands. */
  overview: () => Record<string, unknown> = () => ({}),
): http.Server {
  const listing = routes.map((r) => `${r.method} ${r.path}  ${r.what}`);
  const local = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const pathName = url.pathname.replace(/\/$/, '');
    if (req.method === 'GET' && pathName === '/_local')
      return sendLocalJson(res, 200, { endpoints: listing, ...overview() });
    const route = routes.find((r) => r.method === req.method && r.path === pathName);
    if (route) return route.handle(req, res);
    return sendLocalJson(res, 404, {
      error: `unknown local endpoint ${req.method} ${pathName}`,
      endpoints: listing,
    });
  };
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    if (url.pathname === '/_local' || url.pathname.startsWith('/_local/')) return local(req, res, url);
    if (url.pathname.startsWith(API_PATH_PREFIX)) return services.apis.handle(req, res, url);
    const service = serviceFromHeaders(req, url);
    if (service === 'dynamodb') return services.dynamo.proxy(req, res);
    if (service === 'firehose') return services.firehose.handle(req, res);
    if (service === 'sns') return services.sns.handle(req, res, url);
    if (service === 'cloudfront') return services.cloudfront.handle(req, res, url);
    if (service === 's3' || service === undefined) {
      // Unsigned form posts with an Action are query-protocol calls (SNS); everything else is S3.
      if (service === undefined && req.method === 'POST' && url.pathname === '/' && isForm(req)) {
        return services.sns.handle(req, res, url);
      }
      return services.s3.handle(req, res, url);
    }
    sendPlain(
      res,
      400,
      `The local cloud does not emulate the "${service}" service (S3, DynamoDB, SNS, Firehose, CloudFront invalidations only).\n`,
    );
  };
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
  return server;
}

export interface LocalRouteContext {
  /** Health and whether the cloud is ready (200) or not (503). */
  health(): { ready: boolean; body: unknown };
  sink: SlackSink;
  cloudfront: CloudFrontService;
  dlq: DeadLetterStore;
  firehose: FirehoseService;
  settle(): Promise<void>;
}

/** The table of /_local/ endpoints (documented in infra/local/README.md). */
export function localRoutes(ctx: LocalRouteContext): LocalRoute[] {
  return [
    {
      method: 'GET',
      path: '/_local/health',
      what: 'resources, functions and their triggers; 503 while starting or stopping',
      handle: (_req, res) => {
        const h = ctx.health();
        sendLocalJson(res, h.ready ? 200 : 503, h.body);
      },
    },
    {
      method: 'GET',
      path: WEBHOOK_SINK_PATH,
      what: 'what was posted to the webhook sink, newest last',
      handle: (_req, res) => sendLocalJson(res, 200, ctx.sink.all()),
    },
    {
      method: 'POST',
      path: WEBHOOK_SINK_PATH,
      what: 'the webhook sink: answers like a Slack incoming webhook',
      handle: async (req, res) => {
        const { status, text } = await ctx.sink.receive((await readBody(req, 1024 * 1024)).toString('utf8'));
        sendPlain(res, status, text, 'text/html');
      },
    },
    {
      method: 'DELETE',
      path: WEBHOOK_SINK_PATH,
      what: 'forgets the webhook sink’s posts',
      handle: async (_req, res) => {
        await ctx.sink.clear();
        sendLocalJson(res, 200, []);
      },
    },
    {
      method: 'GET',
      path: '/_local/cloudfront/invalidations',
      what: 'CloudFront invalidations, newest last',
      handle: (_req, res) => sendLocalJson(res, 200, ctx.cloudfront.all()),
    },
    {
      method: 'DELETE',
      path: '/_local/cloudfront/invalidations',
      what: 'forgets the invalidations',
      handle: async (_req, res) => {
        await ctx.cloudfront.clear();
        sendLocalJson(res, 200, []);
      },
    },
    {
      method: 'GET',
      path: '/_local/dlq',
      what: 'dead letters: asynchronous invocations that failed three times',
      handle: (_req, res) => sendLocalJson(res, 200, ctx.dlq.all()),
    },
    {
      method: 'DELETE',
      path: '/_local/dlq',
      what: 'forgets the dead letters',
      handle: async (_req, res) => {
        await ctx.dlq.clear();
        sendLocalJson(res, 200, []);
      },
    },
    {
      method: 'GET',
      path: '/_local/firehose',
      what: 'the latest 100 Firehose deliveries',
      handle: (_req, res) => sendLocalJson(res, 200, ctx.firehose.deliveries),
    },
    {
      method: 'POST',
      path: '/_local/firehose/faults',
      what: '{"stream","count","errorCode"}: the next records put fail',
      handle: async (req, res) => {
        let body: { stream?: string; count?: number; errorCode?: string };
        try {
          body = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8') || '{}') ?? {};
        } catch (err) {
          return sendLocalJson(res, 400, { error: `body is not a JSON object: ${String(err)}` });
        }
        ctx.firehose.injectFaults(body.stream, Number(body.count ?? 0), body.errorCode);
        sendLocalJson(res, 200, { ok: true });
      },
    },
    {
      method: 'POST',
      path: '/_local/settle',
      what: 'flushes Firehose buffers and waits for every pending invocation',
      handle: async (_req, res) => {
        await ctx.settle();
        sendLocalJson(res, 200, { settled: true });
      },
    },
  ];
}

function isForm(req: IncomingMessage): boolean {
  return String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}
