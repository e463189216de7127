// The image function end to end on a real S3 emulator (the local S3 engine on a loopback port, started here): the
// handler is invoked with AWS-shaped S3 events and its effects read back with the AWS SDK. Covers writes
// with headers and metadata, re-processing, rejections (marker, metric, no retry), deletes, the
// partial-output cleanup on a failed write, transient errors that must throw, and the loop guard.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadImageConfig } from '../../pipelines/image-resize/config.ts';
import { processUpload } from '../../pipelines/image-resize/pipeline.ts';
import { resetClients } from '../../shared/aws/client-cache.ts';
import { ConfigError } from '../../shared/config.ts';
import {
  captureOutput,
  created,
  displayKeys,
  type Handler,
  lambdaContext,
  removed,
  startImageS3,
  upload,
} from '../support/image.ts';
import { alphaPng, photo, textNamedJpg } from '../support/images.ts';
import type { TestS3 } from '../support/s3-engine.ts';

let server: TestS3;
let dir: string;
let endpoint: string;
let s3: S3Client;
let handler: Handler;
const savedEnv = { ...process.env };

async function read(key: string) {
  const res = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: key }));
  return { res, body: Buffer.from(await res.Body!.transformToByteArray()) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'image-s3-'));
  server = await startImageS3(dir);
  endpoint = server.endpoint;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    SOURCE_BUCKET: 'uploads',
    DISPLAY_BUCKET: 'display',
    POWERTOOLS_METRICS_NAMESPACE: 'Test',
  });
  resetClients();
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  handler = ((await import('../../handlers/image-resize.ts')) as { handler: Handler }).handler;
});

afterAll(async () => {
  process.env = savedEnv;
  resetClients();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('image handler', () => {
  const key = 'My Photos/Été/beach + sun (1).jpg';
  const variants = [
    'large/My Photos/Été/beach + sun (1).jpg',
    'medium/My Photos/Été/beach + sun (1).webp',
    'thumb/My Photos/Été/beach + sun (1).jpg',
  ];

  it('writes the three variants with type, cache headers and source metadata', async () => {
    const body = photo('path.jpg');
    const eTag = await upload(s3, key, body);
    const { outcomes } = await handler(created(key, body.length, eTag), lambdaContext());
    // No CDN configured here (CDN_DISTRIBUTION_ID unset): nothing to invalidate; see cdn.test.ts.
    expect(outcomes).toEqual([
      { status: 'processed', sourceKey: key, eTag, written: expect.any(Array), invalidated: [] },
    ]);
    expect(await displayKeys(s3)).toEqual(variants);
    const expected = {
      'large/My Photos/Été/beach + sun (1).jpg': ['image/jpeg', 1600, 1000],
      'medium/My Photos/Été/beach + sun (1).webp': ['image/webp', 800, 500],
      'thumb/My Photos/Été/beach + sun (1).jpg': ['image/jpeg', 200, 200],
    } as const;
    for (const [k, [type, w, h]] of Object.entries(expected)) {
      const { res, body: out } = await read(k);
      expect(res.ContentType).toBe(type);
      // Browsers 5 minutes (they cannot be invalidated), CloudFront a year (it is invalidated on change).
      expect(res.CacheControl).toBe('public, max-age=300, s-maxage=31536000');
      expect(decodeURIComponent(res.Metadata?.['source-key'] ?? '')).toBe(key);
      expect(res.Metadata?.['source-etag']).toBe(eTag);
      const meta = await sharp(out).metadata();
      expect([meta.width, meta.height]).toEqual([w, h]);
    }
  });

  it('rewrites the same keys when the upload is processed again', async () => {
    const body = await alphaPng();
    const eTag = await upload(s3, key, body); // same key, new content
    await handler(created(key, body.length, eTag), lambdaContext());
    expect(await displayKeys(s3)).toEqual(variants);
    const { res } = await read(variants[0]!);
    expect(res.Metadata?.['source-etag']).toBe(eTag);
  });

  it('rejects a bad upload without retry: marker, metric and log, no variants left', async () => {
    const body = textNamedJpg();
    const eTag = await upload(s3, key, body);
    const { result, lines } = await captureOutput(() =>
      handler(created(key, body.length, eTag), lambdaContext()),
    );
    expect(result.outcomes[0]).toMatchObject({ status: 'rejected', reason: 'unsupported-format' });
    // Variants of the earlier good version would show an image that no longer exists: they are gone.
    expect(await displayKeys(s3)).toEqual([`_rejected/${key}.json`]);
    const marker = JSON.parse((await read(`_rejected/${key}.json`)).body.toString('utf8'));
    expect(marker).toMatchObject({
      sourceBucket: 'uploads',
      sourceKey: key,
      sourceETag: eTag,
      reason: 'unsupported-format',
    });
    expect(marker.message).toMatch(/content is text/);
    expect(Date.now() - Date.parse(marker.time)).toBeLessThan(60_000);
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => '_aws' in l);
    expect(emf).toContainEqual(
      expect.objectContaining({ ImagesRejected: 1, reason: 'unsupported-format', service: 'image-resize' }),
    );
    expect(
      lines.some((l) => l.includes('"Upload rejected"') && l.includes('"reason":"unsupported-format"')),
    ).toBe(true);
  });

  it('a later good upload clears the rejection marker', async () => {
    const body = photo('autumn.jpg');
    const eTag = await upload(s3, key, body);
    await handler(created(key, body.length, eTag), lambdaContext());
    expect(await displayKeys(s3)).toEqual(variants);
  });

  it('removes the variants when the upload is deleted', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: key }));
    const { outcomes } = await handler(removed(key), lambdaContext());
    expect(outcomes[0]).toMatchObject({ status: 'removed' });
    expect(await displayKeys(s3)).toEqual([]);
  });

  it('keeps variants that belong to another upload with the same name but another extension', async () => {
    const body = photo('autumn.jpg');
    const eTag = await upload(s3, 'same/name.png', body);
    await handler(created('same/name.png', body.length, eTag), lambdaContext());
    await handler(removed('same/name.jpg'), lambdaContext()); // never existed; maps to the same variant keys
    expect(await displayKeys(s3)).toHaveLength(3);
    await s3.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: 'same/name.png' }));
    await handler(removed('same/name.png'), lambdaContext());
    expect(await displayKeys(s3)).toEqual([]);
  });

  it('leaves no partial output when a write fails, and throws so Lambda retries', async () => {
    const body = photo('autumn.jpg');
    const eTag = await upload(s3, 'partial.jpg', body);
    const faulty = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 });
    // Injected fault: S3 answers the large variant's PutObject with 503 every time.
    faulty.middlewareStack.add(
      (next, ctx) => async (args) => {
        const input = args.input as { Key?: string };
        if (ctx.commandName === 'PutObjectCommand' && input.Key?.startsWith('large/')) {
          await new Promise((r) => setTimeout(r, 50)); // let the other variants land first
          throw Object.assign(new Error('Service Unavailable'), {
            name: 'ServiceUnavailable',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const config = loadImageConfig();
    const change = {
      bucket: 'uploads',
      key: 'partial.jpg',
      action: 'created',
      eventName: 'ObjectCreated:Put',
      eventTime: '',
      size: body.length,
      eTag,
    } as const;
    await expect(processUpload(change, { s3: faulty, config })).rejects.toThrow(/Service Unavailable/);
    expect(await displayKeys(s3)).toEqual([]);
  });

  it('throws when S3 is unavailable, so the event is retried and ends in the DLQ', async () => {
    const body = photo('autumn.jpg');
    const eTag = await upload(s3, 'retry.jpg', body);
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9'; // nothing listens there
    process.env.AWS_MAX_ATTEMPTS = '1';
    resetClients();
    try {
      await expect(handler(created('retry.jpg', body.length, eTag), lambdaContext())).rejects.toThrow(
        /ECONNREFUSED|Gave up/,
      );
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
      delete process.env.AWS_MAX_ATTEMPTS;
      resetClients();
    }
    // Once S3 is back, the retried event succeeds.
    await handler(created('retry.jpg', body.length, eTag), lambdaContext());
    expect(await displayKeys(s3)).toContain('large/retry.jpg');
  });

  it('refuses at cold start a configuration that would write into the source bucket', async () => {
    vi.resetModules();
    process.env.DISPLAY_BUCKET = 'uploads';
    try {
      const fresh = ((await import('../../handlers/image-resize.ts')) as { handler: Handler }).handler;
      const err = await fresh(created('retry.jpg', 1, 'x'), lambdaContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe(ConfigError.name);
      expect((err as Error).message).toMatch(/DISPLAY_BUCKET: must differ from SOURCE_BUCKET/);
    } finally {
      process.env.DISPLAY_BUCKET = 'display';
    }
    const res = await s3.send(new ListObjectsV2Command({ Bucket: 'uploads' }));
    expect((res.Contents ?? []).every((o) => !/^(thumb|medium|large)\//.test(o.Key!))).toBe(true);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'large/retry.jpg' })),
    ).rejects.toThrow();
  });
});
