// The local Firehose's last line of defence against data loss: when S3 writes keep failing (after the
// shared retry's attempts), the records of that delivery are saved under the data dir instead of dropped.
// Driven over real HTTP with the AWS SDK; S3 is the injected fault.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FirehoseService } from '../../infra/local/firehose/api.ts';
import { NoJournal } from '../../infra/local/journal.ts';
import { streamEtl } from '../../pipelines/stream-etl/definition.ts';

let server: Server;
let service: FirehoseService;
let dataDir: string;
let endpoint: string;
let writes = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'firehose-spill-'));
  service = new FirehoseService({
    streams: streamEtl.resources.streams ?? [],
    processor: () => undefined, // no transform: every record goes to the error output
    writeObject: async () => {
      writes++;
      throw new Error('S3 is down');
    },
    buffer: { sizeBytes: 1024 * 1024, intervalMs: 60_000 },
    retryDelayMs: 1,
    dataDir,
    log: () => undefined,
    journal: new NoJournal(),
  });
  server = createServer((req, res) => void service.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

it('saves the records of a delivery whose S3 writes keep failing, instead of losing them', async () => {
  const client = new FirehoseClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const records = ['first record', 'second record', 'third record'];
  const out = await client.send(
    new PutRecordBatchCommand({
      DeliveryStreamName: 'events',
      Records: records.map((r) => ({ Data: Buffer.from(r) })),
    }),
  );
  expect(out.FailedPutCount).toBe(0);

  await service.drain();

  expect(writes).toBe(5); // the shared retry's attempts, then the spill
  const spillDir = join(dataDir, 'firehose-undelivered');
  const files = readdirSync(spillDir);
  expect(files).toHaveLength(1);
  const saved = readFileSync(join(spillDir, files[0]!), 'utf8');
  for (const r of records) expect(saved).toContain(Buffer.from(r).toString('base64'));
  client.destroy();
});
