// Local cloud benchmark (`npm run bench -- local-cloud`). Edge overhead: PUT + GET of a 20 MiB object
// through the edge (routing, the S3 engine served in-process) against the same calls made directly to a bare
// S3 engine on its own port, alternating A/B; target: the edge within 25% of the bare engine. Non-blocking Firehose: ms per
// PutRecordBatch (500 records) while every call triggers a delivery (tiny buffer: transform, GZIP, S3
// write in the background), against a second local cloud where nothing is delivered, alternating A/B;
// target within 25%.
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { testPipeline } from '../local/fixtures/pipeline.ts';
import { startTestCloud } from '../support/local-cloud.ts';
import { startTestS3 } from '../support/s3-engine.ts';
import { type Benchmark, type BenchResult, timeAlternating } from './harness.ts';

const OBJECT = Buffer.alloc(20 * 1024 * 1024, 7);

async function edgeOverhead(): Promise<BenchResult> {
  const cloud = await startTestCloud({ pipelines: [testPipeline] });
  const bare = await startTestS3();
  const viaEdge = new S3Client(cloud.clientConfig);
  const direct = bare.client;
  await direct.send(new CreateBucketCommand({ Bucket: 'test-lake' }));
  const roundTrip = (client: S3Client) => async () => {
    await client.send(new PutObjectCommand({ Bucket: 'test-lake', Key: 'big.bin', Body: OBJECT }));
    const out = await client.send(new GetObjectCommand({ Bucket: 'test-lake', Key: 'big.bin' }));
    const bytes = await out.Body!.transformToByteArray();
    if (bytes.length !== OBJECT.length) throw new Error('short read');
  };
  const t = await timeAlternating(roundTrip(viaEdge), roundTrip(direct), 7);
  viaEdge.destroy();
  await bare.cleanup();
  await cloud.stop();
  return {
    name: 'local cloud: S3 PUT+GET of 20 MiB through the edge',
    unit: 'ms',
    project: t.a,
    baseline: t.b,
    baselineLabel: 'the same calls straight to a bare engine',
    higherIsBetter: false,
    target: { ratio: 0.8, description: 'edge adds at most 25%' },
  };
}

async function putLatency(): Promise<{ busy: number; idle: number }> {
  const busyCloud = await startTestCloud({
    pipelines: [testPipeline],
    firehoseBuffer: { sizeBytes: 50 * 1024, intervalMs: 50 },
  });
  const idleCloud = await startTestCloud({
    pipelines: [testPipeline],
    firehoseBuffer: { sizeBytes: 1 << 30, intervalMs: 3_600_000 },
  });
  const busy = new FirehoseClient(busyCloud.clientConfig);
  const idle = new FirehoseClient(idleCloud.clientConfig);
  const records = Array.from({ length: 500 }, (_, i) => ({
    Data: Buffer.from(JSON.stringify({ kind: `k${i % 8}`, n: i, pad: 'x'.repeat(150) })),
  }));
  const calls = (client: FirehoseClient) => async () => {
    for (let i = 0; i < 10; i++) {
      const out = await client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'test-stream', Records: records }),
      );
      if (out.FailedPutCount) throw new Error(`${out.FailedPutCount} records failed`);
    }
  };
  const t = await timeAlternating(calls(busy), calls(idle), 6);
  busy.destroy();
  idle.destroy();
  await busyCloud.stop();
  await idleCloud.stop();
  return { busy: t.a / 10, idle: t.b / 10 };
}

const bench: Benchmark = async () => {
  const rows = [await edgeOverhead()];
  const { busy, idle } = await putLatency();
  rows.push({
    name: 'local cloud: PutRecordBatch (500 records) while deliveries run',
    unit: 'ms/call',
    project: busy,
    baseline: idle,
    baselineLabel: 'the same calls with nothing being delivered',
    higherIsBetter: false,
    target: { ratio: 0.8, description: 'deliveries slow puts by at most 25%' },
  });
  return rows;
};

export default bench;
