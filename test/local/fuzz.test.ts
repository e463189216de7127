// No request can take the local cloud down or make it write outside its data directory. `npm start` runs as
// a child process (main.ts with the test-only pipeline) inside a temporary parent directory; thousands of
// random and malformed requests from a seeded generator (FUZZ_SEED to replay one) go to S3, DynamoDB, SNS,
// Firehose and /_local: random methods, paths, headers and bodies, bodies cut short, connections dropped
// mid-body, raw garbage, hostile keys (`../`, `%2e%2e%2f`, NUL, over-long segments). After each round
// the process must still run, /_local/health must answer 200, every answer must be a well-formed HTTP
// response, and no file may have appeared in the parent directory outside the data directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/child-cloud.ts';
import { waitFor } from '../support/local-cloud.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

// The parent holds the data directory three levels down, so that any `../` escape of up to six levels from
// an S3 bucket directory (<data>/s3/<bucket>) lands inside the parent, where the scan finds it.
let parent: string;
let dataDir: string;
let child: ChildProcess | undefined;
let endpoint = '';
let port = 0;
let output = '';

async function startChild(): Promise<void> {
  port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  output = '';
  child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOCAL_PORT: String(port),
      LOCAL_DATA_DIR: dataDir,
      LOCAL_PIPELINES_MODULE: 'test/local/fixtures/pipeline.ts',
      LOCAL_ASYNC_RETRY_DELAY_MS: '50',
      LOCAL_FIREHOSE_BUFFER_INTERVAL_MS: '200',
      CAPTURE_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitFor(async () => (await fetch(`${endpoint}/_local/health`)).status === 200, {
    timeoutMs: 60_000,
    what: 'the local cloud to be healthy',
  });
}

const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

async function healthy(): Promise<number> {
  try {
    return (await fetch(`${endpoint}/_local/health`, { signal: AbortSignal.timeout(10_000) })).status;
  } catch {
    return 0;
  }
}

/** Every file under `dir` (relative paths), skipping `skip`. */
async function files(dir: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (p === skip) continue;
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'local-cloud-fuzz-'));
  dataDir = path.join(parent, 'd1', 'd2', 'd3', 'data');
  await mkdir(dataDir, { recursive: true });
  await startChild();
}, 90_000);

afterAll(async () => {
  if (alive()) {
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  if (parent) await rm(parent, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------- requests

interface Req {
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Send only this many body bytes, then drop the connection. */
  abortAfter?: number;
  /** Raw bytes instead of an HTTP request. */
  raw?: Buffer;
}

interface Outcome {
  req: Req;
  status: number | 'aborted' | 'closed' | 'timeout';
  /** The start of the answer's body, for failure messages. */
  answer?: string;
}

/** Sends one request on its own socket (never reused), so that a dropped one cannot disturb the next. */
function fire(r: Req): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (status: Outcome['status']) => {
      socket.destroy();
      resolve({ req: r, status });
    };
    const timer = setTimeout(() => done('timeout'), 15_000);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve({
        req: r,
        status: r.abortAfter !== undefined ? 'aborted' : m ? Number(m[1]) : 'closed',
        answer: data.split('\r\n\r\n').slice(1).join('').slice(0, 200),
      });
    });
    socket.on('connect', () => {
      if (r.raw) {
        socket.end(r.raw);
        return;
      }
      const headers: Record<string, string> = {
        host: `127.0.0.1:${port}`,
        connection: 'close',
        'content-length': String(r.body.length),
        ...r.headers,
      };
      const head = `${r.method} ${r.path} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`;
      socket.write(head, 'latin1');
      if (r.abortAfter !== undefined) {
        socket.write(r.body.subarray(0, r.abortAfter));
        setTimeout(() => done('aborted'), 5);
        return;
      }
      socket.write(r.body);
      // Keep the write side open: a response (or the server closing) ends the exchange.
      socket.once('data', () => setTimeout(() => socket.end(), 0));
    });
  });
}

const HOSTILE_KEYS = [
  '../escape-1',
  '../../escape-2',
  '../../../escape-3',
  '../../../../escape-4',
  '../../../../../../escape-6',
  '%2e%2e/%2e%2e/%2e%2e/escape-enc',
  '%2e%2e%2f%2e%2e%2f%2e%2e%2fescape-enc2',
  '..%2F..%2F..%2Fescape-enc3',
  '..%5C..%5C..%5Cescape-backslash',
  'a/../../../../escape-mid',
  'nul%00byte',
  'ctl%01%1f%7f',
  `long-${'x'.repeat(300)}`,
  `deep/${'s/'.repeat(2000)}leaf`,
  `${'y'.repeat(1100)}`,
  '%ff%fe%fd',
  '.',
  '..',
  '...',
  '%',
  '%zz',
  '//double//slash',
  'emoji-😀',
];

function randomString(rng: Rng, max: number): string {
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz0123456789',
    "ABC_-.~!*()'/%?#&=+ ",
    '\u0000\u0001\u007f\u00e9\u4e2d\ud83d\ude00"\\<>{}[]',
  ];
  const n = rng.int(max);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(rng.pick(alphabets).split(''));
  return s;
}

function randomJson(rng: Rng, depth = 0): unknown {
  const k = rng.int(depth > 3 ? 5 : 8);
  if (k === 0) return null;
  if (k === 1) return rng.chance(0.5);
  if (k === 2) return rng.pick([0, -1, 1e308, 3.5, Number.MAX_SAFE_INTEGER]);
  if (k === 3) return randomString(rng, 40);
  if (k === 4) return rng.chance(0.1) ? 'x'.repeat(rng.int(200_000)) : '';
  if (k === 5) return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--) o[rng.pick(FIELD_NAMES)] = randomJson(rng, depth + 1);
  return o;
}

const FIELD_NAMES = [
  'TableName',
  'Key',
  'Item',
  'KeySchema',
  'AttributeDefinitions',
  'ExpressionAttributeValues',
  'KeyConditionExpression',
  'RequestItems',
  'DeliveryStreamName',
  'Record',
  'Records',
  'Data',
  'Limit',
  'ExclusiveStartDeliveryStreamName',
  'pk',
  'S',
  'N',
  'B',
  'M',
  'L',
];

function body(rng: Rng): Buffer {
  const k = rng.int(6);
  if (k === 0) return Buffer.alloc(0);
  if (k === 1) return Buffer.from(JSON.stringify(randomJson(rng)) ?? 'null');
  if (k === 2)
    return Buffer.from(rng.pick(['null', '[]', '{', '{"a":', '"x"', '1e999', '{"__proto__":{"x":1}}']));
  if (k === 3) return Buffer.from(Array.from({ length: rng.int(2000) }, () => rng.int(256)));
  if (k === 4) return Buffer.from(randomString(rng, 500));
  return Buffer.from(JSON.stringify(randomJson(rng, 1)) ?? '{}');
}

function withDamage(rng: Rng, r: Req): Req {
  if (rng.chance(0.08) && r.body.length > 0)
    return { ...r, what: `${r.what} (aborted mid-body)`, abortAfter: rng.int(r.body.length) };
  if (rng.chance(0.05))
    return {
      ...r,
      what: `${r.what} (aborted before body)`,
      body: r.body.length ? r.body : Buffer.from('{}'),
      abortAfter: 0,
    };
  if (rng.chance(0.03))
    return {
      ...r,
      what: `${r.what} (content-length too small)`,
      headers: { ...r.headers, 'content-length': String(Math.max(0, r.body.length - 3)) },
    };
  return r;
}

const DYNAMO_OPS = [
  'ListTables',
  'DescribeTable',
  'PutItem',
  'GetItem',
  'Query',
  'Scan',
  'BatchWriteItem',
  'BatchGetItem',
  'UpdateItem',
  'DeleteItem',
  'CreateTable',
  'TransactWriteItems',
  'Nope',
  '',
];
const FIREHOSE_OPS = [
  'PutRecord',
  'PutRecordBatch',
  'DescribeDeliveryStream',
  'ListDeliveryStreams',
  'CreateDeliveryStream',
  '',
];
const SNS_ACTIONS = [
  'CreateTopic',
  'Publish',
  'PublishBatch',
  'Subscribe',
  'Unsubscribe',
  'ListTopics',
  'GetTopicAttributes',
  'SetTopicAttributes',
  'DeleteTopic',
  'GetSubscriptionAttributes',
  'ListSubscriptionsByTopic',
  'Bogus',
  '',
];
const SNS_PARAMS = [
  'Name',
  'TopicArn',
  'Message',
  'Subject',
  'Protocol',
  'Endpoint',
  'SubscriptionArn',
  'AttributeName',
  'AttributeValue',
  'MessageStructure',
  'MessageGroupId',
  'MessageDeduplicationId',
  'MessageAttributes.entry.1.Name',
  'MessageAttributes.entry.1.Value.DataType',
  'PublishBatchRequestEntries.member.1.Id',
  'PublishBatchRequestEntries.member.1.Message',
  'Attributes.entry.1.key',
  'Attributes.entry.1.value',
];
const ARNISH = [
  'arn:aws:sns:us-east-1:000000000000:test-topic',
  'arn:aws:sns:us-east-1:000000000000:fuzz',
  'arn:aws:sns:us-east-1:000000000000:x.fifo',
  'arn:aws:sns:::',
  '::::::::',
  'arn:aws:sns:us-east-1:000000000000:test-topic:1234',
  '../../etc/passwd',
];

function dynamoReq(rng: Rng): Req {
  const op = rng.pick(DYNAMO_OPS);
  let b = body(rng);
  if (rng.chance(0.4)) {
    b = Buffer.from(
      JSON.stringify({
        TableName: rng.pick(['things', 'nope', '../x', '', 'a'.repeat(300), randomString(rng, 20)]),
        Key: { pk: { S: randomString(rng, 10) }, sk: { N: rng.pick(['1', 'x', '1e999', '']) } },
        Item: { pk: { S: randomString(rng, 10) }, sk: { N: '1' }, v: randomJson(rng, 2) },
        ...(rng.chance(0.3) ? { Limit: rng.pick([-1, 0, 1e9]) } : {}),
      }),
    );
  }
  return withDamage(rng, {
    what: `dynamodb ${op}`,
    method: rng.chance(0.9) ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE']),
    path: rng.chance(0.9) ? '/' : `/${randomString(rng, 20)}`,
    headers: {
      'content-type': rng.pick(['application/x-amz-json-1.0', 'application/json', 'text/plain']),
      'x-amz-target': `DynamoDB_20120810.${op}`,
    },
    body: b,
  });
}

function firehoseReq(rng: Rng): Req {
  const op = rng.pick(FIREHOSE_OPS);
  let b = body(rng);
  if (rng.chance(0.5)) {
    const data = () => rng.pick(['eA==', 'not base64', '', 'YQ', '====', randomString(rng, 8), null, 5, {}]);
    b = Buffer.from(
      JSON.stringify({
        DeliveryStreamName: rng.pick([
          'test-stream',
          'broken-stream',
          'nope',
          '../x',
          '',
          'a'.repeat(65),
          null,
          7,
        ]),
        Record: rng.chance(0.8) ? { Data: data() } : null,
        Records: rng.chance(0.8)
          ? Array.from({ length: rng.pick([0, 1, 3, 501]) }, () =>
              rng.chance(0.9) ? { Data: data() } : null,
            )
          : 'x',
      }),
    );
  }
  return withDamage(rng, {
    what: `firehose ${op}`,
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Firehose_20150804.${op}` },
    body: b,
  });
}

function snsReq(rng: Rng): Req {
  const params = new URLSearchParams({ Action: rng.pick(SNS_ACTIONS), Version: '2010-03-31' });
  for (let i = rng.int(6); i > 0; i--) {
    const name = rng.pick(SNS_PARAMS);
    params.set(name, name.endsWith('Arn') || name === 'Endpoint' ? rng.pick(ARNISH) : randomString(rng, 60));
  }
  if (rng.chance(0.02)) params.set('Message', 'm'.repeat(300_000));
  const b = rng.chance(0.1) ? body(rng) : Buffer.from(params.toString());
  return withDamage(rng, {
    what: `sns ${params.get('Action')}`,
    method: 'POST',
    path: '/',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(rng.chance(0.3)
        ? {
            authorization:
              'AWS4-HMAC-SHA256 Credential=a/20261201/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0',
          }
        : {}),
    },
    body: b,
  });
}

function localReq(rng: Rng): Req {
  const p = rng.pick([
    '/_local/health',
    '/_local/webhooks',
    '/_local/dlq',
    '/_local/firehose',
    '/_local/firehose/faults',
    '/_local/webhooks/x',
    '/_local/nope',
    '/_local/',
  ]);
  const method = rng.pick(['GET', 'POST', 'DELETE', 'PUT']);
  return withDamage(rng, {
    what: `local ${method} ${p}`,
    method,
    path: p,
    headers: { 'content-type': rng.pick(['application/json', 'text/plain']) },
    // Faults with a count would make later PutRecords fail per record, which is fine; keep counts small.
    body: p.endsWith('faults')
      ? Buffer.from(rng.pick(['null', '{"count":2}', '[', '"x"', '{"count":"a","stream":{}}']))
      : body(rng),
  });
}

function garbageReq(rng: Rng): Req {
  const k = rng.int(5);
  if (k === 0)
    return {
      what: 'raw garbage',
      method: '',
      path: '',
      headers: {},
      body: Buffer.alloc(0),
      raw: Buffer.from(Array.from({ length: rng.int(300) }, () => rng.int(256))),
    };
  if (k === 1)
    return {
      what: 'raw request line only',
      method: '',
      path: '',
      headers: {},
      body: Buffer.alloc(0),
      raw: Buffer.from(
        `${rng.pick(['GET', 'BREW', 'POST'])} ${randomString(rng, 30)} HTTP/1.1\r\n\r\n`,
        'latin1',
      ),
    };
  if (k === 2) {
    return {
      what: 'unknown service scope',
      method: 'POST',
      path: '/',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=a/20261201/us-east-1/${rng.pick(['lambda', 'sqs', '', '..', 'sns', 'dynamodb', 'firehose'])}/aws4_request`,
      },
      body: body(rng),
    };
  }
  if (k === 3) {
    return withDamage(rng, {
      what: 'bad headers',
      method: 'POST',
      path: `/?${randomString(rng, 40).replace(/[\s#]/g, '')}`,
      headers: {
        // Always a DynamoDB or Firehose target: anything else is S3, fuzzed on its own below.
        'x-amz-target': `${rng.pick(['DynamoDB_20120810.', 'Firehose_20150804.'])}${randomString(rng, 30).replace(/[^\x21-\x7e]/g, '')}`,
        'content-encoding': rng.pick(['gzip', 'br', 'identity']),
      },
      body: body(rng),
    });
  }
  return {
    what: 'chunked body',
    method: 'POST',
    path: '/',
    headers: {
      'transfer-encoding': 'chunked',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      'content-length': '',
    },
    body: Buffer.from(rng.pick(['5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', '5\r\nhel'])),
  };
}

/** A key as a client encodes it in a path (lone surrogates, which cannot be encoded, become U+FFFD). */
function encodeKey(key: string): string {
  const wellFormed = key.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
  return encodeURIComponent(wellFormed).replaceAll('%2F', '/');
}

/** A request path short enough to quote in a failure message. */
function shortPath(p: string): string {
  return p.length > 90 ? `${p.slice(0, 60)}…(${p.length} chars)` : p;
}

function s3Req(rng: Rng): Req {
  const bucket = rng.pick([
    'inbox',
    'test-lake',
    'doomed',
    'nope',
    '..',
    '%2e%2e',
    randomString(rng, 10).replace(/[/?#\s%]/g, '') || 'b',
  ]);
  // A `..` bucket already climbs one level: it gets no hostile key, so that no escape can leave the parent.
  const climbs = bucket === '..' || bucket === '%2e%2e';
  const key = rng.chance(0.5) && !climbs ? rng.pick(HOSTILE_KEYS) : encodeKey(randomString(rng, 50));
  const query = rng.pick([
    '',
    '?uploads',
    '?delete',
    '?list-type=2&prefix=..%2F',
    '?acl',
    '?tagging',
    '?uploadId=../../x&partNumber=1',
    '?X-Amz-Credential=a%2F20261201%2Fus-east-1%2Fs3%2Faws4_request',
  ]);
  const method = rng.pick(['GET', 'PUT', 'PUT', 'DELETE', 'HEAD', 'POST']);
  const headers: Record<string, string> = {};
  if (rng.chance(0.2)) headers['content-encoding'] = 'aws-chunked';
  if (rng.chance(0.1))
    headers['x-amz-copy-source'] = rng.pick(['/inbox/../../x', '/inbox/%2e%2e/%2e%2e/x', '/nope/x']);
  if (rng.chance(0.1)) headers['x-amz-decoded-content-length'] = String(rng.int(100));
  return withDamage(rng, {
    what: `s3 ${method} ${shortPath(`/${bucket}/${key}${query}`)}`,
    method,
    path: `/${bucket}/${key}${query}`,
    headers,
    body: body(rng),
  });
}

/** Runs `count` requests from `gen`, 12 at a time; returns the outcomes and whether the process died. */
async function run(
  count: number,
  gen: (rng: Rng) => Req,
  seed: number,
): Promise<{ outcomes: Outcome[]; diedAfter?: string }> {
  const rng = prng(seed);
  const reqs = Array.from({ length: count }, () => gen(rng));
  const outcomes: Outcome[] = [];
  for (let i = 0; i < reqs.length; i += 12) {
    const batch = reqs.slice(i, i + 12);
    outcomes.push(...(await Promise.all(batch.map(fire))));
    if (!alive()) return { outcomes, diedAfter: batch.map((r) => r.what).join(' | ') };
  }
  return { outcomes };
}

async function escapedFiles(): Promise<string[]> {
  return files(parent, dataDir);
}

// ------------------------------------------------------------------------------------------------- tests

describe(`fuzz (seed ${SEED})`, () => {
  it('DynamoDB, SNS, Firehose, /_local and garbage: the process survives and answers every request', async () => {
    const gens = [dynamoReq, firehoseReq, snsReq, localReq, garbageReq] as const;
    const mixed = (rng: Rng) => rng.pick(gens)(rng);
    const { outcomes, diedAfter } = await run(2000, mixed, SEED);
    expect(diedAfter, `the process exited; last batch: ${diedAfter}\n${output}`).toBeUndefined();
    expect(await healthy()).toBe(200);
    // Every completed request got an HTTP answer, none a 500 (a 500 means an unhandled fault).
    const unanswered = outcomes
      .filter((o) => o.status === 'timeout' || o.status === 'closed')
      .filter((o) => !o.req.raw);
    expect(unanswered.map((o) => `${o.req.what}: ${o.status}`)).toEqual([]);
    const errors = outcomes.filter(
      (o) => typeof o.status === 'number' && o.status >= 500 && o.status !== 503,
    );
    expect(errors.map((o) => `${o.req.what}: ${o.status} ${o.answer}`)).toEqual([]);
    expect(outcomes.filter((o) => o.status === 'aborted').length).toBeGreaterThan(50);
    expect(await escapedFiles()).toEqual([]);
  }, 120_000);

  // S3 is s3rver today; a project-owned engine (infra/local/s3/) replaces it and fixes key escapes and
  // ENAMETOOLONG by construction. These cases are kept so that the engine is held to them.
  it('S3 hostile keys: no file outside the data directory, the process survives', async () => {
    if (!alive()) await startChild();
    const failures: string[] = [];
    for (const key of HOSTILE_KEYS) {
      for (const bucket of ['inbox', 'test-lake']) {
        for (const method of ['PUT', 'GET', 'DELETE']) {
          const r: Req = {
            what: `${method} ${shortPath(`/${bucket}/${key}`)}`,
            method,
            path: `/${bucket}/${key}`,
            headers: { 'content-type': 'text/plain' },
            body: Buffer.from(method === 'PUT' ? 'fuzz' : ''),
          };
          const before = await escapedFiles();
          const o = await fire(r);
          if (!alive()) {
            failures.push(`${r.what}: the process exited (${output.split('\n').slice(-3).join(' ')})`);
            await startChild();
            continue;
          }
          if (o.status === 'timeout' || o.status === 'closed')
            failures.push(`${r.what}: no answer (${o.status})`);
          else if (typeof o.status === 'number' && o.status >= 500)
            failures.push(`${r.what}: HTTP ${o.status}`);
          const after = await escapedFiles();
          const created = after.filter((f) => !before.includes(f));
          if (created.length) failures.push(`${r.what}: wrote outside the data dir: ${created.join(', ')}`);
        }
      }
    }
    expect(await healthy()).toBe(200);
    expect(failures).toEqual([]);
  }, 120_000);

  it('S3 random requests: the process survives and writes nothing outside the data directory', async () => {
    if (!alive()) await startChild();
    const { outcomes, diedAfter } = await run(600, s3Req, SEED + 1);
    expect(diedAfter, `the process exited; last batch: ${diedAfter}\n${output}`).toBeUndefined();
    expect(await healthy()).toBe(200);
    // 501 NotImplemented is S3's documented answer for a feature the engine does not build (ACLs,
    // tagging, ...: infra/local/README.md lists them); any other 5xx is an unhandled fault.
    const errors = outcomes.filter(
      (o) => o.status === 'timeout' || (typeof o.status === 'number' && o.status >= 500 && o.status !== 501),
    );
    expect(errors.map((o) => `${o.req.what}: ${o.status}`)).toEqual([]);
    expect(await escapedFiles()).toEqual([]);
  }, 120_000);
});
