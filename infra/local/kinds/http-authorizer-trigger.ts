// The `http-authorizer` trigger kind on the local cloud: the function becomes its API's Lambda REQUEST
// authorizer (simple responses), invoked synchronously by the local API Gateway before every route that
// its cached answers do not cover (apis.ts, apigateway.ts). Nothing to send on its own: every request to
// the API runs it.
import type { LocalTriggerKind } from './types.ts';

export const httpAuthorizerTrigger: LocalTriggerKind<'http-authorizer'> = {
  async wire(fn, t, ctx) {
    ctx.services.apis.setAuthorizer(t.api, fn.id);
  },
  wired: (fn, t, services) => services.apis.authorizerOf(t.api) === fn.id,
  describe: (t) => `http API ${t.api} (authorizer of every route)`,
  summarise(event) {
    const e = event as { routeKey?: string };
    return `authorize ${e.routeKey ?? '?'}`;
  },
  tryCommands: () => [],
  async send(t) {
    return `nothing to send: the authorizer of API ${t.api} runs on every request to it`;
  },
  results: () => [],
};
