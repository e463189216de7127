// The local Firehose's memory bound: while a stream's undelivered backlog is full, a call is refused whole
// with ServiceUnavailableException and HTTP 503, which is the error and status of Firehose's service model
// (@aws-sdk/client-firehose: ServiceUnavailableException, httpError 503, server fault; API reference:
// "Back off and retry the operation. If you continue to see the exception, throughput limits for the
// Firehose stream may have been exceeded"), and the project's producer backs off and resends until the
// backlog drains. Driven over real HTTP with the AWS SDK; the S3 write is held back to keep the backlog full.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FirehoseService } from '../../infra/local/firehose/api.ts';
import { NoJournal } from '../../infra/local/journal.ts';
import { streamEtl } from '../../pipelines/stream-etl/definition.ts';
import { putRecords } from '../../pipelines/stream-etl/producer.ts';

let server: Server;
let service: FirehoseService;
let dataDir: string;
let endpoint: string;
let release: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  release = resolve;
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'firehose-throttle-'));
  service = new FirehoseService({
    streams: streamEtl.resources.streams ?? [],
    processor: () => undefined, // no transform: records go to the error output, still one S3 write
    writeObject: () => gate, // S3 is slow: nothing is delivered until the test says so
    buffer: { sizeBytes: 1, intervalMs: 60_000 }, // every call is flushed at once
    retryDelayMs: 1,
    dataDir,
    log: () => undefined,
    journal: new NoJournal(),
    backlogBytes: 2_000,
  });
  server = createServer((req, res) => void service.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  release();
  await service.drain();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

it('refuses a whole call with ServiceUnavailableException (HTTP 503) while the backlog is full, and the producer retries it until accepted', async () => {
  const client = new FirehoseClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1, // no SDK retry: see the service's answer itself
  });
  const first = await client.send(
    new PutRecordBatchCommand({ DeliveryStreamName: 'events', Records: [{ Data: Buffer.alloc(1_500, 97) }] }),
  );
  expect(first.FailedPutCount).toBe(0);

  const refused = await client
    .send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'events',
        Records: [{ Data: Buffer.alloc(1_000, 98) }],
      }),
    )
    .then(
      () => undefined,
      (err: unknown) => err as { name: string; $fault: string; $metadata: { httpStatusCode?: number } },
    );
  expect(refused?.name).toBe('ServiceUnavailableException');
  expect(refused?.$fault).toBe('server');
  expect(refused?.$metadata.httpStatusCode).toBe(503);

  // The producer backs off (its sleep is where the backlog drains here) and resends the refused call.
  let sleeps = 0;
  const result = await putRecords([Buffer.alloc(1_000, 99)], {
    streamName: 'events',
    client,
    sleep: async () => {
      sleeps++;
      release();
      await service.drain();
    },
  });
  expect(result.failed).toEqual([]);
  expect(result.sent).toBe(1);
  expect(sleeps).toBeGreaterThanOrEqual(1);
  client.destroy();
});
