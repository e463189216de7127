// The start screen and `npm run demo` are derived from the definitions and the kinds' plug-ins only: each
// function's sample becomes its trigger kind's commands, each written resource its kind's look command, and
// the demo (a real child process, found through the data directory's lock file, not through a port) sends
// every sample and reports what changed where the functions write. The events API's commands (a key from
// `npm run api-key`, then curl) are run as shown, in a shell, against the cloud.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScreen, writeSamples } from '../../infra/local/start-screen.ts';
import { pipelines } from '../../pipelines/index.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

const run = promisify(execFile);
/** A path as the start screen shows it: relative to the working directory where it lies below it. */
const shown = (p: string) =>
  path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p);
const repoRoot = path.resolve(import.meta.dirname, '../..');
let cloud: TestCloud;

beforeAll(async () => {
  // The project's own pipelines, unmodified; the same 1 MiB / 5 s buffer as `npm start`.
  cloud = await startTestCloud({ pipelines, firehoseBuffer: { sizeBytes: 1024 * 1024, intervalMs: 5_000 } });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('the start screen', () => {
  it('offers each pipeline’s sample through its trigger and where to look for the results', async () => {
    const samples = await writeSamples(cloud.resources, cloud.dataDir);
    expect([...samples.keys()]).toEqual([
      'image-resize',
      'alarm-to-slack',
      'stream-transform',
      'events-api-ingest',
      'events-api-query',
    ]);
    const screen = startScreen(cloud, samples, '1 MiB / 5 s');
    const e = cloud.endpoint;
    const alarm = samples.get('alarm-to-slack')!.shown;
    const records = samples.get('stream-transform')!.shown;
    const events = samples.get('events-api-ingest')!.shown;
    for (const line of [
      `export AWS_ENDPOINT_URL=${e}`,
      `Console: ${e}/_local/console/`,
      `alias aws='aws --endpoint-url ${e} --region us-east-1'`,
      "aws s3 cp test/fixtures/photos/autumn.jpg 's3://uploads/My Photos/autumn leaves.jpg'",
      'aws s3 ls --recursive s3://display/',
      `curl -s ${e}/_local/cloudfront/invalidations`,
      `aws sns publish --topic-arn arn:aws:sns:us-east-1:000000000000:alarms --subject 'ALARM: "checkout-latency-p99" in US East (N. Virginia)' --message file://${alarm}`,
      `curl -s ${e}/_local/webhooks`,
      'aws dynamodb scan --table-name idempotency --max-items 5',
      'aws firehose put-record --delivery-stream-name events --cli-binary-format raw-in-base64-out',
      `npm run produce -- ${records}`,
      'aws s3 ls --recursive s3://lake/',
      'aws dynamodb scan --table-name events --max-items 5',
      'λ stream-loader      ← s3://lake s3:ObjectCreated:* (prefix events/)',
      'Secrets          slack-webhook from $SLACK_WEBHOOK_URL, unset: the webhook sink',
      `HTTP APIs        ${e}/_api/events  (POST /events, GET /events, GET /events/latest; every route authorized by events-api-authorizer`,
      'λ events-api-query   ← http GET /events, GET /events/latest (API events)',
      `export API_KEY=$(AWS_ENDPOINT_URL=${e} npm run -s api-key -- create --name me --scopes read,write | head -1)`,
      `curl -s -X POST ${e}/_api/events/events -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' --data-binary @${events}`,
      `curl -s '${e}/_api/events/events/latest?source=demo-sensor&limit=5' -H "Authorization: Bearer $API_KEY"`,
      `curl -s '${e}/_api/events/events?source=demo-sensor&from=`,
      'Secrets          slack-webhook from $SLACK_WEBHOOK_URL',
      'events-api-cursor-key from $CURSOR_KEY, unset: generated once per data dir',
      // The test cloud's data directory is not the default one: the demo must be told.
      `LOCAL_DATA_DIR=${shown(cloud.dataDir)} npm run demo`,
    ])
      expect(screen).toContain(line);
    // The cache: a server when one is installed, else a warning that the API runs uncached and why.
    if (cloud.services.caches.state('events-cache')?.status === 'off')
      expect(screen).toMatch(/⚠ cache events-cache is off: no valkey-server or redis-server on PATH/);
    else expect(screen).toMatch(/Valkey caches +events-cache → redis:\/\/127\.0\.0\.1:\d+/);
  });
});

describe('npm run demo', () => {
  it('finds the cloud through its data directory, sends every sample and reports each result', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_DATA_DIR: cloud.dataDir };
    delete env.LOCAL_PORT;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'infra/local/demo.ts'], {
      cwd: repoRoot,
      env,
      timeout: 150_000,
    });
    expect(stdout).toContain(
      `Demo against ${cloud.endpoint} (found from the cloud running on ${cloud.dataDir})`,
    );
    expect(stdout).toMatch(
      /↑ uploaded autumn\.jpg .* to s3:\/\/uploads\/demo .*\/My Photos\/autumn leaves\.jpg/,
    );
    for (const variant of ['thumb', 'medium', 'large'])
      expect(stdout).toMatch(new RegExp(`✓ s3://display/${variant}/demo .*autumn leaves\\.\\w+ .* image/`));
    expect(stdout).toMatch(/✓ webhook sink .*: slack ◂ .*ALARM: checkout-latency-p99/);
    expect(stdout).toContain('✓ DynamoDB table idempotency: 1 item(s), 1 new');
    expect(stdout).toContain('↑ put 1000 records (records.ndjson) to Firehose stream events');
    // The sample (stream-etl's definition): 1,000 lines, a quarter heartbeats (dropped by DROP_TYPES), and
    // every hundredth line not JSON, which replaces a heartbeat: 750 loaded, 240 dropped, 10 to errors/.
    expect(stdout).toMatch(
      /✓ Firehose events: 750 Ok, 240 Dropped, 10 failed → \d+ object\(s\) in s3:\/\/lake\//,
    );
    expect(stdout).toMatch(/✓ s3:\/\/lake\/events\/type=click\/dt=.*\.gz/);
    expect(stdout).toContain('✓ DynamoDB table events: 750 item(s), 750 new');
    // The events API: five events POSTed with a key the demo made, read back after the pipeline settled,
    // first from DynamoDB (the loader's bump changed the cached page's key), then from the cache. (Whether the first read after settling is a miss depends on
    // whether the 5 s buffer was delivered before the reads made before settling: on a busy host it may be.)
    const api = `${cloud.endpoint}/_api/events`;
    expect(stdout).toContain(`↑ POST ${api}/events (events.json, `);
    expect(stdout).toMatch(/bytes\) → 202 accepted=5, rejected=0, failed=0, results: 5/);
    expect(stdout).toMatch(
      new RegExp(
        `✓ GET ${api.replaceAll('.', '\\.')}/events/latest\\?source=demo-sensor&limit=5 → 200 \\(x-cache: (miss|hit|off)\\) events: 5`,
      ),
    );
    expect(stdout).toMatch(/✓ the same again → 200 \(x-cache: (hit|off)\) events: 5/);
    expect(stdout).toContain('"source":"demo-sensor","type":"reading"');
    expect(stdout).not.toContain('✗');
    expect(stdout).not.toContain('NodeVersionSupportWarning');
  }, 180_000);
});

// After the demo, so that the demo's table counts are its own.
describe('the events API’s commands', () => {
  it('lists the same commands at GET /_local, and the events API’s commands work as shown', async () => {
    const samples = await writeSamples(cloud.resources, cloud.dataDir);
    const listed = (await (await fetch(`${cloud.endpoint}/_local`)).json()) as {
      endpoints: string[];
      try: Record<string, string[]>;
      resourceStates: Record<string, { url?: string; routes?: string[] }>;
    };
    expect(listed.resourceStates['api:events']).toEqual({
      url: `${cloud.endpoint}/_api/events`,
      routes: ['POST /events', 'GET /events', 'GET /events/latest'],
      authorizer: 'events-api-authorizer',
    });
    const apiTries = listed.try['events-api']!;
    expect(apiTries[0]).toMatch(
      /^export API_KEY=\$\(AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+ npm run -s api-key/,
    );
    expect(
      apiTries.filter((t) => t.startsWith('curl -s ') && t.includes('/_api/events/events')),
    ).toHaveLength(3);
    expect(listed.endpoints).toContain(
      'GET /_local/health  resources, functions and their triggers; 503 while starting or stopping',
    );
    // As a user would paste them: make a key, POST the sample, settle, read the source's newest events.
    const screen = startScreen(cloud, samples, '1 MiB / 5 s');
    const block = screen.split('Pipeline events-api')[1]!.split('\n\n')[0]!;
    const lines = block.split('\n').map((l) => l.trim());
    const key = lines.find((l) => l.startsWith('export API_KEY='))!;
    const post = lines.find((l) => l.startsWith('curl -s -X POST'))!;
    const latest = lines.find((l) => l.includes('/events/latest?'))!;
    const script = [
      'set -e',
      key,
      'test -n "$API_KEY"',
      post,
      'echo',
      `curl -s -X POST ${cloud.endpoint}/_local/settle >/dev/null`,
      latest,
    ].join('\n');
    const { stdout } = await run('sh', ['-c', script], { cwd: repoRoot, timeout: 120_000 });
    const [posted, read] = stdout.trim().split('\n') as [string, string];
    expect(JSON.parse(posted)).toMatchObject({ accepted: 5, rejected: 0, failed: 0 });
    const newest = (JSON.parse(read) as { events: Array<{ source: string; type: string }> }).events;
    expect(newest).toHaveLength(5);
    expect(newest.every((e) => e.source === 'demo-sensor' && e.type === 'reading')).toBe(true);
  }, 150_000);
});
