// The api kind on AWS (infra/cdk/kinds/api.ts), on the template synthesized from the real definitions
// (without bundling): one HTTP API per declared API on its execute-api endpoint, a `$default` stage that
// deploys itself with the spec's throttling and JSON access logs to a log group with retention, its URL as a
// stack output, and its 5xx-rate and p99-latency alarms judged by CloudWatch's missing-data semantics.
import { describe, expect, it } from 'vitest';
import {
  API_5XX_RATE_ALARM_PERCENT,
  API_MIN_REQUESTS,
  API_P99_LATENCY_ALARM_MS,
  apiWiringOf,
} from '../../../infra/cdk/kinds/api.ts';
import { type AlarmProps, alarmStates } from '../aws-model.ts';
import { catalog, idOf, ofType, propsOf, referencedIds, synthesizedProject } from '../helpers.ts';

const s = synthesizedProject();

const apis = () => [...s.stack.resources.api.entries()];
const alarm = (name: string) => {
  const found = ofType(s, 'AWS::CloudWatch::Alarm').find(
    ([, a]) => a.Properties!.AlarmName === `EventPipelines-${name}`,
  );
  expect(found, name).toBeDefined();
  return found![1].Properties as AlarmProps & Record<string, unknown>;
};

describe('HTTP APIs', () => {
  it('one HTTP API per declared API, served on its execute-api endpoint', () => {
    expect(catalog.resources.api.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::ApiGatewayV2::Api', catalog.resources.api.length);
    for (const [, api] of apis()) {
      const p = propsOf(s, idOf(s, api));
      expect(p.ProtocolType).toBe('HTTP');
      // The default endpoint is the API's only URL here (no custom domain): it stays enabled.
      expect(p.DisableExecuteApiEndpoint ?? false).toBe(false);
    }
  });

  it('a $default stage that deploys itself, throttled as the spec says', () => {
    for (const spec of catalog.resources.api) {
      const { stage } = apiWiringOf(s.stack.resources.api.get(spec.name)!);
      const p = propsOf(s, idOf(s, stage));
      // API Gateway Developer Guide, "Throttle requests to your HTTP APIs": stage-level default route
      // throttling is ThrottlingRateLimit (steady requests per second) and ThrottlingBurstLimit.
      expect(p).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: spec.throttling.rateLimit,
          ThrottlingBurstLimit: spec.throttling.burstLimit,
        },
      });
      expect(referencedIds(p.ApiId)).toEqual(new Set([idOf(s, s.stack.resources.api.get(spec.name)!)]));
    }
  });

  it('access logs: one JSON object per request, into a log group with a retention', () => {
    for (const [, api] of apis()) {
      const { stage, accessLogs } = apiWiringOf(api);
      const settings = propsOf(s, idOf(s, stage)).AccessLogSettings as {
        DestinationArn: unknown;
        Format: string;
      };
      expect(referencedIds(settings.DestinationArn)).toEqual(new Set([idOf(s, accessLogs)]));
      expect(propsOf(s, idOf(s, accessLogs)).RetentionInDays).toBe(30);
      // API Gateway Developer Guide, "Customizing HTTP API access logs": the format must include
      // $context.requestId or $context.extendedRequestId; the rest are $context variables of HTTP APIs.
      const format = JSON.parse(settings.Format) as Record<string, string>;
      expect(format.requestId).toBe('$context.requestId');
      expect(format).toMatchObject({
        status: '$context.status',
        routeKey: '$context.routeKey',
        integrationError: '$context.integrationErrorMessage',
        authorizerError: '$context.authorizer.error',
      });
      for (const v of Object.values(format)) expect(v).toMatch(/^\$context\.[A-Za-z.]+$/);
    }
  });

  it('its URL is a stack output: https://<api id>.execute-api.<region>.<suffix>/', () => {
    const outputs = (s.json as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    for (const [name, api] of apis()) {
      const out = Object.entries(outputs).find(([k]) => k.startsWith(`Api${name[0]!.toUpperCase()}`));
      expect(out, name).toBeDefined();
      const value = JSON.stringify(out![1].Value);
      expect(value).toContain('"https://"');
      expect(value).toContain('.execute-api.');
      expect(referencedIds(out![1].Value)).toEqual(new Set([idOf(s, api)]));
    }
  });
});

describe('API alarms (AWS/ApiGateway metrics of the stage)', () => {
  it('5xx rate: share of 5xx answers from a minimum of requests; no traffic is OK', () => {
    for (const [name] of apis()) {
      const a = alarm(`api-${name}-5xx-rate`);
      const metrics = a.Metrics as Array<{
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: Record<string, unknown>; Stat: string };
      }>;
      const expr = metrics.find((m) => m.Expression)!.Expression!;
      expect(expr).toBe(`IF(requests >= ${API_MIN_REQUESTS}, 100 * errors / requests, 0)`);
      // API Gateway Developer Guide, "CloudWatch metrics for HTTP APIs": 5xx and Count, dimensions ApiId
      // and Stage.
      const named = (id: string) => metrics.find((m) => m.Id === id)!.MetricStat!;
      expect(named('errors').Metric).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' });
      expect(named('requests').Metric).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: 'Count' });
      for (const id of ['errors', 'requests']) {
        expect(named(id).Stat).toBe('Sum');
        const dims = (named(id).Metric.Dimensions as Array<{ Name: string }>).map((d) => d.Name).sort();
        expect(dims).toEqual(['ApiId', 'Stage']);
      }
      expect(a.Threshold).toBe(API_5XX_RATE_ALARM_PERCENT);
      // The expression's value per period (undefined: no request, so API Gateway published nothing).
      const rate = (errors: number, requests: number) =>
        requests >= API_MIN_REQUESTS ? (100 * errors) / requests : 0;
      expect(
        alarmStates(a, [undefined, rate(0, 100), rate(10, 100), undefined, rate(1, 2), rate(5, 100)]),
      ).toEqual(['OK', 'OK', 'ALARM', 'OK', 'OK', 'OK']);
    }
  });

  it('p99 latency above the threshold alarms; a quiet period is OK', () => {
    for (const [name] of apis()) {
      const a = alarm(`api-${name}-latency-p99`);
      expect(a).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: 'Latency',
        ExtendedStatistic: 'p99',
      });
      expect(a.Threshold).toBe(API_P99_LATENCY_ALARM_MS);
      expect(alarmStates(a, [120, undefined, API_P99_LATENCY_ALARM_MS + 1, 300])).toEqual([
        'OK',
        'OK',
        'ALARM',
        'OK',
      ]);
    }
  });
});
