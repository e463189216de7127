// The api kind on AWS: an API Gateway HTTP API per ApiSpec with its `$default` stage (auto-deployed, the
// spec's throttling, JSON access logs to a log group with retention) on the execute-api endpoint, whose URL
// environments get and the stack outputs; its 5xx-rate and p99-latency alarms. The routes and the authorizer
// come from the functions' triggers (http.ts, http-authorizer.ts), which record them in the API's wiring;
// http.ts's `finish` adds every route with the API's authorizer, so no route can be anonymous.
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ALARM_PERIOD } from '../alarms.ts';
import { type BuiltFunction, pascal } from '../functions.ts';
import type { CdkResourceKind } from './types.ts';

export interface ApiWiring {
  stage: apigw.HttpStage;
  accessLogs: logs.LogGroup;
  /** Set by the http-authorizer trigger of the function the spec names. */
  authorizer?: HttpLambdaAuthorizer;
  /** Route keys ("GET /events") by the function serving them, recorded by the http trigger. */
  routes: Array<{ fn: BuiltFunction; routeKey: string }>;
}

const wirings = new WeakMap<apigw.HttpApi, ApiWiring>();

/** The wiring of an HTTP API this plug-in created. */
export function apiWiringOf(api: apigw.HttpApi): ApiWiring {
  const wiring = wirings.get(api);
  if (!wiring) throw new Error(`${api.node.path} was not created by the api kind`);
  return wiring;
}

/**
 * One access log line per request (HTTP API `$context` variables, API Gateway Developer Guide "Customizing
 * HTTP API access logs"): who, what, the answer, and why an authorizer or integration failed.
 */
export const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  errorMessage: '$context.error.message',
};

/** The p99 latency (ms) above which an API alarms: its route functions time out at 15 s at most. */
export const API_P99_LATENCY_ALARM_MS = 5_000;
/** 5xx share (%) above which an API alarms, over 5 minutes with at least API_MIN_REQUESTS requests. */
export const API_5XX_RATE_ALARM_PERCENT = 5;
export const API_MIN_REQUESTS = 20;

export const apiKind: CdkResourceKind<'api'> = {
  create(ctx, spec) {
    const id = `Api${pascal(spec.name)}`;
    const api = new apigw.HttpApi(ctx.stack, id, {
      apiName: `${ctx.settings.stackName}-${spec.name}`,
      description: spec.description,
      // The stage is made below, with throttling and access logs.
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(ctx.stack, `${id}AccessLogs`, {
      retention: ctx.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new apigw.HttpStage(ctx.stack, `${id}Stage`, {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: spec.throttling.rateLimit, burstLimit: spec.throttling.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    wirings.set(api, { stage, accessLogs, routes: [] });
    new CfnOutput(ctx.stack, `${id}Url`, { value: stage.url, description: spec.description });
    return api;
  },
  resolve: (api) => apiWiringOf(api).stage.url,
  // Functions reach an API through its routes (an `http` trigger), never through an access entry.
  grants: {},
  alarms(ctx, created) {
    for (const [name, api] of created) {
      const { stage } = apiWiringOf(api);
      const id = `AlarmApi${pascal(name)}`;
      ctx.alarms.add(`${id}5xxRate`, {
        alarmName: `api-${name}-5xx-rate`,
        alarmDescription:
          `More than ${API_5XX_RATE_ALARM_PERCENT}% of the requests to API ${name} got a 5xx in 5 minutes ` +
          `(counted from ${API_MIN_REQUESTS} requests on): a route function or the authorizer failed, timed ` +
          'out or was throttled. See the access logs (integrationError, authorizerError) and the functions’ alarms.',
        metric: new cloudwatch.MathExpression({
          expression: `IF(requests >= ${API_MIN_REQUESTS}, 100 * errors / requests, 0)`,
          usingMetrics: {
            errors: stage.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }),
            requests: stage.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' }),
          },
          period: ALARM_PERIOD,
          label: '5xx %',
        }),
        threshold: API_5XX_RATE_ALARM_PERCENT,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // API Gateway publishes an API's metrics only for periods with requests: none means no failed one.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      ctx.alarms.add(`${id}LatencyP99`, {
        alarmName: `api-${name}-latency-p99`,
        alarmDescription:
          `The p99 latency of API ${name} was above ${API_P99_LATENCY_ALARM_MS} ms in 5 minutes: the ` +
          'authorizer, DynamoDB, Firehose or the cache is slow, or functions start cold in numbers.',
        metric: stage.metricLatency({ period: ALARM_PERIOD, statistic: 'p99' }),
        threshold: API_P99_LATENCY_ALARM_MS,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // No requests, no latency datapoint, and nothing slow.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  },
};
