// The local API Gateway HTTP API (infra/local/apigateway.ts) with real local Lambdas (FunctionPool workers
// running the fixtures beside this file), driven over HTTP with fetch. Expected answers are API Gateway's
// documented behaviour for HTTP APIs: payload format 2.0 events and responses ("Create AWS Lambda proxy
// integrations for HTTP APIs"), Lambda REQUEST authorizers with simple responses and result caching, and
// its error answers ({"message":"Not Found"} 404, "Unauthorized" 401, "Forbidden" 403, "Internal Server
// Error" 500, "Service Unavailable" 503 on a timeout).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApi } from '../../infra/local/apigateway.ts';
import { type FunctionConfig, FunctionPool } from '../../infra/local/lambda.ts';

const pools = new Map<string, FunctionPool>();
let server: http.Server;
let base: string;

function pool(id: string, entry: string, timeoutSeconds = 10): FunctionPool {
  const config: FunctionConfig = {
    id,
    entry,
    entryPath: path.resolve(entry),
    handlerName: 'handler',
    memoryMb: 128,
    timeoutSeconds,
    concurrency: 1,
    idleMs: 0,
    env: {},
  };
  const p = new FunctionPool(config, () => {});
  pools.set(id, p);
  return p;
}

beforeAll(async () => {
  pool('echo', 'test/local/fixtures/http-echo.ts');
  pool('slow', 'test/local/fixtures/http-echo.ts', 2);
  pool('auth', 'test/local/fixtures/http-authorizer.ts');
  const api = new LocalHttpApi(
    {
      name: 'test-api',
      routes: [
        { routeKey: 'GET /json', functionId: 'echo' },
        { routeKey: 'GET /structured', functionId: 'echo' },
        { routeKey: 'GET /throw', functionId: 'echo' },
        { routeKey: 'GET /slow', functionId: 'slow' },
        { routeKey: 'POST /items/{id}', functionId: 'echo' },
        { routeKey: 'GET /files/{path+}', functionId: 'echo' },
      ],
      authorizer: {
        functionId: 'auth',
        identitySource: ['$request.header.Authorization'],
        resultsCacheTtlSeconds: 300,
      },
    },
    (id, event) => pools.get(id)!.invoke(event),
  );
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    void api.handle(req, res, url.pathname, url.search.slice(1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await Promise.all([...pools.values()].map((p) => p.close()));
});

const call = (p: string, init: RequestInit = {}, auth = 'Bearer good') =>
  fetch(`${base}${p}`, {
    ...init,
    headers: { ...(auth ? { authorization: auth } : {}), ...(init.headers ?? {}) },
  });

describe('local HTTP API', () => {
  it('builds a 2.0 event: route key, path parameters, query, cookies, authorizer context, text body', async () => {
    const r = await call('/items/a%20b?x=1&x=2', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'c=1; d=2' },
      body: '{"v":1}',
    });
    expect(r.status).toBe(200);
    const e = (await r.json()) as Record<string, unknown> & {
      requestContext: { authorizer: { lambda: { who: string } } };
    };
    expect(e).toMatchObject({
      version: '2.0',
      routeKey: 'POST /items/{id}',
      rawPath: '/items/a%20b',
      rawQueryString: 'x=1&x=2',
      queryStringParameters: { x: '1,2' },
      pathParameters: { id: 'a b' },
      cookies: ['c=1', 'd=2'],
      body: '{"v":1}',
      isBase64Encoded: false,
    });
    expect(e.requestContext.authorizer.lambda.who).toBe('tester');
  });

  it('base64-encodes a binary body and matches greedy path parameters', async () => {
    const r = await call('/files/a/b/c.bin', { method: 'GET' });
    expect(((await r.json()) as { pathParameters: unknown }).pathParameters).toEqual({ path: 'a/b/c.bin' });
  });

  it('maps answers: plain JSON → 200 JSON; structured → status, headers, Set-Cookie, decoded base64 body', async () => {
    const plain = await call('/json');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ hello: 'world' });
    const s = await call('/structured');
    expect(s.status).toBe(201);
    expect(s.headers.get('x-made-by')).toBe('fixture');
    expect(s.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect(Buffer.from(await s.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers API Gateway errors: 404 no route, 500 function error, 503 timeout', async () => {
    const nf = await call('/nowhere');
    expect([nf.status, await nf.json()]).toEqual([404, { message: 'Not Found' }]);
    const err = await call('/throw');
    expect([err.status, await err.json()]).toEqual([500, { message: 'Internal Server Error' }]);
    const slow = await call('/slow');
    expect([slow.status, await slow.json()]).toEqual([503, { message: 'Service Unavailable' }]);
  });

  it('401 without an identity source (authorizer not called), 403 when refused, 500 when it fails', async () => {
    const none = await call('/json', {}, '');
    expect([none.status, await none.json()]).toEqual([401, { message: 'Unauthorized' }]);
    const bad = await call('/json', {}, 'Bearer bad');
    expect([bad.status, await bad.json()]).toEqual([403, { message: 'Forbidden' }]);
    const broken = await call('/json', {}, 'Bearer broken');
    expect([broken.status, await broken.json()]).toEqual([500, { message: 'Internal Server Error' }]);
  });

  it('caches the authorizer result per identity source', async () => {
    const first = (await (await call('/items/1', { method: 'POST' })).json()) as {
      requestContext: { authorizer: { lambda: { calls: number } } };
    };
    const second = (await (await call('/items/2', { method: 'POST' })).json()) as typeof first;
    expect(second.requestContext.authorizer.lambda.calls).toBe(first.requestContext.authorizer.lambda.calls);
  });
});
