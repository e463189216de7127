// API Gateway HTTP API events (payload format 2.0): the proxy event a route's function receives, the
// REQUEST authorizer event, and what each function answers. This module adds the types, the few readers
// the handlers need (a header by any case, the body as text, the authorizer's context) and the answers.
// Builders for tests and the local cloud are in builders.ts.
import * as z from '../zod.ts';

// The two event schemas are Powertools' APIGatewayProxyEventV2Schema and
// APIGatewayRequestAuthorizerEventV2Schema (@aws-lambda-powertools/parser 2.35.0, schemas/api-gatewayv2.js
// and apigw-proxy.js; they follow AWS's documented samples) copied field for field in zod/mini rather than
// imported: that module imports zod as `{ z }`, which esbuild cannot tree-shake, and so put all of zod
// (463 KiB, 261 KiB of it locales) in each events API handler's bundle (test/bench/cold-start.bench.ts).
// test/shared/events.test.ts holds the copies to Powertools' originals on the HTTP API fixtures.
const StringRecord = z.record(z.string(), z.string());
const StringArray = z.array(z.string());

const ClientCert = z.object({
  clientCertPem: z.string(),
  subjectDN: z.string(),
  issuerDN: z.string(),
  serialNumber: z.string(),
  validity: z.object({ notBefore: z.string(), notAfter: z.string() }),
});

/** Lambda authorizer `context` (or null), JWT claims and scopes, or the IAM caller. */
const RequestAuthorizer = z.object({
  jwt: z.optional(z.object({ claims: z.record(z.string(), z.any()), scopes: z.nullable(StringArray) })),
  iam: z.optional(
    z.object({
      accessKey: z.optional(z.string()),
      accountId: z.optional(z.string()),
      callerId: z.optional(z.string()),
      principalOrgId: z.nullish(z.string()),
      userArn: z.optional(z.string()),
      userId: z.optional(z.string()),
      cognitoIdentity: z.nullish(
        z.object({ amr: StringArray, identityId: z.string(), identityPoolId: z.string() }),
      ),
    }),
  ),
  lambda: z.nullish(z.record(z.string(), z.any())),
});

const RequestContext = z.object({
  accountId: z.string(),
  apiId: z.string(),
  authorizer: z.optional(RequestAuthorizer),
  authentication: z.nullish(z.object({ clientCert: z.optional(ClientCert) })),
  domainName: z.string(),
  domainPrefix: z.string(),
  http: z.object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']),
    path: z.string(),
    protocol: z.string(),
    sourceIp: z.union([z.ipv4(), z.ipv6()]),
    userAgent: z.string(),
  }),
  requestId: z.string(),
  routeKey: z.string(),
  stage: z.string(),
  time: z.string(),
  timeEpoch: z.number(),
});

/** The event a route's function receives ("Working with AWS Lambda proxy integrations for HTTP APIs"). */
export const HttpApiEventSchema = z.object({
  version: z.string(),
  routeKey: z.string(),
  rawPath: z.string(),
  rawQueryString: z.string(),
  cookies: z.optional(StringArray),
  headers: StringRecord,
  queryStringParameters: z.optional(StringRecord),
  requestContext: RequestContext,
  body: z.optional(z.string()),
  pathParameters: z.nullish(StringRecord),
  isBase64Encoded: z.boolean(),
  stageVariables: z.nullish(StringRecord),
});
export type HttpApiEvent = z.infer<typeof HttpApiEventSchema>;

/** The event a REQUEST Lambda authorizer receives ("Working with AWS Lambda authorizers for HTTP APIs"). */
export const HttpAuthorizerEventSchema = z.object({
  version: z.literal('2.0'),
  type: z.literal('REQUEST'),
  routeArn: z.string(),
  identitySource: z.nullish(StringArray),
  routeKey: z.string(),
  rawPath: z.string(),
  rawQueryString: z.string(),
  cookies: z.optional(StringArray),
  headers: z.optional(StringRecord),
  queryStringParameters: z.optional(StringRecord),
  requestContext: RequestContext,
  pathParameters: z.nullish(StringRecord),
  stageVariables: z.nullish(StringRecord),
});
export type HttpAuthorizerEvent = z.infer<typeof HttpAuthorizerEventSchema>;

/**
 * A route function's answer as API Gateway reads it ("Lambda function response for format 2.0"): a status,
 * headers, cookies (sent as Set-Cookie) and a body, base64 when `isBase64Encoded`.
 */
export const HttpResultSchema = z.object({
  statusCode: z.number().check(z.int(), z.gte(100), z.lte(599)),
  headers: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  multiValueHeaders: z.optional(
    z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))),
  ),
  cookies: z.optional(z.array(z.string())),
  body: z.optional(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
});
export type HttpResult = z.infer<typeof HttpResultSchema>;

/** A simple-response authorizer's answer (`enableSimpleResponses`): allowed or not, and a context. */
export const HttpAuthorizerResultSchema = z.object({
  isAuthorized: z.boolean(),
  context: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
});
export type HttpAuthorizerResult = z.infer<typeof HttpAuthorizerResultSchema>;

/** A request header by name, whatever its case (API Gateway lower-cases them; builders may not). */
export function header(
  event: { headers?: Record<string, string> | undefined },
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** The request body as UTF-8 text (API Gateway base64-encodes bodies it does not treat as text). */
export function bodyText(event: Pick<HttpApiEvent, 'body' | 'isBase64Encoded'>): string {
  if (event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The body's size in bytes as received. */
export function bodyBytes(event: Pick<HttpApiEvent, 'body' | 'isBase64Encoded'>): number {
  if (event.body === undefined) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').length : Buffer.byteLength(event.body);
}

/** The Lambda authorizer's context as API Gateway passes it on (`requestContext.authorizer.lambda`). */
export function authorizerContext(event: HttpApiEvent): Record<string, unknown> {
  return (event.requestContext.authorizer?.lambda ?? {}) as Record<string, unknown>;
}

/** A JSON answer. */
export function jsonResult(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
