// The local S3's behaviour: buckets, objects, listings, multipart uploads and conditional requests over the
// store, with S3's rules and limits (Amazon S3 User Guide: "Naming Amazon S3 objects" — keys up to 1,024
// bytes of UTF-8; "Amazon S3 multipart upload limits" — parts 1..10,000, 5 MiB minimum for all but the
// last part, 5 GiB maximum part and single PUT). Knows nothing of HTTP: http.ts parses requests into these
// calls and serialises the results. Every committed change is reported through `onChange` and awaited
// before the call returns, so the success response is sent only after the change has been handed over.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { nextSequencer } from '../../../shared/events/builders.ts';
import { type ChecksumAlgorithm, checksumHeader, composite, type Hasher, hasher } from './checksums.ts';
import { errors, S3Error } from './errors.ts';
import type {
  BucketRecord,
  ListEntry,
  ObjectAttributes,
  ObjectRecord,
  PartRecord,
  PendingBody,
  Store,
  StoredChecksum,
  UploadRecord,
} from './store.ts';

export interface S3Change {
  bucket: string;
  /** The object key as stored (not URL-encoded). */
  key: string;
  /** AWS event name without the `s3:` prefix, e.g. `ObjectCreated:Put`, `ObjectRemoved:Delete`. */
  eventName: string;
  size?: number;
  eTag?: string;
  /** S3's per-key ordering token for events (hex, increasing). */
  sequencer?: string;
}
export type OnChange = (change: S3Change) => void | Promise<void>;

export const LIMITS = {
  keyBytes: 1024,
  singlePutBytes: 5 * 1024 ** 3,
  minPartBytes: 5 * 1024 ** 2,
  maxPartBytes: 5 * 1024 ** 3,
  maxParts: 10_000,
  metadataBytes: 2 * 1024,
  maxKeys: 1000,
  deleteObjectsKeys: 1000,
};

export interface BodyInput {
  body: Readable;
  /** Bytes the client declared (Content-Length, or x-amz-decoded-content-length for aws-chunked). */
  expectedSize?: number;
  contentMd5?: string;
  checksum?: { algorithm: ChecksumAlgorithm; value?: string };
  /** Filled by the aws-chunked decoder once the body has ended. */
  trailers?: Record<string, string>;
}

export interface ReadConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
}

export interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

const unquote = (e: string) => e.trim().replace(/^"(.*)"$/, '$1');
const md5Hex = (b: Buffer) => b.toString('hex');

/** The record of an object written whole (PutObject, CopyObject): its ETag is its MD5, its checksum full-object. */
function wholeObject(
  attrs: Pick<ObjectRecord, 'headers' | 'meta'>,
  body: PendingBody,
  md5: Buffer,
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined,
): ObjectRecord {
  return {
    ...attrs,
    id: body.id,
    size: body.size,
    etag: md5Hex(md5),
    lastModified: Date.now(),
    ...(checksum ? { checksum: { ...checksum, type: 'FULL_OBJECT' as const } } : {}),
  };
}

/** Serialises commits per key, so that conditional writes are checked and applied atomically. */
class KeyedLock {
  private tails = new Map<string, Promise<unknown>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** The general purpose bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules"). */
export function validBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)
  );
}

export function checkKey(key: string): void {
  const n = Buffer.byteLength(key);
  if (n > LIMITS.keyBytes) throw errors.keyTooLong(n);
}

export class S3Service {
  private readonly locks = new KeyedLock();

  constructor(
    readonly store: Store,
    private readonly onChange: OnChange,
    readonly region: string,
  ) {}

  private async emit(c: Omit<S3Change, 'sequencer'>): Promise<void> {
    await this.onChange({ ...c, sequencer: nextSequencer() });
  }

  // Buckets.
  async createBucket(name: string, locationConstraint?: string): Promise<void> {
    if (!validBucketName(name)) throw errors.invalidBucketName(name);
    if (locationConstraint === 'us-east-1') throw errors.invalidLocationConstraint();
    const region = locationConstraint || 'us-east-1';
    const existing = await this.store.getBucket(name);
    if (existing) {
      // Amazon S3 API Reference, CreateBucket: "In the North Virginia Region (us-east-1), Amazon S3
      // returns 200 OK and resets the bucket access control lists"; elsewhere BucketAlreadyOwnedByYou.
      if (region === 'us-east-1' && existing.region === 'us-east-1') return;
      throw errors.bucketAlreadyOwnedByYou(name);
    }
    await this.store.putBucket(name, { created: Date.now(), region });
  }

  async bucket(name: string): Promise<BucketRecord> {
    const b = await this.store.getBucket(name);
    if (!b) throw errors.noSuchBucket(name);
    return b;
  }

  async deleteBucket(name: string): Promise<void> {
    await this.bucket(name);
    if (await this.store.bucketHasObjects(name)) throw errors.bucketNotEmpty(name);
    for (const u of await this.store.listUploads(name)) await this.dropUpload(u);
    await this.store.deleteBucket(name);
  }

  listBuckets(): Promise<Array<{ name: string; rec: BucketRecord }>> {
    return this.store.listBuckets();
  }

  // Bodies.
  /** `inline`: the body may be held in the index if small (objects); parts are always files. */
  private async receive(
    input: BodyInput,
    max: number,
    inline: boolean,
  ): Promise<{ body: PendingBody; md5: Buffer; checksum?: { algorithm: ChecksumAlgorithm; value: string } }> {
    if (input.expectedSize !== undefined && input.expectedSize > max)
      throw errors.entityTooLarge(input.expectedSize, max);
    const md5 = createHash('md5');
    const alg = input.checksum?.algorithm;
    const h: Hasher | undefined = alg ? hasher(alg) : undefined;
    const body = await this.store.writeBody(
      input.body,
      (c) => {
        md5.update(c);
        h?.update(c);
      },
      { inline, ...(input.expectedSize !== undefined ? { sizeHint: input.expectedSize } : {}) },
    );
    try {
      if (input.expectedSize !== undefined && body.size !== input.expectedSize) throw errors.incompleteBody();
      if (body.size > max) throw errors.entityTooLarge(body.size, max);
      const digest = md5.digest();
      if (input.contentMd5 !== undefined) {
        const given = Buffer.from(input.contentMd5, 'base64');
        if (given.length !== 16) throw errors.invalidDigest();
        if (!given.equals(digest)) throw errors.badDigest('Content-MD5');
      }
      let checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
      if (alg && h) {
        const value = await h.digest();
        const expected = input.checksum?.value ?? input.trailers?.[checksumHeader(alg)];
        if (expected !== undefined && expected !== value) throw errors.badDigest(alg);
        checksum = { algorithm: alg, value };
      }
      return { body, md5: digest, checksum };
    } catch (err) {
      await body.discard();
      throw err;
    }
  }

  private checkWrite(prev: ObjectRecord | undefined, key: string, c: WriteConditions): void {
    // Amazon S3 User Guide, "Add preconditions to S3 operations with conditional requests": If-None-Match: *
    // fails with 412 when the key exists; If-Match fails with 404 NoSuchKey when it does not, 412 on mismatch.
    if (c.ifNoneMatch !== undefined) {
      if (c.ifNoneMatch.trim() !== '*')
        throw errors.notImplemented('If-None-Match values other than * on writes');
      if (prev) throw errors.preconditionFailed('If-None-Match');
    }
    if (c.ifMatch !== undefined) {
      if (!prev) throw errors.noSuchKey(key);
      if (!etagMatches(c.ifMatch, prev.etag)) throw errors.preconditionFailed('If-Match');
    }
  }

  /**
   * Makes `rec` the object at bucket/key (checking write conditions at commit time) and frees the old body;
   * returns the record as stored.
   */
  private async commit(
    bucket: string,
    key: string,
    body: PendingBody,
    rec: ObjectRecord,
    c: WriteConditions = {},
  ): Promise<ObjectRecord> {
    return this.locks.run(`${bucket}\u0000${key}`, async () => {
      const prev = await this.store.getObject(bucket, key);
      try {
        this.checkWrite(prev, key, c);
      } catch (err) {
        await body.discard();
        throw err;
      }
      return this.store.setObject(bucket, key, rec, body, prev);
    });
  }

  // Objects.
  async putObject(
    bucket: string,
    key: string,
    attrs: ObjectAttributes,
    input: BodyInput,
    conditions: WriteConditions = {},
    /** `ObjectCreated:Post` for a browser-form upload. */
    eventName: 'ObjectCreated:Put' | 'ObjectCreated:Post' = 'ObjectCreated:Put',
  ): Promise<ObjectRecord> {
    await this.bucket(bucket);
    checkKey(key);
    checkMetadata(attrs);
    if (conditions.ifNoneMatch !== undefined || conditions.ifMatch !== undefined) {
      this.checkWrite(await this.store.getObject(bucket, key), key, conditions);
    }
    const { body, md5, checksum } = await this.receive(input, LIMITS.singlePutBytes, true);
    const rec = await this.commit(bucket, key, body, wholeObject(attrs, body, md5, checksum), conditions);
    await this.emit({ bucket, key, eventName, size: rec.size, eTag: rec.etag });
    return rec;
  }

  async headObject(bucket: string, key: string, c: ReadConditions = {}): Promise<ObjectRecord> {
    await this.bucket(bucket);
    checkKey(key);
    const rec = await this.store.getObject(bucket, key);
    if (!rec) throw errors.noSuchKey(key);
    checkRead(rec, c);
    return rec;
  }

  /**
   * The object and an open handle on its body. The body file is opened (an inline body read) before
   * returning, so a concurrent overwrite (which deletes the old body) cannot cut the read short; a lost race
   * is retried.
   */
  async getObject(
    bucket: string,
    key: string,
    c: ReadConditions = {},
  ): Promise<{
    rec: ObjectRecord;
    open(range?: { start: number; end: number }): Readable;
    /** The whole body (or a range) in one read: cheaper than a stream for small objects. */
    read(range?: { start: number; end: number }): Promise<Buffer>;
    close(): Promise<void>;
  }> {
    for (let attempt = 0; ; attempt++) {
      const rec = await this.headObject(bucket, key, c);
      if (rec.inline) {
        const data = await this.store.readInline(rec.id);
        if (data === undefined) {
          if (attempt >= 5) throw new Error(`the body of ${bucket}/${key} kept changing while being read`);
          continue;
        }
        const part = (range?: { start: number; end: number }) =>
          range ? data.subarray(range.start, range.end + 1) : data;
        return {
          rec,
          open: (range) => Readable.from([part(range)], { objectMode: false }),
          read: async (range) => part(range),
          close: async () => {},
        };
      }
      try {
        const handle = await open(this.store.bodyPath(rec.id), 'r');
        return {
          rec,
          open: (range) =>
            handle.createReadStream({ ...(range ?? {}), autoClose: true, highWaterMark: 1024 * 1024 }),
          read: async (range) => {
            const start = range?.start ?? 0;
            const length = (range ? range.end + 1 : rec.size) - start;
            const buf = Buffer.allocUnsafe(length);
            let got = 0;
            while (got < length) {
              const { bytesRead } = await handle.read(buf, got, length - got, start + got);
              if (bytesRead === 0) break;
              got += bytesRead;
            }
            await handle.close();
            return buf.subarray(0, got);
          },
          close: () => handle.close(),
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
      }
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.bucket(bucket);
    checkKey(key);
    const existed = await this.locks.run(`${bucket}\u0000${key}`, async () => {
      const prev = await this.store.getObject(bucket, key);
      if (!prev) return false;
      await this.store.deleteObject(bucket, key, prev);
      return true;
    });
    if (existed) await this.emit({ bucket, key, eventName: 'ObjectRemoved:Delete' });
  }

  async deleteObjects(bucket: string, keys: string[]): Promise<Array<{ key: string; error?: S3Error }>> {
    await this.bucket(bucket);
    const out: Array<{ key: string; error?: S3Error }> = [];
    for (const key of keys) {
      try {
        await this.deleteObject(bucket, key);
        out.push({ key });
      } catch (err) {
        if (err instanceof S3Error) out.push({ key, error: err });
        else throw err;
      }
    }
    return out;
  }

  async copyObject(
    bucket: string,
    key: string,
    src: { bucket: string; key: string; conditions: ReadConditions },
    o: {
      replace: boolean;
      attrs: ObjectAttributes;
      checksumAlgorithm?: ChecksumAlgorithm;
      conditions?: WriteConditions;
    },
  ): Promise<ObjectRecord> {
    await this.bucket(bucket);
    checkKey(key);
    if (o.replace) checkMetadata(o.attrs);
    const source = await this.getObject(src.bucket, src.key, src.conditions).catch((err: unknown) => {
      if (err instanceof S3Error && err.code === 'PreconditionFailed') throw err;
      if (err instanceof S3Error && err.code === 'NotModified')
        throw errors.preconditionFailed('x-amz-copy-source-If-Modified-Since');
      throw err;
    });
    try {
      if (src.bucket === bucket && src.key === key && !o.replace && !o.checksumAlgorithm) {
        throw errors.invalidRequest(
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      if (source.rec.size > LIMITS.singlePutBytes) {
        throw errors.invalidRequest(
          'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120',
        );
      }
      const alg = o.checksumAlgorithm ?? source.rec.checksum?.algorithm;
      const { body, md5, checksum } = await this.receive(
        {
          body: source.open(),
          expectedSize: source.rec.size,
          ...(alg ? { checksum: { algorithm: alg } } : {}),
        },
        LIMITS.singlePutBytes,
        true,
      );
      const attrs = o.replace ? o.attrs : { headers: source.rec.headers, meta: source.rec.meta };
      const rec = await this.commit(bucket, key, body, wholeObject(attrs, body, md5, checksum), o.conditions);
      await this.emit({ bucket, key, eventName: 'ObjectCreated:Copy', size: rec.size, eTag: rec.etag });
      return rec;
    } finally {
      await source.close().catch(() => {});
    }
  }

  async list(
    bucket: string,
    o: { prefix: string; delimiter?: string; startAfter?: string; max: number },
  ): Promise<{ entries: ListEntry[]; truncated: boolean }> {
    await this.bucket(bucket);
    return this.store.list(bucket, o);
  }

  // Multipart uploads.
  async createUpload(
    bucket: string,
    key: string,
    attrs: ObjectAttributes,
    checksum?: { algorithm: ChecksumAlgorithm; type: 'FULL_OBJECT' | 'COMPOSITE' },
  ): Promise<UploadRecord> {
    await this.bucket(bucket);
    checkKey(key);
    checkMetadata(attrs);
    const now = Date.now();
    const rec: UploadRecord = {
      ...attrs,
      uploadId: `${now.toString(36).padStart(9, '0')}${createHash('sha1').update(`${Math.random()}${key}`).digest('hex').slice(0, 24)}`,
      bucket,
      key,
      initiated: now,
      ...(checksum ? { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type } : {}),
    };
    await this.store.putUpload(rec);
    return rec;
  }

  async upload(bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    await this.bucket(bucket);
    const u = await this.store.getUpload(uploadId);
    if (!u || u.bucket !== bucket || u.key !== key) throw errors.noSuchUpload(uploadId);
    return u;
  }

  private checkPartNumber(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxParts) {
      throw errors.invalidArgument(
        'Part number must be an integer between 1 and 10000, inclusive',
        'partNumber',
        String(n),
      );
    }
  }

  /** Receives one part's body (UploadPart or UploadPartCopy) and records it under the upload. */
  private async receivePart(u: UploadRecord, partNumber: number, input: BodyInput): Promise<PartRecord> {
    const { body, md5, checksum } = await this.receive(input, LIMITS.maxPartBytes, false);
    const rec: PartRecord = {
      id: body.id,
      size: body.size,
      etag: md5Hex(md5),
      lastModified: Date.now(),
      ...(checksum ? { checksum: checksum.value, checksumAlgorithm: checksum.algorithm } : {}),
    };
    await this.storePart(u, partNumber, body, rec);
    return rec;
  }

  private async storePart(u: UploadRecord, n: number, body: PendingBody, rec: PartRecord): Promise<void> {
    await this.locks.run(`part\u0000${u.uploadId}\u0000${n}`, async () => {
      if (!(await this.store.getUpload(u.uploadId))) {
        await body.discard();
        throw errors.noSuchUpload(u.uploadId);
      }
      const prev = await this.store.getPart(u.uploadId, n);
      await body.commit();
      await this.store.putPart(u.uploadId, n, rec);
      if (prev) this.store.releaseBody(prev.id);
    });
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    input: BodyInput,
  ): Promise<PartRecord> {
    this.checkPartNumber(partNumber);
    const u = await this.upload(bucket, key, uploadId);
    return this.receivePart(u, partNumber, input);
  }

  async uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    src: { bucket: string; key: string; conditions: ReadConditions; range?: string },
  ): Promise<PartRecord> {
    this.checkPartNumber(partNumber);
    const u = await this.upload(bucket, key, uploadId);
    const source = await this.getObject(src.bucket, src.key, src.conditions);
    try {
      let range: { start: number; end: number } | undefined;
      if (src.range !== undefined) {
        const m = /^bytes=(\d+)-(\d+)$/.exec(src.range.trim());
        if (!m)
          throw errors.invalidArgument(
            'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
            'x-amz-copy-source-range',
            src.range,
          );
        const start = Number(m[1]);
        const end = Number(m[2]);
        if (start > end || end >= source.rec.size) {
          throw errors.invalidArgument(
            `Range specified is not valid for source object of size: ${source.rec.size}`,
            'x-amz-copy-source-range',
            src.range,
          );
        }
        range = { start, end };
      }
      const size = range ? range.end - range.start + 1 : source.rec.size;
      const alg = u.checksumAlgorithm;
      return await this.receivePart(u, partNumber, {
        body: source.open(range),
        expectedSize: size,
        ...(alg ? { checksum: { algorithm: alg } } : {}),
      });
    } finally {
      await source.close().catch(() => {});
    }
  }

  async listParts(
    bucket: string,
    key: string,
    uploadId: string,
  ): Promise<{ upload: UploadRecord; parts: Array<{ partNumber: number; part: PartRecord }> }> {
    const upload = await this.upload(bucket, key, uploadId);
    return { upload, parts: await this.store.listParts(uploadId) };
  }

  async listUploads(bucket: string): Promise<UploadRecord[]> {
    await this.bucket(bucket);
    return this.store.listUploads(bucket);
  }

  private async dropUpload(u: UploadRecord): Promise<void> {
    const bodies = await this.store.deleteUpload(u);
    for (const id of bodies) await this.store.removeBody(id);
  }

  async abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const u = await this.upload(bucket, key, uploadId);
    await this.locks.run(`upload\u0000${uploadId}`, () => this.dropUpload(u));
  }

  async completeUpload(
    bucket: string,
    key: string,
    uploadId: string,
    requested: CompletedPart[],
    conditions: WriteConditions = {},
  ): Promise<ObjectRecord> {
    return this.locks.run(`upload\u0000${uploadId}`, async () => {
      const u = await this.upload(bucket, key, uploadId);
      if (requested.length === 0) throw errors.malformedXml();
      const stored = new Map((await this.store.listParts(uploadId)).map((p) => [p.partNumber, p.part]));
      // Order first, then that each part exists with that ETag, then the part sizes.
      for (let i = 1; i < requested.length; i++) {
        if ((requested[i]?.partNumber ?? 0) <= (requested[i - 1]?.partNumber ?? 0))
          throw errors.invalidPartOrder();
      }
      const parts: PartRecord[] = requested.map((r) => {
        const p = stored.get(r.partNumber);
        if (!p || unquote(r.etag) !== p.etag) throw errors.invalidPart(r.partNumber, r.etag);
        return p;
      });
      for (const p of parts.slice(0, -1))
        if (p.size < LIMITS.minPartBytes) throw errors.entityTooSmall(p.size);
      // Amazon S3 User Guide, "Checking object integrity": a multipart object's ETag is the MD5 of the
      // concatenated binary MD5 digests of its parts, followed by "-" and the number of parts.
      const etag = `${md5Hex(
        createHash('md5')
          .update(Buffer.concat(parts.map((p) => Buffer.from(p.etag, 'hex'))))
          .digest(),
      )}-${parts.length}`;
      const alg = u.checksumAlgorithm;
      const full = alg && u.checksumType === 'FULL_OBJECT' ? hasher(alg) : undefined;
      const handles = await Promise.all(parts.map((p) => open(this.store.bodyPath(p.id), 'r')));
      const body = await this.store.writeBody(
        handles.map((h) => h.createReadStream()),
        (c) => full?.update(c),
        { inline: true, sizeHint: parts.reduce((n, p) => n + p.size, 0) },
      );
      let checksum: StoredChecksum | undefined;
      if (alg && full) checksum = { algorithm: alg, value: await full.digest(), type: 'FULL_OBJECT' };
      else if (alg && parts.every((p) => p.checksum !== undefined)) {
        checksum = {
          algorithm: alg,
          value: await composite(
            alg,
            parts.map((p) => p.checksum ?? ''),
          ),
          type: 'COMPOSITE',
        };
      }
      const rec = await this.commit(
        bucket,
        key,
        body,
        {
          headers: u.headers,
          meta: u.meta,
          id: body.id,
          size: body.size,
          etag,
          lastModified: Date.now(),
          parts: parts.length,
          ...(checksum ? { checksum } : {}),
        },
        conditions,
      );
      await this.dropUpload(u);
      await this.emit({
        bucket,
        key,
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        size: rec.size,
        eTag: rec.etag,
      });
      return rec;
    });
  }
}

function checkMetadata(attrs: ObjectAttributes): void {
  // Amazon S3 User Guide, "Working with object metadata": user-defined metadata is limited to 2 KB
  // (the sum of the UTF-8 lengths of names and values).
  let n = 0;
  for (const [k, v] of Object.entries(attrs.meta)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (n > LIMITS.metadataBytes) throw errors.metadataTooLarge(n);
}

function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((t) => {
    const v = unquote(t.replace(/^\s*W\//, ''));
    return v === '*' || v === etag;
  });
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * RFC 7232 evaluation as S3 documents it (API Reference, GetObject): If-Match true with
 * If-Unmodified-Since false → 200; If-None-Match false with If-Modified-Since true → 304.
 */
export function checkRead(rec: ObjectRecord, c: ReadConditions): void {
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, rec.etag)) throw errors.preconditionFailed('If-Match');
  } else if (c.ifUnmodifiedSince && seconds(rec.lastModified) > seconds(c.ifUnmodifiedSince.getTime())) {
    throw errors.preconditionFailed('If-Unmodified-Since');
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, rec.etag)) throw errors.notModified();
  } else if (c.ifModifiedSince && seconds(rec.lastModified) <= seconds(c.ifModifiedSince.getTime())) {
    throw errors.notModified();
  }
}
