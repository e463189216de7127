// The CloudFront client for this container (endpoint from the SDK's standard AWS_ENDPOINT_URL(_CLOUDFRONT)
// variables, so the local cloud's edge answers it), how an S3 key becomes a CloudFront invalidation path,
// and which CreateInvalidation errors are worth another attempt.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { cachedClient } from './client-cache.ts';

export const cloudFrontClient = (): CloudFrontClient =>
  cachedClient('cloudfront', () => new CloudFrontClient({}));

// RFC 1738 §2.2 "unsafe" characters. CloudFront's rule for invalidation paths (Developer Guide,
// "What you need to know when invalidating paths"): URL-encode non-ASCII and unsafe characters, and
// nothing else, "or CloudFront will not invalidate the old version". `?` is encoded too: unencoded it
// would start a query string. Hand-written because encodeURI/encodeURIComponent encode other sets.
const UNSAFE = new Set([' ', '<', '>', '"', '#', '%', '{', '}', '|', '\\', '^', '~', '[', ']', '`', '?']);

/** `My Photos/Été/a + b.jpg` → `/My%20Photos/%C3%89t%C3%A9/a%20+%20b.jpg` (a path relative to the distribution). */
export function invalidationPath(key: string): string {
  let out = '/';
  for (const ch of key) {
    const code = ch.codePointAt(0)!;
    out += code < 0x21 || code > 0x7e || UNSAFE.has(ch) ? percentEncode(ch) : ch;
  }
  return out;
}

/** Every UTF-8 byte as %XX (encodeURIComponent would leave `~` as it is). */
const percentEncode = (ch: string): string =>
  [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

// Errors that say "not now" rather than "never": throttling, too many invalidations in progress (CloudFront
// allows 3,000 individual paths in progress per distribution), 5xx, and network failures without a
// response. NoSuchDistribution, AccessDenied, InvalidArgument, InconsistentQuantities, BatchTooLarge are not.
const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyInvalidationsInProgress',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
]);

export function isTransientCloudFrontError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429 || TRANSIENT_NAMES.has(err.name);
  return true;
}
