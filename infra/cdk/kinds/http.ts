// The http trigger kind on AWS: each route key of the trigger becomes a route of its HTTP API with a Lambda
// proxy integration (payload format 2.0) to the function. Attaching records the routes; `finish` adds them
// all, each with its API's authorizer (http-authorizer.ts), and refuses an API without one, so there is no
// anonymous route. API Gateway invokes the function synchronously.
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { BuiltFunction } from '../functions.ts';
import { pascal } from '../functions.ts';
import { apiWiringOf } from './api.ts';
import type { CdkTriggerKind } from './types.ts';

/** "GET /events/{id}" → method and path (RouteKeySchema admits only these shapes). */
export function parseRouteKey(routeKey: string): { method: apigw.HttpMethod; path: string } {
  const [method, path] = routeKey.split(' ') as [string, string];
  const methods = Object.values(apigw.HttpMethod) as string[];
  if (!methods.includes(method)) throw new Error(`route "${routeKey}": unknown method ${method}`);
  return { method: method as apigw.HttpMethod, path };
}

export const httpTrigger: CdkTriggerKind<'http'> = {
  invocation: {
    asynchronous: false,
    onError:
      'API Gateway answers the client 500 (503 if the integration timed out); nothing is retried for it, the ' +
      'client retries.',
  },
  attach(ctx, fn, trigger) {
    const { routes } = apiWiringOf(ctx.resources.api.get(trigger.api)!);
    for (const routeKey of trigger.routes) routes.push({ fn, routeKey });
  },
  finish(ctx) {
    for (const [name, api] of ctx.resources.api) {
      const { authorizer, routes } = apiWiringOf(api);
      if (!authorizer) throw new Error(`API ${name} has no authorizer: its routes would be anonymous`);
      const integrations = new Map<BuiltFunction, HttpLambdaIntegration>();
      for (const { fn, routeKey } of routes) {
        let integration = integrations.get(fn);
        if (!integration) {
          integration = new HttpLambdaIntegration(`${pascal(fn.spec.id)}Integration`, fn.fn, {
            payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
          });
          integrations.set(fn, integration);
        }
        const { method, path } = parseRouteKey(routeKey);
        api.addRoutes({ path, methods: [method], integration, authorizer });
      }
    }
  },
};
