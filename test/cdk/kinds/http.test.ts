// The http and http-authorizer trigger kinds on AWS (infra/cdk/kinds/http.ts, http-authorizer.ts), on the
// template synthesized from the real definitions (without bundling): one route per route key of every http
// trigger, each with a Lambda proxy integration (payload 2.0) to its function and the API's authorizer, so
// no route is anonymous; the authorizer a REQUEST one with simple responses, the spec's identity source and
// cache TTL; API Gateway may invoke exactly these functions, synchronously (no retries, no DLQ).
import { describe, expect, it } from 'vitest';
import { parseRouteKey } from '../../../infra/cdk/kinds/http.ts';
import { apiWiringOf, triggerKindOf } from '../../../infra/cdk/kinds/index.ts';
import {
  catalog,
  idOf,
  ofType,
  propsOf,
  referencedIds,
  synthesizedProject,
  triggeredBy,
} from '../helpers.ts';

const s = synthesizedProject();

const fnId = (id: string) => idOf(s, s.stack.resources.functions.get(id)!.fn);
const routes = () =>
  ofType(s, 'AWS::ApiGatewayV2::Route').map(
    ([id, r]) => ({ id, ...r.Properties }) as Record<string, unknown> & { id: string },
  );
const authorizers = () => ofType(s, 'AWS::ApiGatewayV2::Authorizer');

describe('routes', () => {
  it('one route per route key of every http trigger, and no other', () => {
    const expected = triggeredBy('http').flatMap((f) => f.trigger.routes);
    expect(expected.length).toBeGreaterThan(0);
    expect(
      routes()
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual([...expected].sort());
  });

  it('every route requires the authorizer of its API (AuthorizationType CUSTOM): none is anonymous', () => {
    // API Gateway Developer Guide, "Controlling access to HTTP APIs with AWS Lambda authorizers": a route is
    // authorized by the authorizer its AuthorizerId names with AuthorizationType CUSTOM; NONE (the default)
    // lets anyone call it.
    const byApi = new Map(
      authorizers().map(([id, a]) => [[...referencedIds(a.Properties!.ApiId)][0], id] as const),
    );
    expect(routes().length).toBeGreaterThan(0);
    for (const r of routes()) {
      expect(r.AuthorizationType, String(r.RouteKey)).toBe('CUSTOM');
      const api = [...referencedIds(r.ApiId)][0];
      expect(referencedIds(r.AuthorizerId), String(r.RouteKey)).toEqual(new Set([byApi.get(api)]));
    }
  });

  it('each route proxies to the function whose trigger names it, with payload format 2.0', () => {
    for (const spec of triggeredBy('http')) {
      for (const key of spec.trigger.routes) {
        const route = routes().find((r) => r.RouteKey === key)!;
        const [integrationId] = [...referencedIds(route.Target)];
        const integration = propsOf(s, integrationId!);
        // API Gateway Developer Guide, "Create AWS Lambda proxy integrations for HTTP APIs".
        expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
        expect(referencedIds(integration.IntegrationUri), key).toEqual(new Set([fnId(spec.id)]));
      }
    }
  });

  it('route keys parse into the method and path CDK routes on', () => {
    expect(parseRouteKey('GET /events/latest')).toEqual({ method: 'GET', path: '/events/latest' });
    expect(parseRouteKey('ANY /x/{proxy+}')).toEqual({ method: 'ANY', path: '/x/{proxy+}' });
    expect(() => parseRouteKey('FETCH /x')).toThrow(/unknown method FETCH/);
  });
});

describe('the authorizer', () => {
  it('a Lambda REQUEST authorizer with simple responses, the spec’s identity source and cache TTL', () => {
    expect(authorizers()).toHaveLength(catalog.resources.api.length);
    for (const spec of catalog.resources.api) {
      const api = idOf(s, s.stack.resources.api.get(spec.name)!);
      const [, a] = authorizers().find(([, x]) => referencedIds(x.Properties!.ApiId).has(api))!;
      // AWS::ApiGatewayV2::Authorizer; API Gateway Developer Guide, "Working with AWS Lambda authorizers for
      // HTTP APIs": simple responses need payload format 2.0; an answer is cached per identity source value
      // for AuthorizerResultTtlInSeconds, and a request missing an identity source gets 401 without a call.
      expect(a.Properties).toMatchObject({
        AuthorizerType: 'REQUEST',
        EnableSimpleResponses: true,
        AuthorizerPayloadFormatVersion: '2.0',
        IdentitySource: spec.identitySource,
        AuthorizerResultTtlInSeconds: spec.authorizerCacheSeconds,
      });
      expect(referencedIds(a.Properties!.AuthorizerUri)).toEqual(new Set([fnId(spec.authorizer)]));
      expect(apiWiringOf(s.stack.resources.api.get(spec.name)!).authorizer).toBeDefined();
    }
  });
});

describe('invocation', () => {
  it('API Gateway may invoke the route functions and the authorizer, from this API only', () => {
    const ids = [...triggeredBy('http'), ...triggeredBy('http-authorizer')].map((f) => f.id);
    for (const id of ids) {
      const perms = ofType(s, 'AWS::Lambda::Permission')
        .map(([, p]) => p.Properties!)
        .filter((p) => referencedIds(p.FunctionName).has(fnId(id)));
      expect(perms.length, id).toBeGreaterThan(0);
      for (const p of perms) {
        expect(p.Principal, id).toBe('apigateway.amazonaws.com');
        // SourceArn names this API's execute-api ARN, so no other API can invoke the function.
        const apiIds = [...s.stack.resources.api.values()].map((a) => idOf(s, a));
        expect(
          apiIds.some((a) => referencedIds(p.SourceArn).has(a)),
          id,
        ).toBe(true);
      }
    }
  });

  it('synchronously: no retries or DLQ; the error alarm says what API Gateway answers', () => {
    for (const spec of [...triggeredBy('http'), ...triggeredBy('http-authorizer')]) {
      const { invocation } = triggerKindOf(spec.trigger);
      expect(invocation.asynchronous, spec.id).toBe(false);
      expect(s.stack.resources.functions.get(spec.id)!.dlq, spec.id).toBeUndefined();
      if (!invocation.asynchronous) expect(invocation.onError).toMatch(/500/);
    }
  });
});
