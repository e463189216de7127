// End to end on the local cloud: a CloudWatch alarm message published to the `alarms` topic with the
// unmodified AWS SDK reaches the built-in Slack sink as a Block Kit message, with its MessageId recorded in
// the idempotency table (dynalite behind the local cloud); a plain-text message arrives as a generic one.
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlarmMessage } from '../../shared/events/builders.ts';
import { startTestCloud, type TestCloud, waitFor } from '../support/local-cloud.ts';

type Payload = {
  text: string;
  blocks: Array<{ type: string; text?: { text: string } }>;
  attachments?: Array<{ color: string; blocks: unknown[] }>;
};

let cloud: TestCloud;
let sns: SNSClient;
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alarms';

const userWebhook = process.env.SLACK_WEBHOOK_URL;

beforeAll(async () => {
  // A developer's own SLACK_WEBHOOK_URL must not receive test messages: use the built-in sink.
  delete process.env.SLACK_WEBHOOK_URL;
  cloud = await startTestCloud();
  sns = new SNSClient(cloud.clientConfig);
});
afterAll(async () => {
  sns?.destroy();
  await cloud?.stop();
  if (userWebhook !== undefined) process.env.SLACK_WEBHOOK_URL = userWebhook;
});

async function sinkFind(predicate: (p: Payload) => boolean): Promise<Payload> {
  return waitFor(async () => (await cloud.local<Payload[]>('webhooks')).find(predicate), {
    what: 'the message in the Slack sink',
  });
}

describe('alarm pipeline on the local cloud', () => {
  it('posts a published metric-math alarm to the Slack sink', async () => {
    const alarm = buildAlarmMessage({
      kind: 'metric-math',
      name: 'e2e checkout error-rate (5xx)',
      description: 'Error rate of checkout above 5 %',
    });
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: TOPIC, Subject: 'ALARM: checkout', Message: JSON.stringify(alarm) }),
    );
    expect(MessageId).toBeTruthy();
    const posted = await sinkFind((p) => p.text.includes('e2e checkout error-rate'));
    expect(posted.blocks[0]?.text?.text).toBe(':red_circle: ALARM: e2e checkout error-rate (5xx)');
    expect(posted.attachments?.[0]?.color).toBe('#D13212');
    const json = JSON.stringify(posted);
    expect(json).toContain('e1 = 100 * errors / invocations');
    expect(json).toContain('Error rate of checkout above 5 %');
    expect(json).toContain('*Region*\\nus-east-1');
    expect(json).toContain(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/e2e%20checkout%20error-rate%20%285xx%29',
    );
    // Powertools idempotency wrote its record through the local cloud's DynamoDB.
    const ddb = new DynamoDBClient(cloud.clientConfig);
    try {
      const items = await waitFor(
        async () => {
          const out = await ddb.send(new ScanCommand({ TableName: 'idempotency' }));
          return out.Items?.some((i) => i.status?.S === 'COMPLETED') ? out.Items : undefined;
        },
        { what: 'a COMPLETED idempotency record' },
      );
      expect(items.length).toBeGreaterThanOrEqual(1);
    } finally {
      ddb.destroy();
    }
  });

  it('posts a plain-text message as a generic message', async () => {
    await sns.send(
      new PublishCommand({ TopicArn: TOPIC, Subject: 'Deploy', Message: 'e2e deploy finished' }),
    );
    const posted = await sinkFind((p) => p.text.includes('e2e deploy finished'));
    expect(posted.blocks[0]?.text?.text).toBe(':envelope: Deploy');
  });
});
