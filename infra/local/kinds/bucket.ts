// The `bucket` resource kind on the local cloud: an S3 bucket in the local S3 engine, its name in
// environments; functions that write to it leave their results there (start screen: `aws s3 ls`; demo:
// new or changed objects).
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { AccessMode } from '../../../pipelines/types.ts';
import type { LocalResourceKind } from './types.ts';

const writes = (mode: AccessMode) => mode === 'write' || mode === 'readwrite';

export const bucket: LocalResourceKind<'bucket'> = {
  title: 'S3 buckets',
  health: 'buckets',
  create: (spec, services) => services.s3.ensureBucket(spec.name),
  id: (spec) => spec.name,
  describe: (spec) => spec.name,
  resolve: (spec, variable) => ({ [variable]: spec.name }),
  lookCommand: (spec, mode) => (writes(mode) ? `aws s3 ls --recursive s3://${spec.name}/` : undefined),
  watch: (spec, mode, demo) =>
    writes(mode)
      ? {
          snapshot: () => listObjects(demo.s3, spec.name),
          async changes(before) {
            const was = before as Map<string, ObjectInfo>;
            const lines: string[] = [];
            for (const [key, o] of await listObjects(demo.s3, spec.name)) {
              const old = was.get(key);
              if (old && old.eTag === o.eTag && old.modified === o.modified) continue;
              const head = await demo.s3.send(new HeadObjectCommand({ Bucket: spec.name, Key: key }));
              lines.push(`s3://${spec.name}/${key}  ${size(o.size)}  ${head.ContentType ?? ''}`.trimEnd());
            }
            return lines;
          },
        }
      : undefined,
};

interface ObjectInfo {
  size: number;
  eTag: string;
  modified: number;
}

async function listObjects(s3: S3Client, name: string): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
    for (const o of page.Contents ?? [])
      out.set(o.Key!, { size: o.Size ?? 0, eTag: o.ETag ?? '', modified: o.LastModified?.getTime() ?? 0 });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

export function size(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;
}
