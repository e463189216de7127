// Duplicates and routing through the notifier as deployed: Powertools idempotency on a real dynalite
// table (conditional writes included) posts a redelivered SNS MessageId once, forgets a message whose
// delivery failed so the retry posts it, and routes alarms by name to their own webhook.
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlarmMessage, buildSnsEvent } from '../../shared/events/builders.ts';
import {
  captureOutput,
  type Dynalite,
  lambdaContext,
  notifierFor,
  startDynalite,
  startFakeSlack,
  testConfig,
} from '../support/alarm.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alarms';
let db: Dynalite;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.close();
});

describe('idempotency (real dynalite)', () => {
  it('posts a duplicate SNS MessageId once and remembers it for 24 h', async () => {
    await db.createTable('dup');
    const slack = await startFakeSlack(() => ({ status: 200 }));
    try {
      const notify = notifierFor(db, testConfig({ url: slack.url, idempotencyTable: 'dup' }));
      const event = buildSnsEvent({
        topicArn: TOPIC,
        messageId: '11111111-2222-3333-4444-555555555555',
        message: JSON.stringify(buildAlarmMessage({ name: 'dup-alarm' })),
      });
      const first = await captureOutput(() => notify(event, lambdaContext(10_000)));
      const second = await captureOutput(() => notify(structuredClone(event), lambdaContext(10_000)));
      expect(first.result).toEqual({ records: 1, posted: 1, duplicates: 0 });
      expect(second.result).toEqual({ records: 1, posted: 0, duplicates: 1 });
      expect(slack.requests).toHaveLength(1);
      expect(second.output).toContain('Duplicate SNS message skipped');

      // a different MessageId with the same content is a new message
      const other = buildSnsEvent({ topicArn: TOPIC, message: event.Records[0]!.Sns.Message });
      await captureOutput(() => notify(other, lambdaContext(10_000)));
      expect(slack.requests).toHaveLength(2);

      const items = (await DynamoDBDocumentClient.from(db.client).send(new ScanCommand({ TableName: 'dup' })))
        .Items!;
      expect(items).toHaveLength(2);
      for (const item of items) {
        expect(item.status).toBe('COMPLETED');
        const ttl = (item.expiration as number) - Date.now() / 1000;
        expect(ttl).toBeGreaterThan(86_000);
        expect(ttl).toBeLessThanOrEqual(86_401);
      }
    } finally {
      await slack.close();
    }
  });

  it('forgets a message whose delivery failed, so the retry posts it', async () => {
    await db.createTable('retry');
    let down = true;
    const slack = await startFakeSlack(() =>
      down ? { status: 410, body: 'channel_is_archived' } : { status: 200 },
    );
    try {
      const notify = notifierFor(db, testConfig({ url: slack.url, idempotencyTable: 'retry' }));
      const event = buildSnsEvent({ topicArn: TOPIC, message: JSON.stringify(buildAlarmMessage()) });
      const failed = await captureOutput(() => notify(event, lambdaContext(10_000)));
      expect((failed.error as Error).message).toContain('channel_is_archived');
      down = false;
      const retried = await captureOutput(() => notify(event, lambdaContext(10_000)));
      expect(retried.result).toEqual({ records: 1, posted: 1, duplicates: 0 });
      expect(slack.requests).toHaveLength(2);
    } finally {
      await slack.close();
    }
  });

  it('delivers the good records of a batch and fails for the bad one only', async () => {
    await db.createTable('batch');
    const slack = await startFakeSlack((n) =>
      n === 1 ? { status: 400, body: 'invalid_payload' } : { status: 200 },
    );
    try {
      const notify = notifierFor(db, testConfig({ url: slack.url, idempotencyTable: 'batch' }));
      const records = ['a', 'b', 'c'].map(
        (name) =>
          buildSnsEvent({ topicArn: TOPIC, message: JSON.stringify(buildAlarmMessage({ name })) })
            .Records[0]!,
      );
      const run = await captureOutput(() => notify({ Records: records }, lambdaContext(10_000)));
      expect((run.error as Error).message).toMatch(/^1 of 3 SNS message\(s\) not delivered.*invalid_payload/);
      expect(slack.requests).toHaveLength(3);
      // Lambda's retry re-sends the whole event: only the failed record is posted again
      await captureOutput(() => notify({ Records: records }, lambdaContext(10_000)));
      expect(slack.requests).toHaveLength(4);
      expect(JSON.stringify(slack.requests[3])).toContain('ALARM: b');
    } finally {
      await slack.close();
    }
  });

  it('rejects an envelope that is not SNS with a clear error, and posts nothing', async () => {
    const slack = await startFakeSlack(() => ({ status: 200 }));
    try {
      const notify = notifierFor(db, testConfig({ url: slack.url }));
      await expect(notify({ Records: [{ Sns: { Message: 'x' } }] }, lambdaContext(5_000))).rejects.toThrow(
        /^Invalid SNS event: Records\.0\./,
      );
      await expect(notify('not an event', lambdaContext(5_000))).rejects.toThrow(/Invalid SNS event/);
      expect(slack.requests).toHaveLength(0);
    } finally {
      await slack.close();
    }
  });
});

describe('routing', () => {
  it('sends alarms matching a route to its webhook and the rest to the default', async () => {
    await db.createTable('routes');
    const main = await startFakeSlack(() => ({ status: 200 }));
    const prod = await startFakeSlack(() => ({ status: 200 }));
    try {
      const config = testConfig({
        url: main.url,
        idempotencyTable: 'routes',
        routes: [{ match: 'prod-*', webhook: { kind: 'env', variable: 'SLACK_WEBHOOK_URL_PROD' } }],
      });
      const notify = notifierFor(db, config, { SLACK_WEBHOOK_URL_PROD: prod.url });
      for (const name of ['prod-db-cpu', 'staging-db-cpu']) {
        await captureOutput(() =>
          notify(
            buildSnsEvent({ topicArn: TOPIC, message: JSON.stringify(buildAlarmMessage({ name })) }),
            lambdaContext(5_000),
          ),
        );
      }
      await captureOutput(() =>
        notify(buildSnsEvent({ topicArn: TOPIC, message: 'plain text' }), lambdaContext(5_000)),
      );
      expect(prod.requests.map((r) => JSON.stringify(r).includes('prod-db-cpu'))).toEqual([true]);
      expect(main.requests).toHaveLength(2);
      expect(JSON.stringify(main.requests[0])).toContain('staging-db-cpu');
      expect(JSON.stringify(main.requests[1])).toContain('plain text');
    } finally {
      await main.close();
      await prod.close();
    }
  });
});
