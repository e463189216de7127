// The additional checksums S3 stores and returns (CRC32, CRC32C, CRC64NVME, SHA1, SHA256): the same
// implementations the AWS SDK uses to compute them (@aws-sdk/checksums; CRC32 is Node's native zlib.crc32,
// the hashes node:crypto), fed while an upload streams to disk.
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export const checksumHeader = (a: ChecksumAlgorithm): string => `x-amz-checksum-${a.toLowerCase()}`;

export function parseAlgorithm(name: string | undefined): ChecksumAlgorithm | undefined {
  const up = name?.toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === up);
}

export interface Hasher {
  update(data: Uint8Array): void;
  /** base64, as S3 sends it. */
  digest(): Promise<string>;
}

export function hasher(a: ChecksumAlgorithm): Hasher {
  if (a === 'CRC32') {
    let value = 0;
    return {
      update: (d) => {
        value = crc32(d, value);
      },
      digest: async () => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(value >>> 0);
        return b.toString('base64');
      },
    };
  }
  if (a === 'CRC32C' || a === 'CRC64NVME') {
    const c = a === 'CRC32C' ? new Crc32c() : new Crc64Nvme();
    return {
      update: (d) => c.update(d),
      digest: async () => Buffer.from(await c.digest()).toString('base64'),
    };
  }
  const h: Hash = createHash(a === 'SHA1' ? 'sha1' : 'sha256');
  return {
    update: (d) => {
      h.update(d);
    },
    digest: async () => h.digest('base64'),
  };
}

/** A checksum of checksums (S3's COMPOSITE multipart checksum): the digest of the concatenated raw part digests. */
export async function composite(a: ChecksumAlgorithm, partValues: string[]): Promise<string> {
  const h = hasher(a);
  for (const v of partValues) h.update(Buffer.from(v, 'base64'));
  return `${await h.digest()}-${partValues.length}`;
}
