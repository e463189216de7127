// Pure pieces of the local cloud: Firehose prefix evaluation (Java DateTimeFormatter patterns, partition
// keys, error output type), object naming, the aws-chunked decoder under arbitrary chunk boundaries, and the
// Node flags a function worker starts with.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluatePrefix,
  formatJavaDate,
  objectName,
  PrefixError,
  validatePrefix,
} from '../../infra/local/firehose/prefix.ts';
import { workerExecArgv } from '../../infra/local/lambda.ts';
import { collectResources, resolveEnvironment } from '../../infra/local/resources.ts';
import { AwsChunkedDecoder } from '../../infra/local/s3.ts';
import type { PipelineDefinition } from '../../pipelines/types.ts';
import { testPipeline } from './fixtures/pipeline.ts';

const at = new Date(Date.UTC(2024, 1, 3, 4, 5, 6, 78));

describe('Firehose prefixes', () => {
  it('formats timestamps like java.time DateTimeFormatter, in UTC', () => {
    expect(formatJavaDate(at, 'yyyy-MM-dd')).toBe('2024-02-03');
    expect(formatJavaDate(at, 'yyyy/MM/dd/HH')).toBe('2024/02/03/04');
    expect(formatJavaDate(at, "yyyy'-'MM'-'dd'T'HH:mm:ss.SSS")).toBe('2024-02-03T04:05:06.078');
    expect(formatJavaDate(at, "'it''s' yy")).toBe("it's 24");
    expect(() => formatJavaDate(at, 'EEE')).toThrow(PrefixError);
  });

  it('evaluates partition keys, timestamps and the error output type', () => {
    expect(
      evaluatePrefix('events/type=!{partitionKeyFromLambda:type}/dt=!{timestamp:yyyy-MM-dd}/', {
        timestamp: at,
        partitionKeys: { type: 'click' },
      }),
    ).toBe('events/type=click/dt=2024-02-03/');
    expect(
      evaluatePrefix('errors/!{firehose:error-output-type}/!{timestamp:yyyy}/', {
        timestamp: at,
        errorOutputType: 'processing-failed',
      }),
    ).toBe('errors/processing-failed/2024/');
    expect(evaluatePrefix('r/!{firehose:random-string}/', { timestamp: at })).toMatch(
      /^r\/[A-Za-z0-9_-]{11}\/$/,
    );
    expect(() =>
      evaluatePrefix('t=!{partitionKeyFromLambda:type}/', { timestamp: at, partitionKeys: {} }),
    ).toThrow(PrefixError);
  });

  it('refuses expressions Firehose would refuse', () => {
    expect(() => validatePrefix('x/!{partitionKeyFromQuery:a}/', { error: false })).toThrow(/unsupported/);
    expect(() => validatePrefix('x/!{firehose:error-output-type}/', { error: false })).toThrow(
      /only allowed in the error prefix/,
    );
    expect(() => validatePrefix('x/!{partitionKeyFromLambda:a}/', { error: true })).toThrow(
      /not allowed in the error prefix/,
    );
    expect(() => validatePrefix('x/!{firehose:nope}/', { error: true })).toThrow(/unknown/);
  });

  it('names objects <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>[.gz]', () => {
    expect(objectName('events', 1, at, true)).toMatch(/^events-1-2024-02-03-04-05-06-[0-9a-f-]{36}\.gz$/);
    expect(objectName('events', 1, at, false)).toMatch(/^events-1-2024-02-03-04-05-06-[0-9a-f-]{36}$/);
  });
});

describe('aws-chunked decoding', () => {
  const encode = (payload: Buffer, chunkSize: number): Buffer => {
    const parts: Buffer[] = [];
    for (let i = 0; i < payload.length; i += chunkSize) {
      const c = payload.subarray(i, i + chunkSize);
      parts.push(
        Buffer.from(`${c.length.toString(16)};chunk-signature=${'0'.repeat(64)}\r\n`),
        c,
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from('0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'));
    return Buffer.concat(parts);
  };

  it('restores the payload whatever the chunk sizes and network boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 0, maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 500 }),
        async (s, chunkSize, split) => {
          const payload = Buffer.from(s);
          const wire = encode(payload, chunkSize);
          const pieces: Buffer[] = [];
          for (let i = 0; i < wire.length; i += split) pieces.push(wire.subarray(i, i + split));
          const out = await text(Readable.from(pieces).pipe(new AwsChunkedDecoder()));
          expect(out).toBe(s);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('pipeline definitions', () => {
  const withFunction = (patch: Partial<PipelineDefinition['functions'][number]>): PipelineDefinition => ({
    ...testPipeline,
    functions: [{ ...testPipeline.functions[0]!, ...patch }, ...testPipeline.functions.slice(1)],
  });

  it('refuses triggers and refs to resources no pipeline declares, and duplicate function ids', () => {
    expect(() =>
      collectResources([
        withFunction({ trigger: { kind: 's3', bucket: 'nowhere', events: ['s3:ObjectCreated:*'] } }),
      ]),
    ).toThrow(/pipeline local-test: functions.capture-s3.trigger: no pipeline declares bucket "nowhere"/);
    expect(() =>
      collectResources([withFunction({ environment: { T: { kind: 'table', name: 'ghost' } } })]),
    ).toThrow(/functions.capture-s3.environment.T: no pipeline declares table "ghost"/);
    expect(() => collectResources([testPipeline, { ...testPipeline, name: 'again' }])).toThrow(
      /pipeline again: resources.buckets: a bucket named "inbox" is also declared by local-test/,
    );
  });

  it('resolves environment refs as the CDK app does, and secrets to their local variable', () => {
    const set = collectResources([testPipeline]);
    const fn = set.functions.find((f) => f.id === 'capture-s3')!;
    expect(resolveEnvironment(set, fn, () => 'http://sink')).toEqual({
      TARGET_BUCKET: 'inbox',
      TARGET_TOPIC: 'arn:aws:sns:us-east-1:000000000000:test-topic',
      SLACK_WEBHOOK_URL: 'http://sink',
    });
  });
});

describe('local Lambda workers', () => {
  it('start without the host’s preloaded modules, which would load before tsx is registered in the worker', () => {
    // `npm run bench` and `npm run produce` preload a TypeScript module (--import ./infra/local/quiet-warnings.ts);
    // inherited by a worker, it crashed some cold starts with "Unknown file extension .ts".
    expect(
      workerExecArgv([
        '--import',
        'tsx',
        '--import',
        './infra/local/quiet-warnings.ts',
        '--import=./other.ts',
        '-r',
        'x.cjs',
        '--require=y.cjs',
        '--loader',
        'z.mjs',
        '--enable-source-maps',
        '--max-old-space-size=512',
      ]),
    ).toEqual(['--enable-source-maps', '--max-old-space-size=512']);
  });
});
