// S3 engine benchmark (`npm run bench -- s3`): the project's engine (infra/local/s3) against s3rver 3.7.1
// (kept as a devDependency only for this baseline), each alone on a loopback port, driven by the same SDK v3
// client settings, alternating A/B in the same run (ROUNDS rounds, median of each side). Rows: PUT and GET
// of 1 KiB objects (ms per 50 calls), PUT and GET of a 20 MiB object, and a delimiter listing over 10,000
// keys three levels deep (ms per 10 calls; the keys are written straight into each store's own layout,
// since only the listing is measured).
// Target on every row: the engine at least as fast as s3rver.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  S3Client as Client,
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { startTestS3 } from '../support/s3-engine.ts';
import { type BenchResult, timeAlternating } from './harness.ts';

const SMALL = Buffer.alloc(1024, 3);
const LARGE = Buffer.alloc(20 * 1024 * 1024, 7);
const LIST_KEYS = 10_000;
/**
 * A/B rounds per row (median of each side). On two cores shared with other work one round can be slowed
 * several-fold by a neighbour, so the median needs many rounds: with 5 to 9, one row swung 0.6x-1.2x
 * between runs of the same code.
 */
const ROUNDS = 21;
const key = (i: number) => `d${i % 10}/e${Math.floor(i / 10) % 10}/f${Math.floor(i / 100) % 10}/k${i}.json`;

export default async function bench(): Promise<BenchResult[]> {
  const engine = await startTestS3();
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-s3rver-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    vhostBuckets: false,
  });
  const { port } = await s3rver.run();
  const baseline: S3Client = new Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const project = engine.client;
  try {
    for (const c of [project, baseline]) await c.send(new CreateBucketCommand({ Bucket: 'bench' }));

    // The listing data set, written into each store's layout directly.
    // (Sixteen writers at a time: each PUT's synced index write is then shared by several, which only makes
    // this setup faster; it is not measured.)
    await engine.backend.ensureBucket('list');
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; i < LIST_KEYS; i += 16) await engine.backend.putObject('list', key(i), SMALL);
      }),
    );
    await baseline.send(new CreateBucketCommand({ Bucket: 'list' }));
    const md5 = createHash('md5').update(SMALL).digest('hex');
    for (let i = 0; i < LIST_KEYS; i++) {
      // s3rver 3.7's FilesystemStore layout: <bucket>/<key>._S3rver_object, .md5 and metadata.json.
      const file = path.join(dir, 'list', `${key(i)}._S3rver_object`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, SMALL);
      await writeFile(`${file}.md5`, md5);
      await writeFile(file.replace(/object$/, 'metadata.json'), '{"content-type":"application/json"}');
    }

    const rows: BenchResult[] = [];
    const row = (name: string, unit: string, t: { a: number; b: number }): BenchResult => ({
      name: `local S3: ${name}`,
      unit,
      project: t.a,
      baseline: t.b,
      baselineLabel: 's3rver 3.7.1, same calls',
      higherIsBetter: false,
      target: { ratio: 1, description: 'engine at least as fast as s3rver' },
    });
    const putSmall = (c: S3Client) => async () => {
      for (let i = 0; i < 50; i++)
        await c.send(new PutObjectCommand({ Bucket: 'bench', Key: `small/${i}`, Body: SMALL }));
    };
    rows.push(
      row('PUT 1 KiB', 'ms/50 calls', await timeAlternating(putSmall(project), putSmall(baseline), ROUNDS)),
    );
    const getSmall = (c: S3Client) => async () => {
      for (let i = 0; i < 50; i++) {
        const out = await c.send(new GetObjectCommand({ Bucket: 'bench', Key: `small/${i}` }));
        if ((await out.Body!.transformToByteArray()).length !== SMALL.length) throw new Error('short read');
      }
    };
    rows.push(
      row('GET 1 KiB', 'ms/50 calls', await timeAlternating(getSmall(project), getSmall(baseline), ROUNDS)),
    );
    const putLarge = (c: S3Client) => () =>
      c.send(new PutObjectCommand({ Bucket: 'bench', Key: 'large.bin', Body: LARGE }));
    rows.push(row('PUT 20 MiB', 'ms', await timeAlternating(putLarge(project), putLarge(baseline), ROUNDS)));
    const getLarge = (c: S3Client) => async () => {
      const out = await c.send(new GetObjectCommand({ Bucket: 'bench', Key: 'large.bin' }));
      if ((await out.Body!.transformToByteArray()).length !== LARGE.length) throw new Error('short read');
    };
    rows.push(row('GET 20 MiB', 'ms', await timeAlternating(getLarge(project), getLarge(baseline), ROUNDS)));
    const list = (c: S3Client) => async () => {
      for (let i = 0; i < 10; i++) {
        const out = await c.send(
          new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/', Prefix: `d${i}/` }),
        );
        // s3rver omits prefixes two or more levels deep (its answer is wrong); only the engine's is checked.
        if (c === project && out.CommonPrefixes?.length !== 10) throw new Error('wrong common prefixes');
      }
    };
    rows.push(
      row(
        'delimiter listing of 10,000 keys (ListObjectsV2, 10 prefixes)',
        'ms/10 calls',
        await timeAlternating(list(project), list(baseline), ROUNDS),
      ),
    );
    return rows;
  } finally {
    baseline.destroy();
    await s3rver.close();
    await engine.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}
