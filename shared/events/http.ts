// API Gateway HTTP API events (payload format 2.0): the proxy event a route's function receives, the
// REQUEST authorizer event, and what each function answers. The schemas are Powertools' own (taken, not
// rewritten: they follow AWS's documented samples); this module adds the types, the few readers the
// handlers need (a header by any case, the body as text, the authorizer's context) and the answers.
// Builders for tests and the local cloud are in builders.ts.
import {
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerEventV2Schema,
} from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import { z } from 'zod';

export const HttpApiEventSchema = APIGatewayProxyEventV2Schema;
export type HttpApiEvent = z.infer<typeof HttpApiEventSchema>;

export const HttpAuthorizerEventSchema = APIGatewayRequestAuthorizerEventV2Schema;
export type HttpAuthorizerEvent = z.infer<typeof HttpAuthorizerEventSchema>;

/**
 * A route function's answer as API Gateway reads it ("Lambda function response for format 2.0"): a status,
 * headers, cookies (sent as Set-Cookie) and a body, base64 when `isBase64Encoded`.
 */
export const HttpResultSchema = z.object({
  statusCode: z.number().int().min(100).max(599),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  multiValueHeaders: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});
export type HttpResult = z.infer<typeof HttpResultSchema>;

/** A simple-response authorizer's answer (`enableSimpleResponses`): allowed or not, and a context. */
export const HttpAuthorizerResultSchema = z.object({
  isAuthorized: z.boolean(),
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
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
