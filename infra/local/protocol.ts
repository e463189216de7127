// Wire-protocol helpers shared by the emulated services: which service a request is for (as AWS routes
// it: SigV4 credential scope, X-Amz-Target, Action), body reading with a cap, the query protocol's XML
// (SNS) and the JSON 1.1 protocol's error shape (Firehose).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The service named by the request's SigV4 credential scope or target header, if any. */
export function serviceFromHeaders(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization ?? '';
  const scope =
    /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1] ??
    /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(url.searchParams.get('X-Amz-Credential') ?? '')?.[1];
  if (scope) return scope;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    if (target.startsWith('DynamoDB_')) return 'dynamodb';
    if (target.startsWith('Firehose_')) return 'firehose';
  }
  return undefined;
}

/**
 * The request's URL, parsed without ever throwing: the request target is appended to a fixed origin
 * rather than resolved against it, so `//x/y` stays a path (it is not read as a host) and no target a
 * client can send makes the parse fail.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    return new URL(`http://local${target.startsWith('/') ? '' : '/'}${target}`);
  } catch {
    return new URL('http://local/');
  }
}

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyTooLarge(`request body exceeds ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"\r]/g, (c) =>
    c === '<'
      ? '&lt;'
      : c === '>'
        ? '&gt;'
        : c === '&'
          ? '&amp;'
          : c === "'"
            ? '&apos;'
            : c === '"'
              ? '&quot;'
              : '&#13;',
  );
}

/** An AWS error with its code, HTTP status and whether the caller is at fault. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly sender = true,
  ) {
    super(message);
  }
}

export function newRequestId(): string {
  return randomUUID();
}

/** Query protocol (SNS): `<XResponse><XResult>…</XResult><ResponseMetadata>…`. */
export function sendQueryResult(
  res: ServerResponse,
  namespace: string,
  action: string,
  resultXml: string,
  requestId: string,
): void {
  const body =
    `<?xml version="1.0"?>\n<${action}Response xmlns="${namespace}">\n` +
    `  <${action}Result>${resultXml}</${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  res.writeHead(200, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Query protocol error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`. */
export function sendQueryError(
  res: ServerResponse,
  namespace: string,
  err: AwsError,
  requestId: string,
): void {
  const body =
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${namespace}">\n  <Error>\n` +
    `    <Type>${err.sender ? 'Sender' : 'Receiver'}</Type>\n    <Code>${xmlEscape(err.code)}</Code>\n` +
    `    <Message>${xmlEscape(err.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
  res.writeHead(err.status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** JSON 1.1 protocol (Firehose). */
export function sendJson(res: ServerResponse, value: unknown, requestId: string): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJsonError(res: ServerResponse, err: AwsError, requestId: string): void {
  const body = JSON.stringify({ __type: err.code, message: err.message });
  res.writeHead(err.status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': err.code,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendPlain(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendLocalJson(res: ServerResponse, status: number, value: unknown): void {
  sendPlain(res, status, `${JSON.stringify(value, null, 2)}\n`, 'application/json; charset=utf-8');
}
