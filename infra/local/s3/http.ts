// The local S3's wire protocol (S3 REST, path-style): turns an HTTP request into a service call and the
// result into S3's headers and XML, and every failure into S3's error document. Shapes follow the Amazon S3
// API Reference page of each operation. Authentication is not checked (any SigV4/SigV2 header or presigned
// query is accepted): the auth query parameters are set aside so that they are never taken for subresources.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { z } from 'zod';
import { encodeS3Key } from '../../../shared/events/s3.ts';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, checksumHeader, parseAlgorithm } from './checksums.ts';
import { errors, S3Error } from './errors.ts';
import {
  type BodyInput,
  LIMITS,
  type ReadConditions,
  type S3Service,
  type WriteConditions,
} from './service.ts';
import { type ObjectAttributes, type ObjectRecord, STORED_HEADERS } from './store.ts';
import { document, el, list, opt, parseBody } from './xml.ts';

const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';
const owner = () => el('Owner', el('ID', OWNER_ID), el('DisplayName', 'local'));

/** Query parameters that are not subresources: auth (SigV4 and SigV2 presigning), the SDK's x-id, options. */
const PLAIN_PARAMS = new Set([
  'x-id',
  'AWSAccessKeyId',
  'Signature',
  'Expires',
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'list-type',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'key-marker',
  'upload-id-marker',
  'max-uploads',
  'max-parts',
  'part-number-marker',
  'partNumber',
  'uploadId',
  'versionId',
  'uploads',
  'delete',
  'location',
  'versioning',
  'max-buckets',
  'bucket-region',
]);
const isPlainParam = (p: string) => PLAIN_PARAMS.has(p) || /^x-amz-/i.test(p) || p.startsWith('response-');

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  bucket: string;
  key?: string;
  q: URLSearchParams;
  h: (name: string) => string | undefined;
  requestId: string;
}

export async function handleS3(service: S3Service, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const raw = req.url ?? '/';
  const qi = raw.indexOf('?');
  const rawPath = qi === -1 ? raw : raw.slice(0, qi);
  const q = new URLSearchParams(qi === -1 ? '' : raw.slice(qi + 1));
  const h = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const ctx: Ctx = { req, res, method: req.method ?? 'GET', bucket: '', q, h, requestId };
  try {
    const slash = rawPath.indexOf('/', 1);
    let bucket: string;
    let key: string | undefined;
    try {
      bucket = decodeURIComponent(slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash));
      const rawKey = slash === -1 ? '' : rawPath.slice(slash + 1);
      key = rawKey === '' ? undefined : decodeURIComponent(rawKey);
    } catch {
      throw errors.invalidUri();
    }
    ctx.bucket = bucket;
    if (key !== undefined) ctx.key = key;
    for (const p of q.keys()) if (!isPlainParam(p)) throw errors.notImplemented(`the "${p}" subresource`);
    const versionId = q.get('versionId');
    if (versionId !== null && versionId !== 'null')
      throw errors.invalidArgument('Invalid version id specified', 'versionId', versionId);
    await route(service, ctx);
  } catch (err) {
    sendError(ctx, err);
  }
}

async function route(s: S3Service, c: Ctx): Promise<void> {
  const { method, bucket, key, q } = c;
  if (!bucket) {
    if (method === 'GET') return listBuckets(s, c);
    throw errors.methodNotAllowed(method, 'SERVICE');
  }
  if (key === undefined) {
    switch (method) {
      case 'GET':
        if (q.has('location')) {
          const b = await s.bucket(bucket);
          return sendXml(c, 200, el('LocationConstraint', b.region === 'us-east-1' ? undefined : b.region));
        }
        if (q.has('versioning')) {
          await s.bucket(bucket);
          return sendXml(c, 200, el('VersioningConfiguration'));
        }
        if (q.has('uploads')) return listUploads(s, c);
        return q.get('list-type') === '2' ? listV2(s, c) : listV1(s, c);
      case 'PUT': {
        const body = parseBody((await readSmallBody(c.req)).toString('utf8'));
        const conf = body?.CreateBucketConfiguration as { LocationConstraint?: unknown } | undefined;
        const lc = typeof conf?.LocationConstraint === 'string' ? conf.LocationConstraint : undefined;
        await s.createBucket(bucket, lc);
        return send(c, 200, { location: `/${bucket}` });
      }
      case 'HEAD': {
        const b = await s.bucket(bucket);
        return send(c, 200, { 'x-amz-bucket-region': b.region });
      }
      case 'DELETE':
        await s.deleteBucket(bucket);
        return send(c, 204);
      case 'POST':
        if (q.has('delete')) return deleteObjects(s, c);
        if ((c.h('content-type') ?? '').startsWith('multipart/form-data')) return postObject(s, c);
        throw errors.notImplemented('this POST operation on buckets');
      default:
        throw errors.methodNotAllowed(method, 'BUCKET');
    }
  }
  switch (method) {
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber')) return uploadPart(s, c, key);
      if (c.h('x-amz-copy-source') !== undefined) return copyObject(s, c, key);
      return putObject(s, c, key);
    case 'GET':
      if (q.has('uploadId')) return listParts(s, c, key);
      if (q.has('partNumber')) throw errors.notImplemented('reads by partNumber');
      return getObject(s, c, key, false);
    case 'HEAD':
      if (q.has('partNumber')) throw errors.notImplemented('reads by partNumber');
      return getObject(s, c, key, true);
    case 'DELETE':
      if (q.has('uploadId')) {
        await s.abortUpload(bucket, key, q.get('uploadId') ?? '');
        return send(c, 204);
      }
      await s.deleteObject(bucket, key);
      return send(c, 204);
    case 'POST':
      if (q.has('uploads')) return createUpload(s, c, key);
      if (q.has('uploadId')) return completeUpload(s, c, key);
      throw errors.notImplemented('this POST operation on objects');
    default:
      throw errors.methodNotAllowed(method, 'OBJECT');
  }
}

// Responses.
function baseHeaders(c: Ctx): Record<string, string> {
  return { 'x-amz-request-id': c.requestId, 'x-amz-id-2': c.requestId, server: 'AmazonS3' };
}

function send(c: Ctx, status: number, headers: Record<string, string> = {}, body?: string): void {
  const all = { ...baseHeaders(c), ...headers };
  if (body !== undefined) {
    all['content-type'] = 'application/xml';
    all['content-length'] = String(Buffer.byteLength(body));
  } else if (!('content-length' in all) && status !== 304 && status !== 204) {
    all['content-length'] = '0';
  }
  c.res.writeHead(status, all);
  c.res.end(c.method === 'HEAD' ? undefined : body);
}

function sendXml(
  c: Ctx,
  status: number,
  root: ReturnType<typeof el>,
  headers: Record<string, string> = {},
): void {
  send(c, status, headers, document(root));
}

function sendError(c: Ctx, err: unknown): void {
  const e =
    err instanceof S3Error
      ? err
      : new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
  // A client that went away mid-request needs no answer and is not an engine failure.
  if (c.req.destroyed && !c.req.complete) {
    c.res.destroy();
    return;
  }
  if (!(err instanceof S3Error)) console.error('local s3:', err);
  if (c.res.headersSent) {
    c.res.destroy();
    return;
  }
  // A request whose body was not read (an early error) is drained so the connection can be reused.
  if (!c.req.readableEnded) c.req.resume();
  if (e.status === 304) {
    send(c, 304, e.headers);
    return;
  }
  const resource = `/${c.bucket}${c.key !== undefined ? `/${c.key}` : ''}`;
  const body = document(
    el(
      'Error',
      el('Code', e.code),
      el('Message', e.message),
      Object.entries(e.extra).map(([k, v]) => el(k, v)),
      el('Resource', resource),
      el('RequestId', c.requestId),
      el('HostId', c.requestId),
    ),
    false,
  );
  send(c, e.status, e.headers, c.method === 'HEAD' ? undefined : body);
}

/**
 * A decoder whose stream errors (a body cut before its final chunk) never go unhandled: the consumer
 * (pipeline, for-await) sees them, and a decoder nobody consumes because the request already failed
 * validation must not take the process down when the body ends early (found by test/local/fuzz.test.ts).
 */
function quietDecoder(): AwsChunkedDecoder {
  const decoder = new AwsChunkedDecoder();
  decoder.on('error', () => {});
  return decoder;
}

async function readSmallBody(req: IncomingMessage, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const encoded =
    String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  const source = encoded ? req.pipe(quietDecoder()) : req;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > limit) throw errors.malformedXml();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// Request parsing.
function intParam(c: Ctx, name: string, dflt: number, max?: number): number {
  const v = c.q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d+$/.test(v))
    throw errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, v);
  const n = Number(v);
  return max === undefined ? n : Math.min(n, max);
}

function httpDate(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function readConditions(c: Ctx, prefix = ''): ReadConditions {
  const out: ReadConditions = {};
  const im = c.h(`${prefix}if-match`);
  const inm = c.h(`${prefix}if-none-match`);
  const ims = httpDate(c.h(`${prefix}if-modified-since`));
  const ius = httpDate(c.h(`${prefix}if-unmodified-since`));
  if (im !== undefined) out.ifMatch = im;
  if (inm !== undefined) out.ifNoneMatch = inm;
  if (ims) out.ifModifiedSince = ims;
  if (ius) out.ifUnmodifiedSince = ius;
  return out;
}

function writeConditions(c: Ctx): WriteConditions {
  const out: WriteConditions = {};
  const im = c.h('if-match');
  const inm = c.h('if-none-match');
  if (im !== undefined) out.ifMatch = im;
  if (inm !== undefined) out.ifNoneMatch = inm;
  return out;
}

function attributes(c: Ctx): ObjectAttributes {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const v = c.h(name);
    if (v !== undefined) headers[name] = v;
  }
  if (headers['content-encoding'] !== undefined) {
    const rest = headers['content-encoding']
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t && t !== 'aws-chunked');
    if (rest.length) headers['content-encoding'] = rest.join(',');
    else delete headers['content-encoding'];
  }
  const meta: Record<string, string> = {};
  for (const [name, v] of Object.entries(c.req.headers)) {
    if (name.startsWith('x-amz-meta-') && v !== undefined)
      meta[name.slice(11)] = Array.isArray(v) ? v.join(',') : v;
  }
  return { headers, meta };
}

function requestChecksum(c: Ctx): { algorithm: ChecksumAlgorithm; value?: string } | undefined {
  for (const a of CHECKSUM_ALGORITHMS) {
    const v = c.h(checksumHeader(a));
    if (v !== undefined) return { algorithm: a, value: v };
  }
  const trailer = c.h('x-amz-trailer');
  const fromTrailer = trailer && parseAlgorithm(trailer.trim().replace(/^x-amz-checksum-/i, ''));
  if (fromTrailer) return { algorithm: fromTrailer };
  const sdk = c.h('x-amz-sdk-checksum-algorithm');
  if (sdk !== undefined) {
    const a = parseAlgorithm(sdk);
    if (!a)
      throw errors.invalidRequest(
        `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.join(', ')}]`,
      );
    return { algorithm: a };
  }
  return undefined;
}

function bodyInput(c: Ctx): BodyInput {
  const encoding = c.h('content-encoding') ?? '';
  const chunked =
    encoding.split(',').some((t) => t.trim() === 'aws-chunked') ||
    (c.h('x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  const declared = chunked ? c.h('x-amz-decoded-content-length') : c.h('content-length');
  if (declared === undefined && c.h('transfer-encoding') === undefined) throw errors.missingContentLength();
  const input: BodyInput = { body: c.req };
  if (declared !== undefined) {
    if (!/^\d+$/.test(declared))
      throw errors.invalidArgument('Invalid Content-Length', 'Content-Length', declared);
    input.expectedSize = Number(declared);
  }
  if (chunked) {
    const decoder = quietDecoder();
    c.req.on('error', (err) => decoder.destroy(err));
    c.req.on('aborted', () => decoder.destroy(new Error('request aborted')));
    c.req.pipe(decoder);
    input.body = decoder;
    input.trailers = decoder.trailers;
  }
  const md5 = c.h('content-md5');
  if (md5 !== undefined) input.contentMd5 = md5;
  const checksum = requestChecksum(c);
  if (checksum) input.checksum = checksum;
  return input;
}

function copySource(c: Ctx): { bucket: string; key: string } {
  const raw = c.h('x-amz-copy-source') ?? '';
  const [path = '', query] = raw.split('?');
  if (query) {
    const v = new URLSearchParams(query).get('versionId');
    if (v !== null && v !== 'null')
      throw errors.invalidArgument('Invalid version id specified', 'versionId', v);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, '');
  } catch {
    throw errors.invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', raw);
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw errors.invalidArgument(
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      'x-amz-copy-source',
      raw,
    );
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

// Object responses.
const quoted = (etag: string) => `"${etag}"`;
const iso = (ms: number) => new Date(ms).toISOString();

function checksumHeaders(rec: { checksum?: ObjectRecord['checksum'] }): Record<string, string> {
  if (!rec.checksum) return {};
  return {
    [checksumHeader(rec.checksum.algorithm)]: rec.checksum.value,
    'x-amz-checksum-type': rec.checksum.type,
  };
}

function objectHeaders(c: Ctx, rec: ObjectRecord, withChecksum: boolean): Record<string, string> {
  const out: Record<string, string> = {
    'content-type': rec.headers['content-type'] ?? 'binary/octet-stream',
    etag: quoted(rec.etag),
    'last-modified': new Date(rec.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const name of STORED_HEADERS) {
    const v = rec.headers[name];
    if (v !== undefined && name !== 'content-type') out[name] = v;
  }
  for (const [k, v] of Object.entries(rec.meta)) out[`x-amz-meta-${k}`] = v;
  if (withChecksum && c.h('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED')
    Object.assign(out, checksumHeaders(rec));
  // GetObject's response-* parameters override the stored headers.
  for (const name of [
    'content-type',
    'content-language',
    'expires',
    'cache-control',
    'content-disposition',
    'content-encoding',
  ]) {
    const v = c.q.get(`response-${name}`);
    if (v !== null) out[name] = v;
  }
  return out;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  // Amazon S3 API Reference, GetObject: one byte range per request (RFC 9110); other forms are ignored.
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw errors.invalidRange(size);
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) throw errors.invalidRange(size);
  if (end < start) return undefined;
  return { start, end };
}

async function getObject(s: S3Service, c: Ctx, key: string, head: boolean): Promise<void> {
  const conditions = readConditions(c);
  let found: Awaited<ReturnType<S3Service['getObject']>> | undefined;
  try {
    if (head) {
      const rec = await s.headObject(c.bucket, key, conditions);
      const range = parseRange(c.h('range'), rec.size);
      const headers = objectHeaders(c, rec, !range);
      if (range) {
        headers['content-range'] = `bytes ${range.start}-${range.end}/${rec.size}`;
        headers['content-length'] = String(range.end - range.start + 1);
      } else headers['content-length'] = String(rec.size);
      return send(c, range ? 206 : 200, headers);
    }
    found = await s.getObject(c.bucket, key, conditions);
  } catch (err) {
    if (err instanceof S3Error && err.code === 'NotModified') {
      const rec = await s.headObject(c.bucket, key).catch(() => undefined);
      if (rec)
        Object.assign(err.headers, {
          etag: quoted(rec.etag),
          'last-modified': new Date(rec.lastModified).toUTCString(),
        });
    }
    throw err;
  }
  const { rec } = found;
  let range: { start: number; end: number } | undefined;
  try {
    range = parseRange(c.h('range'), rec.size);
  } catch (err) {
    await found.close();
    throw err;
  }
  const headers = { ...baseHeaders(c), ...objectHeaders(c, rec, !range) };
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${rec.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
  } else headers['content-length'] = String(rec.size);
  c.res.writeHead(range ? 206 : 200, headers);
  if (rec.size === 0) {
    await found.close();
    c.res.end();
    return;
  }
  // Small bodies in one read; large ones streamed.
  if (rec.size <= 256 * 1024) {
    c.res.end(await found.read(range));
    return;
  }
  await pipeline(found.open(range), c.res).catch(() => c.res.destroy());
}

async function putObject(s: S3Service, c: Ctx, key: string): Promise<void> {
  const rec = await s.putObject(c.bucket, key, attributes(c), bodyInput(c), writeConditions(c));
  send(c, 200, { etag: quoted(rec.etag), ...checksumHeaders(rec) });
}

async function copyObject(s: S3Service, c: Ctx, key: string): Promise<void> {
  const src = copySource(c);
  const directive = (c.h('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
  }
  const alg = c.h('x-amz-checksum-algorithm');
  const algorithm = alg === undefined ? undefined : parseAlgorithm(alg);
  if (alg !== undefined && !algorithm)
    throw errors.invalidRequest('Checksum algorithm provided is unsupported.');
  const rec = await s.copyObject(
    c.bucket,
    key,
    { ...src, conditions: readConditions(c, 'x-amz-copy-source-') },
    {
      replace: directive === 'REPLACE',
      attrs: attributes(c),
      ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
      conditions: writeConditions(c),
    },
  );
  sendXml(
    c,
    200,
    el(
      'CopyObjectResult',
      el('ETag', quoted(rec.etag)),
      el('LastModified', iso(rec.lastModified)),
      rec.checksum
        ? [el('ChecksumType', rec.checksum.type), el(`Checksum${rec.checksum.algorithm}`, rec.checksum.value)]
        : undefined,
    ),
    rec.checksum ? { 'x-amz-checksum-type': rec.checksum.type } : {},
  );
}

const DeleteBody = z.object({
  Delete: z.object({
    Quiet: z.string().optional(),
    Object: z.union([z.object({ Key: z.string() }).loose(), z.array(z.object({ Key: z.string() }).loose())]),
  }),
});

async function deleteObjects(s: S3Service, c: Ctx): Promise<void> {
  const parsed = DeleteBody.safeParse(parseBody((await readSmallBody(c.req)).toString('utf8')));
  if (!parsed.success) throw errors.malformedXml();
  const keys = list(parsed.data.Delete.Object).map((o) => o.Key);
  if (keys.length > LIMITS.deleteObjectsKeys) throw errors.malformedXml();
  const quiet = parsed.data.Delete.Quiet === 'true';
  const results = await s.deleteObjects(c.bucket, keys);
  sendXml(
    c,
    200,
    el(
      'DeleteResult',
      results.map((r) =>
        r.error
          ? el('Error', el('Key', r.key), el('Code', r.error.code), el('Message', r.error.message))
          : quiet
            ? undefined
            : el('Deleted', el('Key', r.key)),
      ),
    ),
  );
}

// Listings.
function encoder(c: Ctx): (s: string) => string {
  const type = c.q.get('encoding-type');
  if (type === null) return (s) => s;
  if (type !== 'url')
    throw errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return encodeS3Key;
}

function contents(rec: ObjectRecord, key: string, enc: (s: string) => string, withOwner: boolean) {
  return el(
    'Contents',
    el('Key', enc(key)),
    el('LastModified', iso(rec.lastModified)),
    el('ETag', quoted(rec.etag)),
    rec.checksum
      ? [el('ChecksumAlgorithm', rec.checksum.algorithm), el('ChecksumType', rec.checksum.type)]
      : undefined,
    el('Size', rec.size),
    el('StorageClass', 'STANDARD'),
    withOwner ? owner() : undefined,
  );
}

async function listV1(s: S3Service, c: Ctx): Promise<void> {
  const enc = encoder(c);
  const prefix = c.q.get('prefix') ?? '';
  const delimiter = c.q.get('delimiter') || undefined;
  const marker = c.q.get('marker') || undefined;
  const max = intParam(c, 'max-keys', LIMITS.maxKeys, LIMITS.maxKeys);
  const { entries, truncated } = await s.list(c.bucket, {
    prefix,
    ...(delimiter ? { delimiter } : {}),
    ...(marker ? { startAfter: marker } : {}),
    max,
  });
  const last = entries.at(-1);
  const nextMarker = truncated && delimiter && last ? ('key' in last ? last.key : last.prefix) : undefined;
  sendXml(
    c,
    200,
    el(
      'ListBucketResult',
      el('Name', c.bucket),
      el('Prefix', enc(prefix)),
      el('Marker', enc(marker ?? '')),
      opt('NextMarker', nextMarker === undefined ? undefined : enc(nextMarker)),
      el('MaxKeys', max),
      opt('Delimiter', delimiter === undefined ? undefined : enc(delimiter)),
      el('IsTruncated', truncated),
      c.q.has('encoding-type') ? el('EncodingType', 'url') : undefined,
      entries.map((e) => ('key' in e ? contents(e.object, e.key, enc, true) : undefined)),
      entries.map((e) => ('prefix' in e ? el('CommonPrefixes', el('Prefix', enc(e.prefix))) : undefined)),
    ),
  );
}

const TOKEN_TAG = 'v1:';
function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(TOKEN_TAG)) {
    throw errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  return text.slice(TOKEN_TAG.length);
}
const encodeToken = (after: string) => Buffer.from(TOKEN_TAG + after, 'utf8').toString('base64url');

async function listV2(s: S3Service, c: Ctx): Promise<void> {
  const enc = encoder(c);
  const prefix = c.q.get('prefix') ?? '';
  const delimiter = c.q.get('delimiter') || undefined;
  const token = c.q.get('continuation-token');
  const startAfter = c.q.get('start-after') || undefined;
  const max = intParam(c, 'max-keys', LIMITS.maxKeys, LIMITS.maxKeys);
  const from = token !== null ? decodeToken(token) : startAfter;
  const { entries, truncated } = await s.list(c.bucket, {
    prefix,
    ...(delimiter ? { delimiter } : {}),
    ...(from !== undefined ? { startAfter: from } : {}),
    max,
  });
  const last = entries.at(-1);
  const next = truncated && last ? encodeToken('key' in last ? last.key : last.prefix) : undefined;
  const fetchOwner = c.q.get('fetch-owner') === 'true';
  sendXml(
    c,
    200,
    el(
      'ListBucketResult',
      el('Name', c.bucket),
      el('Prefix', enc(prefix)),
      opt('Delimiter', delimiter === undefined ? undefined : enc(delimiter)),
      el('MaxKeys', max),
      c.q.has('encoding-type') ? el('EncodingType', 'url') : undefined,
      el('IsTruncated', truncated),
      el('KeyCount', entries.length),
      opt('ContinuationToken', token ?? undefined),
      opt('NextContinuationToken', next),
      opt('StartAfter', startAfter === undefined ? undefined : enc(startAfter)),
      entries.map((e) => ('key' in e ? contents(e.object, e.key, enc, fetchOwner) : undefined)),
      entries.map((e) => ('prefix' in e ? el('CommonPrefixes', el('Prefix', enc(e.prefix))) : undefined)),
    ),
  );
}

async function listBuckets(s: S3Service, c: Ctx): Promise<void> {
  const buckets = await s.listBuckets();
  sendXml(
    c,
    200,
    el(
      'ListAllMyBucketsResult',
      owner(),
      el(
        'Buckets',
        buckets.map((b) =>
          el(
            'Bucket',
            el('Name', b.name),
            el('CreationDate', iso(b.rec.created)),
            el('BucketRegion', b.rec.region),
          ),
        ),
      ),
    ),
  );
}

// Multipart.
async function createUpload(s: S3Service, c: Ctx, key: string): Promise<void> {
  const algHeader = c.h('x-amz-checksum-algorithm');
  const algorithm = algHeader === undefined ? undefined : parseAlgorithm(algHeader);
  if (algHeader !== undefined && !algorithm)
    throw errors.invalidRequest('Checksum algorithm provided is unsupported.');
  const typeHeader = c.h('x-amz-checksum-type')?.toUpperCase();
  if (typeHeader !== undefined && typeHeader !== 'COMPOSITE' && typeHeader !== 'FULL_OBJECT') {
    throw errors.invalidRequest('Value for x-amz-checksum-type header is invalid.');
  }
  // CRC64NVME supports only full-object checksums (User Guide, "Checking object integrity").
  const type = typeHeader ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  const u = await s.createUpload(c.bucket, key, attributes(c), algorithm ? { algorithm, type } : undefined);
  sendXml(
    c,
    200,
    el('InitiateMultipartUploadResult', el('Bucket', c.bucket), el('Key', key), el('UploadId', u.uploadId)),
    algorithm ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': type } : {},
  );
}

async function uploadPart(s: S3Service, c: Ctx, key: string): Promise<void> {
  const uploadId = c.q.get('uploadId') ?? '';
  const pn = c.q.get('partNumber') ?? '';
  const partNumber = /^\d+$/.test(pn) ? Number(pn) : Number.NaN;
  if (c.h('x-amz-copy-source') !== undefined) {
    const src = copySource(c);
    const range = c.h('x-amz-copy-source-range');
    const part = await s.uploadPartCopy(c.bucket, key, uploadId, partNumber, {
      ...src,
      conditions: readConditions(c, 'x-amz-copy-source-'),
      ...(range !== undefined ? { range } : {}),
    });
    return sendXml(
      c,
      200,
      el(
        'CopyPartResult',
        el('ETag', quoted(part.etag)),
        el('LastModified', iso(part.lastModified)),
        part.checksumAlgorithm && part.checksum
          ? el(`Checksum${part.checksumAlgorithm}`, part.checksum)
          : undefined,
      ),
    );
  }
  const part = await s.uploadPart(c.bucket, key, uploadId, partNumber, bodyInput(c));
  send(c, 200, {
    etag: quoted(part.etag),
    ...(part.checksumAlgorithm && part.checksum
      ? { [checksumHeader(part.checksumAlgorithm)]: part.checksum }
      : {}),
  });
}

const CompleteBody = z.object({
  CompleteMultipartUpload: z.object({
    Part: z.union([
      z.object({ PartNumber: z.string(), ETag: z.string() }).loose(),
      z.array(z.object({ PartNumber: z.string(), ETag: z.string() }).loose()),
    ]),
  }),
});

async function completeUpload(s: S3Service, c: Ctx, key: string): Promise<void> {
  const uploadId = c.q.get('uploadId') ?? '';
  const parsed = CompleteBody.safeParse(parseBody((await readSmallBody(c.req)).toString('utf8')));
  if (!parsed.success) {
    await s.upload(c.bucket, key, uploadId);
    throw errors.malformedXml();
  }
  const parts = list(parsed.data.CompleteMultipartUpload.Part).map((p) => ({
    partNumber: Number(p.PartNumber),
    etag: p.ETag,
  }));
  if (parts.length > LIMITS.maxParts) throw errors.malformedXml();
  const rec = await s.completeUpload(c.bucket, key, uploadId, parts, writeConditions(c));
  const host = c.h('host') ?? 'localhost';
  sendXml(
    c,
    200,
    el(
      'CompleteMultipartUploadResult',
      el('Location', `http://${host}/${c.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`),
      el('Bucket', c.bucket),
      el('Key', key),
      el('ETag', quoted(rec.etag)),
      rec.checksum
        ? [el(`Checksum${rec.checksum.algorithm}`, rec.checksum.value), el('ChecksumType', rec.checksum.type)]
        : undefined,
    ),
  );
}

async function listParts(s: S3Service, c: Ctx, key: string): Promise<void> {
  const uploadId = c.q.get('uploadId') ?? '';
  const max = intParam(c, 'max-parts', 1000, 1000);
  const marker = intParam(c, 'part-number-marker', 0);
  const { upload, parts } = await s.listParts(c.bucket, key, uploadId);
  const after = parts.filter((p) => p.partNumber > marker);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  sendXml(
    c,
    200,
    el(
      'ListPartsResult',
      el('Bucket', c.bucket),
      el('Key', key),
      el('UploadId', uploadId),
      el('PartNumberMarker', marker),
      opt('NextPartNumberMarker', page.at(-1)?.partNumber),
      el('MaxParts', max),
      el('IsTruncated', truncated),
      page.map((p) =>
        el(
          'Part',
          el('PartNumber', p.partNumber),
          el('LastModified', iso(p.part.lastModified)),
          el('ETag', quoted(p.part.etag)),
          el('Size', p.part.size),
          p.part.checksumAlgorithm && p.part.checksum
            ? el(`Checksum${p.part.checksumAlgorithm}`, p.part.checksum)
            : undefined,
        ),
      ),
      el('Initiator', el('ID', OWNER_ID), el('DisplayName', 'local')),
      owner(),
      el('StorageClass', 'STANDARD'),
      opt('ChecksumAlgorithm', upload.checksumAlgorithm),
      opt('ChecksumType', upload.checksumType),
    ),
  );
}

async function listUploads(s: S3Service, c: Ctx): Promise<void> {
  const enc = encoder(c);
  const prefix = c.q.get('prefix') ?? '';
  const delimiter = c.q.get('delimiter') || undefined;
  const keyMarker = c.q.get('key-marker') ?? '';
  const idMarker = c.q.get('upload-id-marker') ?? '';
  const max = intParam(c, 'max-uploads', 1000, 1000);
  const all = (await s.listUploads(c.bucket)).filter(
    (u) =>
      u.key.startsWith(prefix) &&
      (keyMarker === '' ||
        u.key > keyMarker ||
        (u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker)),
  );
  const entries: Array<{ upload: (typeof all)[number] } | { prefix: string }> = [];
  let truncated = false;
  for (const u of all) {
    const rest = u.key.slice(prefix.length);
    const d = delimiter ? rest.indexOf(delimiter) : -1;
    if (delimiter && d >= 0) {
      const cp = prefix + rest.slice(0, d + delimiter.length);
      const last = entries.at(-1);
      if (last && 'prefix' in last && last.prefix === cp) continue;
      if (entries.length >= max) {
        truncated = true;
        break;
      }
      entries.push({ prefix: cp });
      continue;
    }
    if (entries.length >= max) {
      truncated = true;
      break;
    }
    entries.push({ upload: u });
  }
  const lastUpload = [...entries].reverse().find((e) => 'upload' in e) as
    | { upload: (typeof all)[number] }
    | undefined;
  sendXml(
    c,
    200,
    el(
      'ListMultipartUploadsResult',
      el('Bucket', c.bucket),
      el('KeyMarker', enc(keyMarker)),
      el('UploadIdMarker', idMarker),
      opt('NextKeyMarker', truncated && lastUpload ? enc(lastUpload.upload.key) : undefined),
      opt('NextUploadIdMarker', truncated && lastUpload ? lastUpload.upload.uploadId : undefined),
      el('Prefix', enc(prefix)),
      opt('Delimiter', delimiter),
      el('MaxUploads', max),
      el('IsTruncated', truncated),
      c.q.has('encoding-type') ? el('EncodingType', 'url') : undefined,
      entries.map((e) =>
        'upload' in e
          ? el(
              'Upload',
              el('Key', enc(e.upload.key)),
              el('UploadId', e.upload.uploadId),
              el('Initiator', el('ID', OWNER_ID), el('DisplayName', 'local')),
              owner(),
              el('StorageClass', 'STANDARD'),
              el('Initiated', iso(e.upload.initiated)),
              opt('ChecksumAlgorithm', e.upload.checksumAlgorithm),
            )
          : undefined,
      ),
      entries.map((e) => ('prefix' in e ? el('CommonPrefixes', el('Prefix', enc(e.prefix))) : undefined)),
    ),
  );
}

// Browser-form uploads (API Reference, "POST Object"; User Guide, "Browser-based uploads using POST"): the
// form fields before the file give the key (`${filename}` replaced), Content-Type and the other stored
// headers, x-amz-meta-*, and success_action_status / success_action_redirect. The policy and its signature
// are not checked. Form parsing by busboy.
async function postObject(s: S3Service, c: Ctx): Promise<void> {
  await s.bucket(c.bucket);
  const fields: Record<string, string> = {};
  const { rec, key } = await new Promise<{ rec: ObjectRecord; key: string }>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: c.req.headers, limits: { fields: 100, fieldSize: 64 * 1024, files: 1 } });
    } catch {
      reject(errors.malformedPost());
      return;
    }
    let sawFile = false;
    parser.on('field', (name, value) => {
      fields[name.toLowerCase()] = value;
    });
    parser.on('file', (_name, stream, info) => {
      sawFile = true;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} placeholder.
      const key = (fields.key ?? '').replaceAll('${filename}', info.filename ?? '');
      const fail = (err: unknown) => {
        stream.resume();
        reject(err);
      };
      if (!key) {
        fail(
          errors.invalidArgument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
            'key',
            '',
          ),
        );
        return;
      }
      const headers: Record<string, string> = {};
      const meta: Record<string, string> = {};
      for (const name of STORED_HEADERS) if (fields[name] !== undefined) headers[name] = fields[name];
      for (const [name, v] of Object.entries(fields))
        if (name.startsWith('x-amz-meta-')) meta[name.slice(11)] = v;
      s.putObject(c.bucket, key, { headers, meta }, { body: stream }, {}, 'ObjectCreated:Post').then(
        (rec) => resolve({ rec, key }),
        fail,
      );
    });
    parser.on('close', () => {
      if (!sawFile)
        reject(errors.invalidArgument('POST requires exactly one file upload per request.', 'file', '0'));
    });
    parser.on('error', () => reject(errors.malformedPost()));
    c.req.pipe(parser);
  });
  const host = c.h('host') ?? 'localhost';
  const location = `http://${host}/${c.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const redirect = fields.success_action_redirect ?? fields.redirect;
  if (redirect) {
    const target = new URL(redirect);
    target.searchParams.set('bucket', c.bucket);
    target.searchParams.set('key', key);
    target.searchParams.set('etag', quoted(rec.etag));
    return send(c, 303, { location: target.toString(), etag: quoted(rec.etag) });
  }
  const status = fields.success_action_status;
  if (status === '201') {
    return sendXml(
      c,
      201,
      el(
        'PostResponse',
        el('Location', location),
        el('Bucket', c.bucket),
        el('Key', key),
        el('ETag', quoted(rec.etag)),
      ),
      { etag: quoted(rec.etag), location },
    );
  }
  send(c, status === '200' ? 200 : 204, { etag: quoted(rec.etag), location });
}
