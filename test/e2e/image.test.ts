// End to end on the local cloud: with only the AWS SDK pointed at its endpoint, an upload whose key has
// spaces, `+` and unicode yields all three variants in `display` (right sizes and types); deleting the
// upload removes them. The S3 notification, its key encoding and the function invocation are the local
// cloud's, exactly as on AWS.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../image/images.ts';
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
