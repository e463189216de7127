// The S3 client for this container. Endpoint from the SDK's standard AWS_ENDPOINT_URL(_S3) variables;
// with an override (the local cloud) S3 is addressed path-style, since `bucket.127.0.0.1` cannot resolve.
import { S3Client } from '@aws-sdk/client-s3';
import { cachedClient, endpointOverridden } from './client-cache.ts';

export const s3Client = (): S3Client =>
  cachedClient('s3', () => new S3Client({ forcePathStyle: endpointOverridden('S3') }));
