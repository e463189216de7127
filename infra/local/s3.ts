// S3 on the local cloud: s3rver (objects under <dataDir>/s3), mounted in-process behind the edge, which
// streams requests to it (no whole-upload buffering). The edge strips SigV4 auth (s3rver only knows its own
// demo key; any credentials are accepted locally) and decodes the SDK's `aws-chunked` uploads on the way
// to s3rver's internal loopback port, since s3rver would otherwise store them with the chunk framing.
// Object changes are observed at s3rver's store (which also sees multi-object deletes, which s3rver emits
// no event for) and reported as neutral changes; cloud.ts turns them into AWS-shaped notifications. The
// store's call (and so s3rver's success answer) waits for `onChange`'s promise: the notification is
// journaled before the client hears that the object is stored.
import { readFile, stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import S3rver from 's3rver';

export interface S3Change {
  bucket: string;
  /** The object key as stored (not URL-encoded). */
  key: string;
  /** AWS event name without the `s3:` prefix, e.g. `ObjectCreated:Put`, `ObjectRemoved:Delete`. */
  eventName: string;
  size?: number;
  eTag?: string;
}

interface StoreLike {
  putObject(object: { bucket: string; key: string }): Promise<{ size: number; md5: string }>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    meta?: unknown,
  ): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
  existsObject(bucket: string, key: string): Promise<boolean>;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: unknown,
  ): Promise<{ size: number; md5: string }>;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  getResourcePath(bucket: string, key: string, resource: string): string;
  getBucket(bucket: string): Promise<unknown>;
  putBucket(bucket: string): Promise<unknown>;
  listBuckets(): Promise<Array<{ name: string }>>;
}

export interface S3Backend {
  port: number;
  ensureBucket(name: string): Promise<void>;
  listBuckets(): Promise<string[]>;
  proxy(req: IncomingMessage, res: ServerResponse, url: URL): void;
  close(): Promise<void>;
}

/** Called after an object change is committed; the success answer waits for the returned promise. */
export type S3ChangeListener = (c: S3Change) => void | Promise<void>;

export async function startS3(directory: string, onChange: S3ChangeListener): Promise<S3Backend> {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false });
  const store = (server as unknown as { store: StoreLike }).store;
  hookStore(store, onChange);
  const { port } = (await server.run()) as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // s3rver is a Koa app: plain requests are handed to it in-process (no second HTTP hop); only
  // aws-chunked uploads, whose body must be decoded first, go through its loopback port.
  const inProcess = (
    server as unknown as { callback(): (req: IncomingMessage, res: ServerResponse) => void }
  ).callback();

  return {
    port,
    async ensureBucket(name) {
      if (!(await store.getBucket(name))) await store.putBucket(name);
    },
    async listBuckets() {
      return (await store.listBuckets()).map((b) => b.name);
    },
    proxy: (req, res, url) => proxy(req, res, url, port, agent, inProcess),
    async close() {
      agent.destroy();
      const httpServer = (server as unknown as { httpServer?: http.Server }).httpServer;
      httpServer?.closeAllConnections();
      await server.close();
    },
  };
}

/** Wraps s3rver's filesystem store so that every change is reported once the object is fully on disk. */
function hookStore(store: StoreLike, onChange: S3ChangeListener): void {
  const orig = {
    putObject: store.putObject.bind(store),
    copyObject: store.copyObject.bind(store),
    deleteObject: store.deleteObject.bind(store),
    putObjectMultipart: store.putObjectMultipart.bind(store),
  };
  const inMultipart = new Set<string>();
  // s3rver resolves putObject when its hashing stream ends, which can be before the file stream has
  // flushed: wait until the file has its full size, so that a GET after the PUT (or after the
  // notification) never reads a short object.
  const settled = async (bucket: string, key: string, size: number) => {
    const file = store.getResourcePath(bucket, key, 'object');
    for (let i = 0; i < 200; i++) {
      try {
        if ((await stat(file)).size >= size) return;
      } catch {
        /* not there yet */
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  store.putObject = async (object) => {
    const result = await orig.putObject(object);
    await settled(object.bucket, object.key, result.size);
    if (!inMultipart.has(`${object.bucket}/${object.key}`)) {
      await onChange({
        bucket: object.bucket,
        key: object.key,
        eventName: 'ObjectCreated:Put',
        size: result.size,
        eTag: result.md5,
      });
    }
    return result;
  };
  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, meta) => {
    const result = await orig.copyObject(srcBucket, srcKey, destBucket, destKey, meta);
    const md = (await store.getMetadata(destBucket, destKey)) ?? {};
    await onChange({
      bucket: destBucket,
      key: destKey,
      eventName: 'ObjectCreated:Copy',
      size: Number(md['content-length'] ?? 0),
      eTag: String(md.etag ?? '').replaceAll('"', ''),
    });
    return result;
  };
  store.deleteObject = async (bucket, key) => {
    const existed = await store.existsObject(bucket, key);
    await orig.deleteObject(bucket, key);
    if (existed) await onChange({ bucket, key, eventName: 'ObjectRemoved:Delete' });
  };
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const keyFile = `${store.getResourcePath(bucket, undefined as unknown as string, 'uploads')}/${uploadId}/key`;
    const key = await readFile(keyFile, 'utf8');
    const tag = `${bucket}/${key}`;
    inMultipart.add(tag);
    try {
      const result = await orig.putObjectMultipart(bucket, uploadId, parts);
      await onChange({
        bucket,
        key,
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        size: result.size,
        eTag: result.md5,
      });
      return result;
    } finally {
      inMultipart.delete(tag);
    }
  };
}

const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Signature',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Security-Token',
];

function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  port: number,
  agent: http.Agent,
  inProcess: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  const presigned = PRESIGN_PARAMS.some((p) => url.searchParams.has(p));
  for (const p of PRESIGN_PARAMS) url.searchParams.delete(p);
  const search = url.searchParams.toString();
  // Keep the path exactly as the client encoded it; URLSearchParams re-encodes only the query.
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const encodings = String(req.headers['content-encoding'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chunked = encodings.includes('aws-chunked');
  if (!chunked) {
    delete req.headers.authorization;
    delete req.headers.expect;
    if (presigned) req.url = search ? `${rawPath}?${search}` : rawPath;
    inProcess(req, res);
    return;
  }
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  delete headers.authorization;
  delete headers.expect;
  {
    const rest = encodings.filter((e) => e !== 'aws-chunked');
    if (rest.length) headers['content-encoding'] = rest.join(',');
    else delete headers['content-encoding'];
    const decoded = headers['x-amz-decoded-content-length'];
    if (decoded !== undefined) {
      headers['content-length'] = String(decoded);
      delete headers['transfer-encoding'];
    } else {
      delete headers['content-length'];
      headers['transfer-encoding'] = 'chunked';
    }
    delete headers['x-amz-decoded-content-length'];
    delete headers['x-amz-trailer'];
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  }
  const upstream = http.request(
    {
      host: '127.0.0.1',
      port,
      method: req.method,
      path: search ? `${rawPath}?${search}` : rawPath,
      headers,
      agent,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      pipeline(up, res, () => {});
    },
  );
  const fail = (err: Error) => {
    if (res.headersSent) {
      res.destroy(err);
      return;
    }
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>${err.message.replace(/[<&]/g, ' ')}</Message></Error>`;
    res.writeHead(500, { 'content-type': 'application/xml' });
    res.end(body);
  };
  upstream.on('error', fail);
  pipeline(req, new AwsChunkedDecoder(), upstream, (err) => err && fail(err));
}

/**
 * Streams the payload out of `aws-chunked` framing: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` …
 * `0\r\n<trailers>\r\n`. Hand-written: it is a small state machine and no maintained package does it.
 */
export class AwsChunkedDecoder extends Transform {
  private state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  private header = '';
  private remaining = 0;
  private crlfLeft = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'size') {
        const nl = chunk.indexOf(0x0a, i);
        if (nl === -1) {
          this.header += chunk.toString('latin1', i);
          i = chunk.length;
          break;
        }
        this.header += chunk.toString('latin1', i, nl);
        i = nl + 1;
        const size = Number.parseInt(this.header.trim().split(';')[0] ?? '', 16);
        this.header = '';
        if (!Number.isFinite(size)) {
          done(new Error('malformed aws-chunked body'));
          return;
        }
        if (size === 0) this.state = 'trailer';
        else {
          this.state = 'data';
          this.remaining = size;
        }
      } else if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - i);
        this.push(chunk.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.state = 'crlf';
          this.crlfLeft = 2;
        }
      } else if (this.state === 'crlf') {
        const n = Math.min(this.crlfLeft, chunk.length - i);
        i += n;
        this.crlfLeft -= n;
        if (this.crlfLeft === 0) this.state = 'size';
      } else {
        i = chunk.length; // trailers (checksums) are not needed by the store
      }
    }
    done();
  }
}
