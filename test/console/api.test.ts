// The console's endpoints without a browser: the views each pipeline gets from its definition, no secret in
// any answer (a webhook URL posted to the sink, a secret value or an API key in a dead letter), the events
// API called through the console's proxy with its own key (an earlier console's key revoked), pagination
// of uploads, and bad requests answered 400.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literalPrefix, viewsOf } from '../../infra/local/console/views.ts';
import { collectResources } from '../../infra/local/resources.ts';
import { KeyStore } from '../../pipelines/events-api/key-store.ts';
import { createApiKey } from '../../pipelines/events-api/keys.ts';
import { pipelines } from '../../pipelines/index.ts';
import { startTestCloud, type TestCloud, waitFor } from '../support/local-cloud.ts';
import { flakyPipeline } from './fixtures/flaky-pipeline.ts';

const SECRET = 'https://hooks.slack.com/services/T0CONSOLE/B0CONSOLE/abcdefghijklmnopqrstuvwx';

describe('console views from the definitions', () => {
  it('gives the image, alarm, stream and events-API pipelines their views, with names from the definitions', () => {
    const views = viewsOf(collectResources(pipelines));
    expect(views.filter((v) => v.kind !== 'api')).toEqual([
      {
        kind: 'images',
        pipeline: 'image-resize',
        functionId: 'image-resize',
        sourceBucket: 'uploads',
        displayBucket: 'display',
      },
      { kind: 'slack', pipeline: 'alarm-to-slack', functionId: 'alarm-to-slack' },
      {
        kind: 'stream',
        pipeline: 'stream-etl',
        stream: 'events',
        bucket: 'lake',
        dataRoot: 'events/',
        errorRoot: 'errors/',
        partitionKeys: ['type', 'dt'],
        tables: [{ name: 'events', partitionKey: 'pk', sortKey: 'sk' }],
      },
    ]);
    expect(views.filter((v) => v.kind === 'api')).toEqual([
      {
        kind: 'api',
        pipeline: 'events-api',
        api: 'events',
        routes: ['POST /events', 'GET /events', 'GET /events/latest'],
        keysTable: 'api-keys',
      },
    ]);
    expect(literalPrefix('a/b=!{x}/c/')).toBe('a/');
    expect(literalPrefix('plain/')).toBe('plain/');
  });
});

describe('console endpoints', () => {
  let cloud: TestCloud;
  const api = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${cloud.endpoint}/_local/console/api/${path}`, init);
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    cloud = await startTestCloud({
      pipelines: [...pipelines, flakyPipeline],
      // A real-looking webhook URL given for a secret: the cloud must keep it out of what it shows.
      secrets: { SLACK_WEBHOOK_URL: SECRET },
      env: { FLAKY_MARKER: '' },
    });
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('never shows a webhook URL, in the Slack view or in dead letters', async () => {
    // A payload carrying a webhook URL, posted straight to the sink.
    const posted = await fetch(`${cloud.endpoint}/_local/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ text: `see ${SECRET.replace('T0CONSOLE', 'T0OTHER')}`, blocks: [] }),
    });
    expect(posted.status).toBe(200);
    const slack = await api('slack');
    expect(slack.status).toBe(200);
    expect(slack.text).not.toContain('hooks.slack.com');
    expect(slack.text).toContain('<redacted webhook>');

    // A dead letter whose event carries the secret value given to the cloud.
    const sns = new SNSClient(cloud.clientConfig);
    await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:flaky-jobs',
        Message: `job for ${SECRET}`,
      }),
    );
    sns.destroy();
    await cloud.settle();
    await waitFor(async () => (await cloud.local<unknown[]>('dlq')).length === 1, { what: 'a dead letter' });
    const dlq = await api('dlq');
    expect(dlq.text).toContain('NotYet');
    expect(dlq.text).not.toContain('abcdefghijklmnopqrstuvwx');
    const overview = await api('overview');
    expect(overview.text).not.toContain('abcdefghijklmnopqrstuvwx');

    // A string with a NUL in it (the console scrubs an answer's strings joined with NUL, one call for all,
    // and each on its own when that does not split back): the secret is still kept out.
    const sns2 = new SNSClient(cloud.clientConfig);
    await sns2.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:flaky-jobs',
        Message: `nul\u0000 job for ${SECRET}`,
      }),
    );
    sns2.destroy();
    await cloud.settle();
    await waitFor(async () => (await cloud.local<unknown[]>('dlq')).length === 2, {
      what: 'a second dead letter',
    });
    const both = await api('dlq');
    expect(both.text).toContain('nul\\u0000 job for');
    expect(both.text).not.toContain('abcdefghijklmnopqrstuvwx');
    expect(both.text).toContain('<redacted webhook>');
  });

  it("calls the events API with the console's own key, which no answer shows", async () => {
    const post = (path: string, body: unknown) =>
      api(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // A key an earlier console left in the table (its secret died with that process), and a user's key.
    const store = new DynamoDBClient(cloud.clientConfig);
    const keys = new KeyStore(store, 'api-keys');
    const stale = createApiKey('local-console', ['read', 'write']).item;
    const users = createApiKey('dashboard', ['read']).item;
    await keys.put(stale);
    await keys.put(users);
    const made = await post('apis/events/key', {});
    expect(made.status).toBe(200);
    const { keyId } = JSON.parse(made.text) as { keyId: string };
    expect(keyId).toMatch(/^[a-z0-9]{16}$/);
    expect(made.text).not.toMatch(/eak_/);
    // Making its own key, the console revoked the earlier console's; the user's key is left alone.
    expect((await keys.get(stale.id))?.revoked).toBe(true);
    expect((await keys.get(users.id))?.revoked).toBe(false);
    expect((await keys.get(keyId))?.revoked).toBe(false);
    store.destroy();
    // The key is stored hashed in the API's key table, with both scopes (pipelines/events-api/keys.ts).
    const dynamo = new DynamoDBClient(cloud.clientConfig);
    const stored = await dynamo.send(
      new GetItemCommand({ TableName: 'api-keys', Key: { id: { S: keyId } }, ConsistentRead: true }),
    );
    dynamo.destroy();
    expect(stored.Item?.scopes).toEqual({ SS: ['read', 'write'] });
    const event = { source: 'console-api-test', type: 'ping', time: new Date().toISOString(), data: {} };
    const ingest = () =>
      post('apis/events/call', { method: 'POST', path: '/events', body: JSON.stringify([event]) }).then(
        (r) => JSON.parse(r.text) as { status: number; body: { accepted: number } },
      );
    // Revoked before its first use (so no authorizer answer is cached for it): the API refuses it (403,
    // "Working with AWS Lambda authorizers for HTTP APIs": isAuthorized false), and the console makes a new one.
    const dynamoForRevoke = new DynamoDBClient(cloud.clientConfig);
    expect(await new KeyStore(dynamoForRevoke, 'api-keys').revoke(keyId)).toBe(true);
    dynamoForRevoke.destroy();
    expect((await ingest()).status).toBe(403);
    const answer = await ingest();
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(1);
    const renewed = JSON.parse((await post('apis/events/key', {})).text) as { keyId: string };
    expect(renewed.keyId).not.toBe(keyId);
    // A route the API does not have is refused before any call.
    expect((await post('apis/events/call', { method: 'GET', path: '/keys' })).status).toBe(400);
    // An API key inside an answer (here echoed in a dead letter's event) is redacted like any secret.
    const leaked = `eak_${keyId}_${'x'.repeat(43)}`;
    const sns = new SNSClient(cloud.clientConfig);
    await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:flaky-jobs',
        Message: `job for ${leaked}`,
      }),
    );
    sns.destroy();
    await cloud.settle();
    await waitFor(async () => JSON.stringify(await cloud.local<unknown[]>('dlq')).includes(leaked), {
      what: 'a dead letter carrying a key',
    });
    const dlq = await api('dlq');
    expect(dlq.text).toContain('<redacted API key>');
    expect(dlq.text).not.toContain(leaked);
  });

  it('pages uploads 24 at a time', async () => {
    const s3 = new S3Client(cloud.clientConfig);
    // Not images: each is rejected by the image function, which is enough to list them.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s3.send(
          new PutObjectCommand({
            Bucket: 'uploads',
            Key: `page/${String(i).padStart(2, '0')}.txt`,
            Body: 'x',
          }),
        ),
      ),
    );
    s3.destroy();
    const first = JSON.parse((await api('images?pipeline=image-resize')).text);
    expect(first.cards).toHaveLength(24);
    expect(first.next).toBeTruthy();
    const second = JSON.parse(
      (await api(`images?pipeline=image-resize&cursor=${encodeURIComponent(first.next)}`)).text,
    );
    expect(second.cards.map((c: { upload: { key: string } }) => c.upload.key)).toEqual(
      ['24', '25', '26', '27', '28', '29'].map((n) => `page/${n}.txt`),
    );
    expect(second.next).toBeUndefined();
  });

  it('answers bad requests with 400 and a reason', async () => {
    expect((await api('images?pipeline=nope')).status).toBe(400);
    expect((await api('object?bucket=not-declared&key=a')).status).toBe(400);
    const redrive = await api('dlq/redrive', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ index: 99, time: 'x', functionId: 'flaky-worker' }),
    });
    expect(redrive.status).toBe(400);
    expect(JSON.parse(redrive.text).error).toContain('no longer in the store');
    const fix = await api('stream/fix', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pipeline: 'stream-etl',
        stream: 'events',
        key: 'events/x.gz',
        line: 1,
        data: '{}',
      }),
    });
    expect(fix.status).toBe(400); // only objects under the error prefix can be fixed
  });
});
