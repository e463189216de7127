// The local S3 keeps to its data directory and to S3's limits whatever a request holds (project issue 12):
// hostile keys and bucket names sent as raw HTTP (no client normalising them) create, read or delete
// nothing outside the engine's own layout; a 241+ character key segment is an ordinary key; an upload
// that ends early stores nothing and reports nothing; a SIGKILL in the middle of an upload leaves no
// half-written object; and an s3rver-era data directory is migrated on first start.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/http.ts';
import { waitFor } from '../support/local-cloud.ts';
import { rejection, startEngineChild, startTestS3, type TestS3 } from '../support/s3-engine.ts';

let t: TestS3;
/**
 * A tree of its own around the data dir (nested four levels down, deeper than any hostile key climbs), so
 * that "nothing appeared outside the data dir" looks at a small, known tree rather than all of tmpdir.
 */
let parent: string;

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'local-s3-sandbox-'));
  t = await startTestS3({ root: path.join(parent, '1', '2', '3', '4', 'data') });
  await t.backend.ensureBucket('sandbox');
});
afterAll(async () => {
  await t?.cleanup();
  await rm(parent, { recursive: true, force: true });
});

/**
 * A request to this file's engine (or the one on `port`) with its path exactly as given (fetch and URL would
 * resolve "..": a raw client does not).
 */
const raw = (method: string, rawPath: string, body?: string, port = t.port) =>
  rawRequest(port, method, rawPath, body);

/** Every file below `dir`, relative. */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** True when every file under the test root is part of the engine's own layout (index, id-named bodies). */
async function onlyEngineFiles(): Promise<string[]> {
  return (await files(t.root)).filter(
    (f) =>
      !(
        f === path.join('s3', 'ENGINE') ||
        f.startsWith(path.join('s3', 'index') + path.sep) ||
        /^s3\/objects\/[0-9a-f]{2}\/[0-9a-f]{32}$/.test(f)
      ),
  );
}

describe('sandbox', () => {
  const hostile = [
    '/sandbox/../escape-1',
    '/sandbox/../../escape-2',
    '/sandbox/a/../../../escape-3',
    '/sandbox/%2e%2e%2f%2e%2e%2fescape-4',
    '/sandbox/..%2F..%2Fescape-5',
    '/sandbox/%2E%2E/%2E%2E/escape-6',
    '/sandbox/nul%00byte',
    '/sandbox/..\\..\\escape-7',
    '/sandbox//double//slash',
    `/sandbox/long/${'s'.repeat(300)}/segment`,
    `/sandbox/${'x'.repeat(255)}`,
  ];

  it('stores hostile keys as plain keys: nothing outside the data dir, and the process stays up', async () => {
    const before = new Set(await files(parent));
    for (const p of hostile) {
      const written = await raw('PUT', p, `body ${p}`);
      expect(written.status, p).toBe(200);
      const read = await raw('GET', p);
      expect(read, p).toEqual({ status: 200, body: `body ${p}` });
    }
    // The keys are exactly what the paths encode (User Guide, "Naming Amazon S3 objects": any UTF-8).
    // (encoding-type=url, as S3 recommends for keys with characters XML 1.0 cannot carry, such as NUL.)
    const listed = await t.client.send(new ListObjectsV2Command({ Bucket: 'sandbox', EncodingType: 'url' }));
    expect(listed.Contents?.map((c) => decodeURIComponent((c.Key ?? '').replace(/\+/g, ' ')))).toEqual(
      expect.arrayContaining([
        '../escape-1',
        'a/../../../escape-3',
        '../../escape-4',
        '../../escape-5',
        'nul\u0000byte',
        `long/${'s'.repeat(300)}/segment`,
        '/double//slash',
      ]),
    );
    expect(await onlyEngineFiles()).toEqual([]);
    for (const p of hostile) expect((await raw('DELETE', p)).status, p).toBe(204);
    // Nothing appeared next to the data dir either (the parent of the test root).
    const after = await files(parent);
    const data = path.relative(parent, t.root);
    expect(after.filter((f) => !f.startsWith(data + path.sep) && !before.has(f))).toEqual([]);
    expect((await raw('GET', '/sandbox/..%2F..%2Fescape-5')).status).toBe(404);
  });

  it('refuses hostile bucket names without touching the filesystem', async () => {
    for (const p of ['/..%2F..%2Fbucket/key', '/../etc/key', '/%2e%2e/key']) {
      const r = await raw('PUT', p, 'x');
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.body).toMatch(/<Code>(NoSuchBucket|InvalidBucketName|InvalidURI)<\/Code>/);
    }
    expect((await raw('PUT', '/..%2F..%2Fbucket')).body).toContain('<Code>InvalidBucketName</Code>');
    expect(await onlyEngineFiles()).toEqual([]);
  });

  it('answers KeyTooLongError for keys over 1,024 bytes (ErrorResponses: KeyTooLongError)', async () => {
    const r = await raw('PUT', `/sandbox/${'k'.repeat(1025)}`, 'x');
    expect(r.status).toBe(400);
    expect(r.body).toContain('<Code>KeyTooLongError</Code>');
  });
});

describe('uploads that end early', () => {
  /** Sends headers and part of the body, then resets the connection or half-closes it (FIN). */
  async function abandon(headers: string, partial: string, how: 'reset' | 'end'): Promise<net.Socket> {
    const socket = net.connect(t.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await new Promise<void>((r) => socket.write(`${headers}\r\n${partial}`, () => r()));
    await waitFor(async () => (await readdir(path.join(t.dir, 'tmp'))).length > 0, { timeoutMs: 5_000 });
    if (how === 'reset') socket.resetAndDestroy();
    else socket.end();
    return socket;
  }

  for (const how of ['reset', 'end'] as const) {
    it(`stores nothing and reports nothing when the client disconnects mid-body (${how})`, async () => {
      const changes = t.changes.length;
      const key = `early-${how}`;
      const sockets: net.Socket[] = [];
      sockets.push(
        await abandon(
          `PUT /sandbox/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n`,
          'a'.repeat(1000),
          how,
        ),
      );
      await waitFor(async () => (await readdir(path.join(t.dir, 'tmp'))).length === 0, { timeoutMs: 5_000 });
      // Both declare more than INLINE_MAX (64 KiB), so the body streams to a file in tmp/; a body that would be
      // held in the index is covered in s3-inline.test.ts.
      const chunked = `PUT /sandbox/${key}-chunked HTTP/1.1\r\nHost: x\r\nContent-Encoding: aws-chunked\r\nx-amz-decoded-content-length: 500000\r\nTransfer-Encoding: chunked\r\n`;
      sockets.push(await abandon(chunked, `3e8\r\n${'b'.repeat(1000)}\r\n`, how));
      // The engine notices the disconnect (even a half-close) and removes its temporary file.
      await waitFor(async () => (await readdir(path.join(t.dir, 'tmp'))).length === 0, { timeoutMs: 5_000 });
      for (const s of sockets) s.destroy();
      for (const k of [key, `${key}-chunked`]) {
        const err = await rejection(t.client.send(new HeadObjectCommand({ Bucket: 'sandbox', Key: k })));
        expect(err.$metadata.httpStatusCode).toBe(404);
      }
      expect(t.changes.length).toBe(changes);
      expect(await onlyEngineFiles()).toEqual([]);
    });
  }

  it('answers IncompleteBody when the body is shorter than an aws-chunked decoded length', async () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    const r = await rawRequest(t.port, 'PUT', '/sandbox/short', body, {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '10',
    });
    expect(r.status).toBe(400);
    expect(r.body).toContain('<Code>IncompleteBody</Code>');
    expect(
      (await rejection(t.client.send(new HeadObjectCommand({ Bucket: 'sandbox', Key: 'short' })))).$metadata
        .httpStatusCode,
    ).toBe(404);
  });
});

describe('crash safety', () => {
  it('shows no half-written object after SIGKILL mid-upload, and keeps what was committed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-s3-crash-'));
    const start = () => startEngineChild(path.join(dir, 's3'));
    try {
      const first = await start();
      expect((await raw('PUT', '/crash/committed', 'kept', first.port)).status).toBe(200);
      const socket = net.connect(first.port, '127.0.0.1');
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.on('error', () => {});
      socket.write(`PUT /crash/half HTTP/1.1\r\nHost: x\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
      socket.write(Buffer.alloc(8 * 1024 * 1024, 1));
      await waitFor(async () => (await readdir(path.join(dir, 's3', 'tmp'))).length > 0, {
        timeoutMs: 10_000,
      });
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      socket.destroy();

      const second = await start();
      try {
        expect(await raw('GET', '/crash/committed', undefined, second.port)).toEqual({
          status: 200,
          body: 'kept',
        });
        expect((await raw('GET', '/crash/half', undefined, second.port)).status).toBe(404);
        expect(await readdir(path.join(dir, 's3', 'tmp'))).toEqual([]);
      } finally {
        second.child.kill('SIGKILL');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('s3rver-era data directories', () => {
  it('migrates <dataDir>/s3/<bucket>/<key>._S3rver_object files on first start', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'local-s3-legacy-'));
    const legacy = path.join(root, 's3');
    try {
      // The layout s3rver 3.7's FilesystemStore writes (lib/stores/filesystem.js: getResourcePath).
      await mkdir(path.join(legacy, 'lake', 'raw', 'dt=2026'), { recursive: true });
      await mkdir(path.join(legacy, 'empty-bucket'), { recursive: true });
      await writeFile(path.join(legacy, 'lake', 'raw', 'dt=2026', 'a b.json._S3rver_object'), '{"a":1}');
      await writeFile(
        path.join(legacy, 'lake', 'raw', 'dt=2026', 'a b.json._S3rver_metadata.json'),
        JSON.stringify({ 'content-type': 'application/json', 'x-amz-meta-source': 'old' }),
      );
      await writeFile(path.join(legacy, 'lake', 'top._S3rver_object'), 'top');
      const s = await startTestS3({ root });
      try {
        const got = await s.client.send(
          new GetObjectCommand({ Bucket: 'lake', Key: 'raw/dt=2026/a b.json' }),
        );
        expect(await got.Body?.transformToString()).toBe('{"a":1}');
        expect(got.ContentType).toBe('application/json');
        expect(got.Metadata).toEqual({ source: 'old' });
        const listed = await s.client.send(new ListObjectsV2Command({ Bucket: 'lake' }));
        expect(listed.Contents?.map((c) => c.Key)).toEqual(['raw/dt=2026/a b.json', 'top']);
        expect(await s.backend.listBuckets()).toEqual(['empty-bucket', 'lake']);
      } finally {
        await s.close();
      }
      expect(await readFile(path.join(root, 's3.s3rver-legacy', 'lake', 'top._S3rver_object'), 'utf8')).toBe(
        'top',
      );
      // A second start uses the migrated store as is.
      const again = await startTestS3({ root });
      try {
        expect((await again.client.send(new ListObjectsV2Command({ Bucket: 'lake' }))).KeyCount).toBe(2);
      } finally {
        await again.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
