// Re-uploads reach viewers: the image handler, with a CDN configured, invalidates in CloudFront exactly the
// variants it replaced or removed, and repeats a failed invalidation on the event's retry. Real components:
// S3 is the local S3 engine, CloudFront is the local cloud's CloudFront emulation (infra/local/cloudfront.ts) on its own
// loopback server, both reached through the AWS SDK's standard endpoint variables as on the local cloud.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudFrontService, localDistributionId } from '../../infra/local/cloudfront.ts';
import { VARIANT_CACHE_CONTROL } from '../../pipelines/image-resize/variants.ts';
import { resetClients } from '../../shared/aws/client-cache.ts';
import { invalidationPath } from '../../shared/aws/cloudfront.ts';
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
import { photo, textNamedJpg } from '../support/images.ts';
import type { TestS3 } from '../support/s3-engine.ts';

let server: TestS3;
let cfServer: http.Server;
let cloudfront: CloudFrontService;
let dir: string;
let s3: S3Client;
let handler: Handler;
const savedEnv = { ...process.env };
const DISTRIBUTION = localDistributionId('display');

const emf = (lines: string[]) =>
  lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => '_aws' in l);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'image-cdn-'));
  server = await startImageS3(dir);
  cloudfront = new CloudFrontService(
    dir,
    [{ name: 'display', description: 'variants', cdn: true }],
    () => {},
  );
  await cloudfront.load();
  cfServer = http.createServer((req, res) => {
    void cloudfront.handle(req, res, new URL(req.url ?? '/', 'http://local'));
  });
  await new Promise<void>((r) => cfServer.listen(0, '127.0.0.1', r));
  const cfPort = (cfServer.address() as AddressInfo).port;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_ENDPOINT_URL_CLOUDFRONT: `http://127.0.0.1:${cfPort}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    SOURCE_BUCKET: 'uploads',
    DISPLAY_BUCKET: 'display',
    CDN_DISTRIBUTION_ID: DISTRIBUTION,
    POWERTOOLS_METRICS_NAMESPACE: 'Test',
  });
  resetClients();
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true });
  handler = ((await import('../../handlers/image-resize.ts')) as { handler: Handler }).handler;
});

afterAll(async () => {
  process.env = savedEnv;
  resetClients();
  await server?.close();
  await new Promise((r) => cfServer?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await cloudfront.clear();
});

describe('invalidation paths', () => {
  it('URL-encodes non-ASCII and RFC 1738 unsafe characters only (CloudFront Developer Guide)', () => {
    expect(invalidationPath('thumb/My Photos/Été/beach + sun (1).jpg')).toBe(
      '/thumb/My%20Photos/%C3%89t%C3%A9/beach%20+%20sun%20(1).jpg',
    );
    expect(invalidationPath('a/b#c%d?e~f^g[h]{i}|j\\k"l<m>n`o.webp')).toBe(
      '/a/b%23c%25d%3Fe%7Ef%5Eg%5Bh%5D%7Bi%7D%7Cj%5Ck%22l%3Cm%3En%60o.webp',
    );
    // Reserved and "extra" characters stay as they are, or CloudFront would not match the cached object.
    expect(invalidationPath("x/a;b:c@d=e&f$g,h!i*j'k(l).jpg")).toBe("/x/a;b:c@d=e&f$g,h!i*j'k(l).jpg");
  });

  it('variants: browsers keep them 5 minutes, CloudFront a year (it is invalidated on change)', () => {
    // s-maxage applies to shared caches (CloudFront) instead of max-age; browsers ignore it (RFC 9111 5.2.2.10).
    expect(VARIANT_CACHE_CONTROL).toBe('public, max-age=300, s-maxage=31536000');
    expect(VARIANT_CACHE_CONTROL).not.toContain('immutable');
  });
});

describe('image handler with a CDN', () => {
  const key = 'My Photos/Été/beach + sun (1).jpg';
  const variantKeys = [
    'large/My Photos/Été/beach + sun (1).jpg',
    'medium/My Photos/Été/beach + sun (1).webp',
    'thumb/My Photos/Été/beach + sun (1).jpg',
  ];
  const paths = [
    '/large/My%20Photos/%C3%89t%C3%A9/beach%20+%20sun%20(1).jpg',
    '/medium/My%20Photos/%C3%89t%C3%A9/beach%20+%20sun%20(1).webp',
    '/thumb/My%20Photos/%C3%89t%C3%A9/beach%20+%20sun%20(1).jpg',
  ];

  it('a first upload invalidates nothing (nothing of it can be cached)', async () => {
    const body = photo('path.jpg');
    const eTag = await upload(s3, key, body);
    const { outcomes } = await handler(created(key, body.length, eTag), lambdaContext());
    expect(outcomes[0]).toMatchObject({ status: 'processed', invalidated: [] });
    expect(await displayKeys(s3)).toEqual(variantKeys);
    expect(cloudfront.all()).toEqual([]);
  });

  it('a re-upload under the same key invalidates exactly its variant paths, in one request', async () => {
    const body = photo('autumn.jpg');
    const eTag = await upload(s3, key, body);
    const { result, lines } = await captureOutput(() =>
      handler(created(key, body.length, eTag), lambdaContext()),
    );
    expect(result.outcomes[0]).toMatchObject({ status: 'processed', eTag, invalidated: paths });
    expect(cloudfront.all()).toEqual([
      expect.objectContaining({ distributionId: DISTRIBUTION, bucket: 'display', paths }),
    ]);
    // S3 holds the new version, which CloudFront fetches on its next miss.
    const res = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: variantKeys[0] }));
    expect(res.Metadata?.['source-etag']).toBe(eTag);
    expect(emf(lines)).toContainEqual(expect.objectContaining({ CdnPathsInvalidated: 3 }));
  });

  it('a failed invalidation is logged, counted and thrown; the retried event invalidates again', async () => {
    const body = photo('path.jpg');
    const eTag = await upload(s3, key, body);
    cloudfront.injectFaults(1, 'AccessDenied'); // not transient: no retry within the invocation
    const first = await captureOutput(() =>
      handler(created(key, body.length, eTag), lambdaContext()).catch((e: unknown) => e),
    );
    expect(first.result).toBeInstanceOf(Error);
    expect((first.result as Error).name).toBe('CdnInvalidationError');
    expect((first.result as Error).message).toMatch(/AccessDenied/);
    expect(emf(first.lines)).toContainEqual(expect.objectContaining({ CdnInvalidationFailures: 1 }));
    expect(first.lines.some((l) => l.includes('"CloudFront invalidation failed"'))).toBe(true);
    expect(cloudfront.all()).toEqual([]);
    // Lambda retries the event: the variants written by the failed attempt exist, so they are invalidated.
    const { outcomes } = await handler(created(key, body.length, eTag), lambdaContext());
    expect(outcomes[0]).toMatchObject({ status: 'processed', invalidated: paths });
    expect(cloudfront.all().map((i) => i.paths)).toEqual([paths]);
  });

  it('retries a transient refusal (TooManyInvalidationsInProgress) within the invocation', async () => {
    const body = photo('autumn.jpg');
    const eTag = await upload(s3, key, body);
    cloudfront.injectFaults(1, 'TooManyInvalidationsInProgress');
    const { result, lines } = await captureOutput(() =>
      handler(created(key, body.length, eTag), lambdaContext()),
    );
    expect(result.outcomes[0]).toMatchObject({ status: 'processed', invalidated: paths });
    expect(cloudfront.all().map((i) => i.paths)).toEqual([paths]);
    expect(lines.some((l) => l.includes('"CloudFront invalidation failed, retrying"'))).toBe(true);
  });

  it('a rejected re-upload removes and invalidates the old variants, also when its first attempt fails', async () => {
    const body = textNamedJpg();
    const eTag = await upload(s3, key, body);
    cloudfront.injectFaults(1, 'AccessDenied');
    await expect(handler(created(key, body.length, eTag), lambdaContext())).rejects.toThrow(/AccessDenied/);
    // The failed attempt already deleted the variants; its marker remembers them for the retry.
    expect(await displayKeys(s3)).toEqual([`_rejected/${key}.json`]);
    const { outcomes } = await handler(created(key, body.length, eTag), lambdaContext());
    expect(outcomes[0]).toMatchObject({ status: 'rejected', invalidated: paths });
    expect(cloudfront.all().map((i) => i.paths)).toEqual([paths]);
    const marker = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: `_rejected/${key}.json` }));
    expect(JSON.parse(await marker.Body!.transformToString())).toMatchObject({
      removedVariants: variantKeys,
    });
  });

  it('a rejected first upload invalidates nothing', async () => {
    const body = textNamedJpg();
    const eTag = await upload(s3, 'notes/list.jpg', body);
    const { outcomes } = await handler(created('notes/list.jpg', body.length, eTag), lambdaContext());
    expect(outcomes[0]).toMatchObject({ status: 'rejected', invalidated: [] });
    expect(cloudfront.all()).toEqual([]);
  });

  it('a delete invalidates the variant paths of the key, also on a retry', async () => {
    const body = photo('path.jpg');
    const eTag = await upload(s3, key, body);
    await handler(created(key, body.length, eTag), lambdaContext());
    await cloudfront.clear();
    await s3.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: key }));
    cloudfront.injectFaults(1, 'AccessDenied');
    await expect(handler(removed(key), lambdaContext())).rejects.toThrow(/AccessDenied/);
    // Deleted before the invalidation was refused.
    expect((await displayKeys(s3)).filter((k) => k.includes('beach'))).toEqual([]);
    const { outcomes } = await handler(removed(key), lambdaContext());
    expect(outcomes[0]).toMatchObject({ status: 'removed', deleted: [], invalidated: paths });
    expect(cloudfront.all().map((i) => i.paths)).toEqual([paths]);
  });
});
