// The local S3 engine driven by the AWS CLI v2 (`aws s3` and `aws s3api`, unmodified, with --endpoint-url):
// the high-level commands people type (ls with and without --recursive, cp, sync, rm, mb, presign) and the
// s3rver gaps as the CLI meets them. Needs AWS CLI v2 on the machine (Debian: `apt-get install awscli`); when
// it is missing the suite is skipped and says so, so CI must install it for this to count.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../support/s3-engine.ts';

const run = promisify(execFile);

/** The first `aws` that reports version 2 (the pyenv/pip v1 may come first on PATH). */
async function findCliV2(): Promise<string | undefined> {
  for (const candidate of [process.env.AWS_CLI_V2, '/usr/bin/aws', '/usr/local/bin/aws', 'aws']) {
    if (!candidate) continue;
    try {
      const { stdout, stderr } = await run(candidate, ['--version']);
      if (/aws-cli\/2\./.test(stdout + stderr)) return candidate;
    } catch {
      /* not this one */
    }
  }
  return undefined;
}

const cli = await findCliV2();
if (!cli) console.warn('s3-cli.test.ts: AWS CLI v2 not found (apt-get install awscli); suite skipped');

let t: TestS3;
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!cli) return;
  t = await startTestS3();
  await t.backend.ensureBucket('lake');
  work = path.join(t.root, 'cli');
  await mkdir(work, { recursive: true });
  await writeFile(path.join(work, 'small.txt'), 'small body');
  await writeFile(
    path.join(work, 'config'),
    '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n',
  );
  env = {
    PATH: process.env.PATH,
    HOME: work,
    AWS_CONFIG_FILE: path.join(work, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'none'),
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
});
afterAll(async () => {
  await t?.cleanup();
});

async function aws(...args: string[]): Promise<string> {
  const { stdout } = await run(cli ?? 'aws', ['--endpoint-url', t.endpoint, ...args], {
    env,
    cwd: work,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}
/** JSON output; the CLI prints nothing at all for a response with no fields. */
const json = async <T>(...args: string[]) =>
  JSON.parse((await aws(...args, '--output', 'json')) || '{}') as T;

// Each CLI call starts a Python interpreter (seconds on a busy machine): generous per-test timeouts.
describe.skipIf(!cli)('AWS CLI v2', { timeout: 240_000 }, () => {
  it('mb (twice: 200 in us-east-1), cp of awkward keys, ls of deep prefixes, recursive ls', async () => {
    // API_CreateBucket: re-creating an owned bucket in us-east-1 returns 200, so mb succeeds (the bucket
    // exists already), and again.
    expect(await aws('s3', 'mb', 's3://lake')).toContain('make_bucket: lake');
    expect(await aws('s3', 'mb', 's3://lake')).toContain('make_bucket: lake');
    for (const key of [
      'raw/dt=2026/h=01/a b.json',
      'raw/dt=2026/h=02/c+d=e&f.json',
      'curated/ünï/x.json',
      'top.txt',
    ]) {
      await aws('s3', 'cp', path.join(work, 'small.txt'), `s3://lake/${key}`);
    }
    // `aws s3 ls` is a delimiter listing: every first-level prefix, even when keys are two or more deep.
    const root = await aws('s3', 'ls', 's3://lake/');
    expect(root).toMatch(/PRE curated\//);
    expect(root).toMatch(/PRE raw\//);
    expect(root).toMatch(/top\.txt/);
    expect(await aws('s3', 'ls', 's3://lake/raw/dt=2026/')).toMatch(/PRE h=01\/[\s\S]*PRE h=02\//);
    const all = await aws('s3', 'ls', '--recursive', 's3://lake/');
    for (const key of [
      'raw/dt=2026/h=01/a b.json',
      'raw/dt=2026/h=02/c+d=e&f.json',
      'curated/ünï/x.json',
      'top.txt',
    ]) {
      expect(all).toContain(key);
    }
  });

  it('pages truncated listings (--page-size 2) and copies keys with + = &', async () => {
    const listed = await json<{ Contents: Array<{ Key: string }> }>(
      's3api',
      'list-objects-v2',
      '--bucket',
      'lake',
      '--page-size',
      '2',
    );
    expect(listed.Contents.map((c) => c.Key)).toHaveLength(4);
    const one = await json<{ IsTruncated: boolean; NextContinuationToken?: string; KeyCount: number }>(
      's3api',
      'list-objects-v2',
      '--bucket',
      'lake',
      '--max-keys',
      '2',
      '--no-paginate',
    );
    expect(one.IsTruncated).toBe(true);
    expect(one.KeyCount).toBe(2);
    await aws('s3', 'cp', 's3://lake/raw/dt=2026/h=02/c+d=e&f.json', 's3://lake/copied/c+d=e&f.json');
    await aws('s3', 'cp', 's3://lake/copied/c+d=e&f.json', path.join(work, 'back.json'));
    expect(await readFile(path.join(work, 'back.json'), 'utf8')).toBe('small body');
  });

  it('uploads 20 MiB as a multipart upload with the -N ETag, and downloads it intact', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    await writeFile(path.join(work, 'big.bin'), big);
    await aws('s3', 'cp', path.join(work, 'big.bin'), 's3://lake/big.bin');
    const head = await json<{ ETag: string; ContentLength: number }>(
      's3api',
      'head-object',
      '--bucket',
      'lake',
      '--key',
      'big.bin',
    );
    // The CLI's default multipart threshold and chunk size are 8 MiB: 20 MiB is 3 parts.
    const partMd5s = [0, 1, 2].map((i) =>
      createHash('md5')
        .update(big.subarray(i * 8 * 1024 * 1024, (i + 1) * 8 * 1024 * 1024))
        .digest(),
    );
    expect(head.ETag).toBe(`"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-3"`);
    expect(head.ContentLength).toBe(big.length);
    await aws('s3', 'cp', 's3://lake/big.bin', path.join(work, 'big-back.bin'));
    expect((await readFile(path.join(work, 'big-back.bin'))).equals(big)).toBe(true);
  });

  it('lists and aborts multipart uploads (s3api)', async () => {
    const { UploadId } = await json<{ UploadId: string }>(
      's3api',
      'create-multipart-upload',
      '--bucket',
      'lake',
      '--key',
      'pending.bin',
    );
    const uploads = await json<{ Uploads: Array<{ Key: string; UploadId: string }> }>(
      's3api',
      'list-multipart-uploads',
      '--bucket',
      'lake',
    );
    expect(uploads.Uploads.map((u) => [u.Key, u.UploadId])).toEqual([['pending.bin', UploadId]]);
    await aws(
      's3api',
      'upload-part',
      '--bucket',
      'lake',
      '--key',
      'pending.bin',
      '--upload-id',
      UploadId,
      '--part-number',
      '1',
      '--body',
      path.join(work, 'small.txt'),
    );
    const parts = await json<{ Parts: Array<{ PartNumber: number; Size: number }> }>(
      's3api',
      'list-parts',
      '--bucket',
      'lake',
      '--key',
      'pending.bin',
      '--upload-id',
      UploadId,
    );
    expect(parts.Parts.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 10]]);
    await aws(
      's3api',
      'abort-multipart-upload',
      '--bucket',
      'lake',
      '--key',
      'pending.bin',
      '--upload-id',
      UploadId,
    );
    const after = await json<{ Uploads?: unknown[] }>('s3api', 'list-multipart-uploads', '--bucket', 'lake');
    expect(after.Uploads ?? []).toEqual([]);
  });

  it('syncs a directory, presigns a URL that fetch can read, and removes recursively', async () => {
    await mkdir(path.join(work, 'site', 'a', 'b'), { recursive: true });
    await writeFile(path.join(work, 'site', 'index.html'), '<h1>hi</h1>');
    await writeFile(path.join(work, 'site', 'a', 'b', 'deep page.html'), 'deep');
    await aws('s3', 'sync', path.join(work, 'site'), 's3://lake/site/');
    expect(await aws('s3', 'ls', '--recursive', 's3://lake/site/')).toContain('site/a/b/deep page.html');
    const url = (await aws('s3', 'presign', 's3://lake/site/a/b/deep page.html')).trim();
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('deep');
    await aws('s3', 'rm', '--recursive', 's3://lake/site/');
    const left = await json<{ KeyCount: number }>(
      's3api',
      'list-objects-v2',
      '--bucket',
      'lake',
      '--prefix',
      'site/',
      '--no-paginate',
    );
    expect(left.KeyCount).toBe(0);
  });
});
