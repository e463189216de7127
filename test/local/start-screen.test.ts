// The start screen and `npm run demo` are derived from the definitions and the kinds' plug-ins only: each
// function's sample becomes its trigger kind's commands, each written resource its kind's look command, and
// the demo (a real child process, found through the data directory's lock file, not through a port) sends
// every sample and reports what changed where the functions write.
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
    expect([...samples.keys()]).toEqual(['image-resize', 'alarm-to-slack', 'stream-transform']);
    const screen = startScreen(cloud, samples, '1 MiB / 5 s');
    const e = cloud.endpoint;
    const alarm = samples.get('alarm-to-slack')!.shown;
    const records = samples.get('stream-transform')!.shown;
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
      // The test cloud's data directory is not the default one: the demo must be told.
      `LOCAL_DATA_DIR=${shown(cloud.dataDir)} npm run demo`,
    ])
      expect(screen).toContain(line);
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
    expect(stdout).not.toContain('✗');
    expect(stdout).not.toContain('NodeVersionSupportWarning');
  }, 180_000);
});
