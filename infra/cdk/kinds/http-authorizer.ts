// The http-authorizer trigger kind on AWS: the function becomes its API's Lambda REQUEST authorizer with
// simple responses ({ isAuthorized, context }), the spec's identity sources and results-cache TTL. The API's
// routes (http.ts) all use it. API Gateway invokes it synchronously.
import { Duration } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { pascal } from '../functions.ts';
import { apiWiringOf } from './api.ts';
import type { CdkTriggerKind } from './types.ts';

export const httpAuthorizerTrigger: CdkTriggerKind<'http-authorizer'> = {
  invocation: {
    asynchronous: false,
    onError:
      'API Gateway answers the caller 500 (an authorizer that throws or times out authorizes nobody); the ' +
      'client retries.',
  },
  attach(ctx, { fn, spec }, trigger) {
    const api = ctx.resources.api.get(trigger.api)!;
    const apiSpec = ctx.catalog.resources.api.find((a) => a.name === trigger.api)!;
    const wiring = apiWiringOf(api);
    // validate.ts (kind-checks.ts) already holds each API to one authorizer naming it back.
    if (wiring.authorizer) throw new Error(`API ${trigger.api} has a second authorizer: ${spec.id}`);
    wiring.authorizer = new HttpLambdaAuthorizer(`Api${pascal(trigger.api)}Authorizer`, fn, {
      authorizerName: spec.id,
      identitySource: [...apiSpec.identitySource],
      resultsCacheTtl: Duration.seconds(apiSpec.authorizerCacheSeconds),
      responseTypes: [HttpLambdaResponseType.SIMPLE],
    });
  },
};
