// S3 on the local cloud: the project's own engine in ./s3/ (objects under <dataDir>/s3), served by the edge
// in-process. This module keeps the entry points the local cloud and tests import: the neutral change type
// the engine reports (kinds/s3-trigger.ts turns it into AWS-shaped notifications with
// shared/events/builders.ts), `startS3`, and the aws-chunked decoder.
import { type OnChange, type S3Backend, startS3Engine } from './s3/index.ts';

export { AwsChunkedDecoder } from './s3/aws-chunked.ts';
export type { OnChange, S3Backend, S3Change } from './s3/index.ts';

/**
 * Opens the engine on `directory` (migrating an s3rver-era layout on first start). `onChange` is called
 * after each change is committed and awaited before the success response is sent.
 */
export function startS3(directory: string, onChange: OnChange): Promise<S3Backend> {
  return startS3Engine(directory, onChange);
}
