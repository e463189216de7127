// Shared AWS clients: created once per container, and pointed at another endpoint only through the SDK's
// own standard variables (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>). Checked by where real requests
// land: a recording HTTP server on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetClients } from '../../shared/aws/client-cache.ts';
import { s3Client } from '../../shared/aws/s3.ts';
import { snsClient } from '../../shared/aws/sns.ts';

const saved = { ...process.env };
const seen: Array<{ method: string; url: string; host: string }> = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, host: req.headers.host! });
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/photos')) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>photos</Name><KeyCount>0</KeyCount></ListBucketResult>',
        );
      } else {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics/></ListTopicsResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListTopicsResponse>',
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  process.env = { ...saved };
  resetClients();
  seen.length = 0;
});

function useFakeCredentials() {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
}

describe('shared AWS clients', () => {
  it('reuses one client per service across calls', () => {
    expect(s3Client()).toBe(s3Client());
    expect(snsClient()).toBe(snsClient());
  });

  it('sends to AWS_ENDPOINT_URL, addressing S3 path-style', async () => {
    useFakeCredentials();
    process.env.AWS_ENDPOINT_URL = endpoint;
    await s3Client().send(new ListObjectsV2Command({ Bucket: 'photos' }));
    await snsClient().send(new ListTopicsCommand({}));
    expect(seen[0]).toMatchObject({ method: 'GET', host: new URL(endpoint).host });
    expect(seen[0]!.url).toMatch(/^\/photos\/?\?list-type=2/);
    expect(seen[1]).toMatchObject({ method: 'POST', url: '/' });
  });

  it('honours a per-service variable, leaving other services on AWS', async () => {
    useFakeCredentials();
    delete process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL_SNS = endpoint;
    await snsClient().send(new ListTopicsCommand({}));
    expect(seen).toHaveLength(1);
    expect(await s3Client().config.forcePathStyle).toBe(false);
  });
});
