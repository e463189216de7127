// The local CloudFront invalidation API, driven by the real AWS SDK client: CreateInvalidation and
// GetInvalidation shapes, CallerReference replay semantics and the error codes of CloudFront's API
// reference (NoSuchDistribution, InconsistentQuantities, InvalidArgument, InvalidationBatchAlreadyExists),
// and persistence of the record across a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  type CreateInvalidationCommandInput,
  GetInvalidationCommand,
} from '@aws-sdk/client-cloudfront';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudFrontService, localDistributionId } from '../../infra/local/cloudfront.ts';

let dir: string;
let server: http.Server;
let service: CloudFrontService;
let cf: CloudFrontClient;
const ID = localDistributionId('display');
const buckets = [
  { name: 'display', description: 'd', cdn: true },
  { name: 'uploads', description: 'u' },
];

async function start(): Promise<void> {
  service = new CloudFrontService(dir, buckets, () => {});
  await service.load();
  server = http.createServer((req, res) => {
    void service.handle(req, res, new URL(req.url ?? '/', 'http://local'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cf = new CloudFrontClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}
async function stop(): Promise<void> {
  cf.destroy();
  await service.flush();
  await new Promise((r) => server.close(r));
}

const batch = (ref: string, paths: string[], quantity = paths.length): CreateInvalidationCommandInput => ({
  DistributionId: ID,
  InvalidationBatch: { CallerReference: ref, Paths: { Quantity: quantity, Items: paths } },
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: unknown) => e as Error & { $metadata: { httpStatusCode: number } },
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-cloudfront-'));
  await start();
});
afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('local CloudFront invalidations', () => {
  it('has one distribution per cdn bucket, with a CloudFront-like id', () => {
    expect(service.list()).toEqual([{ id: 'ELOCALDISPLAY', bucket: 'display' }]);
  });

  it('creates an invalidation (201, Location, InProgress) and reports it Completed afterwards', async () => {
    const paths = ['/thumb/a%20b.jpg', '/medium/*'];
    const created = await cf.send(new CreateInvalidationCommand(batch('ref-1', paths)));
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created.Invalidation).toMatchObject({
      Status: 'InProgress',
      InvalidationBatch: { CallerReference: 'ref-1', Paths: { Quantity: 2, Items: paths } },
    });
    expect(created.Invalidation!.CreateTime).toBeInstanceOf(Date);
    const got = await cf.send(
      new GetInvalidationCommand({ DistributionId: ID, Id: created.Invalidation!.Id }),
    );
    expect(got.Invalidation).toMatchObject({ Id: created.Invalidation!.Id, Status: 'Completed' });
    expect(service.all()).toEqual([
      expect.objectContaining({ distributionId: ID, bucket: 'display', callerReference: 'ref-1', paths }),
    ]);
  });

  it('replays a CallerReference with the same paths, refuses it with other paths', async () => {
    const first = await cf.send(new CreateInvalidationCommand(batch('ref-2', ['/x.jpg'])));
    const again = await cf.send(new CreateInvalidationCommand(batch('ref-2', ['/x.jpg'])));
    expect(again.Invalidation!.Id).toBe(first.Invalidation!.Id);
    expect(service.all().filter((i) => i.callerReference === 'ref-2')).toHaveLength(1);
    const err = await failure(cf.send(new CreateInvalidationCommand(batch('ref-2', ['/y.jpg']))));
    expect(err.name).toBe('InvalidationBatchAlreadyExists');
  });

  it("answers bad requests with CloudFront's error codes", async () => {
    const noDist = await failure(
      cf.send(new CreateInvalidationCommand({ ...batch('r', ['/a.jpg']), DistributionId: 'E2NOSUCH' })),
    );
    expect(noDist).toMatchObject({ name: 'NoSuchDistribution', $metadata: { httpStatusCode: 404 } });
    const inconsistent = await failure(cf.send(new CreateInvalidationCommand(batch('r3', ['/a.jpg'], 2))));
    expect(inconsistent.name).toBe('InconsistentQuantities');
    // Through the API, paths must start with a slash, and `*` may only end one (Developer Guide).
    expect((await failure(cf.send(new CreateInvalidationCommand(batch('r4', ['a.jpg']))))).name).toBe(
      'InvalidArgument',
    );
    expect((await failure(cf.send(new CreateInvalidationCommand(batch('r5', ['/a*/b.jpg']))))).name).toBe(
      'InvalidArgument',
    );
    const missing = await failure(cf.send(new GetInvalidationCommand({ DistributionId: ID, Id: 'INOPE' })));
    expect(missing.name).toBe('NoSuchInvalidation');
  });

  it('keeps its record across a restart', async () => {
    const before = service.all();
    expect(before.length).toBeGreaterThan(0);
    await stop();
    await start();
    expect(service.all()).toEqual(before);
  });
});
