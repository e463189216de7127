// The local cloud's S3: this folder's engine (wire protocol in http.ts, behaviour in service.ts, state in
// store.ts), opened on a data directory and served by the edge in-process. See infra/local/README.md
// ("S3") for what is emulated and the limits.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { handleS3 } from './http.ts';
import { openDirectory } from './migrate.ts';
import { type OnChange, S3Service } from './service.ts';

export { AwsChunkedDecoder } from './aws-chunked.ts';
export type { OnChange, S3Change } from './service.ts';

export interface S3Backend {
  ensureBucket(name: string): Promise<void>;
  listBuckets(): Promise<string[]>;
  /** Serves one S3 REST request (path-style); the edge has already routed it here. */
  handle(req: IncomingMessage, res: ServerResponse, url?: URL): Promise<void>;
  /** An in-process PutObject (used by Firehose deliveries), with the same events as one over HTTP. */
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Engine(
  directory: string,
  onChange: OnChange,
  region = 'us-east-1',
): Promise<S3Backend> {
  const { store, migrated } = await openDirectory(directory);
  if (migrated) {
    console.error(
      `local s3: migrated ${migrated.objects} objects in ${migrated.buckets} buckets from the s3rver layout; the old files are kept in ${migrated.legacyDir} (delete it once satisfied)`,
    );
  }
  const service = new S3Service(store, onChange, region);
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  let closed: Promise<void> | undefined;
  return {
    async ensureBucket(name) {
      if (!(await store.getBucket(name))) await service.createBucket(name);
    },
    async listBuckets() {
      return (await store.listBuckets()).map((b) => b.name);
    },
    handle: (req, res) => track(handleS3(service, req, res)),
    putObject: (bucket, key, body, contentType) =>
      track(
        service
          .putObject(
            bucket,
            key,
            { headers: contentType ? { 'content-type': contentType } : {}, meta: {} },
            { body: Readable.from([body]), expectedSize: body.length },
          )
          .then(() => {}),
      ),
    close() {
      closed ??= (async () => {
        await Promise.allSettled([...inFlight]);
        await store.close();
      })();
      return closed;
    },
  };
}
