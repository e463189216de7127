// Handler tests for the stream pipeline's two Lambdas, with real emulators (the local S3 engine, dynalite) reached
// through the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables: the transform honours DROP_TYPES and
// rejects a malformed event; the loader loads an object's good lines while reporting bad ones without
// failing, ignores keys outside events/, skips a vanished object, and fails when writes cannot complete.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetClients } from '../../shared/aws/client-cache.ts';
import {
  buildFirehoseTransformEvent,
  buildS3Event,
  EventValidationError,
} from '../../shared/events/index.ts';
import { functionContext } from '../support/lambda.ts';
import { startTestS3, type TestS3 } from '../support/s3-engine.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';

let engine: TestS3;
let db: TestDynamo;
let s3: S3Client;

const context = (ms = 60_000): Context => functionContext('test', { remainingMs: ms });

beforeAll(async () => {
  engine = await startTestS3();
  await engine.backend.ensureBucket('lake');
  db = await startDynalite('events-table');
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_S3: engine.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    EVENTS_TABLE: 'events-table',
    DROP_TYPES: 'ping, noise',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'SILENT',
  });
  resetClients();
  s3 = new S3Client({
    endpoint: engine.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  s3?.destroy();
  await engine?.cleanup();
  await db?.close();
});

const line = (i: number) =>
  JSON.stringify({ eventId: `e${i}`, source: 'svc', type: 'order', time: i, data: { i } });

describe('stream-transform handler', () => {
  it('drops the types named in DROP_TYPES and answers every record', async () => {
    const { handler } = await import('../../handlers/stream-transform.ts');
    const mk = (type: string) => JSON.stringify({ source: 's', type, time: 0, data: {} });
    const event = buildFirehoseTransformEvent({
      records: [{ data: mk('ping') }, { data: mk('heartbeat') }, { data: mk('noise') }, { data: '{' }],
    });
    const out = await handler(event, context());
    expect(out.records.map((r) => [r.recordId, r.result])).toEqual([
      [event.records[0]!.recordId, 'Dropped'],
      [event.records[1]!.recordId, 'Ok'],
      [event.records[2]!.recordId, 'Dropped'],
      [event.records[3]!.recordId, 'ProcessingFailed'],
    ]);
  });

  it("answers every record of AWS's own sample events (non-JSON data → ProcessingFailed)", async () => {
    const { handler } = await import('../../handlers/stream-transform.ts');
    for (const name of ['firehose-transform.json', 'firehose-kinesis-source.json']) {
      const event = JSON.parse(
        await readFile(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8'),
      ) as { records: Array<{ recordId: string }> };
      const out = await handler(event, context());
      expect(out.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
      expect(out.records.every((r) => r.result === 'ProcessingFailed')).toBe(true);
    }
  });

  it('fails only the record whose data is not base64, not the batch', async () => {
    const { handler } = await import('../../handlers/stream-transform.ts');
    const event = buildFirehoseTransformEvent({ records: [{ data: line(1) }, { data: line(2) }] });
    event.records[0]!.data = '%%% not base64 %%%';
    const out = await handler(event, context());
    expect(out.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
  });

  it('throws a clear error for an event that is not a transformation event', async () => {
    const { handler } = await import('../../handlers/stream-transform.ts');
    await expect(handler({ records: [{ recordId: 1 }] }, context())).rejects.toBeInstanceOf(
      EventValidationError,
    );
  });
});

describe('stream-loader handler', () => {
  it('loads the good lines, reports the bad ones without failing, and ignores other prefixes', async () => {
    const { handler } = await import('../../handlers/stream-loader.ts');
    const body = gzipSync(`${[line(1), 'oops', line(2), '{"source":"x"}', line(3)].join('\n')}\n`);
    const key = 'events/type=order/dt=1970-01-01/events-1-1970-01-01-00-00-00-ünï +1.gz';
    await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body }));
    const result = await handler(buildS3Event({ bucket: 'lake', key }), context());
    expect(result).toEqual({ written: 3, badLines: 2 });
    expect(await db.scanAll()).toHaveLength(3);

    const ignored = await handler(
      buildS3Event({ bucket: 'lake', key: 'errors/processing-failed/x.gz' }),
      context(),
    );
    expect(ignored).toEqual({ written: 0, badLines: 0 });
    const gone = await handler(
      buildS3Event({ bucket: 'lake', key: 'events/type=order/dt=x/missing.gz' }),
      context(),
    );
    expect(gone).toEqual({ written: 0, badLines: 0 });
  });

  it('loads nothing for events that are not creations (lifecycle expiry, tagging, restore)', async () => {
    const { handler } = await import('../../handlers/stream-loader.ts');
    const key = 'events/type=order/dt=1970-01-01/tagged.gz';
    await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: gzipSync(`${line(42)}\n`) }));
    const before = (await db.scanAll()).length;
    // S3 User Guide, "Supported event types": none of these creates an object.
    for (const eventName of ['ObjectTagging:Put', 'ObjectRestore:Completed', 'LifecycleExpiration:Delete']) {
      const result = await handler(buildS3Event({ bucket: 'lake', key, eventName }), context());
      expect(result, eventName).toEqual({ written: 0, badLines: 0 });
    }
    expect(await db.scanAll()).toHaveLength(before);
  });

  it('fails the invocation when the items cannot be written, so Lambda retries it', async () => {
    const { handler } = await import('../../handlers/stream-loader.ts');
    const key = 'events/type=order/dt=1970-01-01/second.gz';
    await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: gzipSync(`${line(9)}\n`) }));
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:9'; // nothing listens there
    resetClients();
    try {
      await expect(handler(buildS3Event({ bucket: 'lake', key }), context(3_000 + 5_000))).rejects.toThrow(
        /could not be loaded/,
      );
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
      resetClients();
    }
  });
});
