// The local cloud's HTTP APIs (the `api` resource kind and the `http` / `http-authorizer` trigger kinds,
// kinds/): each declared API is served at `<endpoint>/_api/<name>/…` on the edge by a LocalHttpApi
// (apigateway.ts) whose routes are the `http` triggers naming it and whose authorizer is the function with
// its `http-authorizer` trigger (identity sources and result caching from the API's spec). Route functions
// and the authorizer are invoked synchronously through their worker pools, as API Gateway invokes Lambda.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiSpec } from '../../pipelines/types.ts';
import { LocalHttpApi, type LocalInvoke, type LocalRoute } from './apigateway.ts';

/** The edge's path prefix of the APIs. */
export const API_PATH_PREFIX = '/_api/';

interface Entry {
  spec: ApiSpec;
  routes: LocalRoute[];
  authorizer?: string;
  /** Built on the first request after a change of routes or authorizer. */
  api?: LocalHttpApi;
}

export class LocalApis {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly invoke: LocalInvoke,
    private readonly log: (line: string) => void,
  ) {}

  add(spec: ApiSpec): void {
    if (!this.entries.has(spec.name)) this.entries.set(spec.name, { spec, routes: [] });
  }

  private entry(api: string): Entry {
    const e = this.entries.get(api);
    if (!e) throw new Error(`no API named ${api}`);
    return e;
  }

  addRoute(api: string, routeKey: string, functionId: string): void {
    const e = this.entry(api);
    e.routes = [...e.routes.filter((r) => r.routeKey !== routeKey), { routeKey, functionId }];
    e.api = undefined;
  }

  setAuthorizer(api: string, functionId: string): void {
    const e = this.entry(api);
    e.authorizer = functionId;
    e.api = undefined;
  }

  /** The function serving a route, if wired. */
  routeOf(api: string, routeKey: string): string | undefined {
    return this.entries.get(api)?.routes.find((r) => r.routeKey === routeKey)?.functionId;
  }

  authorizerOf(api: string): string | undefined {
    return this.entries.get(api)?.authorizer;
  }

  routes(api: string): string[] {
    return this.entries.get(api)?.routes.map((r) => r.routeKey) ?? [];
  }

  /** Serves a request whose path starts with `/_api/`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const rest = url.pathname.slice(API_PATH_PREFIX.length);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    const e = this.entries.get(name);
    if (!e) {
      // As API Gateway answers a request for no route (its JSON error shape).
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    e.api ??= new LocalHttpApi(
      {
        name,
        routes: e.routes,
        ...(e.authorizer
          ? {
              authorizer: {
                functionId: e.authorizer,
                identitySource: e.spec.identitySource,
                resultsCacheTtlSeconds: e.spec.authorizerCacheSeconds,
              },
            }
          : {}),
      },
      this.invoke,
      this.log,
    );
    if (!e.authorizer) {
      // Every route of an API is authorized (schema.ts ApiSpec): never serve one without its authorizer.
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Service Unavailable' }));
      return;
    }
    await e.api.handle(req, res, slash === -1 ? '/' : rest.slice(slash), url.search.slice(1));
  }
}
