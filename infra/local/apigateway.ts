// A local API Gateway HTTP API (payload format 2.0): matches a request to a route (`POST /events`,
// `GET /events/{id}`, `$default`), runs the REQUEST Lambda authorizer (simple responses, result cached per
// identity source for its TTL, 401 without calling it when an identity source is missing), builds the
// route's event with the shared builders (shared/events/builders.ts) and maps the function's answer back
// as API Gateway does. A text body reaches the function's worker as its UTF-8 bytes and is decoded there
// (lambda-protocol.ts, Utf8Text), so this thread, which serves every request, does not decode large bodies.
// Hand-written: no library emulates HTTP APIs in process. The answers AWS documents:
// - a function error: 500 `{"message":"Internal Server Error"}`; over the 30 s integration timeout (or the
//   function's own timeout): 503 `{"message":"Service Unavailable"}`;
// - the authorizer says no: 403 `{"message":"Forbidden"}`; it fails: 500; an identity source is missing:
//   401 `{"message":"Unauthorized"}`; no route: 404 `{"message":"Not Found"}`; a body over 10 MB: 413;
// - a structured answer (`statusCode` …): its status, headers, `cookies` as Set-Cookie, a base64 body
//   decoded; any other JSON answer: 200 with the answer as a JSON body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildHttpApiEvent, buildHttpAuthorizerEvent } from '../../shared/events/builders.ts';
import { type HttpApiEvent, HttpAuthorizerResultSchema, HttpResultSchema } from '../../shared/events/http.ts';
import { Utf8Text } from './lambda-protocol.ts';
import { BodyTooLarge, readBody } from './protocol.ts';

/** HTTP API limits (API Gateway quotas): 10 MB payload, 30 s integration timeout. */
export const HTTP_API_LIMITS = { maxBodyBytes: 10 * 1024 * 1024, integrationTimeoutMs: 30_000 } as const;

export type LocalInvoke = (
  functionId: string,
  event: unknown,
) => Promise<
  { ok: true; value: unknown } | { ok: false; error: { errorType: string; errorMessage: string } }
>;

export interface LocalRoute {
  /** `POST /events`, `GET /events/{id}`, `ANY /x/{proxy+}` or `$default`. */
  routeKey: string;
  functionId: string;
}

export interface LocalHttpApiConfig {
  /** Logical name; the API is served under `/_api/<name>` on the edge. */
  name: string;
  routes: LocalRoute[];
  authorizer?: {
    functionId: string;
    /** `$request.header.Authorization`-style identity sources. */
    identitySource: string[];
    resultsCacheTtlSeconds: number;
  };
}

interface CompiledRoute extends LocalRoute {
  method: string;
  pattern: RegExp | undefined;
  params: string[];
}

function compile(route: LocalRoute): CompiledRoute {
  if (route.routeKey === '$default') return { ...route, method: 'ANY', pattern: undefined, params: [] };
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const params: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const m = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { ...route, method, pattern: new RegExp(`^${source}$`), params };
}

const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

const message = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': 'local', ...headers });
  res.end(JSON.stringify({ message: text }));
};

export class LocalHttpApi {
  private readonly routes: CompiledRoute[];
  private readonly authCache = new Map<
    string,
    { until: number; context: Record<string, unknown> | undefined; allowed: boolean }
  >();

  constructor(
    readonly config: LocalHttpApiConfig,
    private readonly invoke: LocalInvoke,
    private readonly log: (line: string) => void = () => {},
  ) {
    // Most specific first, as API Gateway prefers: exact paths, then parameters, then greedy, then $default.
    const rank = (r: CompiledRoute) =>
      r.pattern ? r.params.length * 2 + (r.routeKey.includes('+}') ? 1 : 0) : 99;
    this.routes = config.routes.map(compile).sort((a, b) => rank(a) - rank(b));
  }

  private match(
    method: string,
    path: string,
  ): { route: CompiledRoute; pathParameters?: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (!route.pattern) return { route };
      if (route.method !== 'ANY' && route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const pathParameters = Object.fromEntries(
        route.params.map((p, i) => [p, decodeURIComponent(m[i + 1]!)]),
      );
      return route.params.length ? { route, pathParameters } : { route };
    }
    return undefined;
  }

  /** Serves one request whose path (below `/_api/<name>`) is `path`, query string `rawQuery`. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const found = this.match(method, path || '/');
    if (!found) return message(res, 404, 'Not Found');
    let body: Buffer;
    try {
      body = await readBody(req, HTTP_API_LIMITS.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) return message(res, 413, 'Request Entity Too Large');
      throw err;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    const contentType = headers['content-type'] ?? '';
    const common = {
      method,
      path,
      rawQueryString: rawQuery,
      headers,
      routeKey: found.route.routeKey,
      apiId: this.config.name,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      ...(found.pathParameters ? { pathParameters: found.pathParameters } : {}),
    };
    let authorizerContext: Record<string, unknown> | undefined;
    if (this.config.authorizer) {
      const verdict = await this.authorize(common, headers);
      if (verdict.status) return message(res, verdict.status, verdict.text);
      authorizerContext = verdict.context;
    }
    const text = body.length > 0 && TEXT_TYPES.test(contentType);
    const event: Omit<HttpApiEvent, 'body'> & { body?: string | Utf8Text } = buildHttpApiEvent({
      ...common,
      ...(body.length && !text ? { body: new Uint8Array(body) } : {}),
      ...(authorizerContext ? { authorizerContext } : {}),
    });
    // A text body goes to the function's worker as its bytes and is decoded there, not on this thread.
    if (text) event.body = new Utf8Text(body);
    const result = await this.invokeWithTimeout(found.route.functionId, event);
    if (!result.ok) {
      const timedOut =
        result.error.errorType === 'Sandbox.Timedout' || result.error.errorType === 'IntegrationTimeout';
      this.log(
        `api ${this.config.name} ${method} ${path} → ${found.route.functionId} ${result.error.errorType}: ${result.error.errorMessage}`,
      );
      return timedOut ? message(res, 503, 'Service Unavailable') : message(res, 500, 'Internal Server Error');
    }
    this.send(res, result.value);
  }

  private async authorize(
    common: Parameters<typeof buildHttpAuthorizerEvent>[0],
    headers: Record<string, string>,
  ): Promise<{ status?: number; text: string; context?: Record<string, unknown> }> {
    const auth = this.config.authorizer!;
    const identity: string[] = [];
    for (const source of auth.identitySource) {
      const m = /^\$request\.header\.(.+)$/.exec(source);
      const value = m ? headers[m[1]!.toLowerCase()] : undefined;
      // "If a specified identity source is missing, null, or empty, API Gateway returns a 401 Unauthorized
      // error without calling the authorizer Lambda function."
      if (!value) return { status: 401, text: 'Unauthorized' };
      identity.push(value);
    }
    const cacheKey = JSON.stringify(identity);
    const cached = this.authCache.get(cacheKey);
    if (cached && cached.until > Date.now()) {
      return cached.allowed
        ? { text: 'ok', ...(cached.context ? { context: cached.context } : {}) }
        : { status: 403, text: 'Forbidden' };
    }
    const result = await this.invokeWithTimeout(
      auth.functionId,
      buildHttpAuthorizerEvent({ ...common, identitySource: identity }),
    );
    const parsed = result.ok ? HttpAuthorizerResultSchema.safeParse(result.value) : undefined;
    if (!parsed?.success) {
      this.log(
        `api ${this.config.name}: authorizer ${auth.functionId} ${result.ok ? 'answered without a valid simple response' : `failed: ${result.error.errorType}`}`,
      );
      return { status: 500, text: 'Internal Server Error' };
    }
    const { isAuthorized, context } = parsed.data;
    if (auth.resultsCacheTtlSeconds > 0) {
      if (this.authCache.size > 10_000) this.authCache.clear();
      this.authCache.set(cacheKey, {
        until: Date.now() + auth.resultsCacheTtlSeconds * 1000,
        allowed: isAuthorized,
        context,
      });
    }
    return isAuthorized
      ? { text: 'ok', ...(context ? { context } : {}) }
      : { status: 403, text: 'Forbidden' };
  }

  private invokeWithTimeout(functionId: string, event: unknown): ReturnType<LocalInvoke> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Awaited<ReturnType<LocalInvoke>>>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            error: { errorType: 'IntegrationTimeout', errorMessage: 'no answer within 30 s' },
          }),
        HTTP_API_LIMITS.integrationTimeoutMs,
      );
    });
    return Promise.race([this.invoke(functionId, event), timeout]).finally(() => clearTimeout(timer));
  }

  /** Maps a function's answer to the HTTP response, as API Gateway does for payload format 2.0. */
  private send(res: ServerResponse, value: unknown): void {
    const structured = typeof value === 'object' && value !== null && 'statusCode' in value;
    if (!structured) {
      if (value === undefined) {
        message(res, 500, 'Internal Server Error');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
      return;
    }
    const parsed = HttpResultSchema.safeParse(value);
    if (!parsed.success) {
      this.log(`api ${this.config.name}: malformed function answer: ${parsed.error.issues[0]?.message}`);
      message(res, 500, 'Internal Server Error');
      return;
    }
    const r = parsed.data;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(r.multiValueHeaders ?? {}))
      headers[k.toLowerCase()] = v.map(String).join(',');
    if (r.cookies?.length) headers['set-cookie'] = r.cookies;
    res.writeHead(r.statusCode, headers);
    res.end(r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
  }
}
