// End to end on the local cloud: with only the AWS SDK pointed at its endpoint, an upload whose key has
// spaces, `+` and unicode yields all three variants in `display` (right sizes and types); deleting the
// upload removes them; a re-upload under the same key is invalidated in the display bucket's CDN (the local
// cloud's CloudFront API records it) and the new variant is what S3 then serves. The S3 notification, its
// key encoding and the function invocation are the local cloud's, exactly as on AWS.
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../support/images.ts';
import { startTestCloud } from '../support/local-cloud.ts';

type TestCloud = Awaited<ReturnType<typeof startTestCloud>>;

let cloud: TestCloud;
let s3: S3Client;

const KEY = 'My Photos/Été/beach + sun (1).jpg';
const EXPECTED = [
  { key: 'thumb/My Photos/Été/beach + sun (1).jpg', type: 'image/jpeg', format: 'jpeg', size: [200, 200] },
  { key: 'medium/My Photos/Été/beach + sun (1).webp', type: 'image/webp', format: 'webp', size: [800, 500] },
  { key: 'large/My Photos/Été/beach + sun (1).jpg', type: 'image/jpeg', format: 'jpeg', size: [1600, 1000] },
];

async function displayKeys(): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: 'display' }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

/** Polls until `done` holds (asynchronous S3 trigger), or fails after `ms` with what was last seen. */
async function waitFor(what: string, done: (keys: string[]) => boolean, ms = 30_000): Promise<string[]> {
  const end = Date.now() + ms;
  let keys: string[] = [];
  while (Date.now() < end) {
    keys = await displayKeys();
    if (done(keys)) return keys;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; display holds: ${JSON.stringify(keys)}`);
}

beforeAll(async () => {
  cloud = await startTestCloud();
  s3 = new S3Client(cloud.clientConfig);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
});

describe('image pipeline on the local cloud', () => {
  it('turns an upload into three variants and removes them with the upload', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'uploads',
        Key: KEY,
        Body: photo('path.jpg'),
        ContentType: 'image/jpeg',
      }),
    );
    await waitFor('all three variants', (keys) => EXPECTED.every((e) => keys.includes(e.key)));

    for (const e of EXPECTED) {
      const res = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: e.key }));
      expect(res.ContentType).toBe(e.type);
      expect(res.CacheControl).toBe('public, max-age=300, s-maxage=31536000');
      expect(decodeURIComponent(res.Metadata?.['source-key'] ?? '')).toBe(KEY);
      const meta = await sharp(Buffer.from(await res.Body!.transformToByteArray())).metadata();
      expect(meta.format).toBe(e.format);
      expect([meta.width, meta.height]).toEqual(e.size);
    }

    await s3.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: KEY }));
    const left = await waitFor('the variants to go', (keys) => EXPECTED.every((e) => !keys.includes(e.key)));
    expect(left.filter((k) => k.includes('beach'))).toEqual([]);
  }, 90_000);

  it('a re-upload under the same key is invalidated in the CDN and its new variants are served', async () => {
    type Invalidation = { distributionId: string; bucket: string; paths: string[] };
    const key = 'albums/Noël 2026/tree.jpg';
    const thumb = 'thumb/albums/Noël 2026/tree.jpg';
    const paths = [
      '/large/albums/No%C3%ABl%202026/tree.jpg',
      '/medium/albums/No%C3%ABl%202026/tree.webp',
      '/thumb/albums/No%C3%ABl%202026/tree.jpg',
    ];
    const thumbOf = async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: thumb }));
      return {
        eTag: res.Metadata?.['source-etag'],
        body: Buffer.from(await res.Body!.transformToByteArray()),
      };
    };
    const first = await s3.send(
      new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: photo('path.jpg') }),
    );
    await waitFor('the first variants', (keys) => keys.includes(thumb));
    await cloud.settle();
    const before = await thumbOf();
    expect(before.eTag).toBe(first.ETag!.replace(/"/g, ''));
    // A first upload has nothing cached anywhere: no invalidation.
    let recorded = await cloud.local<Invalidation[]>('cloudfront/invalidations');
    expect(recorded.filter((i) => i.paths.some((p) => p.includes('tree')))).toEqual([]);

    const second = await s3.send(
      new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: photo('autumn.jpg') }),
    );
    const newETag = second.ETag!.replace(/"/g, '');
    await cloud.settle();
    recorded = await cloud.local<Invalidation[]>('cloudfront/invalidations');
    expect(recorded.filter((i) => i.paths.some((p) => p.includes('tree')))).toEqual([
      expect.objectContaining({ distributionId: 'ELOCALDISPLAY', bucket: 'display', paths }),
    ]);
    const after = await thumbOf();
    expect(after.eTag).toBe(newETag);
    expect(after.body.equals(before.body)).toBe(false);
    expect((await sharp(after.body).metadata()).width).toBe(200);
  }, 90_000);

  it("answers CloudFront's CreateInvalidation on its edge, with NoSuchDistribution for an unknown id", async () => {
    const cf = new CloudFrontClient(cloud.clientConfig);
    try {
      const ok = await cf.send(
        new CreateInvalidationCommand({
          DistributionId: 'ELOCALDISPLAY',
          InvalidationBatch: { CallerReference: 'e2e-1', Paths: { Quantity: 1, Items: ['/thumb/x.jpg'] } },
        }),
      );
      expect(ok.$metadata.httpStatusCode).toBe(201);
      expect(ok.Invalidation).toMatchObject({
        Status: 'InProgress',
        InvalidationBatch: { CallerReference: 'e2e-1' },
      });
      expect(ok.Location).toContain(
        `/2020-05-31/distribution/ELOCALDISPLAY/invalidation/${ok.Invalidation!.Id}`,
      );
      // Error name and status as CloudFront's API reference lists them for CreateInvalidation.
      const err = await cf
        .send(
          new CreateInvalidationCommand({
            DistributionId: 'E2NOSUCHDIST',
            InvalidationBatch: { CallerReference: 'e2e-2', Paths: { Quantity: 1, Items: ['/a.jpg'] } },
          }),
        )
        .catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
      expect(err).toMatchObject({ name: 'NoSuchDistribution', $metadata: { httpStatusCode: 404 } });
      expect((err as Error).message).toBe('The specified distribution does not exist.');
    } finally {
      cf.destroy();
    }
  });

  it('shows a rejected upload as a marker in the display bucket', async () => {
    const key = 'notes/shopping.jpg';
    await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: 'eggs, milk\n' }));
    await waitFor('the rejection marker', (keys) => keys.includes(`_rejected/${key}.json`));
    const res = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: `_rejected/${key}.json` }));
    const marker = JSON.parse(await res.Body!.transformToString()) as { reason: string; sourceKey: string };
    expect(marker).toMatchObject({ reason: 'unsupported-format', sourceKey: key });
    expect(
      (await displayKeys()).filter((k) => k.includes('shopping') && !k.startsWith('_rejected/')),
    ).toEqual([]);
  }, 60_000);
});
