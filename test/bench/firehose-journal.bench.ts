// Local cloud durability benchmark (`npm run bench -- firehose-journal`). Journal cost: PutRecordBatch
// throughput (500 realistic records a call, 4 calls in flight) into a local cloud that journals every
// accepted call (append + fdatasync with group commit, infra/local/journal.ts) against a second local
// cloud with the journal switched off (`journal: false`, the baseline only), rounds alternating A/B and
// both settled between rounds so that neither is throttled; target ≥ 0.7 of the baseline. Memory: the
// whole local cloud's peak RSS (VmHWM of `npm start`'s process, every worker thread included) during a
// PutRecordBatch soak at full speed on the real pipelines, against the 600 MB budget; 60 s unless
// LOCAL_SOAK_SECONDS says otherwise, with the cloud's CPU time (steadier than records/s on a shared host)
// and how long the pipelines behind Firehose take to catch up afterwards. A second soak without the
// stream loader gives Firehose's share.
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { testPipeline } from '../local/fixtures/pipeline.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { type Benchmark, type BenchResult, median } from './harness.ts';
import { soak } from './soak.ts';
import { realisticRecord } from './stream.bench.ts';

const CALLS = 40;
/** How long a soak's cloud may take to catch up (POST /_local/settle) once the producers stop. */
const SETTLE_LIMIT_MS = 180_000;
const ROUNDS = 7;

async function journalCost(): Promise<BenchResult> {
  const options = {
    pipelines: [testPipeline],
    firehoseBuffer: { sizeBytes: 1024 * 1024, intervalMs: 1_000 },
  };
  const journaled = await startTestCloud(options);
  const plain = await startTestCloud({ ...options, journal: false });
  // The test pipeline's transform wants `kind`; the rest is a realistic ~700-byte clickstream event.
  const records = Array.from({ length: 500 }, (_, i) => ({
    Data: Buffer.from(`${JSON.stringify({ kind: i % 2 ? 'a' : 'b', ...realisticRecord(i) })}\n`),
  }));
  const send = async (cloud: TestCloud, client: FirehoseClient) => {
    let next = 0;
    const worker = async () => {
      while (next++ < CALLS) {
        const out = await client.send(
          new PutRecordBatchCommand({ DeliveryStreamName: 'test-stream', Records: records }),
        );
        if (out.FailedPutCount) throw new Error(`${out.FailedPutCount} records refused by ${cloud.endpoint}`);
      }
    };
    const t = performance.now();
    await Promise.all([worker(), worker(), worker(), worker()]);
    const ms = performance.now() - t;
    await cloud.settle();
    return ms;
  };
  const a = new FirehoseClient(journaled.clientConfig);
  const b = new FirehoseClient(plain.clientConfig);
  const ta: number[] = [];
  const tb: number[] = [];
  try {
    await send(journaled, a);
    await send(plain, b);
    for (let i = 0; i < ROUNDS; i++) {
      ta.push(await send(journaled, a));
      tb.push(await send(plain, b));
    }
  } finally {
    a.destroy();
    b.destroy();
    await journaled.stop();
    await plain.stop();
  }
  const perSec = (ms: number) => Math.round(((CALLS * records.length) / ms) * 1000);
  return {
    name: 'local Firehose: PutRecordBatch records/s with the journal (fdatasync before answering)',
    unit: 'records/s',
    project: perSec(median(ta)),
    baseline: perSec(median(tb)),
    baselineLabel: 'same calls, journal off',
    higherIsBetter: true,
    target: { ratio: 0.7, description: 'of the throughput without journal' },
    notes: `${CALLS} calls × 500 records, 4 in flight, median of ${ROUNDS} alternating rounds; ms: ${median(ta).toFixed(0)} vs ${median(tb).toFixed(0)}`,
  };
}

async function soakRss(withoutLoader: boolean): Promise<BenchResult> {
  const seconds = Number(process.env.LOCAL_SOAK_SECONDS ?? 60);
  const r = await soak({
    seconds,
    env: withoutLoader ? { LOCAL_PIPELINES_MODULE: 'test/bench/stream-no-loader.ts' } : {},
    settle: SETTLE_LIMIT_MS,
  });
  const caughtUp =
    r.settleMs === undefined
      ? `not caught up ${SETTLE_LIMIT_MS / 1000} s after the producers stopped`
      : `caught up (every buffer delivered${withoutLoader ? '' : ', every lake object loaded'}) ${(r.settleMs / 1000).toFixed(1)} s after the producers stopped`;
  return {
    name: `local cloud peak RSS during a ${seconds} s PutRecordBatch soak at full speed${withoutLoader ? ', stream loader left out (Firehose share)' : ''}`,
    unit: 'MB',
    project: Math.round(r.peakRssMb),
    baseline: 600,
    baselineLabel: 'the 600 MB budget',
    higherIsBetter: false,
    target: { ratio: 1, description: 'within the budget' },
    notes: `${r.accepted} records accepted in ${r.calls} calls (${Math.round(r.accepted / seconds)}/s), ${r.throttledCalls} calls throttled (ServiceUnavailableException, 503), ${r.rejectedRecords} records refused; the cloud used ${r.cpuSeconds.toFixed(1)} CPU s during the soak (${Math.round((r.cpuSeconds * 1e6) / Math.max(1, r.accepted))} ms per 1,000 records accepted); ${caughtUp}`,
  };
}

const bench: Benchmark = async () => [await journalCost(), await soakRss(false), await soakRss(true)];
export default bench;
