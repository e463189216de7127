// Data survives a restart of the local cloud on the same data directory: bucket and table contents,
// topics and subscriptions, and the dead-letter store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../infra/local/dlq.ts';
import { startTestCloud } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

let dataDir: string | undefined;

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('restart', () => {
  it('keeps bucket and table contents, topics and dead letters', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'local-cloud-restart-'));
    const captureDir = dataDir;
    const first = await startTestCloud({
      pipelines: [testPipeline],
      dataDir,
      env: { CAPTURE_DIR: captureDir },
    });
    const body = Buffer.from('kept across restarts ✓');
    {
      const s3 = new S3Client(first.clientConfig);
      const ddb = new DynamoDBClient(first.clientConfig);
      const sns = new SNSClient(first.clientConfig);
      await s3.send(new PutObjectCommand({ Bucket: 'test-lake', Key: 'keep/me.txt', Body: body }));
      await ddb.send(
        new PutItemCommand({
          TableName: 'things',
          Item: { pk: { S: 'keep' }, sk: { N: '7' }, v: { S: 'me' } },
        }),
      );
      await sns.send(new CreateTopicCommand({ Name: 'made-at-runtime' }));
      await s3.send(new PutObjectCommand({ Bucket: 'doomed', Key: 'dead.txt', Body: 'x' }));
      await first.settle();
      expect(await first.local<DeadLetter[]>('dlq')).toHaveLength(1);
      for (const c of [s3, ddb, sns]) c.destroy();
    }
    await first.stop();

    const second = await startTestCloud({
      pipelines: [testPipeline],
      dataDir,
      env: { CAPTURE_DIR: captureDir },
    });
    try {
      const s3 = new S3Client(second.clientConfig);
      const ddb = new DynamoDBClient(second.clientConfig);
      const sns = new SNSClient(second.clientConfig);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: 'keep/me.txt' }));
      expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
      const item = await ddb.send(
        new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'keep' }, sk: { N: '7' } } }),
      );
      expect(item.Item?.v?.S).toBe('me');
      const topics = (await sns.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn);
      expect(topics).toContain('arn:aws:sns:us-east-1:000000000000:made-at-runtime');
      const dlq = await second.local<DeadLetter[]>('dlq');
      expect(dlq.map((d) => d.functionId)).toEqual(['always-fails']);
      for (const c of [s3, ddb, sns]) c.destroy();
    } finally {
      await second.stop();
    }
  });
});
