// The local cloud's wire protocols, driven only with the AWS SDK v3: S3 (via s3rver), DynamoDB (via
// dynalite), SNS and Firehose (our own), including AWS's error codes and Firehose's limits.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
} from '@aws-sdk/client-firehose';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

let cloud: TestCloud;
let s3: S3Client;
let ddb: DynamoDBClient;
let sns: SNSClient;
let fh: FirehoseClient;
let captureDir: string;

beforeAll(async () => {
  captureDir = await mkdtemp(path.join(tmpdir(), 'local-cloud-services-'));
  cloud = await startTestCloud({
    pipelines: [testPipeline],
    env: { CAPTURE_DIR: captureDir },
    firehoseBuffer: { sizeBytes: 64 * 1024 * 1024, intervalMs: 60_000 },
  });
  s3 = new S3Client(cloud.clientConfig);
  ddb = new DynamoDBClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  fh = new FirehoseClient(cloud.clientConfig);
});

afterAll(async () => {
  for (const c of [s3, ddb, sns, fh]) c?.destroy();
  await cloud?.stop();
  if (captureDir) await rm(captureDir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('S3', () => {
  it('creates the declared buckets and puts, gets, lists and deletes objects with awkward keys', async () => {
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(buckets).toEqual(expect.arrayContaining(['inbox', 'doomed', 'sluggish', 'test-lake']));
    const key = 'My Photos/Été/a+b (1) 100%.txt';
    const body = Buffer.from('héllo wörld\n'.repeat(1000));
    await s3.send(
      new PutObjectCommand({ Bucket: 'test-lake', Key: key, Body: body, ContentType: 'text/plain' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(got.ContentType).toBe('text/plain');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'test-lake', Key: key }));
    expect(head.ContentLength).toBe(body.length);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'test-lake', Prefix: 'My Photos/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    await s3.send(new DeleteObjectCommand({ Bucket: 'test-lake', Key: key }));
    const err = await rejection(s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: key })));
    expect(err.name).toBe('NoSuchKey');
  });

  it('stores streamed (aws-chunked) uploads without the chunk framing', async () => {
    const { Readable } = await import('node:stream');
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(70_000, 'b')];
    await s3.send(
      new PutObjectCommand({
        Bucket: 'test-lake',
        Key: 'streamed.bin',
        Body: Readable.from(parts),
        ContentLength: 140_000,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: 'streamed.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(Buffer.concat(parts));
  });

  it('supports multipart uploads, multi-object deletes and presigned URLs', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'test-lake', Key: 'multi.bin' }),
    );
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from('tail');
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'test-lake', Key: 'multi.bin', UploadId, PartNumber: 1, Body: part1 }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'test-lake', Key: 'multi.bin', UploadId, PartNumber: 2, Body: part2 }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'test-lake',
        Key: 'multi.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    // A presigned-style URL: routed by its X-Amz-Credential scope; the signature itself is not checked.
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'test/20260101/us-east-1/s3/aws4_request',
      'X-Amz-Date': '20260101T000000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': '0'.repeat(64),
    });
    const res = await fetch(`${cloud.endpoint}/test-lake/multi.bin?${query}`);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(part1.length + part2.length);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'test-lake',
        Delete: { Objects: [{ Key: 'multi.bin' }, { Key: 'streamed.bin' }] },
      }),
    );
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'test-lake' }));
    expect(left.KeyCount ?? 0).toBe(0);
  });
});

describe('DynamoDB', () => {
  it('creates the declared tables with their keys and serves reads and writes', async () => {
    await ddb.send(
      new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'a' }, sk: { N: '1' }, v: { S: 'one' } } }),
    );
    await ddb.send(
      new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'a' }, sk: { N: '2' }, v: { S: 'two' } } }),
    );
    const item = await ddb.send(
      new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'a' }, sk: { N: '2' } } }),
    );
    expect(item.Item?.v?.S).toBe('two');
    const q = await ddb.send(
      new QueryCommand({
        TableName: 'things',
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': { S: 'a' } },
      }),
    );
    expect(q.Count).toBe(2);
    const err = await rejection(ddb.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'a' } } })));
    expect(err.name).toBe('ResourceNotFoundException');
  });
});

describe('SNS', () => {
  const arn = 'arn:aws:sns:us-east-1:000000000000:test-topic';

  it('creates topics idempotently, lists them, and lists the pipeline subscriptions', async () => {
    expect((await sns.send(new CreateTopicCommand({ Name: 'test-topic' }))).TopicArn).toBe(arn);
    const extra = await sns.send(new CreateTopicCommand({ Name: 'extra' }));
    expect(extra.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:extra');
    const topics = (await sns.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn);
    expect(topics).toEqual(
      expect.arrayContaining([arn, extra.TopicArn, 'arn:aws:sns:us-east-1:000000000000:ghost-topic']),
    );
    const sub = await sns.send(
      new SubscribeCommand({
        TopicArn: extra.TopicArn,
        Protocol: 'lambda',
        Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:capture-sns',
      }),
    );
    expect(sub.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:extra:[0-9a-f-]{36}$/);
    const subs = (await sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? [];
    expect(subs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          TopicArn: arn,
          Protocol: 'lambda',
          Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:capture-sns',
          Owner: '000000000000',
        }),
      ]),
    );
  });

  it('publishes, and reports AWS error codes for bad calls', async () => {
    const out = await sns.send(new PublishCommand({ TopicArn: arn, Message: 'hello', Subject: 'Greeting' }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const notFound = await rejection(
      sns.send(new PublishCommand({ TopicArn: `${arn}-missing`, Message: 'x' })),
    );
    expect(notFound.name).toBe('NotFoundException');
    expect(notFound.message).toBe('Topic does not exist');
    expect(notFound.$metadata?.httpStatusCode).toBe(404);

    const empty = await rejection(sns.send(new PublishCommand({ TopicArn: arn, Message: '' })));
    expect(empty.name).toBe('InvalidParameterException');
    const longSubject = await rejection(
      sns.send(new PublishCommand({ TopicArn: arn, Message: 'x', Subject: 's'.repeat(101) })),
    );
    expect(longSubject.name).toBe('InvalidParameterException');
    const tooLong = await rejection(
      sns.send(new PublishCommand({ TopicArn: arn, Message: 'x'.repeat(262_145) })),
    );
    expect(tooLong.message).toMatch(/too long/);
    const badName = await rejection(sns.send(new CreateTopicCommand({ Name: 'bad name!' })));
    expect(badName.name).toBe('InvalidParameterException');
  });

  it('PublishBatch reports per-entry results and batch-level errors', async () => {
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: arn,
        PublishBatchRequestEntries: [
          {
            Id: 'one',
            Message: 'first',
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'a' } },
          },
          { Id: 'two', Message: '' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['one']);
    expect(out.Successful?.[0]?.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Failed).toEqual([
      expect.objectContaining({ Id: 'two', Code: 'InvalidParameter', SenderFault: true }),
    ]);

    const tooMany = await rejection(
      sns.send(
        new PublishBatchCommand({
          TopicArn: arn,
          PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, Message: 'x' })),
        }),
      ),
    );
    expect(tooMany.name).toBe('TooManyEntriesInBatchRequestException');
    const dup = await rejection(
      sns.send(
        new PublishBatchCommand({
          TopicArn: arn,
          PublishBatchRequestEntries: [
            { Id: 'a', Message: 'x' },
            { Id: 'a', Message: 'y' },
          ],
        }),
      ),
    );
    expect(dup.name).toBe('BatchEntryIdsNotDistinctException');
    const emptyBatch = await rejection(
      sns.send(new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: [] })),
    );
    expect(emptyBatch.name).toBe('EmptyBatchRequestException');
  });
});

describe('Firehose', () => {
  const record = (bytes: number) => ({ Data: Buffer.alloc(bytes, 'x') });

  it('describes and lists the declared streams, and rejects unknown ones', async () => {
    const list = await fh.send(new ListDeliveryStreamsCommand({}));
    expect(list.DeliveryStreamNames).toEqual(['broken-stream', 'test-stream']);
    expect(list.HasMoreDeliveryStreams).toBe(false);
    const d = (await fh.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'test-stream' })))
      .DeliveryStreamDescription;
    expect(d?.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/test-stream');
    expect(d?.DeliveryStreamStatus).toBe('ACTIVE');
    const s3d = d?.Destinations?.[0]?.ExtendedS3DestinationDescription;
    expect(s3d?.BucketARN).toBe('arn:aws:s3:::test-lake');
    expect(s3d?.CompressionFormat).toBe('GZIP');
    expect(s3d?.ProcessingConfiguration?.Processors?.[0]?.Parameters?.[0]?.ParameterValue).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:test-transform',
    );
    const err = await rejection(
      fh.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: record(1) })),
    );
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toBe('Firehose nope under account 000000000000 not found.');
  });

  it('enforces PutRecordBatch limits: 500 records, 4 MiB a call, 1,000 KiB a record', async () => {
    const ok = await fh.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'test-stream',
        Records: Array.from({ length: 500 }, () => record(10)),
      }),
    );
    expect(ok.FailedPutCount).toBe(0);
    expect(ok.RequestResponses).toHaveLength(500);
    expect(new Set(ok.RequestResponses?.map((r) => r.RecordId)).size).toBe(500);

    const tooMany = await rejection(
      fh.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'test-stream',
          Records: Array.from({ length: 501 }, () => record(1)),
        }),
      ),
    );
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toMatch(/less than or equal to 500/);

    const big = await rejection(
      fh.send(new PutRecordBatchCommand({ DeliveryStreamName: 'test-stream', Records: [record(1_024_001)] })),
    );
    expect(big.name).toBe('ValidationException');
    expect(big.message).toMatch(/1024000/);
    const atLimit = await fh.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'test-stream', Records: [record(1_024_000)] }),
    );
    expect(atLimit.FailedPutCount).toBe(0);

    const overCall = await rejection(
      fh.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'test-stream',
          Records: Array.from({ length: 5 }, () => record(900_000)),
        }),
      ),
    );
    expect(overCall.name).toBe('InvalidArgumentException');
  });

  it('reports per-record failures with ErrorCode and FailedPutCount', async () => {
    await fetch(`${cloud.endpoint}/_local/firehose/faults`, {
      method: 'POST',
      body: JSON.stringify({ stream: 'test-stream', count: 3 }),
    });
    const out = await fh.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'test-stream',
        Records: Array.from({ length: 10 }, () => record(5)),
      }),
    );
    expect(out.FailedPutCount).toBe(3);
    const failed = out.RequestResponses?.filter((r) => r.ErrorCode) ?? [];
    expect(failed).toHaveLength(3);
    expect(
      failed.every((r) => r.ErrorCode === 'ServiceUnavailableException' && r.ErrorMessage && !r.RecordId),
    ).toBe(true);
    expect(out.RequestResponses?.filter((r) => r.RecordId)).toHaveLength(7);
  });
});

describe('edge', () => {
  it('answers health with every resource and subscription', async () => {
    const res = await fetch(`${cloud.endpoint}/_local/health`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as {
      functions: Array<{ id: string; subscribed: boolean; handler: string }>;
    };
    expect(h.functions.every((f) => f.subscribed)).toBe(true);
    expect(h.functions.find((f) => f.id === 'not-written-yet')?.handler).toMatch(/missing/);
    expect(cloud.missingHandlers).toEqual(['not-written-yet']);
  });
});
