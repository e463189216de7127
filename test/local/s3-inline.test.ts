// Small object bodies held in the local S3's index (infra/local/s3/store.ts, INLINE_MAX): which objects go
// there and which to files, that every operation reads and replaces them (GET with Range, HEAD, listing,
// CopyObject, UploadPartCopy, CompleteMultipartUpload, overwrite and delete in both directions between
// index and file), that an upload ending early stores nothing, that a SIGKILL right after the answer keeps
// what was answered, and that a data dir written before (small bodies in files) still reads. Expected S3
// answers as in s3-conformance.test.ts: Amazon S3 API Reference (API_<Operation>).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INLINE_MAX } from '../../infra/local/s3/store.ts';
import { rawRequest } from '../support/http.ts';
import { rejection, startEngineChild, startTestS3, type TestS3 } from '../support/s3-engine.ts';

const B = 'inline';
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const bytes = async (o: { Body?: { transformToByteArray(): Promise<Uint8Array> } }) =>
  Buffer.from(await o.Body!.transformToByteArray());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Body files under the engine's objects/ directory (bodies held in the index have none). */
async function bodyFiles(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 'objects'), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

/** The index's entries under one prefix letter (O: object records, D: bodies held in the index). */
async function indexEntries(dir: string, prefix: 'O' | 'D'): Promise<Array<[string, unknown]>> {
  const db = new ClassicLevel<string, unknown>(path.join(dir, 'index'), {
    valueEncoding: prefix === 'D' ? 'buffer' : 'json',
  });
  await db.open();
  try {
    return await db.iterator({ gt: `${prefix}\u0000`, lt: `${prefix}\u0000\uffff` }).all();
  } finally {
    await db.close();
  }
}

describe('bodies held in the index', () => {
  let t: TestS3;
  beforeAll(async () => {
    t = await startTestS3();
    await t.backend.ensureBucket(B);
  });
  afterAll(async () => {
    await t?.cleanup();
  });
  const put = (Key: string, Body: string | Buffer, extra: Record<string, unknown> = {}) =>
    t.client.send(new PutObjectCommand({ Bucket: B, Key, Body, ...extra }));
  const get = async (Key: string, Range?: string) =>
    bytes(await t.client.send(new GetObjectCommand({ Bucket: B, Key, ...(Range ? { Range } : {}) })));

  it('keeps bodies up to INLINE_MAX in the index and larger ones in files, and reads both alike', async () => {
    const small = randomBytes(1024);
    const edge = randomBytes(INLINE_MAX);
    const large = randomBytes(INLINE_MAX + 1);
    const put1 = await put('size/small', small, { ContentType: 'text/plain', Metadata: { a: '1' } });
    await put('size/edge', edge);
    expect(await bodyFiles(t.dir)).toEqual([]);
    await put('size/large', large);
    expect(await bodyFiles(t.dir)).toHaveLength(1);
    // API_PutObject / API_GetObject: the ETag of a single PUT is the MD5 of the body.
    expect(put1.ETag).toBe(`"${md5(small)}"`);
    expect(await get('size/small')).toEqual(small);
    expect(await get('size/edge')).toEqual(edge);
    expect(await get('size/large')).toEqual(large);
    // API_GetObject, Range: bytes=first-last (inclusive), answered 206 with that slice.
    expect(await get('size/small', 'bytes=10-19')).toEqual(small.subarray(10, 20));
    expect(await get('size/small', 'bytes=-5')).toEqual(small.subarray(-5));
    const head = await t.client.send(new HeadObjectCommand({ Bucket: B, Key: 'size/small' }));
    expect([head.ContentLength, head.ETag, head.ContentType, head.Metadata]).toEqual([
      1024,
      `"${md5(small)}"`,
      'text/plain',
      { a: '1' },
    ]);
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'size/' }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size, c.ETag])).toEqual([
      ['size/edge', INLINE_MAX, `"${md5(edge)}"`],
      ['size/large', INLINE_MAX + 1, `"${md5(large)}"`],
      ['size/small', 1024, `"${md5(small)}"`],
    ]);
  });

  it('overwrites and deletes in every direction between index and file, leaving no stale body', async () => {
    const a = randomBytes(100);
    const b = randomBytes(200);
    const big = randomBytes(INLINE_MAX * 2);
    const files = (await bodyFiles(t.dir)).length;
    await put('ow/k', a);
    await put('ow/k', b); // index → index
    expect(await get('ow/k')).toEqual(b);
    await put('ow/k', big); // index → file
    expect(await get('ow/k')).toEqual(big);
    expect(await bodyFiles(t.dir)).toHaveLength(files + 1);
    await put('ow/k', a); // file → index: the file is released
    expect(await get('ow/k')).toEqual(a);
    await put('ow/gone', b);
    await t.client.send(new DeleteObjectCommand({ Bucket: B, Key: 'ow/gone' }));
    await t.client.send(new DeleteObjectCommand({ Bucket: B, Key: 'ow/k' }));
    // API_GetObject: NoSuchKey (404) once deleted.
    for (const Key of ['ow/k', 'ow/gone']) {
      expect((await rejection(t.client.send(new GetObjectCommand({ Bucket: B, Key })))).Code).toBe(
        'NoSuchKey',
      );
    }
    // Conditional write against a body held in the index (User Guide, conditional requests: 412).
    const c = await put('ow/cond', a);
    expect((await rejection(put('ow/cond', b, { IfNoneMatch: '*' }))).$metadata.httpStatusCode).toBe(412);
    await put('ow/cond', b, { IfMatch: c.ETag });
    expect(await get('ow/cond')).toEqual(b);
  });

  it('copies from and to bodies held in the index (CopyObject, UploadPartCopy, CompleteMultipartUpload)', async () => {
    const src = randomBytes(3000);
    await put('cp/src', src, { ContentType: 'application/x-src' });
    const from = t.changes.length;
    // API_CopyObject: the copy has the source's ETag (MD5 of the same bytes) and, with COPY, its metadata.
    const copied = await t.client.send(
      new CopyObjectCommand({ Bucket: B, Key: 'cp/dst', CopySource: `${B}/cp/src` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5(src)}"`);
    expect(await get('cp/dst')).toEqual(src);
    // Copying onto itself with REPLACE keeps the body and changes the metadata.
    await t.client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'cp/src',
        CopySource: `${B}/cp/src`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/replaced',
      }),
    );
    const again = await t.client.send(new GetObjectCommand({ Bucket: B, Key: 'cp/src' }));
    expect([again.ContentType, await bytes(again)]).toEqual(['text/replaced', src]);
    // API_UploadPartCopy with x-amz-copy-source-range bytes=100-1099, then Complete with that one part.
    const { UploadId } = await t.client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'cp/mp' }));
    const part = await t.client.send(
      new UploadPartCopyCommand({
        Bucket: B,
        Key: 'cp/mp',
        UploadId,
        PartNumber: 1,
        CopySource: `${B}/cp/src`,
        CopySourceRange: 'bytes=100-1099',
      }),
    );
    expect(part.CopyPartResult?.ETag).toBe(`"${md5(src.subarray(100, 1100))}"`);
    const done = await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'cp/mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult?.ETag }] },
      }),
    );
    // User Guide, "Checking object integrity": md5 of the part MD5s, "-", part count.
    expect(done.ETag).toBe(`"${md5(createHash('md5').update(src.subarray(100, 1100)).digest())}-1"`);
    expect(await get('cp/mp')).toEqual(src.subarray(100, 1100));
    // A small part uploaded and completed: the object ends up in the index, the part's file is removed.
    const u2 = await t.client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'cp/mp2' }));
    const p2 = await t.client.send(
      new UploadPartCommand({ Bucket: B, Key: 'cp/mp2', UploadId: u2.UploadId, PartNumber: 1, Body: 'tiny' }),
    );
    const before = await bodyFiles(t.dir);
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'cp/mp2',
        UploadId: u2.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p2.ETag }] },
      }),
    );
    expect(await get('cp/mp2')).toEqual(Buffer.from('tiny'));
    expect((await bodyFiles(t.dir)).length).toBe(before.length - 1);
    // The events are those of any object (User Guide, "Event notification types").
    expect(t.changes.slice(from).map((c) => [c.eventName, c.key, c.size])).toEqual([
      ['ObjectCreated:Copy', 'cp/dst', 3000],
      ['ObjectCreated:Copy', 'cp/src', 3000],
      ['ObjectCreated:CompleteMultipartUpload', 'cp/mp', 1000],
      ['ObjectCreated:CompleteMultipartUpload', 'cp/mp2', 4],
    ]);
  });

  for (const how of ['reset', 'end'] as const) {
    it(`stores nothing and reports nothing when a small upload ends early (${how})`, async () => {
      const changes = t.changes.length;
      const requests = [
        `PUT /${B}/early-${how} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n${'a'.repeat(1000)}`,
        `PUT /${B}/early-${how}-chunked HTTP/1.1\r\nHost: x\r\nContent-Encoding: aws-chunked\r\nx-amz-decoded-content-length: 5000\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n${'b'.repeat(1000)}\r\n`,
      ];
      for (const request of requests) {
        const socket = net.connect(t.port, '127.0.0.1');
        socket.on('error', () => {});
        await new Promise<void>((r) => socket.once('connect', () => r()));
        await new Promise<void>((r) => socket.write(request, () => r()));
        // Nothing on disk shows that the engine holds the partial body (it is in memory): give it time to
        // read it before the disconnect.
        await sleep(200);
        if (how === 'reset') socket.resetAndDestroy();
        else socket.end();
        await sleep(200);
        socket.destroy();
      }
      for (const Key of [`early-${how}`, `early-${how}-chunked`]) {
        const err = await rejection(t.client.send(new HeadObjectCommand({ Bucket: B, Key })));
        expect(err.$metadata.httpStatusCode).toBe(404);
      }
      expect(t.changes.length).toBe(changes);
      expect(await readdir(path.join(t.dir, 'tmp'))).toEqual([]);
    });
  }

  it('leaves exactly one index body per object held there, once closed', async () => {
    await t.close();
    const records = (await indexEntries(t.dir, 'O')).map(([, v]) => v as { id: string; inline?: true });
    const held = (await indexEntries(t.dir, 'D')).map(([k]) => k.slice(2)).sort();
    expect(held).toEqual(
      records
        .filter((r) => r.inline)
        .map((r) => r.id)
        .sort(),
    );
    expect(await bodyFiles(t.dir)).toEqual(
      records
        .filter((r) => !r.inline)
        .map((r) => r.id)
        .sort(),
    );
  });
});

describe('crash safety of bodies held in the index', () => {
  it('finds a small PUT, overwrite and delete after a SIGKILL right after their answers', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-s3-inline-crash-'));
    const start = () => startEngineChild(path.join(dir, 's3'));
    try {
      const first = await start();
      expect((await rawRequest(first.port, 'PUT', '/crash/old', 'old body')).status).toBe(200);
      expect((await rawRequest(first.port, 'PUT', '/crash/gone', 'to delete')).status).toBe(200);
      expect((await rawRequest(first.port, 'PUT', '/crash/old', 'new body')).status).toBe(200);
      expect((await rawRequest(first.port, 'DELETE', '/crash/gone')).status).toBe(204);
      expect(
        (await rawRequest(first.port, 'PUT', '/crash/last', 'answered just before the kill')).status,
      ).toBe(200);
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));

      const second = await start();
      try {
        expect(await rawRequest(second.port, 'GET', '/crash/old')).toEqual({ status: 200, body: 'new body' });
        expect(await rawRequest(second.port, 'GET', '/crash/last')).toEqual({
          status: 200,
          body: 'answered just before the kill',
        });
        expect((await rawRequest(second.port, 'GET', '/crash/gone')).status).toBe(404);
      } finally {
        second.child.kill('SIGKILL');
        await new Promise((r) => second.child.once('exit', r));
      }
      expect(await bodyFiles(path.join(dir, 's3'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('data dirs written before bodies were held in the index', () => {
  it('reads, copies, overwrites and deletes small objects whose bodies are files', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'local-s3-v1-'));
    const dir = path.join(root, 's3');
    try {
      // The layout as the engine wrote it before (infra/local/README.md, "S3", Storage): the ENGINE marker,
      // bucket and object records in the index, every body a file objects/<first 2 hex of id>/<id>.
      await mkdir(path.join(dir, 'objects'), { recursive: true });
      await writeFile(path.join(dir, 'ENGINE'), 'local-s3-engine 1\n');
      const db = new ClassicLevel<string, unknown>(path.join(dir, 'index'), { valueEncoding: 'json' });
      await db.open();
      await db.put('B\u0000old', { created: Date.now(), region: 'us-east-1' });
      const bodies: Record<string, Buffer> = { 'a/one': randomBytes(1024), 'a/two': randomBytes(10) };
      const ids: Record<string, string> = {};
      for (const [key, body] of Object.entries(bodies)) {
        const id = randomBytes(16).toString('hex');
        ids[key] = id;
        await mkdir(path.join(dir, 'objects', id.slice(0, 2)), { recursive: true });
        await writeFile(path.join(dir, 'objects', id.slice(0, 2), id), body);
        await db.put(`O\u0000old\u0000${key}`, {
          headers: { 'content-type': 'application/json' },
          meta: { era: 'v1' },
          id,
          size: body.length,
          etag: md5(body),
          lastModified: Date.now(),
        });
      }
      await db.close();

      const s = await startTestS3({ root });
      try {
        const got = await s.client.send(new GetObjectCommand({ Bucket: 'old', Key: 'a/one' }));
        expect([got.ContentType, got.Metadata, got.ETag]).toEqual([
          'application/json',
          { era: 'v1' },
          `"${md5(bodies['a/one']!)}"`,
        ]);
        expect(await bytes(got)).toEqual(bodies['a/one']);
        const ranged = await s.client.send(
          new GetObjectCommand({ Bucket: 'old', Key: 'a/two', Range: 'bytes=2-4' }),
        );
        expect(await bytes(ranged)).toEqual(bodies['a/two']!.subarray(2, 5));
        const listed = await s.client.send(new ListObjectsV2Command({ Bucket: 'old', Delimiter: '/' }));
        expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
        await s.client.send(new CopyObjectCommand({ Bucket: 'old', Key: 'b/copy', CopySource: 'old/a/one' }));
        expect(
          await bytes(await s.client.send(new GetObjectCommand({ Bucket: 'old', Key: 'b/copy' }))),
        ).toEqual(bodies['a/one']);
        await s.client.send(new PutObjectCommand({ Bucket: 'old', Key: 'a/one', Body: 'replaced' }));
        await s.client.send(new DeleteObjectCommand({ Bucket: 'old', Key: 'a/two' }));
        expect(
          await bytes(await s.client.send(new GetObjectCommand({ Bucket: 'old', Key: 'a/one' }))),
        ).toEqual(Buffer.from('replaced'));
      } finally {
        await s.close();
      }
      // Both old body files are gone (one replaced, one deleted); the new bodies are in the index.
      expect(await bodyFiles(dir)).toEqual([]);
      expect((await indexEntries(dir, 'D')).length).toBe(2);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
