// The edge's guard: only the user's own tools may reach the local cloud. Refuses requests whose `Host` is
// not a loopback name or address (DNS rebinding: a web page whose name resolves to 127.0.0.1 sends its own
// name as Host) and browser requests made from another origin (CSRF: a page's form or fetch posting to
// 127.0.0.1). The AWS SDKs, the AWS CLI and curl send no Origin and no Sec-Fetch-* headers, so they pass.
// Hand-written: the rules are a few header checks that no maintained package states in these terms.
// The HTTP APIs under /_api/ are guarded too: on AWS they are public but send no CORS headers, so a page of
// another site cannot call them with a key either (the Authorization header needs a CORS preflight, which
// such an API fails); locally the guard refuses such pages outright and also stops DNS rebinding.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AwsError,
  newRequestId,
  requestUrl,
  sendLocalJson,
  sendPlain,
  sendQueryError,
  serviceFromHeaders,
  xmlEscape,
} from './protocol.ts';

export interface Refusal {
  /** Always 403. */
  status: 403;
  /** One sentence for the caller: what was refused and why. */
  message: string;
}

const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
/** The content types a browser sends cross-origin without a CORS preflight (HTML forms, `no-cors` fetch). */
const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * A loopback host name or address: `localhost`, `*.localhost` (browsers resolve these to loopback
 * themselves, RFC 6761), IPv4 127.0.0.0/8, `[::1]` and IPv4-mapped `[::ffff:127.x.y.z]`. `extra` names a
 * host the edge was bound to (LOCAL_HOST), which is the user's own choice.
 */
export function isLoopbackHost(hostname: string, extra: readonly string[] = []): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return /^[a-z0-9.-]+$/.test(h);
  if (isLoopbackIPv4(h)) return true;
  if (h === '[::1]' || h === '[0:0:0:0:0:0:0:1]') return true;
  const mapped = /^\[::ffff:([0-9.]+)\]$/.exec(h);
  if (mapped && isLoopbackIPv4(mapped[1]!)) return true;
  return extra.some((e) => e.toLowerCase() === h);
}

function isLoopbackIPv4(h: string): boolean {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** `host[:port]` → host (brackets kept for IPv6); undefined when the header is not a valid authority. */
export function hostOf(authority: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]]+)(?::(\d{1,5}))?$/.exec(authority.trim());
  return m ? m[1] : undefined;
}

/** An `Origin` header naming a page served from this machine (http(s) on a loopback host). */
export function isLoopbackOrigin(origin: string, extra: readonly string[] = []): boolean {
  const m = /^(https?):\/\/(.+)$/i.exec(origin.trim());
  if (!m) return false; // includes "null" (sandboxed frames, file:// pages, some redirects)
  const host = hostOf(m[2]!);
  return host !== undefined && isLoopbackHost(host, extra);
}

/**
 * The refusal for a request that must not reach the local cloud, or undefined to let it through.
 * `boundHost` is the address the edge listens on (LOCAL_HOST): it is the user's choice and the functions'
 * AWS_ENDPOINT_URL, so it is accepted as a Host too (an address literal, even 0.0.0.0, cannot be a rebound
 * DNS name; cross-site pages are still stopped by the Origin rules below).
 */
export function checkRequest(req: IncomingMessage, boundHost?: string): Refusal | undefined {
  const extra = boundHost
    ? [boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost]
    : [];
  // 1. DNS rebinding: the Host a browser sends is the name in the page's URL. HTTP/1.1 clients always
  //    send one; a request without it (HTTP/1.0 tools) cannot come from a browser page.
  const hostHeader = req.headers.host;
  if (hostHeader !== undefined) {
    const host = hostOf(hostHeader);
    if (host === undefined || !isLoopbackHost(host, extra)) {
      return refuse(
        `Host "${printable(hostHeader)}" is not a loopback name: the local cloud answers only requests addressed to localhost, *.localhost, 127.0.0.0/8 or [::1] (DNS rebinding protection).`,
      );
    }
  }
  // 2. Cross-origin browser requests. A non-loopback Origin is refused on every method: reads included,
  //    since a CORS-enabled backend (dynalite answers CORS) would otherwise let the page read the data.
  const origin = single(req.headers.origin);
  if (origin !== undefined && !isLoopbackOrigin(origin, extra)) {
    return refuse(
      `Origin "${printable(origin)}" is not a page on this machine: the local cloud refuses requests from other web sites (CSRF protection).`,
    );
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (!MUTATING.has(method)) return undefined;
  const fetchSite = single(req.headers['sec-fetch-site'])?.toLowerCase();
  if (fetchSite === 'cross-site' && origin === undefined) {
    return refuse(
      'Sec-Fetch-Site: cross-site: the local cloud refuses changes requested by other web sites (CSRF protection).',
    );
  }
  // 3. Old browsers send a form post without Origin: a simple content type from something that looks like
  //    a browser (Sec-Fetch-* headers, a Mozilla/… user agent) must carry a loopback Origin.
  if (origin === undefined && isSimpleType(req) && looksLikeBrowser(req)) {
    return refuse(
      'A browser form post without an Origin header: the local cloud refuses it (CSRF protection). The AWS SDKs, the AWS CLI and curl are not affected.',
    );
  }
  return undefined;
}

function refuse(message: string): Refusal {
  return { status: 403, message };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function isSimpleType(req: IncomingMessage): boolean {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  return type === '' || SIMPLE_TYPES.includes(type);
}

function looksLikeBrowser(req: IncomingMessage): boolean {
  // Browsers send Sec-Fetch-Site and Sec-Fetch-Dest; Node's own fetch (undici) sends only Sec-Fetch-Mode,
  // so that alone does not mark a browser.
  if (req.headers['sec-fetch-site'] !== undefined || req.headers['sec-fetch-dest'] !== undefined) return true;
  return /^Mozilla\//.test(String(req.headers['user-agent'] ?? ''));
}

/** A header value safe to quote in an answer: printable ASCII, at most 100 characters. */
function printable(v: string): string {
  const s = v.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 100 ? `${s.slice(0, 99)}…` : s;
}

/**
 * Answers a refusal in the shape of the service the request was for: S3 XML `AccessDenied`, DynamoDB and
 * Firehose JSON `AccessDeniedException`, SNS query XML `AuthorizationError` (SNS's 403 error code),
 * `/_local/*` JSON. The connection is closed, since the refused request's body is not read.
 */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const requestId = newRequestId();
  res.setHeader('connection', 'close');
  const url = requestUrl(req);
  if (url.pathname.startsWith('/_local/')) {
    sendLocalJson(res, refusal.status, { error: refusal.message });
    return;
  }
  if (url.pathname.startsWith('/_api/')) {
    // API Gateway's error shape ({"message": …}), as the local HTTP APIs answer their other errors.
    const body = JSON.stringify({ message: refusal.message });
    res.writeHead(refusal.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const service =
    serviceFromHeaders(req, url) ??
    (req.method === 'POST' &&
    url.pathname === '/' &&
    String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? 'sns'
      : 's3');
  if (service === 'dynamodb' || service === 'firehose') {
    const body = JSON.stringify({ __type: 'AccessDeniedException', message: refusal.message });
    res.writeHead(refusal.status, {
      'content-type': `application/x-amz-json-${service === 'dynamodb' ? '1.0' : '1.1'}`,
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': 'AccessDeniedException',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  if (service === 'sns') {
    sendQueryError(
      res,
      'http://sns.amazonaws.com/doc/2010-03-31/',
      new AwsError('AuthorizationError', refusal.message, refusal.status),
      requestId,
    );
    return;
  }
  sendPlain(
    res,
    refusal.status,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xmlEscape(refusal.message)}</Message><RequestId>${requestId}</RequestId></Error>\n`,
    'application/xml',
  );
}
