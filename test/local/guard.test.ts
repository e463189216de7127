// Only the user's own tools reach the local cloud: requests addressed to a non-loopback Host (DNS
// rebinding) and browser requests from other origins (CSRF) are refused with 403 in the service's own
// error shape, and nothing they asked for happens; the AWS SDK v3, curl and plain Node clients keep working.
import { execFile } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import http from 'node:http';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequest, hostOf, isLoopbackHost, isLoopbackOrigin } from '../../infra/local/guard.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { testPipeline } from './fixtures/pipeline.ts';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ pipelines: [testPipeline] });
});

afterAll(async () => {
  await cloud?.stop();
});

/** A raw request with exactly the given headers (Host included), as a browser or an attacker sends it. */
function send(
  method: string,
  pathName: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: cloud.port, method, path: pathName, headers, setHost: !('host' in headers) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            type: String(res.headers['content-type']),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const FORM = 'application/x-www-form-urlencoded';
const createTopicForm = (name: string) => `Action=CreateTopic&Version=2010-03-31&Name=${name}`;
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

async function topicNames(): Promise<string[]> {
  const sns = new SNSClient(cloud.clientConfig);
  try {
    const { Topics } = await sns.send(new ListTopicsCommand({}));
    return (Topics ?? []).map((t) => t.TopicArn!.split(':').pop()!);
  } finally {
    sns.destroy();
  }
}

describe('loopback names', () => {
  it('accepts localhost, *.localhost, 127.0.0.0/8 and [::1], nothing else', () => {
    for (const h of [
      'localhost',
      'LOCALHOST',
      'uploads.localhost',
      '127.0.0.1',
      '127.1.2.3',
      '[::1]',
      '[::ffff:127.0.0.1]',
    ]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of [
      'evil.example',
      'localhost.evil.example',
      '128.0.0.1',
      '127.0.0.256',
      '[::2]',
      '10.0.0.1',
      '0.0.0.0',
      '',
    ]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
    expect(hostOf('127.0.0.1:4566')).toBe('127.0.0.1');
    expect(hostOf('[::1]:4566')).toBe('[::1]');
    expect(hostOf('a b')).toBeUndefined();
    expect(isLoopbackOrigin('http://localhost:3000')).toBe(true);
    expect(isLoopbackOrigin('null')).toBe(false);
    expect(isLoopbackOrigin('https://evil.example')).toBe(false);
    expect(isLoopbackOrigin('http://127.0.0.1.evil.example')).toBe(false);
  });

  it('also accepts the address the edge is bound to (LOCAL_HOST), which functions use as their endpoint', () => {
    const req = (host: string) => ({ method: 'POST', headers: { host } }) as unknown as IncomingMessage;
    expect(checkRequest(req('0.0.0.0:4566'), '0.0.0.0')).toBeUndefined();
    expect(checkRequest(req('0.0.0.0:4566'), '127.0.0.1')?.status).toBe(403);
    expect(checkRequest(req('[::]:4566'), '::')).toBeUndefined();
    expect(checkRequest(req('evil.example'), '0.0.0.0')?.status).toBe(403);
  });
});

describe('DNS rebinding (Host)', () => {
  it('refuses a request whose Host is not a loopback name, on every route', async () => {
    const sns = await send(
      'POST',
      '/',
      { host: 'evil.example', 'content-type': FORM },
      createTopicForm('rebound'),
    );
    expect(sns.status).toBe(403);
    // SNS query XML; AuthorizationError is SNS's 403 error code.
    expect(sns.body).toContain('<Code>AuthorizationError</Code>');
    expect(sns.body).toContain('evil.example');
    const health = await send('GET', '/_local/health', { host: 'evil.example:4566' });
    expect(health.status).toBe(403);
    expect(JSON.parse(health.body).error).toMatch(/not a loopback name/);
    const s3 = await send('GET', '/inbox', { host: 'localhost.evil.example' });
    expect(s3.status).toBe(403);
    expect(s3.body).toContain('<Code>AccessDenied</Code>');
    expect(await topicNames()).not.toContain('rebound');
  });

  it('accepts loopback names and addresses', async () => {
    for (const host of [
      `localhost:${cloud.port}`,
      `127.0.0.1:${cloud.port}`,
      '127.0.0.2',
      `inbox.localhost:${cloud.port}`,
      '[::1]',
    ]) {
      const res = await send('GET', '/_local/health', { host });
      expect(res.status, host).toBe(200);
    }
  });
});

describe('cross-site browser requests (CSRF)', () => {
  it('refuses a form post from another origin, and the topic is not created', async () => {
    const res = await send(
      'POST',
      '/',
      {
        'content-type': FORM,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'user-agent': CHROME,
      },
      createTopicForm('csrf-topic'),
    );
    expect(res.status).toBe(403);
    expect(res.body).toContain('<Code>AuthorizationError</Code>');
    expect(res.body).toMatch(/not a page on this machine/);
    // Publishing to the alarm topic through a cross-site form is refused the same way.
    const publish = await send(
      'POST',
      '/',
      { 'content-type': FORM, origin: 'null', 'user-agent': CHROME },
      'Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Atest-topic&Message=x',
    );
    expect(publish.status).toBe(403);
    expect(await topicNames()).not.toContain('csrf-topic');
  });

  it('refuses Sec-Fetch-Site: cross-site and browser form posts without Origin', async () => {
    const crossSite = await send(
      'POST',
      '/',
      { 'content-type': FORM, 'sec-fetch-site': 'cross-site' },
      createTopicForm('fetch-site-topic'),
    );
    expect(crossSite.status).toBe(403);
    const oldBrowser = await send(
      'POST',
      '/',
      { 'content-type': FORM, 'user-agent': CHROME },
      createTopicForm('old-browser-topic'),
    );
    expect(oldBrowser.status).toBe(403);
    expect(oldBrowser.body).toMatch(/without an Origin/);
    const plain = await send('POST', '/inbox/in/x.txt', {
      'content-type': 'text/plain',
      'sec-fetch-dest': 'empty',
      'sec-fetch-site': 'none',
    });
    expect(plain.status).toBe(403);
    const names = await topicNames();
    expect(names).not.toContain('fetch-site-topic');
    expect(names).not.toContain('old-browser-topic');
  });

  it('refuses DynamoDB and Firehose calls (and their CORS preflights) from another origin, in JSON', async () => {
    const dynamo = await send(
      'POST',
      '/',
      {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        origin: 'https://evil.example',
      },
      '{}',
    );
    expect(dynamo.status).toBe(403);
    expect(dynamo.type).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(dynamo.body).__type).toBe('AccessDeniedException');
    const preflight = await send('OPTIONS', '/', {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-amz-target,content-type',
    });
    expect(preflight.status).toBe(403);
    const fh = await send(
      'POST',
      '/',
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Firehose_20150804.ListDeliveryStreams',
        origin: 'http://evil.example',
      },
      '{}',
    );
    expect(fh.status).toBe(403);
    expect(JSON.parse(fh.body).__type).toBe('AccessDeniedException');
  });

  it('lets a page served from this machine (loopback Origin) through', async () => {
    const res = await send(
      'POST',
      '/',
      {
        'content-type': FORM,
        origin: 'http://localhost:3000',
        'sec-fetch-site': 'cross-site',
        'user-agent': CHROME,
      },
      createTopicForm('local-page-topic'),
    );
    expect(res.status).toBe(200);
    expect(await topicNames()).toContain('local-page-topic');
  });
});

describe('the user’s own tools', () => {
  it('AWS SDK v3 clients of all four services work unchanged', async () => {
    const s3 = new S3Client(cloud.clientConfig);
    const sns = new SNSClient(cloud.clientConfig);
    const dynamo = new DynamoDBClient(cloud.clientConfig);
    const firehose = new FirehoseClient(cloud.clientConfig);
    try {
      await s3.send(new PutObjectCommand({ Bucket: 'test-lake', Key: 'guard/x.txt', Body: 'hello' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'test-lake', Key: 'guard/x.txt' }));
      expect(await got.Body?.transformToString()).toBe('hello');
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'sdk-topic' }));
      expect((await sns.send(new PublishCommand({ TopicArn, Message: 'm' }))).MessageId).toBeTruthy();
      expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain('things');
      expect((await firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toContain(
        'test-stream',
      );
    } finally {
      for (const c of [s3, sns, dynamo, firehose]) c.destroy();
    }
  });

  it('curl and Node fetch work unchanged', async () => {
    const { stdout } = await promisify(execFile)('curl', [
      '-s',
      '-X',
      'POST',
      '-d',
      'Action=ListTopics',
      `${cloud.endpoint}/`,
    ]);
    expect(stdout).toContain('<ListTopicsResponse');
    const res = await fetch(`${cloud.endpoint}/_local/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(res.status).toBe(200);
  });
});
