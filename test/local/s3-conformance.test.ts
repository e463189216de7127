// S3 conformance of the local engine (infra/local/s3), driven with the unmodified AWS SDK v3 (and its
// presigner) against the engine on a loopback port. Each expected answer names where it comes from: the
// Amazon S3 API Reference page of the operation (API_<Operation>), its error table (ErrorResponses), or the
// User Guide page. The "s3rver gaps" block covers each call s3rver 3.7.1 answered wrongly.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection, startTestS3, type TestS3 } from '../support/s3-engine.ts';

let t: TestS3;
const B = 'conformance';

beforeAll(async () => {
  t = await startTestS3();
  await t.client.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await t?.cleanup();
});

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const bytes = async (o: { Body?: { transformToByteArray(): Promise<Uint8Array> } }) =>
  Buffer.from(await o.Body!.transformToByteArray());
const put = (Key: string, Body: string | Buffer, extra: Record<string, unknown> = {}) =>
  t.client.send(new PutObjectCommand({ Bucket: B, Key, Body, ...extra }));
/** S3 lists keys in ascending UTF-8 byte order (API_ListObjectsV2: "Objects are returned sorted in an ascending order of the respective key names"). */
const s3Order = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('buckets', () => {
  it('creates, heads, lists, locates and deletes buckets with S3 semantics', async () => {
    await t.client.send(new CreateBucketCommand({ Bucket: 'bucket-ops' }));
    // API_CreateBucket / BucketAlreadyOwnedByYou: in us-east-1 re-creating an owned bucket returns 200 OK.
    await t.client.send(new CreateBucketCommand({ Bucket: 'bucket-ops' }));
    // ...and BucketAlreadyOwnedByYou (409) when the request names another Region.
    const other = await rejection(
      t.client.send(
        new CreateBucketCommand({
          Bucket: 'bucket-ops',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      ),
    );
    expect(other.name).toBe('BucketAlreadyOwnedByYou');
    expect(other.$metadata.httpStatusCode).toBe(409);
    // API_GetBucketLocation: "Buckets in Region us-east-1 have a LocationConstraint of null".
    expect(
      (await t.client.send(new GetBucketLocationCommand({ Bucket: 'bucket-ops' }))).LocationConstraint,
    ).toBeUndefined();
    await t.client.send(
      new CreateBucketCommand({
        Bucket: 'bucket-eu',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    expect(
      (await t.client.send(new GetBucketLocationCommand({ Bucket: 'bucket-eu' }))).LocationConstraint,
    ).toBe('eu-west-1');
    const names = (await t.client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).toEqual(expect.arrayContaining(['bucket-ops', 'bucket-eu', B]));
    await t.client.send(new HeadBucketCommand({ Bucket: 'bucket-ops' }));
    await t.client.send(new PutObjectCommand({ Bucket: 'bucket-ops', Key: 'x', Body: 'x' }));
    // ErrorResponses: BucketNotEmpty, 409.
    const notEmpty = await rejection(t.client.send(new DeleteBucketCommand({ Bucket: 'bucket-ops' })));
    expect(notEmpty.name).toBe('BucketNotEmpty');
    expect(notEmpty.$metadata.httpStatusCode).toBe(409);
    await t.client.send(new DeleteObjectCommand({ Bucket: 'bucket-ops', Key: 'x' }));
    await t.client.send(new DeleteBucketCommand({ Bucket: 'bucket-ops' }));
    // API_HeadBucket: 404 with no body (the SDK names it NotFound).
    const gone = await rejection(t.client.send(new HeadBucketCommand({ Bucket: 'bucket-ops' })));
    expect(gone.$metadata.httpStatusCode).toBe(404);
    const noBucket = await rejection(t.client.send(new GetObjectCommand({ Bucket: 'bucket-ops', Key: 'x' })));
    expect(noBucket.name).toBe('NoSuchBucket');
    // User Guide, "General purpose bucket naming rules": lowercase, 3-63 characters.
    const bad = await rejection(t.client.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })));
    expect(bad.name).toBe('InvalidBucketName');
  });
});

describe('objects', () => {
  // User Guide, "Naming Amazon S3 objects": any UTF-8 up to 1,024 bytes.
  const awkward = [
    'with space.txt',
    'a+b=c&d.txt',
    '100% sure?.txt',
    'ünïcødé/日本語/😀 emoji.txt',
    'quote\'"<tag>&amp;.txt',
    'x'.repeat(1020), // with "awk/": 1,024 bytes
    'é'.repeat(510), // with "awk/": 1,024 bytes of UTF-8
  ];

  it('puts, gets, heads and lists keys with spaces, + % = &, unicode and 1,024 bytes', async () => {
    for (const key of awkward) await put(`awk/${key}`, `body of ${key}`);
    for (const key of awkward) {
      const got = await t.client.send(new GetObjectCommand({ Bucket: B, Key: `awk/${key}` }));
      expect((await bytes(got)).toString()).toBe(`body of ${key}`);
    }
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'awk/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(s3Order(awkward.map((k) => `awk/${k}`)));
  });

  it('refuses keys over 1,024 bytes with KeyTooLongError', async () => {
    // ErrorResponses: KeyTooLongError, 400, "Your key is too long".
    const err = await rejection(put('y'.repeat(1025), 'x'));
    expect(err.name).toBe('KeyTooLongError');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const multi = await rejection(put('é'.repeat(513), 'x'));
    expect(multi.name).toBe('KeyTooLongError');
  });

  it('stores and returns user metadata and the standard headers', async () => {
    const expires = new Date('2030-01-02T03:04:05Z');
    const out = await put('meta.txt', 'hello', {
      ContentType: 'text/plain; charset=utf-8',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="m.txt"',
      ContentEncoding: 'identity',
      ContentLanguage: 'fr',
      Expires: expires,
      Metadata: { colour: 'blue', 'multi-word': 'a b c' },
    });
    // API_PutObject: the ETag of a single-part upload is the MD5 of the body.
    expect(out.ETag).toBe(`"${md5('hello')}"`);
    for (const r of [
      await t.client.send(new GetObjectCommand({ Bucket: B, Key: 'meta.txt' })),
      await t.client.send(new HeadObjectCommand({ Bucket: B, Key: 'meta.txt' })),
    ]) {
      expect(r.ContentType).toBe('text/plain; charset=utf-8');
      expect(r.CacheControl).toBe('max-age=60');
      expect(r.ContentDisposition).toBe('attachment; filename="m.txt"');
      expect(r.ContentEncoding).toBe('identity');
      expect(r.ContentLanguage).toBe('fr');
      expect(r.Expires?.toISOString()).toBe(expires.toISOString());
      expect(r.Metadata).toEqual({ colour: 'blue', 'multi-word': 'a b c' });
      expect(r.ContentLength).toBe(5);
      expect(r.ETag).toBe(`"${md5('hello')}"`);
    }
    // API_GetObject: response-* parameters override the returned headers.
    const over = await t.client.send(
      new GetObjectCommand({ Bucket: B, Key: 'meta.txt', ResponseContentType: 'application/json' }),
    );
    expect(over.ContentType).toBe('application/json');
    // User Guide, "Working with object metadata": user-defined metadata is limited to 2 KB.
    const big = await rejection(put('meta-big', 'x', { Metadata: { a: 'v'.repeat(2100) } }));
    expect(big.name).toBe('MetadataTooLarge');
  });

  it('serves byte ranges and InvalidRange', async () => {
    await put('range.txt', '0123456789');
    const r = (Range: string) => t.client.send(new GetObjectCommand({ Bucket: B, Key: 'range.txt', Range }));
    const first = await r('bytes=0-4');
    expect((await bytes(first)).toString()).toBe('01234');
    expect(first.ContentRange).toBe('bytes 0-4/10');
    expect(first.$metadata.httpStatusCode).toBe(206);
    expect((await bytes(await r('bytes=-3'))).toString()).toBe('789');
    expect((await bytes(await r('bytes=7-'))).toString()).toBe('789');
    expect((await bytes(await r('bytes=8-100'))).toString()).toBe('89');
    // ErrorResponses: InvalidRange, 416 "The requested range cannot be satisfied".
    const err = await rejection(r('bytes=10-20'));
    expect(err.name).toBe('InvalidRange');
    expect(err.$metadata.httpStatusCode).toBe(416);
  });

  it('evaluates conditional reads as API_GetObject documents', async () => {
    const { ETag } = await put('cond.txt', 'v1');
    const get = (extra: Record<string, unknown>) =>
      t.client.send(new GetObjectCommand({ Bucket: B, Key: 'cond.txt', ...extra }));
    expect((await bytes(await get({ IfMatch: ETag }))).toString()).toBe('v1');
    expect((await rejection(get({ IfMatch: '"nope"' }))).$metadata.httpStatusCode).toBe(412);
    expect((await rejection(get({ IfNoneMatch: ETag }))).$metadata.httpStatusCode).toBe(304);
    expect(
      (await rejection(get({ IfModifiedSince: new Date(Date.now() + 3_600_000) }))).$metadata.httpStatusCode,
    ).toBe(304);
    expect(
      (await rejection(get({ IfUnmodifiedSince: new Date('2000-01-01') }))).$metadata.httpStatusCode,
    ).toBe(412);
    // "If-Match true and If-Unmodified-Since false: 200".
    expect(
      (await get({ IfMatch: ETag, IfUnmodifiedSince: new Date('2000-01-01') })).$metadata.httpStatusCode,
    ).toBe(200);
    // "If-None-Match false and If-Modified-Since true: 304".
    expect(
      (await rejection(get({ IfNoneMatch: ETag, IfModifiedSince: new Date('2000-01-01') }))).$metadata
        .httpStatusCode,
    ).toBe(304);
    const head = await rejection(
      t.client.send(new HeadObjectCommand({ Bucket: B, Key: 'cond.txt', IfMatch: '"x"' })),
    );
    expect(head.$metadata.httpStatusCode).toBe(412);
  });

  it('evaluates conditional writes (If-None-Match: *, If-Match)', async () => {
    // User Guide, "How to prevent object overwrites with conditional writes": 412 when the key exists;
    // If-Match on a missing key: 404 NoSuchKey.
    await put('cw.txt', 'first', { IfNoneMatch: '*' });
    const exists = await rejection(put('cw.txt', 'second', { IfNoneMatch: '*' }));
    expect(exists.name).toBe('PreconditionFailed');
    expect(exists.$metadata.httpStatusCode).toBe(412);
    const missing = await rejection(put('cw-missing.txt', 'x', { IfMatch: '"abc"' }));
    expect(missing.name).toBe('NoSuchKey');
    const wrong = await rejection(put('cw.txt', 'x', { IfMatch: '"abc"' }));
    expect(wrong.name).toBe('PreconditionFailed');
    await put('cw.txt', 'third', { IfMatch: `"${md5('first')}"` });
    expect(
      (await bytes(await t.client.send(new GetObjectCommand({ Bucket: B, Key: 'cw.txt' })))).toString(),
    ).toBe('third');
  });

  it('deletes one object or many (DeleteObjects, quiet or verbose)', async () => {
    await put('del/a', 'a');
    await put('del/b c', 'b');
    await t.client.send(new DeleteObjectCommand({ Bucket: B, Key: 'del/a' }));
    // API_DeleteObject: deleting a missing key succeeds (204).
    await t.client.send(new DeleteObjectCommand({ Bucket: B, Key: 'del/a' }));
    await put('del/a', 'a');
    const out = await t.client.send(
      new DeleteObjectsCommand({
        Bucket: B,
        Delete: {
          Objects: [{ Key: 'del/a' }, { Key: 'del/b c' }, { Key: 'del/never' }, { Key: 'k'.repeat(1025) }],
        },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key)).toEqual(['del/a', 'del/b c', 'del/never']);
    expect(out.Errors?.map((e) => e.Code)).toEqual(['KeyTooLongError']);
    const quiet = await t.client.send(
      new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'del/x' }], Quiet: true } }),
    );
    expect(quiet.Deleted ?? []).toEqual([]);
    expect((await t.client.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'del/' }))).KeyCount).toBe(0);
  });

  it('copies objects with COPY and REPLACE metadata directives', async () => {
    await put('src/a+b=c&d é.txt', 'copy me', { ContentType: 'text/x-src', Metadata: { origin: 'src' } });
    const copied = await t.client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'dst/copy.txt',
        CopySource: `${B}/${encodeURIComponent('src/a+b=c&d é.txt')}`,
      }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5('copy me')}"`);
    const c1 = await t.client.send(new GetObjectCommand({ Bucket: B, Key: 'dst/copy.txt' }));
    expect((await bytes(c1)).toString()).toBe('copy me');
    expect(c1.ContentType).toBe('text/x-src');
    expect(c1.Metadata).toEqual({ origin: 'src' });
    await t.client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'dst/replaced.txt',
        CopySource: `${B}/${encodeURIComponent('src/a+b=c&d é.txt')}`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/x-new',
        Metadata: { fresh: 'yes' },
      }),
    );
    const c2 = await t.client.send(new HeadObjectCommand({ Bucket: B, Key: 'dst/replaced.txt' }));
    expect(c2.ContentType).toBe('text/x-new');
    expect(c2.Metadata).toEqual({ fresh: 'yes' });
    // API_CopyObject: copying an object to itself without changing anything is an InvalidRequest.
    const self = await rejection(
      t.client.send(
        new CopyObjectCommand({ Bucket: B, Key: 'dst/copy.txt', CopySource: `${B}/dst/copy.txt` }),
      ),
    );
    expect(self.name).toBe('InvalidRequest');
    const missing = await rejection(
      t.client.send(new CopyObjectCommand({ Bucket: B, Key: 'dst/none', CopySource: `${B}/src/none` })),
    );
    expect(missing.name).toBe('NoSuchKey');
    // API_CopyObject: x-amz-copy-source-if-match that does not hold → 412 PreconditionFailed.
    const cond = await rejection(
      t.client.send(
        new CopyObjectCommand({
          Bucket: B,
          Key: 'dst/c',
          CopySource: `${B}/dst/copy.txt`,
          CopySourceIfMatch: '"zzz"',
        }),
      ),
    );
    expect(cond.$metadata.httpStatusCode).toBe(412);
  });
});

describe('listing', () => {
  // 1,200 keys three levels deep plus top-level keys: more than one page of 1,000.
  const keys: string[] = [];
  for (let i = 0; i < 1200; i++)
    keys.push(`deep/d${i % 3}/e${i % 5}/f${i % 7}/k${String(i).padStart(4, '0')}.json`);
  const top = ['deep/top-1', 'deep/top 2', 'deep/top+3'];

  beforeAll(async () => {
    const all = [...keys, ...top];
    for (let i = 0; i < all.length; i += 50) {
      await Promise.all(all.slice(i, i + 50).map((k) => put(k, k)));
    }
  }, 120_000);

  async function allPagesV2(input: { Prefix: string; Delimiter?: string; MaxKeys?: number }) {
    const pages: ListObjectsV2CommandOutput[] = [];
    let token: string | undefined;
    do {
      const page = await t.client.send(
        new ListObjectsV2Command({ Bucket: B, ...input, ContinuationToken: token }),
      );
      pages.push(page);
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token);
    return pages;
  }

  it('pages a listing of more than 1,000 keys (ListObjectsV2) with correct KeyCount and IsTruncated', async () => {
    const pages = await allPagesV2({ Prefix: 'deep/' });
    expect(pages.map((p) => p.KeyCount)).toEqual([1000, 203]);
    expect(pages.map((p) => p.IsTruncated)).toEqual([true, false]);
    expect(pages.flatMap((p) => p.Contents?.map((c) => c.Key) ?? [])).toEqual(s3Order([...keys, ...top]));
  });

  it('returns every common prefix at every depth (delimiter listings)', async () => {
    const root = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/', Delimiter: '/' }),
    );
    expect(root.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['deep/d0/', 'deep/d1/', 'deep/d2/']);
    expect(root.Contents?.map((c) => c.Key)).toEqual(s3Order(top));
    expect(root.KeyCount).toBe(6);
    const level2 = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/d1/', Delimiter: '/' }),
    );
    expect(level2.CommonPrefixes?.map((p) => p.Prefix)).toEqual([0, 1, 2, 3, 4].map((e) => `deep/d1/e${e}/`));
    const level3 = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/d1/e2/', Delimiter: '/' }),
    );
    expect(level3.CommonPrefixes?.map((p) => p.Prefix)).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((f) => `deep/d1/e2/f${f}/`),
    );
    const leaf = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/d1/e2/f3/', Delimiter: '/' }),
    );
    expect(leaf.Contents?.map((c) => c.Key)).toEqual(keys.filter((k) => k.startsWith('deep/d1/e2/f3/')));
    expect(leaf.CommonPrefixes ?? []).toEqual([]);
    // A delimiter other than "/".
    const dash = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/top', Delimiter: ' ' }),
    );
    expect(dash.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['deep/top ']);
  });

  it('pages through common prefixes two at a time without repeating any (MaxKeys 2)', async () => {
    const pages = await allPagesV2({ Prefix: 'deep/d0/', Delimiter: '/', MaxKeys: 2 });
    expect(pages.flatMap((p) => p.CommonPrefixes?.map((c) => c.Prefix) ?? [])).toEqual(
      [0, 1, 2, 3, 4].map((e) => `deep/d0/e${e}/`),
    );
    expect(pages.map((p) => p.KeyCount)).toEqual([2, 2, 1]);
  });

  it('pages ListObjects (v1) with marker and NextMarker, and honours StartAfter in v2', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await t.client.send(
        new ListObjectsCommand({ Bucket: B, Prefix: 'deep/d2/', Delimiter: '/', MaxKeys: 2, Marker: marker }),
      );
      seen.push(
        ...(page.CommonPrefixes?.map((c) => c.Prefix ?? '') ?? []),
        ...(page.Contents?.map((c) => c.Key ?? '') ?? []),
      );
      if (!page.IsTruncated) break;
      // API_ListObjects: NextMarker is returned when a delimiter is given.
      expect(page.NextMarker).toBeDefined();
      marker = page.NextMarker;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map((e) => `deep/d2/e${e}/`));
    const v1 = await t.client.send(
      new ListObjectsCommand({ Bucket: B, Prefix: 'deep/d0/e0/f0/', MaxKeys: 3 }),
    );
    expect(v1.Contents?.length).toBe(3);
    expect(v1.IsTruncated).toBe(true);
    const after = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/', StartAfter: 'deep/d2/' }),
    );
    expect(after.Contents?.[0]?.Key).toBe(
      s3Order([...keys, ...top]).find((k) => Buffer.compare(Buffer.from(k), Buffer.from('deep/d2/')) > 0),
    );
  });

  it('URL-encodes keys and prefixes with encoding-type=url', async () => {
    // API_ListObjectsV2, EncodingType: keys are URL-encoded in the response (the SDK does not decode).
    const out = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'deep/top', EncodingType: 'url' }),
    );
    expect(out.EncodingType).toBe('url');
    expect(out.Contents?.map((c) => decodeURIComponent((c.Key ?? '').replace(/\+/g, ' ')))).toEqual(
      s3Order(top),
    );
    expect(out.Contents?.map((c) => c.Key)).toContain('deep/top+2');
    expect(out.Contents?.map((c) => c.Key)).toContain('deep/top%2B3');
  });

  it('rejects a forged continuation token', async () => {
    const err = await rejection(
      t.client.send(new ListObjectsV2Command({ Bucket: B, ContinuationToken: 'garbage' })),
    );
    expect(err.name).toBe('InvalidArgument');
  });

  // The engine reads keys in batches and seeks past the rest of a common prefix when a batch ends inside
  // one: these keys put one prefix far beyond a batch (big/x/, 600 keys), forty tiny ones in a row (small/),
  // and characters that sort around the delimiter or need a range bound past U+FFFF.
  it('agrees with a reference listing on awkward keys, delimiters, start points and page sizes', async () => {
    const L = 'listing-reference';
    const keys = [
      ...Array.from({ length: 600 }, (_, i) => `big/x/k${String(i).padStart(4, '0')}`),
      'big/a',
      'big/x',
      'big/x-1',
      'big/x.txt',
      'big/x0',
      'big/y/1',
      ...Array.from(
        { length: 120 },
        (_, i) => `small/p${String(Math.floor(i / 3)).padStart(2, '0')}/k${i % 3}`,
      ),
      'u/a-b/c',
      'u/a.b/c',
      'u/a/b/c',
      'u/a--b',
      'u/a--c/d',
      'u/é/1',
      'u/é/2',
      'u/中/1',
      'u/\uffff/1',
      'u/😀/1',
      'u/😀😀/2',
      'u/\u{10ffff}/z',
      'u/\u{10ffff}\u{10ffff}',
      'v',
      // Plain keys that grow the store's batches, then common prefixes of 50 keys (more than a seek is worth
      // in key reads, so the walk switches to reading a key or two of each and seeking past the rest), with
      // plain keys between them.
      ...Array.from({ length: 70 }, (_, i) => `dense/a${String(i).padStart(3, '0')}`),
      ...Array.from(
        { length: 300 },
        (_, i) => `dense/p${Math.floor(i / 50)}/k${String(i % 50).padStart(3, '0')}`,
      ),
      'dense/p1',
      'dense/p3.txt',
      'dense/p5-z',
    ];
    await t.backend.ensureBucket(L);
    for (const k of keys) await t.backend.putObject(L, k, Buffer.from(k));
    const byte = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    /** S3's answer, from the key list: keys and common prefixes after the start point, in byte order. */
    const reference = (prefix: string, delimiter?: string, startAfter?: string) => {
      // A start point that is itself a common prefix (a continuation) passes over every key under it.
      const rest = startAfter?.startsWith(prefix) ? startAfter.slice(prefix.length) : undefined;
      const skipUnder =
        delimiter && rest?.endsWith(delimiter) && rest.indexOf(delimiter) === rest.length - delimiter.length;
      const entries: string[] = [];
      for (const k of s3Order(keys)) {
        if (!k.startsWith(prefix)) continue;
        if (startAfter !== undefined && (byte(k, startAfter) <= 0 || (skipUnder && k.startsWith(startAfter))))
          continue;
        const at = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
        const entry = delimiter && at >= 0 ? k.slice(0, at + delimiter.length) : k;
        if (entries.at(-1) !== entry) entries.push(entry);
      }
      return entries;
    };
    const listed = (o: ListObjectsV2CommandOutput) =>
      [
        ...(o.Contents?.map((c) => c.Key ?? '') ?? []),
        ...(o.CommonPrefixes?.map((c) => c.Prefix ?? '') ?? []),
      ].sort(byte);
    const prefixes = ['', 'big/', 'big/x', 'small/', 'small/p1', 'u/', 'u/a', 'u/\u{10ffff}', 'dense/'];
    const delimiters = [undefined, '/', '-', '.', 'é', '--', '😀'];
    for (const Prefix of prefixes) {
      for (const Delimiter of delimiters) {
        const whole = reference(Prefix, Delimiter);
        const one = await t.client.send(
          new ListObjectsV2Command({ Bucket: L, Prefix, Delimiter, MaxKeys: 1000 }),
        );
        expect(listed(one), `${Prefix} ${Delimiter}`).toEqual(whole.slice(0, 1000));
        expect(one.IsTruncated).toBe(whole.length > 1000);
        // Paging: every page ends exactly where the next begins, and IsTruncated is true on all but the last.
        if (whole.length <= 60) {
          for (const MaxKeys of [1, 2, 7]) {
            const seen: string[] = [];
            let token: string | undefined;
            do {
              const page = await t.client.send(
                new ListObjectsV2Command({ Bucket: L, Prefix, Delimiter, MaxKeys, ContinuationToken: token }),
              );
              expect(page.KeyCount).toBe(listed(page).length);
              seen.push(...listed(page));
              token = page.NextContinuationToken;
              expect(page.IsTruncated).toBe(seen.length < whole.length);
            } while (token);
            expect(seen, `${Prefix} ${Delimiter} ${MaxKeys}`).toEqual(whole);
          }
        }
      }
    }
    // StartAfter inside a common prefix that the walk would otherwise pass over, at its edge, and on it.
    for (const StartAfter of [
      'big/x/k0100',
      'big/x/k0599',
      'big/x/',
      'big/x',
      'small/p05/k1',
      'small/p05/',
      'u/😀',
      'u/\u{10ffff}/',
      'dense/p2/k010',
      'dense/p3/',
    ]) {
      for (const [Prefix, Delimiter] of [
        ['dense/', '/'],
        ['big/', '/'],
        ['small/', '/'],
        ['u/', '/'],
        ['', '/'],
        ['big/', undefined],
      ] as const) {
        const out = await t.client.send(
          new ListObjectsV2Command({ Bucket: L, Prefix, Delimiter, StartAfter, MaxKeys: 1000 }),
        );
        expect(listed(out), `${StartAfter} ${Prefix} ${Delimiter}`).toEqual(
          reference(Prefix, Delimiter, StartAfter).slice(0, 1000),
        );
      }
    }
    // MaxKeys ending exactly on a common prefix whose keys fill more than a batch: the next page starts after it.
    const first = await t.client.send(
      new ListObjectsV2Command({ Bucket: L, Prefix: 'big/', Delimiter: '/', MaxKeys: 4 }),
    );
    expect(listed(first)).toEqual(['big/a', 'big/x', 'big/x-1', 'big/x.txt'].sort(byte));
    expect(first.IsTruncated).toBe(true);
    const second = await t.client.send(
      new ListObjectsV2Command({
        Bucket: L,
        Prefix: 'big/',
        Delimiter: '/',
        MaxKeys: 1,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.CommonPrefixes?.map((c) => c.Prefix)).toEqual(['big/x/']);
    expect(second.IsTruncated).toBe(true);
    const third = await t.client.send(
      new ListObjectsV2Command({
        Bucket: L,
        Prefix: 'big/',
        Delimiter: '/',
        ContinuationToken: second.NextContinuationToken,
      }),
    );
    expect(listed(third)).toEqual(['big/x0', 'big/y/']);
    expect(third.IsTruncated).toBe(false);
    // encoding-type=url: keys, prefixes and the delimiter come back URL-encoded.
    const enc = await t.client.send(
      new ListObjectsV2Command({ Bucket: L, Prefix: 'u/', Delimiter: '/', EncodingType: 'url' }),
    );
    expect(enc.CommonPrefixes?.map((c) => decodeURIComponent(c.Prefix ?? ''))).toEqual(
      reference('u/', '/').filter((e) => e.endsWith('/')),
    );
    expect(enc.CommonPrefixes?.map((c) => c.Prefix)).toContain('u/%C3%A9/');
  }, 120_000);
});

describe('multipart uploads', () => {
  const MiB = 1024 * 1024;

  it('uploads, lists, completes with the -N ETag, and aborts', async () => {
    const Key = 'mp/big file+1.bin';
    const { UploadId } = await t.client.send(
      new CreateMultipartUploadCommand({
        Bucket: B,
        Key,
        ContentType: 'application/x-mp',
        Metadata: { m: '1' },
      }),
    );
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(5 * MiB, 2), Buffer.from('tail')];
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      const r = await t.client.send(
        new UploadPartCommand({ Bucket: B, Key, UploadId, PartNumber: i + 1, Body }),
      );
      expect(r.ETag).toBe(`"${md5(Body)}"`);
      etags.push(r.ETag ?? '');
    }
    const listed = await t.client.send(new ListPartsCommand({ Bucket: B, Key, UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(
      parts.map((p, i) => [i + 1, p.length, etags[i]]),
    );
    const page = await t.client.send(new ListPartsCommand({ Bucket: B, Key, UploadId, MaxParts: 2 }));
    expect(page.IsTruncated).toBe(true);
    expect(page.NextPartNumberMarker).toBe('2');
    const uploads = await t.client.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: 'mp/' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[Key, UploadId]]);
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
      }),
    );
    // User Guide, "Checking object integrity" (multipart ETag): MD5 of the concatenated part MD5s, "-N".
    const expected = `"${md5(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))}-3"`;
    expect(done.ETag).toBe(expected);
    const got = await t.client.send(new GetObjectCommand({ Bucket: B, Key }));
    expect(got.ETag).toBe(expected);
    expect(got.ContentType).toBe('application/x-mp');
    expect(got.Metadata).toEqual({ m: '1' });
    expect((await bytes(got)).equals(Buffer.concat(parts))).toBe(true);
    expect((await t.client.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads ?? []).toEqual([]);

    const { UploadId: abortId } = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp/aborted' }),
    );
    await t.client.send(
      new UploadPartCommand({ Bucket: B, Key: 'mp/aborted', UploadId: abortId, PartNumber: 1, Body: 'x' }),
    );
    await t.client.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'mp/aborted', UploadId: abortId }));
    // ErrorResponses: NoSuchUpload, 404.
    const gone = await rejection(
      t.client.send(new ListPartsCommand({ Bucket: B, Key: 'mp/aborted', UploadId: abortId })),
    );
    expect(gone.name).toBe('NoSuchUpload');
    expect(gone.$metadata.httpStatusCode).toBe(404);
  });

  it('validates parts: EntityTooSmall, InvalidPart, InvalidPartOrder, part numbers 1..10,000', async () => {
    const Key = 'mp/invalid';
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand({ Bucket: B, Key }));
    const p1 = await t.client.send(
      new UploadPartCommand({ Bucket: B, Key, UploadId, PartNumber: 1, Body: 'small' }),
    );
    const p2 = await t.client.send(
      new UploadPartCommand({ Bucket: B, Key, UploadId, PartNumber: 2, Body: 'last' }),
    );
    const complete = (Parts: Array<{ PartNumber: number; ETag?: string }>) =>
      rejection(
        t.client.send(
          new CompleteMultipartUploadCommand({ Bucket: B, Key, UploadId, MultipartUpload: { Parts } }),
        ),
      );
    // User Guide, "Amazon S3 multipart upload limits": 5 MiB minimum for every part but the last.
    expect(
      (
        await complete([
          { PartNumber: 1, ETag: p1.ETag },
          { PartNumber: 2, ETag: p2.ETag },
        ])
      ).name,
    ).toBe('EntityTooSmall');
    expect((await complete([{ PartNumber: 1, ETag: '"0000"' }])).name).toBe('InvalidPart');
    expect((await complete([{ PartNumber: 3, ETag: p1.ETag }])).name).toBe('InvalidPart');
    expect(
      (
        await complete([
          { PartNumber: 2, ETag: p2.ETag },
          { PartNumber: 1, ETag: p1.ETag },
        ])
      ).name,
    ).toBe('InvalidPartOrder');
    const tooHigh = await rejection(
      t.client.send(new UploadPartCommand({ Bucket: B, Key, UploadId, PartNumber: 10_001, Body: 'x' })),
    );
    expect(tooHigh.name).toBe('InvalidArgument');
    // A single part that is also the last may be small.
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
      }),
    );
    expect((await bytes(await t.client.send(new GetObjectCommand({ Bucket: B, Key })))).toString()).toBe(
      'small',
    );
  });

  it('copies parts from existing objects (UploadPartCopy, with a range)', async () => {
    await put('mp/source.txt', 'abcdefghij');
    const Key = 'mp/from-copy';
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand({ Bucket: B, Key }));
    const r = await t.client.send(
      new UploadPartCopyCommand({
        Bucket: B,
        Key,
        UploadId,
        PartNumber: 1,
        CopySource: `${B}/mp/source.txt`,
        CopySourceRange: 'bytes=2-5',
      }),
    );
    expect(r.CopyPartResult?.ETag).toBe(`"${md5('cdef')}"`);
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.CopyPartResult?.ETag }] },
      }),
    );
    expect((await bytes(await t.client.send(new GetObjectCommand({ Bucket: B, Key })))).toString()).toBe(
      'cdef',
    );
  });
});

describe('checksums', () => {
  // Standard check values of each algorithm over "123456789" (CRC catalogue; SHA from FIPS 180 tools).
  const check = Buffer.from('123456789');
  const be = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  const expected = {
    CRC32: be('cbf43926'),
    CRC32C: be('e3069283'),
    CRC64NVME: be('ae8b14860a799888'),
    SHA1: createHash('sha1').update(check).digest('base64'),
    SHA256: createHash('sha256').update(check).digest('base64'),
  } as const;

  for (const [algorithm, value] of Object.entries(expected)) {
    it(`stores and returns ${algorithm} (x-amz-checksum-mode: ENABLED)`, async () => {
      const Key = `sum/${algorithm}`;
      const out = await put(Key, check, { ChecksumAlgorithm: algorithm });
      expect(out[`Checksum${algorithm}` as keyof typeof out]).toBe(value);
      const head = await t.client.send(new HeadObjectCommand({ Bucket: B, Key, ChecksumMode: 'ENABLED' }));
      expect(head[`Checksum${algorithm}` as keyof typeof head]).toBe(value);
      expect(head.ChecksumType).toBe('FULL_OBJECT');
      // The SDK validates the returned checksum against the body it reads.
      const got = await t.client.send(new GetObjectCommand({ Bucket: B, Key, ChecksumMode: 'ENABLED' }));
      expect((await bytes(got)).equals(check)).toBe(true);
    });
  }

  it('stores the CRC32 that SDK v3 sends by default in an aws-chunked trailer, and rejects a wrong checksum', async () => {
    await t.client.send(
      new PutObjectCommand({
        Bucket: B,
        Key: 'sum/stream',
        Body: Readable.from([check]),
        ContentLength: check.length,
      }),
    );
    const head = await t.client.send(
      new HeadObjectCommand({ Bucket: B, Key: 'sum/stream', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toBe(expected.CRC32);
    // ErrorResponses: BadDigest, 400 — the checksum sent does not match the body.
    const bad = await rejection(put('sum/bad', check, { ChecksumCRC32: 'AAAAAA==' }));
    expect(bad.name).toBe('BadDigest');
    expect(
      (await rejection(t.client.send(new HeadObjectCommand({ Bucket: B, Key: 'sum/bad' })))).$metadata
        .httpStatusCode,
    ).toBe(404);
    const badMd5 = await rejection(
      put('sum/bad', check, { ContentMD5: createHash('md5').update('other').digest('base64') }),
    );
    expect(badMd5.name).toBe('BadDigest');
  });

  it('computes the composite checksum of a multipart upload', async () => {
    const Key = 'sum/multipart';
    const { UploadId } = await t.client.send(
      new CreateMultipartUploadCommand({ Bucket: B, Key, ChecksumAlgorithm: 'SHA256' }),
    );
    const a = Buffer.alloc(5 * 1024 * 1024, 7);
    const p1 = await t.client.send(
      new UploadPartCommand({
        Bucket: B,
        Key,
        UploadId,
        PartNumber: 1,
        Body: a,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const p2 = await t.client.send(
      new UploadPartCommand({
        Bucket: B,
        Key,
        UploadId,
        PartNumber: 2,
        Body: check,
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag, ChecksumSHA256: p1.ChecksumSHA256 },
            { PartNumber: 2, ETag: p2.ETag, ChecksumSHA256: p2.ChecksumSHA256 },
          ],
        },
      }),
    );
    // User Guide, "Checking object integrity": composite = checksum of the concatenated part checksums, "-N".
    const parts = [a, check].map((b) => createHash('sha256').update(b).digest());
    expect(done.ChecksumSHA256).toBe(
      `${createHash('sha256').update(Buffer.concat(parts)).digest('base64')}-2`,
    );
  });
});

describe('presigned URLs and errors', () => {
  it('serves SigV4 presigned GET and PUT URLs (signatures are not checked locally)', async () => {
    const putUrl = await getSignedUrl(
      t.client,
      new PutObjectCommand({ Bucket: B, Key: 'pre/signed v4.txt' }),
      { expiresIn: 60 },
    );
    expect((await fetch(putUrl, { method: 'PUT', body: 'via presigned put' })).status).toBe(200);
    const getUrl = await getSignedUrl(
      t.client,
      new GetObjectCommand({ Bucket: B, Key: 'pre/signed v4.txt' }),
      { expiresIn: 60 },
    );
    const res = await fetch(getUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('via presigned put');
  });

  it('serves SigV2 query-auth URLs (boto3 generate_presigned_url form)', async () => {
    // User Guide, "Authenticating requests: using query parameters" (SigV2): AWSAccessKeyId, Expires, Signature.
    await put('pre/v2 key+1.txt', 'v2 body');
    const url = `${t.endpoint}/${B}/${encodeURIComponent('pre/v2 key+1.txt')}?AWSAccessKeyId=AKIDEXAMPLE&Signature=abc%2Bdef%3D&Expires=${Math.floor(Date.now() / 1000) + 60}`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('v2 body');
  });

  it("answers what it does not emulate with S3's NotImplemented, and bad requests in S3's error XML", async () => {
    const tagging = await rejection(t.client.send(new GetBucketTaggingCommand({ Bucket: B })));
    expect(tagging.name).toBe('NotImplemented');
    expect(tagging.$metadata.httpStatusCode).toBe(501);
    const res = await fetch(`${t.endpoint}/${B}/missing-key`);
    expect(res.status).toBe(404);
    const xml = await res.text();
    expect(xml).toContain('<Code>NoSuchKey</Code>');
    expect(xml).toContain('<Key>missing-key</Key>');
    const bad = await fetch(`${t.endpoint}/${B}/%E0%A4%A`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>InvalidURI</Code>');
  });
});

describe('browser-form POST uploads', () => {
  it('stores the file under the key field (its filename placeholder replaced) and reports ObjectCreated:Post', async () => {
    // API Reference, "POST Object": form fields first, the file last; success_action_status 201 returns a
    // PostResponse document, the default is 204.
    const from = t.changes.length;
    const form = new FormData();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} placeholder.
    form.set('key', 'form/${filename}');
    form.set('Content-Type', 'text/plain');
    form.set('x-amz-meta-origin', 'browser');
    form.set('success_action_status', '201');
    form.set('policy', 'not-checked-locally');
    form.set('file', new Blob(['form body']), 'up load+1.txt');
    const res = await fetch(`${t.endpoint}/${B}`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const xml = await res.text();
    expect(xml).toContain('<Key>form/up load+1.txt</Key>');
    expect(xml).toContain(`<ETag>&quot;${md5('form body')}&quot;</ETag>`);
    const got = await t.client.send(new GetObjectCommand({ Bucket: B, Key: 'form/up load+1.txt' }));
    expect((await bytes(got)).toString()).toBe('form body');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ origin: 'browser' });
    expect(t.changes.slice(from).map((c) => [c.eventName, c.key, c.size])).toEqual([
      ['ObjectCreated:Post', 'form/up load+1.txt', 9],
    ]);
    const plain = new FormData();
    plain.set('key', 'form/plain');
    plain.set('file', new Blob(['x']), 'x');
    expect((await fetch(`${t.endpoint}/${B}`, { method: 'POST', body: plain })).status).toBe(204);
    const noKey = new FormData();
    noKey.set('file', new Blob(['x']), 'x');
    const bad = await fetch(`${t.endpoint}/${B}`, { method: 'POST', body: noKey });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>InvalidArgument</Code>');
  });
});

describe('event notifications', () => {
  it('reports committed changes with the real size, ETag and increasing sequencers', async () => {
    const from = t.changes.length;
    await put('ev/a b.txt', 'hello');
    await t.client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'ev/copy',
        CopySource: `${B}/${encodeURIComponent('ev/a b.txt')}`,
      }),
    );
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'ev/mp' }));
    const p = await t.client.send(
      new UploadPartCommand({ Bucket: B, Key: 'ev/mp', UploadId, PartNumber: 1, Body: 'mp' }),
    );
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'ev/mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] },
      }),
    );
    await t.client.send(new DeleteObjectCommand({ Bucket: B, Key: 'ev/a b.txt' }));
    await t.client.send(
      new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'ev/copy' }, { Key: 'ev/mp' }] } }),
    );
    const changes = t.changes.slice(from);
    // User Guide, "Event notification types": ObjectCreated:Put|Copy|CompleteMultipartUpload, ObjectRemoved:Delete.
    expect(changes.map((c) => [c.eventName, c.key, c.size, c.eTag])).toEqual([
      ['ObjectCreated:Put', 'ev/a b.txt', 5, md5('hello')],
      ['ObjectCreated:Copy', 'ev/copy', 5, md5('hello')],
      [
        'ObjectCreated:CompleteMultipartUpload',
        'ev/mp',
        2,
        `${md5(createHash('md5').update('mp').digest())}-1`,
      ],
      ['ObjectRemoved:Delete', 'ev/a b.txt', undefined, undefined],
      ['ObjectRemoved:Delete', 'ev/copy', undefined, undefined],
      ['ObjectRemoved:Delete', 'ev/mp', undefined, undefined],
    ]);
    const seq = changes.map((c) => BigInt(`0x${c.sequencer}`));
    for (let i = 1; i < seq.length; i++) expect(seq[i]! > seq[i - 1]!).toBe(true);
    // Failed writes report nothing.
    const before = t.changes.length;
    await rejection(put('ev/a b.txt', 'x', { IfMatch: '"nope"' }));
    expect(t.changes.length).toBe(before);
  });
});

describe('s3rver gaps (each row answered as S3 answers it)', () => {
  it('delimiter listing returns prefixes two or more levels deep (aws s3 ls)', async () => {
    await put('gap/l1/l2/l3/file', 'x');
    await put('gap/l1/l2b/file', 'x');
    const out = await t.client.send(
      new ListObjectsV2Command({ Bucket: B, Prefix: 'gap/l1/', Delimiter: '/' }),
    );
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['gap/l1/l2/', 'gap/l1/l2b/']);
  });

  it('a truncated ListObjectsV2 pages instead of failing', async () => {
    const first = await t.client.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'gap/', MaxKeys: 1 }));
    expect(first.IsTruncated).toBe(true);
    const second = await t.client.send(
      new ListObjectsV2Command({
        Bucket: B,
        Prefix: 'gap/',
        MaxKeys: 1,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.Contents?.map((c) => c.Key)).toEqual(['gap/l1/l2b/file']);
  });

  it('CopyObject with +, = and & in the source key copies', async () => {
    await put('gap/a+b=c&d', 'plus');
    await t.client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'gap/copied',
        CopySource: `${B}/${encodeURIComponent('gap/a+b=c&d')}`,
      }),
    );
    expect(
      (await bytes(await t.client.send(new GetObjectCommand({ Bucket: B, Key: 'gap/copied' })))).toString(),
    ).toBe('plus');
  });

  it('CompleteMultipartUpload returns the -N ETag, and ListParts/ListMultipartUploads/Abort work', async () => {
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'gap/mp' }));
    const p = await t.client.send(
      new UploadPartCommand({ Bucket: B, Key: 'gap/mp', UploadId, PartNumber: 1, Body: 'one' }),
    );
    expect(
      (await t.client.send(new ListPartsCommand({ Bucket: B, Key: 'gap/mp', UploadId }))).Parts,
    ).toHaveLength(1);
    expect(
      (await t.client.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: 'gap/' }))).Uploads,
    ).toHaveLength(1);
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'gap/mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] },
      }),
    );
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-1"$/);
    expect(done.ETag).not.toBe(`"${md5('one')}"`);
  });

  it('CreateBucket on an owned bucket in us-east-1 is 200', async () => {
    const out = await t.client.send(new CreateBucketCommand({ Bucket: B }));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});

describe('completion is reported before the response', () => {
  it('awaits onChange before answering the PUT', async () => {
    const { startS3Engine } = await import('../../infra/local/s3/index.ts');
    const http = await import('node:http');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'local-s3-await-'));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let reported!: () => void;
    const wasReported = new Promise<void>((r) => {
      reported = r;
    });
    const engine = await startS3Engine(path.join(dir, 's3'), async () => {
      reported();
      await gate;
    });
    const server = http.createServer((req, res) => void engine.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await engine.ensureBucket('gated');
      const port = (server.address() as { port: number }).port;
      let answered = false;
      const response = fetch(`http://127.0.0.1:${port}/gated/k`, { method: 'PUT', body: 'v' }).then((r) => {
        answered = true;
        return r.status;
      });
      await wasReported;
      await new Promise((r) => setTimeout(r, 100));
      expect(answered).toBe(false);
      release();
      expect(await response).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
