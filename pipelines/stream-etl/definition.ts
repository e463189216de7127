// Stream pipeline definition: producers → Firehose `events` → transform → S3 `lake` (partitioned,
// GZIP) → loader → DynamoDB `events`. Read by infra/cdk and infra/local alike.
import { type PipelineDefinition, ref } from '../types.ts';
import { DEFAULT_DROP_TYPES, LAKE_EVENTS_PREFIX } from './config.ts';

export const streamEtl: PipelineDefinition = {
  name: 'stream-etl',
  title: 'Stream pipeline',
  description: 'Producers → Firehose → validating transform → S3 lake → DynamoDB',
  resources: {
    buckets: [{ name: 'lake', description: 'Data lake: partitioned GZIP NDJSON, plus failed records' }],
    tables: [
      {
        name: 'events',
        description: 'Every valid event, keyed deterministically so redelivery never duplicates',
        partitionKey: { name: 'pk', type: 'S' },
        sortKey: { name: 'sk', type: 'S' },
      },
    ],
    streams: [
      {
        name: 'events',
        description: 'Ingests producer records; the transform validates and partitions them',
        destination: {
          bucket: 'lake',
          prefix: `${LAKE_EVENTS_PREFIX}type=!{partitionKeyFromLambda:type}/dt=!{partitionKeyFromLambda:dt}/`,
          errorPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
          compression: 'GZIP',
          partitionKeys: ['type', 'dt'],
        },
        // AWS requires ≥64 MiB buffering with dynamic partitioning; the local cloud overrides this.
        buffering: { sizeMiB: 64, intervalSeconds: 60 },
        processor: 'stream-transform',
        // Records under errors/ never reach the loader until they are sent again.
        recovery:
          'run `npm run replay` to send the error-prefix records through the stream again (the loader never saw them)',
      },
    ],
  },
  functions: [
    {
      id: 'stream-transform',
      description: 'Firehose data transformation: validates and normalises each record',
      entry: 'handlers/stream-transform.ts',
      trigger: { kind: 'firehose-transform', stream: 'events' },
      memoryMb: 1024,
      timeoutSeconds: 120,
      sizing:
        'CPU bound on JSON parse/validate of up to 6 MB per invocation; 1 GB gives a fuller vCPU. Firehose ' +
        'allows up to 5 minutes; 2 minutes is ample and fails fast on a hang.',
      // Record types answered with Dropped (comma-separated; empty drops nothing), deployed visibly with
      // the default. Other settings and their defaults (MAX_RESPONSE_BYTES, MAX_EVENT_BYTES): config.ts.
      environment: { DROP_TYPES: DEFAULT_DROP_TYPES.join(',') },
      access: [],
      local: {
        // Producer records of four types (heartbeats are dropped by DROP_TYPES); the demo sends 1,000.
        sample: {
          name: 'records.ndjson',
          // 1,000 distinct records from five sources (a quarter heartbeats, which DROP_TYPES drops) and one
          // line in a hundred not JSON at all, so the demo shows all three outcomes: loaded, dropped, errors/.
          content: () => {
            const now = Date.now();
            const types = ['page.view', 'click', 'order.created', 'heartbeat'];
            const lines = Array.from({ length: 1000 }, (_, i) =>
              i % 100 === 99
                ? `{"source":"sample-${i % 5}","type":"broken", this is not JSON`
                : JSON.stringify({
                    source: `sample-${i % 5}`,
                    type: types[i % 4],
                    time: new Date(now + i * 1000).toISOString(),
                    data: { i },
                  }),
            );
            return `${lines.join('\n')}\n`;
          },
          commands: ['npm run produce -- {sample}'],
        },
      },
    },
    {
      id: 'stream-loader',
      description: 'Loads new lake objects into the events table with BatchWriteItem',
      entry: 'handlers/stream-loader.ts',
      trigger: {
        kind: 's3',
        bucket: 'lake',
        events: ['s3:ObjectCreated:*'],
        filter: { prefix: LAKE_EVENTS_PREFIX },
      },
      memoryMb: 512,
      timeoutSeconds: 300,
      reservedConcurrency: 10,
      sizing:
        'Streams one GZIP object (up to the 64 MiB Firehose buffer) line by line; time is dominated by ' +
        'DynamoDB writes and backoff on UnprocessedItems, so the timeout is long and memory modest.',
      environment: {
        EVENTS_TABLE: ref.table('events'),
        // The events API's cache, told which (source, day) each invocation loaded (events-api README).
        CACHE_URL: ref.cache('events-cache'),
      },
      access: [
        { resource: ref.bucket('lake'), mode: 'read' },
        { resource: ref.table('events'), mode: 'write' },
        { resource: ref.cache('events-cache'), mode: 'connect' },
      ],
    },
  ],
};
