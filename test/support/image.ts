// Shared pieces of the image handler tests (test/image/handler.test.ts, cdn.test.ts): a Lambda context, the upload and
// display buckets on the local S3 engine, AWS-shaped S3 events for an upload, and a capture of what the
// function prints (Powertools logs and EMF metrics).
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import type { Outcome } from '../../pipelines/image-resize/pipeline.ts';
import { buildS3Event } from '../../shared/events/index.ts';
import { functionContext } from './lambda.ts';
import { startTestS3, type TestS3 } from './s3-engine.ts';

export type Handler = (event: unknown, context: Context) => Promise<{ outcomes: Outcome[] }>;

export const lambdaContext = (): Context => functionContext('image-resize', { memoryMb: 2048 });

/** The local S3 engine in `root` with the `uploads` and `display` buckets. */
export async function startImageS3(root: string): Promise<TestS3> {
  const server = await startTestS3({ root });
  await server.backend.ensureBucket('uploads');
  await server.backend.ensureBucket('display');
  return server;
}

/** Puts an upload; resolves with its ETag (unquoted), as the S3 event carries it. */
export async function upload(s3: S3Client, key: string, body: Buffer): Promise<string> {
  const res = await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: body }));
  return res.ETag!.replace(/"/g, '');
}

export async function displayKeys(s3: S3Client): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: 'display' }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

export const created = (key: string, size: number, eTag: string) =>
  buildS3Event({ bucket: 'uploads', key, size, eTag, eventName: 'ObjectCreated:Put' });
export const removed = (key: string) =>
  buildS3Event({ bucket: 'uploads', key, eventName: 'ObjectRemoved:Delete' });

/** Captures what the function writes (Powertools logs and EMF metrics) to stdout and stderr during `fn`. */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const collect = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  try {
    return { result: await fn(), lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
