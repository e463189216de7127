// One-time import of a data directory written by the s3rver-based local S3 (<dataDir>/s3/<bucket>/<key>
// ._S3rver_object plus ._S3rver_metadata.json), run on first start of the engine. The old tree is moved
// aside to <dir>.s3rver-legacy before anything is written, and the engine marker is written only when the
// import is complete, so an interrupted migration is simply redone on the next start.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ENGINE_MARKER, ENGINE_VERSION, exists, type ObjectRecord, STORED_HEADERS, Store } from './store.ts';

const OBJECT_SUFFIX = '._S3rver_object';

export interface Opened {
  store: Store;
  migrated?: { buckets: number; objects: number; legacyDir: string };
}

export async function openDirectory(dir: string): Promise<Opened> {
  const marker = path.join(dir, ENGINE_MARKER);
  const legacyDir = `${dir}.s3rver-legacy`;
  if (await exists(marker)) return { store: await Store.open(dir) };
  const entries = (await exists(dir)) ? await readdir(dir) : [];
  if (entries.length === 0 && !(await exists(legacyDir))) {
    await mkdir(dir, { recursive: true });
    await writeFile(marker, ENGINE_VERSION);
    return { store: await Store.open(dir) };
  }
  if (await exists(legacyDir)) {
    await rm(dir, { recursive: true, force: true }); // an interrupted earlier migration
  } else {
    await rename(dir, legacyDir);
  }
  const store = await Store.open(dir);
  const counts = await importLegacy(store, legacyDir);
  await writeFile(marker, ENGINE_VERSION);
  return { store, migrated: { ...counts, legacyDir } };
}

async function importLegacy(store: Store, legacyDir: string): Promise<{ buckets: number; objects: number }> {
  let buckets = 0;
  let objects = 0;
  for (const bucket of await readdir(legacyDir, { withFileTypes: true })) {
    if (!bucket.isDirectory()) continue;
    const bucketDir = path.join(legacyDir, bucket.name);
    await store.putBucket(bucket.name, {
      created: (await stat(bucketDir)).birthtimeMs || Date.now(),
      region: 'us-east-1',
    });
    buckets++;
    const files = (await readdir(bucketDir, { recursive: true })).filter((f) => f.endsWith(OBJECT_SUFFIX));
    for (const rel of files) {
      const file = path.join(bucketDir, rel);
      const key = rel.slice(0, -OBJECT_SUFFIX.length).split(path.sep).join('/');
      const metaFile = `${file.slice(0, -'object'.length)}metadata.json`;
      const stored = JSON.parse(await readFile(metaFile, 'utf8').catch(() => '{}')) as Record<string, string>;
      const headers: Record<string, string> = {};
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(stored)) {
        if ((STORED_HEADERS as readonly string[]).includes(k)) headers[k] = String(v);
        else if (k.startsWith('x-amz-meta-')) meta[k.slice(11)] = String(v);
      }
      const md5 = createHash('md5');
      const body = await store.writeBody(createReadStream(file), (c) => md5.update(c), { inline: true });
      const rec: ObjectRecord = {
        headers,
        meta,
        id: body.id,
        size: body.size,
        etag: md5.digest('hex'),
        lastModified: (await stat(file)).mtimeMs,
      };
      await store.setObject(bucket.name, key, rec, body);
      objects++;
    }
  }
  return { buckets, objects };
}
