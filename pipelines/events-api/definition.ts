// Events API definition: devices POST events over an HTTP API into the stream pipeline's Firehose stream;
// dashboards read the stream pipeline's `events` table back by source and time, through a Valkey cache.
// Every route is authorized by the API-key authorizer. Read by infra/cdk and infra/local alike.
import { type PipelineDefinition, ref } from '../types.ts';
import { DEFAULT_CACHE_TTL_SECONDS } from './config.ts';

/** How long API Gateway reuses an authorizer answer per key: a revoked key is refused within this time. */
export const AUTHORIZER_CACHE_SECONDS = 60;

/** Local only: how the start screen's curl examples and the demo get an API key (the local cloud's table). */
const localKey = {
  command: 'npm run -s api-key -- create --name me --scopes read,write',
  variable: 'API_KEY',
  authorization: 'Bearer {credential}',
};

/** The source of the local samples' events. */
const SAMPLE_SOURCE = 'demo-sensor';

export const eventsApi: PipelineDefinition = {
  name: 'events-api',
  title: 'Events API',
  description:
    'HTTP API → λ authorizer (API keys) → ingest into Firehose / query the events table via Valkey',
  resources: {
    tables: [
      {
        name: 'api-keys',
        description: 'API keys: the SHA-256 of each secret, its scopes and revocation, never the key',
        partitionKey: { name: 'id', type: 'S' },
      },
    ],
    secrets: [
      {
        name: 'events-api-cursor-key',
        description: 'Key that signs the query cursors (HMAC-SHA256), so a client cannot forge one',
        localEnv: 'CURSOR_KEY',
        generate: true,
      },
    ],
    caches: [
      {
        name: 'events-cache',
        description: 'Cache-aside for popular event queries, kept fresh by the loader’s generation bumps',
        engine: 'valkey',
        // Caps the bill of a runaway client: 1 GB of pages and 5,000 ECPU/s are ample for query pages.
        limits: { maxDataGb: 1, maxEcpuPerSecond: 5_000 },
      },
    ],
    apis: [
      {
        name: 'events',
        description: 'Events API: POST /events, GET /events, GET /events/latest',
        authorizer: 'events-api-authorizer',
        identitySource: ['$request.header.Authorization'],
        authorizerCacheSeconds: AUTHORIZER_CACHE_SECONDS,
        // Per stage, for all clients together; a device fleet that needs more raises it here.
        throttling: { rateLimit: 200, burstLimit: 400 },
      },
    ],
  },
  functions: [
    {
      id: 'events-api-authorizer',
      description: 'HTTP API authorizer: checks an API key against its stored hash and returns its scopes',
      entry: 'handlers/events-api-authorizer.ts',
      trigger: { kind: 'http-authorizer', api: 'events' },
      memoryMb: 256,
      timeoutSeconds: 5,
      sizing:
        'One strongly consistent GetItem and a hash per uncached key; 256 MB keeps cold starts short. 5 s ' +
        'fails fast: API Gateway answers 500 for an authorizer that fails, and the client retries.',
      environment: { API_KEYS_TABLE: ref.table('api-keys') },
      access: [{ resource: ref.table('api-keys'), mode: 'read' }],
    },
    {
      id: 'events-api-ingest',
      description: 'POST /events: validates events with the stream schema and sends them to Firehose',
      entry: 'handlers/events-api-ingest.ts',
      trigger: { kind: 'http', api: 'events', routes: ['POST /events'] },
      memoryMb: 512,
      timeoutSeconds: 15,
      sizing:
        'Parses and validates up to 500 events (4 MiB) and makes a few PutRecordBatch rounds; 512 MB gives ' +
        'the CPU share for that. 15 s stays well inside API Gateway’s 30 s.',
      environment: { EVENTS_STREAM: ref.stream('events') },
      access: [{ resource: ref.stream('events'), mode: 'write' }],
      local: {
        // It holds a batch of up to 500 parsed events while it validates, encodes and sends them: locally
        // its workers get Lambda's young generation for 512 MB rather than the small local default, which
        // cost it about a third more CPU per call (README, Performance).
        largeRequests: true,
        // A batch of five readings from now, POSTed with a key made by `npm run api-key` (the demo makes one).
        sample: {
          name: 'events.json',
          content: () => {
            const now = Date.now();
            const events = Array.from({ length: 5 }, (_, i) => ({
              source: SAMPLE_SOURCE,
              type: 'reading',
              time: new Date(now - (4 - i) * 1_000).toISOString(),
              data: { celsius: 21 + i / 10 },
            }));
            return `${JSON.stringify(events, null, 1)}\n`;
          },
          credential: localKey,
        },
      },
    },
    {
      id: 'events-api-query',
      description: 'GET /events and /events/latest: reads the events table through the cache',
      entry: 'handlers/events-api-query.ts',
      trigger: { kind: 'http', api: 'events', routes: ['GET /events', 'GET /events/latest'] },
      memoryMb: 512,
      timeoutSeconds: 10,
      sizing:
        'A page is at most 1,000 items (one or a few DynamoDB Query calls) serialised to JSON; 512 MB for ' +
        'the CPU share. 10 s: a page that takes longer is better retried than waited for.',
      environment: {
        EVENTS_TABLE: ref.table('events'),
        CURSOR_KEY_SECRET_ARN: ref.secret('events-api-cursor-key'),
        CACHE_URL: ref.cache('events-cache'),
        CACHE_TTL_SECONDS: String(DEFAULT_CACHE_TTL_SECONDS),
      },
      access: [
        { resource: ref.table('events'), mode: 'read' },
        { resource: ref.secret('events-api-cursor-key'), mode: 'read' },
        { resource: ref.cache('events-cache'), mode: 'connect' },
      ],
      local: {
        // One request per line: the last hour of the sample's source, and its five newest events.
        sample: {
          name: 'events-queries.txt',
          content: () => {
            const now = Date.now();
            const iso = (ms: number) => new Date(ms).toISOString();
            return [
              `GET /events?source=${SAMPLE_SOURCE}&from=${iso(now - 3_600_000)}&to=${iso(now + 60_000)}&limit=100`,
              `GET /events/latest?source=${SAMPLE_SOURCE}&limit=5`,
              '',
            ].join('\n');
          },
          credential: localKey,
        },
      },
    },
  ],
};
