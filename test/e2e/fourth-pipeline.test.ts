// Adding a pipeline is adding its definition to the list: a fourth pipeline made only of existing kinds
// (two buckets, an S3 trigger, a function) is appended to pipelines/index.ts's list here, and with no other
// change the CDK app deploys it (buckets, the notification, exactly the declared grants) and the local cloud
// runs it (a real upload with the unmodified SDK invokes it and its copy appears).
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelines } from '../../pipelines/index.ts';
import { type PipelineDefinition, ref } from '../../pipelines/types.ts';
import { ofType, removeSynthOutput, synth } from '../cdk/helpers.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const archive: PipelineDefinition = {
  name: 'archive',
  title: 'Archive pipeline',
  description: 'Copies every upload of archive-inbox into archive-store',
  resources: {
    buckets: [
      { name: 'archive-inbox', description: 'Files to archive' },
      { name: 'archive-store', description: 'The archive' },
    ],
  },
  functions: [
    {
      id: 'archive-copy',
      description: 'Copies each new object into the archive',
      entry: 'test/e2e/fixtures/archive-copy.ts',
      trigger: { kind: 's3', bucket: 'archive-inbox', events: ['s3:ObjectCreated:*'] },
      memoryMb: 256,
      timeoutSeconds: 30,
      sizing: 'One CopyObject per event.',
      environment: { ARCHIVE_BUCKET: ref.bucket('archive-store') },
      access: [
        { resource: ref.bucket('archive-inbox'), mode: 'read' },
        { resource: ref.bucket('archive-store'), mode: 'write' },
      ],
    },
  ],
};
const all = [...pipelines, archive];

describe('a fourth pipeline added to the list', () => {
  afterAll(removeSynthOutput);

  it('is deployed by the CDK app: its buckets, its S3 notification and its grants', () => {
    const s = synth({ bundle: false, pipelines: all });
    const base = synth({ bundle: false, pipelines });
    expect(ofType(s, 'AWS::S3::Bucket').length).toBe(ofType(base, 'AWS::S3::Bucket').length + 2);
    expect(ofType(s, 'AWS::Lambda::Function').length).toBe(ofType(base, 'AWS::Lambda::Function').length + 1);
    const [fnId] = ofType(s, 'AWS::Lambda::Function').find(([, r]) =>
      JSON.stringify(r.Properties?.Environment ?? {}).includes('ARCHIVE_BUCKET'),
    )!;
    // The notification: ObjectCreated on the inbox bucket, to this function.
    const notifications = ofType(s, 'Custom::S3BucketNotifications').map(([, r]) =>
      JSON.stringify(r.Properties),
    );
    expect(notifications.some((n) => n.includes(fnId) && n.includes('s3:ObjectCreated:*'))).toBe(true);
    // Its role's policy: S3 read on the inbox, write on the store, nothing on the other pipelines' resources.
    const policies = ofType(s, 'AWS::IAM::Policy').filter(([, r]) =>
      JSON.stringify(r.Properties?.Roles ?? []).includes(fnId.replace(/[0-9A-F]{8}$/, '')),
    );
    const text = JSON.stringify(policies);
    expect(text).toMatch(/s3:GetObject/);
    expect(text).toMatch(/s3:PutObject/);
    expect(text).not.toMatch(/dynamodb:|sns:Publish|firehose:/);
  }, 180_000); // two syntheses

  describe('and run by the local cloud', () => {
    let cloud: TestCloud;
    beforeAll(async () => {
      cloud = await startTestCloud({ pipelines: all });
    }, 60_000);
    afterAll(() => cloud?.stop());

    it('a real upload invokes it and its copy appears', async () => {
      expect(cloud.resources.functions.map((f) => f.id)).toContain('archive-copy');
      const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
      await s3.send(
        new PutObjectCommand({ Bucket: 'archive-inbox', Key: 'a b/report+1.txt', Body: 'keep me' }),
      );
      await cloud.settle();
      const copy = await s3.send(
        new GetObjectCommand({ Bucket: 'archive-store', Key: 'copies/a b/report+1.txt' }),
      );
      expect(await copy.Body!.transformToString()).toBe('keep me');
      s3.destroy();
    });
  });
});
