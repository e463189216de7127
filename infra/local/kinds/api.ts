// The `api` resource kind on the local cloud: an API Gateway HTTP API served at
// `<endpoint>/_api/<name>/…` by the edge (apis.ts, apigateway.ts), its routes and authorizer wired by the
// `http` and `http-authorizer` triggers. A ref resolves to the API's base URL, as the stage URL on AWS.
import { API_PATH_PREFIX } from '../apis.ts';
import type { LocalResourceKind } from './types.ts';

export const apiUrl = (endpoint: string, name: string) => `${endpoint}${API_PATH_PREFIX}${name}`;

export const api: LocalResourceKind<'api'> = {
  title: 'HTTP APIs',
  health: 'apis',
  async create(spec, services) {
    services.apis.add(spec);
  },
  id: (spec) => `${API_PATH_PREFIX}${spec.name}`,
  describe(spec, ctx) {
    const routes = ctx.services.apis.routes(spec.name);
    return `${apiUrl(ctx.endpoint, spec.name)}  (${routes.join(', ')}; every route authorized by ${spec.authorizer}, answers cached ${spec.authorizerCacheSeconds} s)`;
  },
  state: (spec, services) => ({
    url: apiUrl(services.endpoint, spec.name),
    routes: services.apis.routes(spec.name),
    authorizer: services.apis.authorizerOf(spec.name) ?? null,
  }),
  resolve: (spec, variable, ctx) => {
    if (!ctx.services) throw new Error(`API ${spec.name}: its URL is known only on a running local cloud`);
    return { [variable]: apiUrl(ctx.services.endpoint, spec.name) };
  },
};
