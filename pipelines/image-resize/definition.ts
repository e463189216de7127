// Image pipeline definition: an upload to `uploads` triggers the resize function, which writes
// variants into `display` (served by CloudFront on AWS). Read by infra/cdk and infra/local alike.
import { type PipelineDefinition, ref } from '../types.ts';
import { REJECTED_PREFIX } from './variants.ts';

export const imageResize: PipelineDefinition = {
  name: 'image-resize',
  title: 'Image pipeline',
  description: 'S3 upload → sharp variants (thumb, medium, large) → display bucket behind CloudFront',
  resources: {
    buckets: [
      { name: 'uploads', description: 'Original images as users upload them' },
      {
        name: 'display',
        description: 'Resized variants, served by CloudFront',
        cdn: true,
        // Rejection markers are for operators, not viewers.
        cdnPrivatePrefixes: [REJECTED_PREFIX],
      },
    ],
  },
  functions: [
    {
      id: 'image-resize',
      description: 'Makes resized variants of each upload, deletes them when the upload is removed',
      entry: 'handlers/image-resize.ts',
      trigger: {
        kind: 's3',
        bucket: 'uploads',
        events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
      },
      memoryMb: 2048,
      timeoutSeconds: 60,
      reservedConcurrency: 20,
      sizing:
        'libvips holds the shrink-on-load decode of the largest variant plus encoder buffers; a 100-megapixel ' +
        'limit needs headroom, and Lambda scales CPU with memory (2 GB ≈ 1.2 vCPU), which sharp uses.',
      environment: {
        SOURCE_BUCKET: ref.bucket('uploads'),
        DISPLAY_BUCKET: ref.bucket('display'),
        // Replaced and removed variants are invalidated in the display bucket's CDN.
        CDN_DISTRIBUTION_ID: ref.cdn('display'),
      },
      access: [
        { resource: ref.bucket('uploads'), mode: 'read' },
        { resource: ref.bucket('display'), mode: 'readwrite' },
        { resource: ref.cdn('display'), mode: 'invalidate' },
      ],
      nodeModules: ['sharp'],
      // Decode and encode keep a core busy; locally, one worker per core (infra/local/README.md).
      local: {
        cpuBound: true,
        // A real photo (attribution in test/fixtures/photos/SOURCES.md), under a key with spaces.
        sample: {
          name: 'autumn.jpg',
          file: 'test/fixtures/photos/autumn.jpg',
          key: 'My Photos/autumn leaves.jpg',
        },
      },
    },
  ],
};
