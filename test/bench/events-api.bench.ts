// Events API benchmark (`npm run bench -- events-api`), on the local cloud with every pipeline, through the
// local API Gateway (authorizer answer cached per key, as on AWS), in one run:
// - GET: throughput and p99 of a popular query (one source, one day, the first page of 100 events) answered
//   from the Valkey cache, against the same query on a second local cloud started without a cache
//   (`cache: false`), whose query function reads DynamoDB every time. Rounds alternate A/B, 8 requests in
//   flight; cached answers must say `x-cache: hit` (or `miss` where the 60 s TTL expired: the share of hits is reported) and every uncached one `x-cache: off`, and both must
//   return the same 100 events. Target: cached ≥ 3× the throughput.
// - POST: sustained ingestion throughput of batches of 500 realistic events (POST /events: authorizer,
//   validation with the stream schema, the producer's PutRecordBatch) against direct PutRecordBatch calls of
//   the same records to the same local Firehose: rounds of 48 calls, 4 in flight, alternating, the cloud
//   settled between rounds so that neither is throttled. The client runs on the cloud's own thread here, so
//   both sides' clients are made to cost alike: each side's payload (the API's JSON body, the direct side's
//   encoded records) is prepared once, and the API side posts with node:http and a keep-alive agent, the
//   transport the SDK's NodeHttpHandler uses on the direct side (fetch's client took about 3 ms more of the
//   cloud's CPU per 268 KB call). Target ≥ 0.5×. The notes also give the ratio of each round pair (an API
//   round against the direct round after it): one run's ratios have spread by 0.2, so a single run's
//   median can land either side of the target.
// Both clouds keep their function workers for the whole run (`workerIdleMs: 0`): with the local default
// (60 s) the authorizer's worker, idle while API Gateway's cache answers for it, was released just as that
// cache expired, and its cold start fell into a timed round. Cold starts have their own benchmark.
// The seeded events are written with the stream loader's own code (loadLines), as the pipeline would.
import http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { loadLines } from '../../pipelines/stream-etl/loader.ts';
import { encodeRecord } from '../../pipelines/stream-etl/producer.ts';
import { type EventsApi, eventsApi } from '../support/events-api.ts';
import { rawRequest } from '../support/http.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { type BenchResult, median } from './harness.ts';
import { realisticRecord } from './stream.bench.ts';

const SOURCE = 'bench-popular';
const DAY = '2026-11-30';
const SEEDED = 1_000;
const IN_FLIGHT = 8;
const REQUESTS_PER_ROUND = 400;
const ROUNDS = 5;

interface Side {
  cloud: TestCloud;
  api: EventsApi;
  key: string;
}

async function side(cloud: TestCloud): Promise<Side> {
  const api = eventsApi(cloud);
  const { key } = await api.createKey(['read', 'write'], 'bench');
  const dynamo = new DynamoDBClient(cloud.clientConfig);
  const start = Date.parse(`${DAY}T00:00:00.000Z`);
  const lines = Array.from({ length: SEEDED }, (_, i) =>
    JSON.stringify({
      eventId: `seed-${i}`,
      source: SOURCE,
      type: 'reading',
      time: new Date(start + i * 60_000).toISOString(),
      data: { watts: 100 + (i % 50), phase: i % 3 },
    }),
  );
  await loadLines(lines, { client: dynamo, tableName: 'events' });
  dynamo.destroy();
  return { cloud, api, key };
}

const QUERY = { source: SOURCE, from: `${DAY}T00:00:00Z`, to: `${DAY}T23:59:59Z`, limit: '100' };

/** REQUESTS_PER_ROUND GETs, IN_FLIGHT at a time: elapsed ms and each request's latency. */
async function getRound(
  s: Side,
  expectCache: readonly string[],
): Promise<{ ms: number; latencies: number[]; hits: number }> {
  let next = 0;
  let hits = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (next++ < REQUESTS_PER_ROUND) {
      const t = performance.now();
      const res = await s.api.get<{ events: unknown[] }>(s.key, '/events', QUERY);
      latencies.push(performance.now() - t);
      const cache = res.headers.get('x-cache');
      if (cache === 'hit') hits++;
      if (res.status !== 200 || res.json.events.length !== 100 || !expectCache.includes(cache ?? ''))
        throw new Error(
          `GET answered ${res.status}, ${res.json?.events?.length} events, x-cache ${cache}: ${res.text.slice(0, 300)}`,
        );
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { ms: performance.now() - t, latencies, hits };
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1]!;

async function getRows(cached: Side, uncached: Side): Promise<BenchResult[]> {
  // Warm both (functions' cold starts, the authorizer cache, the first fill of the cache).
  const first = await cached.api.get<{ events: unknown[] }>(cached.key, '/events', QUERY);
  const plain = await uncached.api.get<{ events: unknown[] }>(uncached.key, '/events', QUERY);
  if (JSON.stringify(first.json.events) !== JSON.stringify(plain.json.events))
    throw new Error('the cached and uncached clouds answer the query differently');
  // Cached entries live CACHE_TTL_SECONDS (60 s), so a round may refill the page once: a miss is allowed.
  const CACHED = ['hit', 'miss'];
  const UNCACHED = ['off'];
  await getRound(cached, CACHED);
  await getRound(uncached, UNCACHED);
  const a: Array<Awaited<ReturnType<typeof getRound>>> = [];
  const b: Array<Awaited<ReturnType<typeof getRound>>> = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await getRound(cached, CACHED));
    b.push(await getRound(uncached, UNCACHED));
  }
  const hitShare = a.reduce((n, r) => n + r.hits, 0) / (ROUNDS * REQUESTS_PER_ROUND);
  const rate = (ms: number) => Math.round((REQUESTS_PER_ROUND / ms) * 1000);
  const p99a = p99(a.flatMap((r) => r.latencies));
  const p99b = p99(b.flatMap((r) => r.latencies));
  const note = `${REQUESTS_PER_ROUND} GETs a round, ${IN_FLIGHT} in flight, median of ${ROUNDS} alternating rounds; the page is 100 of ${SEEDED} events of one source and day; ${(hitShare * 100).toFixed(1)}% of cached-side answers were hits (the rest refills after the 60 s TTL)`;
  return [
    {
      name: 'events API: GET of a popular query, requests/s, cached (Valkey) vs straight from DynamoDB',
      unit: 'requests/s',
      project: rate(median(a.map((r) => r.ms))),
      baseline: rate(median(b.map((r) => r.ms))),
      baselineLabel: 'same query, local cloud without a cache',
      higherIsBetter: true,
      target: { ratio: 3, description: 'the throughput from DynamoDB' },
      notes: note,
    },
    {
      name: 'events API: GET of a popular query, p99 latency, cached vs straight from DynamoDB',
      unit: 'ms',
      project: Number(p99a.toFixed(1)),
      baseline: Number(p99b.toFixed(1)),
      baselineLabel: 'same query, local cloud without a cache',
      higherIsBetter: false,
      notes: `${note}; p99 over all ${ROUNDS * REQUESTS_PER_ROUND} requests of each side`,
    },
  ];
}

const BATCH = 500;
const CALLS = 48;
const POST_IN_FLIGHT = 4;

async function postRow(s: Side): Promise<BenchResult> {
  const events = Array.from({ length: BATCH }, (_, i) => realisticRecord(i));
  // Each side's payload is prepared once, outside the timed rounds: the direct side's encoded records, the
  // API side's JSON body (as bytes, so that the client does not re-encode it on every call either).
  const records = events.map((e) => ({ Data: encodeRecord(e) }));
  const body = Buffer.from(JSON.stringify(events), 'utf8');
  const firehose = new FirehoseClient(s.cloud.clientConfig);
  // node:http with a keep-alive agent (see the header), as the SDK's NodeHttpHandler on the direct side.
  const agent = new http.Agent({ keepAlive: true, maxSockets: POST_IN_FLIGHT });
  const path = `${new URL(s.api.base).pathname}/events`;
  const headers = { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' };
  const run = async (call: () => Promise<void>) => {
    let next = 0;
    const worker = async () => {
      while (next++ < CALLS) await call();
    };
    const t = performance.now();
    await Promise.all(Array.from({ length: POST_IN_FLIGHT }, worker));
    const ms = performance.now() - t;
    await s.cloud.settle();
    return ms;
  };
  const viaApi = async () => {
    const res = await rawRequest(s.cloud.port, 'POST', path, body, headers, agent);
    if (res.status !== 202 || (JSON.parse(res.body) as { accepted: number }).accepted !== BATCH)
      throw new Error(`POST answered ${res.status}: ${res.body.slice(0, 200)}`);
  };
  const direct = async () => {
    const out = await firehose.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'events', Records: records }),
    );
    if (out.FailedPutCount) throw new Error(`${out.FailedPutCount} records refused`);
  };
  const ta: number[] = [];
  const tb: number[] = [];
  try {
    await run(viaApi);
    await run(direct);
    for (let i = 0; i < ROUNDS; i++) {
      ta.push(await run(viaApi));
      tb.push(await run(direct));
    }
  } finally {
    firehose.destroy();
    agent.destroy();
  }
  const perSec = (ms: number) => Math.round(((CALLS * BATCH) / ms) * 1000);
  // Each API round against the direct round right after it: the spread says how far one run can be trusted.
  const pairs = ta.map((a, i) => tb[i]! / a).sort((x, y) => x - y);
  return {
    name: 'events API: POST /events ingestion, events/s, vs direct PutRecordBatch of the same records',
    unit: 'events/s',
    project: perSec(median(ta)),
    baseline: perSec(median(tb)),
    baselineLabel: 'PutRecordBatch to the same local Firehose',
    higherIsBetter: true,
    target: { ratio: 0.5, description: 'of direct PutRecordBatch' },
    notes: `${CALLS} calls × ${BATCH} events, ${POST_IN_FLIGHT} in flight, median of ${ROUNDS} alternating rounds, the cloud settled between rounds; ms: ${median(ta).toFixed(0)} vs ${median(tb).toFixed(0)}; ratio of each round pair ${pairs[0]!.toFixed(2)}–${pairs[pairs.length - 1]!.toFixed(2)}×`,
  };
}

/**
 * Firehose buffers larger than a POST round (48 calls of ~270 KB), so that the stream pipeline behind
 * Firehose (transform, lake, loader) runs while the cloud settles between rounds rather than during them:
 * the POST row measures ingestion, for both sides alike.
 */
const firehoseBuffer = { sizeBytes: 64 * 1024 * 1024, intervalMs: 60_000 };

export default async function bench(): Promise<BenchResult[]> {
  const cachedCloud = await startTestCloud({ firehoseBuffer, workerIdleMs: 0 });
  const uncachedCloud = await startTestCloud({ cache: false, firehoseBuffer, workerIdleMs: 0 });
  const sides: Side[] = [];
  try {
    const cached = await side(cachedCloud);
    sides.push(cached);
    const uncached = await side(uncachedCloud);
    sides.push(uncached);
    const rows = await getRows(cached, uncached);
    rows.push(await postRow(cached));
    return rows;
  } finally {
    for (const s of sides) s.api.close();
    await cachedCloud.stop();
    await uncachedCloud.stop();
  }
}
