// SNS and Firehose answer the calls users make as AWS answers them, driven with the SDK v3 clients, raw
// HTTP (for what the SDK validates before sending) and, where installed, the AWS CLI. Sources of each
// expected answer are named next to the assertion: the API references (SNS: GetTopicAttributes,
// SetTopicAttributes, DeleteTopic, Unsubscribe, GetSubscriptionAttributes, Publish; Firehose: PutRecord)
// and, for exact SNS error wording, LocalStack's AWS-validated snapshot tests.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SnsMessage, SnsService } from '../../infra/local/sns.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

let cloud: TestCloud;
let sns: SNSClient;
let firehose: FirehoseClient;
const FN = 'arn:aws:lambda:us-east-1:000000000000:function:capture-sns';

beforeAll(async () => {
  cloud = await startTestCloud({ pipelines: [testPipeline] });
  sns = new SNSClient(cloud.clientConfig);
  firehose = new FirehoseClient(cloud.clientConfig);
});

afterAll(async () => {
  sns?.destroy();
  firehose?.destroy();
  await cloud?.stop();
});

/** The SDK error a call fails with, as { name, status }. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

/** A raw HTTP request to the edge (what the SDK would refuse to send). */
function raw(
  method: string,
  headers: Record<string, string>,
  body: string | Buffer,
  pathName = '/',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${cloud.endpoint}${pathName}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const snsForm = (params: Record<string, string>) =>
  raw(
    'POST',
    { 'content-type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({ Version: '2010-03-31', ...params }).toString(),
  );

const firehoseCall = (op: string, body: string) =>
  raw(
    'POST',
    { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Firehose_20150804.${op}` },
    body,
  );

describe('SNS topic and subscription calls', () => {
  it('GetTopicAttributes lists the documented attributes; SetTopicAttributes changes one', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'attrs-topic' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: FN }));
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    // API reference, GetTopicAttributes: Owner, Policy, SubscriptionsConfirmed/Pending/Deleted, TopicArn,
    // EffectiveDeliveryPolicy, DisplayName.
    expect(Attributes).toMatchObject({
      Owner: '000000000000',
      TopicArn,
      SubscriptionsConfirmed: '1',
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      DisplayName: '',
    });
    expect(JSON.parse(Attributes!.Policy!).Statement[0].Resource).toBe(TopicArn);
    expect(Attributes).not.toHaveProperty('FifoTopic');
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Alarms' }),
    );
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.DisplayName).toBe(
      'Alarms',
    );
    // FifoTopic is fixed at creation; unknown names are refused: "Invalid parameter: AttributeName".
    for (const AttributeName of ['FifoTopic', 'NoSuchAttribute']) {
      const err = await failure(
        sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName, AttributeValue: 'true' })),
      );
      expect(err).toMatchObject({ name: 'InvalidParameterException', status: 400 });
      expect(err.message).toBe('Invalid parameter: AttributeName');
    }
  });

  it('a malformed TopicArn is InvalidParameter (400); a well-formed unknown one is NotFound (404)', async () => {
    // LocalStack's AWS-validated tests: "Invalid parameter: TopicArn Reason: An ARN must have at least 6
    // elements, not 1"; a missing topic is NotFound "Topic does not exist".
    const bad = await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: 'not-an-arn' })));
    expect(bad).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(bad.message).toBe(
      'Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1',
    );
    for (const TopicArn of ['arn:aws:s3:::bucket-name', 'arn:aws:sns:us-east-1:000000000000:bad/name']) {
      const err = await failure(sns.send(new PublishCommand({ TopicArn, Message: 'x' })));
      expect(err).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    }
    const wire = await snsForm({ Action: 'Publish', TopicArn: 'nope', Message: 'x' });
    expect(wire.status).toBe(400);
    expect(wire.body).toContain('<Code>InvalidParameter</Code>');
    const missing = await failure(
      sns.send(
        new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:no-such-topic' }),
      ),
    );
    expect(missing).toMatchObject({ name: 'NotFoundException', status: 404 });
  });

  it('GetSubscriptionAttributes, Unsubscribe and DeleteTopic', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'short-lived' }));
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: FN }),
    );
    const { Attributes } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    // API reference, GetSubscriptionAttributes: SubscriptionArn, TopicArn, Owner, Protocol, Endpoint,
    // PendingConfirmation, ConfirmationWasAuthenticated, RawMessageDelivery.
    expect(Attributes).toMatchObject({
      SubscriptionArn,
      TopicArn,
      Owner: '000000000000',
      Protocol: 'lambda',
      Endpoint: FN,
      PendingConfirmation: 'false',
      ConfirmationWasAuthenticated: 'true',
      RawMessageDelivery: 'false',
    });
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    const gone = await failure(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn })));
    expect(gone).toMatchObject({ name: 'NotFoundException', status: 404 });
    expect(gone.message).toBe('Subscription does not exist');
    // Unsubscribe is idempotent for a subscription ARN; a topic ARN is not one ("Invalid parameter: SubscriptionId").
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    const topicAsSub = await failure(sns.send(new UnsubscribeCommand({ SubscriptionArn: TopicArn })));
    expect(topicAsSub).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(topicAsSub.message).toBe('Invalid parameter: SubscriptionId');

    const again = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: FN }));
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    expect(Topics?.map((t) => t.TopicArn)).not.toContain(TopicArn);
    const { Subscriptions } = await sns.send(new ListSubscriptionsCommand({}));
    expect(Subscriptions?.map((s) => s.SubscriptionArn)).not.toContain(again.SubscriptionArn);
    // DeleteTopic is idempotent.
    await sns.send(new DeleteTopicCommand({ TopicArn }));
  });
});

describe('SNS FIFO topics', () => {
  it('need the .fifo suffix and FifoTopic=true together', async () => {
    // LocalStack's AWS-validated tests: a .fifo name without the attribute is "Invalid parameter: Topic Name".
    const noAttr = await failure(sns.send(new CreateTopicCommand({ Name: 'orders.fifo' })));
    expect(noAttr).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(noAttr.message).toBe('Invalid parameter: Topic Name');
    const noSuffix = await failure(
      sns.send(new CreateTopicCommand({ Name: 'orders', Attributes: { FifoTopic: 'true' } })),
    );
    expect(noSuffix).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(noSuffix.message).toMatch(/^Fifo Topic names must end with \.fifo/);
  });

  it('require MessageGroupId and a deduplication id, answer a SequenceNumber, and deduplicate', async () => {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'orders.fifo', Attributes: { FifoTopic: 'true' } }),
    );
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(Attributes).toMatchObject({ FifoTopic: 'true', ContentBasedDeduplication: 'false' });
    // API reference, Publish: MessageGroupId "Every message must include a MessageGroupId" on FIFO topics;
    // without ContentBasedDeduplication "the value of MessageDeduplicationId must be provided explicitly".
    const noGroup = await failure(sns.send(new PublishCommand({ TopicArn, Message: 'm' })));
    expect(noGroup).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(noGroup.message).toBe(
      'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
    );
    const noDedup = await failure(
      sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'g' })),
    );
    expect(noDedup.message).toBe(
      'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
    );
    const first = await sns.send(
      new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }),
    );
    expect(first.SequenceNumber).toMatch(/^\d{20,}$/);
    const dup = await sns.send(
      new PublishCommand({ TopicArn, Message: 'other', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }),
    );
    expect(dup.MessageId).toBe(first.MessageId);
    const batch = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'd2' },
          { Id: 'b', Message: 'b' },
        ],
      }),
    );
    expect(batch.Successful?.[0]?.SequenceNumber).toMatch(/^\d{20,}$/);
    expect(batch.Failed?.[0]).toMatchObject({ Id: 'b', Code: 'InvalidParameter', SenderFault: true });

    // Standard topics refuse a MessageDeduplicationId (it "applies only to FIFO topics").
    const { TopicArn: standard } = await sns.send(new CreateTopicCommand({ Name: 'plain' }));
    const dedupOnStandard = await failure(
      sns.send(new PublishCommand({ TopicArn: standard, Message: 'm', MessageDeduplicationId: 'd' })),
    );
    expect(dedupOnStandard).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  });

  it('deliver a deduplicated message once, and content-based deduplication hashes the body', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sns-fifo-'));
    const delivered: SnsMessage[] = [];
    const service = new SnsService(dir, (_sub, msg) => {
      delivered.push(msg);
    });
    try {
      await service.load();
      const arn = await service.createTopic('cbd.fifo', {
        FifoTopic: 'true',
        ContentBasedDeduplication: 'true',
      });
      await service.subscribe(arn, 'lambda', FN);
      const entry = { message: 'same body', subject: null, structure: null, attributes: [], groupId: 'g' };
      const a = await service.publish(arn, entry);
      const b = await service.publish(arn, entry);
      const c = await service.publish(arn, { ...entry, message: 'another body' });
      expect(b.messageId).toBe(a.messageId);
      expect(c.messageId).not.toBe(a.messageId);
      expect(delivered.map((m) => m.message)).toEqual(['same body', 'another body']);
    } finally {
      await service.flush();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SNS wire limits', () => {
  it('a request larger than any valid Publish is 400 InvalidParameter, not 500', async () => {
    // API reference, Publish: "at most 256 KB in size (262,144 bytes)"; the edge reads at most 1 MiB.
    const res = await snsForm({
      Action: 'Publish',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:test-topic',
      Message: 'é'.repeat(300_000), // 600,000 bytes, 1.8 MB percent-encoded
    });
    expect(res.status).toBe(400);
    expect(res.body).toContain('<Code>InvalidParameter</Code>');
    const tooLong = await failure(
      sns.send(
        new PublishCommand({
          TopicArn: 'arn:aws:sns:us-east-1:000000000000:test-topic',
          Message: 'x'.repeat(262_145),
        }),
      ),
    );
    expect(tooLong).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  });
});

describe('Firehose validation', () => {
  it('a stream name breaking the pattern or the length is ValidationException, an unknown one ResourceNotFound', async () => {
    // API reference, PutRecord: DeliveryStreamName, length 1-64, pattern [a-zA-Z0-9_.-]+.
    for (const DeliveryStreamName of ['bad/name', 'a'.repeat(65), 'spaces are bad', '../events']) {
      const err = await failure(
        firehose.send(new PutRecordCommand({ DeliveryStreamName, Record: { Data: Buffer.from('x') } })),
      );
      expect(err, DeliveryStreamName).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(err.message).toMatch(/at 'deliveryStreamName' failed to satisfy constraint/);
    }
    const unknown = await failure(
      firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'no-such-stream' })),
    );
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
  });

  it('null, non-object and undecodable bodies are SerializationException (400), on the wire', async () => {
    for (const body of ['null', '[]', '42', '"text"', '{"DeliveryStreamName":']) {
      const res = await firehoseCall('PutRecord', body);
      expect(res.status, body).toBe(400);
      expect(JSON.parse(res.body).__type, body).toBe('SerializationException');
    }
  });

  it('Data that is not base64 is SerializationException, as AWS answers it (the SDK never sends it)', async () => {
    // The JSON protocol's blob decoding: "'string' can not be converted to a Blob: Base64 encoded length is
    // expected a multiple of 4 bytes but found: 6" (SerializationException, seen from Kinesis/Firehose).
    for (const Data of ['string', 'ab!=', 'abc', '====', 'YWJj\nZA==']) {
      const res = await firehoseCall(
        'PutRecord',
        JSON.stringify({ DeliveryStreamName: 'test-stream', Record: { Data } }),
      );
      expect(res.status, Data).toBe(400);
      const body = JSON.parse(res.body) as { __type: string; message: string };
      expect(body.__type, Data).toBe('SerializationException');
      expect(body.message).toMatch(/can not be converted to a Blob/);
    }
    const batch = await firehoseCall(
      'PutRecordBatch',
      JSON.stringify({
        DeliveryStreamName: 'test-stream',
        Records: [{ Data: 'eA==' }, { Data: 'not base64!' }],
      }),
    );
    expect(JSON.parse(batch.body).__type).toBe('SerializationException');
    const ok = await firehoseCall(
      'PutRecord',
      JSON.stringify({ DeliveryStreamName: 'test-stream', Record: { Data: 'eA==' } }),
    );
    expect(ok.status).toBe(200);
  });
});

describe('DynamoDB request bodies', () => {
  it('a client that disconnects mid-body does not take the process down (dynalite never sees it)', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = net.connect(cloud.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(
        'POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-amz-json-1.0\r\n' +
          'x-amz-target: DynamoDB_20120810.PutItem\r\ncontent-length: 1000\r\n\r\n{"TableName":"things",',
      );
      await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    const dynamo = new DynamoDBClient(cloud.clientConfig);
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain('things');
    dynamo.destroy();
  });

  it('a body over the 20 MiB cap is answered 413 with a JSON error, not passed on', async () => {
    const res = await raw(
      'POST',
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
      Buffer.alloc(21 * 1024 * 1024, 0x20),
    ).catch((err: unknown) => ({ status: 0, body: String(err) }));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).__type).toMatch(/ValidationException$/);
    const dynamo = new DynamoDBClient(cloud.clientConfig);
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain('things');
    dynamo.destroy();
  });
});

const execFileAsync = promisify(execFile);
const awsCli = await execFileAsync('aws', ['--version']).then(
  () => true,
  () => false,
);

describe.skipIf(!awsCli)('the AWS CLI', () => {
  const cli = async (...args: string[]) => {
    try {
      const { stdout } = await execFileAsync(
        'aws',
        [...args, '--endpoint-url', cloud.endpoint, '--output', 'json'],
        {
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_REGION: 'us-east-1',
            AWS_PAGER: '',
          },
        },
      );
      return { ok: true, out: stdout };
    } catch (err) {
      return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
    }
  };

  // Each CLI start takes seconds (Python imports), so the three calls run side by side.
  it('gets topic attributes, and gets AWS error codes for a bad ARN and a bad stream name', {
    timeout: 120_000,
  }, async () => {
    const [attrs, badArn, badStream] = await Promise.all([
      cli('sns', 'get-topic-attributes', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:test-topic'),
      cli('sns', 'get-topic-attributes', '--topic-arn', 'not-an-arn'),
      cli('firehose', 'describe-delivery-stream', '--delivery-stream-name', 'bad/name'),
    ]);
    expect(attrs.ok, attrs.out).toBe(true);
    expect(JSON.parse(attrs.out).Attributes.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:test-topic');
    expect(badArn.ok).toBe(false);
    expect(badArn.out).toContain('(InvalidParameter)');
    expect(badStream.ok).toBe(false);
    expect(badStream.out).toContain('(ValidationException)');
  });
});
