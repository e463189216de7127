// Assertions on the synthesized CDK app built from the real pipeline definitions that hold whatever the kinds:
// functions (runtime, sizing, environment, DLQs, log groups), IAM scoping, operational alarms, cdk-nag, the
// bundled assets. What one resource or trigger kind creates is tested in test/cdk/kinds/<kind>.test.ts.
// The app is synthesized once (with real esbuild bundling) for the whole file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triggerKindOf } from '../../infra/cdk/kinds/index.ts';
import { REPO_ROOT } from '../../infra/cdk/native-modules.ts';
import { LAMBDA_VPC_ACTIONS } from '../../infra/cdk/network.ts';
import { allFunctions } from '../../pipelines/index.ts';
import { runtimeOf } from '../../pipelines/types.ts';
import {
  asArray,
  asyncFunctionIds,
  catalog,
  idOf,
  ofType,
  referencedIds,
  refId,
  removeSynthOutput,
  roleStatements,
  type Synthesized,
  synth,
} from './helpers.ts';

let s: Synthesized;
let synthError: unknown;
beforeAll(() => {
  // A failed synthesis (bundling, a definition error, an unacknowledged cdk-nag finding) fails the first test
  // with its message, and every other test fails too instead of being skipped.
  try {
    s = synth();
  } catch (err) {
    synthError = err;
  }
}, 120_000);
afterAll(removeSynthOutput);

const fnIds = allFunctions().map((f) => f.id);
const asyncIds = asyncFunctionIds();
const built = (id: string) => s.stack.resources.functions.get(id)!;
const fnLogicalId = (id: string) => idOf(s, built(id).fn);
const resourceOf = (logicalId: string) => s.json.Resources[logicalId]!;
const props = (logicalId: string) => resourceOf(logicalId).Properties as Record<string, unknown>;

it('synthesizes with bundling, CloudFormation validation and cdk-nag passing', () => {
  expect(synthError).toBeUndefined();
});

describe('resources from the pipeline definitions', () => {
  it('creates one function per FunctionSpec, on its runtime (nodejs24.x) and arm64, sized as the spec says', () => {
    const ours = ofType(s, 'AWS::Lambda::Function').filter(
      ([id]) => !id.startsWith('BucketNotificationsHandler'),
    );
    expect(ours).toHaveLength(fnIds.length);
    for (const spec of allFunctions()) {
      const p = props(fnLogicalId(spec.id));
      expect(p.Runtime, spec.id).toBe(runtimeOf(spec));
      expect(p.Runtime, spec.id).toBe('nodejs24.x'); // no definition pins another runtime today
      expect(p.Architectures, spec.id).toEqual(['arm64']);
      expect(p.Handler, spec.id).toBe('index.handler');
      expect(p.MemorySize, spec.id).toBe(spec.memoryMb);
      expect(p.Timeout, spec.id).toBe(spec.timeoutSeconds);
      // Off by default (a new account's quota of 10 allows no reservation); see aws-behaviour.test.ts.
      expect(p.ReservedConcurrentExecutions, spec.id).toBeUndefined();
      expect(String(p.Description).length).toBeLessThanOrEqual(256);
      expect(resourceOf(fnLogicalId(spec.id)).Metadata?.Sizing).toMatchObject({ reason: spec.sizing });
    }
    // The image function has the most memory (sharp/libvips): resizing is the heaviest work here.
    const image = props(fnLogicalId('image-resize'));
    expect(image.MemorySize).toBe(Math.max(...allFunctions().map((f) => f.memoryMb)));
  });

  it("CDK's own helper functions: only the S3 notifications handler, on CDK's inline Python runtime", () => {
    // Not ours to choose: aws-cdk-lib 2.276.0 adds BucketNotificationsHandler (aws-s3 notifications, inline
    // Python) and picks its runtime. Listed here so a change (e.g. a new Node custom resource) shows up.
    const ours = new Set(fnIds.map(fnLogicalId));
    const helpers = ofType(s, 'AWS::Lambda::Function')
      .filter(([id]) => !ours.has(id))
      .map(([id, r]) => ({ id: id.replace(/[0-9a-f]{8,}[0-9A-F]{8}$/, ''), runtime: r.Properties!.Runtime }));
    expect(helpers).toEqual([{ id: 'BucketNotificationsHandler', runtime: 'python3.13' }]);
  });

  it('resolves ResourceRefs in environments to physical names and ARNs', () => {
    const env = (id: string) =>
      (props(fnLogicalId(id)).Environment as { Variables: Record<string, unknown> }).Variables;
    const r = s.stack.resources;
    expect(env('image-resize').SOURCE_BUCKET).toEqual({ Ref: idOf(s, r.bucket.get('uploads')!) });
    expect(env('image-resize').DISPLAY_BUCKET).toEqual({ Ref: idOf(s, r.bucket.get('display')!) });
    expect(env('alarm-to-slack').IDEMPOTENCY_TABLE).toEqual({ Ref: idOf(s, r.table.get('idempotency')!) });
    expect(env('alarm-to-slack').SLACK_WEBHOOK_SECRET_ARN).toEqual({
      Ref: idOf(s, r.secret.get('slack-webhook')!),
    });
    expect(env('stream-loader').EVENTS_TABLE).toEqual({ Ref: idOf(s, r.table.get('events')!) });
    for (const id of fnIds) expect(env(id).POWERTOOLS_SERVICE_NAME).toBe(id);
    // Every reference of every definition: each kind's physical id is its resource's Ref (name, ARN or id).
    let refs = 0;
    for (const spec of allFunctions()) {
      for (const [name, value] of Object.entries(spec.environment)) {
        if (typeof value === 'string') expect(env(spec.id)[name], `${spec.id} ${name}`).toBe(value);
        // A cache's URL and an API's URL are built from attributes: kinds/cache.test.ts, kinds/api.test.ts.
        else if (value.kind === 'cache' || value.kind === 'api') continue;
        else {
          refs++;
          expect(env(spec.id)[name], `${spec.id} ${name}`).toEqual({ Ref: refId(s, value) });
        }
      }
    }
    expect(refs).toBeGreaterThan(5);
  });
});

describe('asynchronous functions: retries, then a dead-letter destination', () => {
  it('each S3/SNS-triggered function sends failures to its own encrypted, TLS-only queue after two retries', () => {
    const configs = ofType(s, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties!);
    expect(configs).toHaveLength(asyncIds.length);
    for (const id of asyncIds) {
      const { dlq } = built(id);
      expect(dlq, id).toBeDefined();
      const dlqId = idOf(s, dlq!);
      const c = configs.find((x) => x.FunctionName && referencedIds(x.FunctionName).has(fnLogicalId(id)))!;
      expect(c, id).toBeDefined();
      expect(c.MaximumRetryAttempts).toBe(2);
      expect(referencedIds(c.DestinationConfig)).toEqual(new Set([dlqId]));
      expect(JSON.stringify(c.DestinationConfig)).toContain('OnFailure');
      expect(props(dlqId).SqsManagedSseEnabled).toBe(true);
      const [, qp] = ofType(s, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        referencedIds(p.Properties!.Queues).has(dlqId),
      )!;
      expect(JSON.stringify(qp.Properties!.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
    expect(built('stream-transform').dlq).toBeUndefined(); // synchronous: Firehose retries and writes failures
  });

  it('every function logs to its own log group with a retention', () => {
    for (const id of fnIds) {
      const lc = props(fnLogicalId(id)).LoggingConfig as { LogGroup: unknown };
      const [lg] = [...referencedIds(lc.LogGroup)];
      expect(resourceOf(lg!).Type).toBe('AWS::Logs::LogGroup');
      expect(props(lg!).RetentionInDays).toBe(30);
    }
  });
});

describe('least privilege', () => {
  const policies = () =>
    ofType(s, 'AWS::IAM::Policy').flatMap(([id, p]) =>
      (
        p.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }
      ).Statement.map((st) => ({ id, ...st })),
    );

  it('no statement allows "*" or a service-wide wildcard; Resource "*" only for CDK’s notification handler and Lambda’s VPC attachment', () => {
    // The policies of the functions in the VPC: Lambda manages their network interfaces with the execution
    // role, and ec2:DescribeNetworkInterfaces works only on "*" (Lambda Developer Guide, VPC configuration).
    const inVpc = new Set(
      [...s.stack.resources.functions.values()]
        .filter((f) => f.placement)
        .map((f) => idOf(s, f.role.node.tryFindChild('DefaultPolicy')!)),
    );
    expect(inVpc.size).toBeGreaterThan(0);
    for (const st of policies()) {
      for (const a of asArray(st.Action)) {
        expect(a, st.id).not.toBe('*');
        expect(a, st.id).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
      if (asArray(st.Resource).includes('*')) {
        if (inVpc.has(st.id)) expect(asArray(st.Action).sort()).toEqual([...LAMBDA_VPC_ACTIONS].sort());
        else {
          expect(st.id).toMatch(/^BucketNotificationsHandler/);
          expect(asArray(st.Action)).toEqual(['s3:PutBucketNotification']);
        }
      }
    }
  });

  it('function roles have no managed policies and reference only their own resources', () => {
    for (const spec of allFunctions()) {
      const b = built(spec.id);
      const roleId = idOf(s, b.role);
      expect(props(roleId).ManagedPolicyArns, spec.id).toBeUndefined();
      const allowed = new Set([
        idOf(s, b.logGroup),
        ...spec.access.filter((a) => a.mode !== 'connect').map((a) => refId(s, a.resource)),
      ]);
      if (b.dlq) allowed.add(idOf(s, b.dlq));
      const statements = roleStatements(s, roleId);
      expect(statements.length, spec.id).toBeGreaterThan(0);
      const used = referencedIds(statements.map((st) => st.Resource));
      expect(
        [...used].filter((x) => !allowed.has(x)),
        spec.id,
      ).toEqual([]);
      // …and every declared access is actually granted (`connect` is network reach, no IAM: kinds/cache.test.ts).
      for (const a of spec.access.filter((x) => x.mode !== 'connect'))
        expect(used.has(refId(s, a.resource)), spec.id).toBe(true);
    }
  });
});

describe('operational alarms', () => {
  type AlarmProps = Record<string, unknown> & { id: string };
  const alarms = (): AlarmProps[] =>
    ofType(s, 'AWS::CloudWatch::Alarm').map(([id, a]) => ({
      ...(a.Properties as Record<string, unknown>),
      id,
    }));

  it('every alarm publishes ALARM and OK to the alarms topic', () => {
    const topic = { Ref: idOf(s, s.stack.resources.topic.get('alarms')!) };
    const all = alarms();
    // errors + throttles per function, DLQ depth per async function, four per delivery stream plus partition
    // overflow for each dynamically partitioned one, 5xx rate and p99 latency per API, one for cache errors
    const streams = catalog.resources.stream;
    const partitioned = streams.filter((x) => x.destination.partitionKeys.length > 0);
    expect(partitioned.length).toBeGreaterThan(0);
    const apis = catalog.resources.api.length;
    const caches = catalog.resources.cache.length > 0 ? 1 : 0;
    expect(all).toHaveLength(
      2 * fnIds.length + asyncIds.length + 4 * streams.length + partitioned.length + 2 * apis + caches,
    );
    for (const a of all) {
      expect(a.AlarmActions, a.id).toEqual([topic]);
      expect(a.OKActions, a.id).toEqual([topic]);
    }
  });

  it('covers function errors and throttles, DLQ depth, loader errors (stream alarms: kinds/stream.test.ts)', () => {
    const all = alarms();
    const named = (n: string) => all.find((a) => a.AlarmName === `EventPipelines-${n}`);
    for (const id of fnIds) {
      expect(named(`${id}-errors`)?.MetricName, id).toBe('Errors');
      expect(named(`${id}-throttles`)?.MetricName, id).toBe('Throttles');
      expect(referencedIds(named(`${id}-errors`)!.Dimensions)).toEqual(new Set([fnLogicalId(id)]));
    }
    for (const id of asyncIds) {
      const a = named(`${id}-dlq-not-empty`)!;
      expect(a.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(a.Namespace).toBe('AWS/SQS');
      expect(referencedIds(a.Dimensions)).toEqual(new Set([idOf(s, built(id).dlq!)]));
    }
    expect(named('stream-loader-errors')).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1 });
    // What a failed invocation leads to, as its trigger's plug-in says.
    for (const spec of allFunctions()) {
      const { invocation } = triggerKindOf(spec.trigger);
      expect(String(named(`${spec.id}-errors`)!.AlarmDescription), spec.id).toContain(
        invocation.asynchronous
          ? 'Lambda retries twice, then the event goes to the DLQ.'
          : invocation.onError,
      );
    }
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('reports no unacknowledged finding (errors or warnings) on the whole app', () => {
    const report = new AwsSolutionsChecks(s.app).validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId ?? ''}`),
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgment carries a specific written reason', () => {
    const acks = s.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) {
      expect(reason.length, id).toBeGreaterThan(60);
      expect(id).toMatch(/^(Annotation::)?(AwsSolutions-|CloudFormation-Validate::)/);
    }
  });

  it('the stack carries no CDK warnings or errors', () => {
    const anns = Annotations.fromStack(s.stack);
    expect(anns.findError('*', Match.anyValue())).toEqual([]);
    expect(anns.findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('function assets', () => {
  const assetDir = (id: string): string => {
    const code = props(fnLogicalId(id)).Code as { S3Key: string };
    const dir = path.join(s.assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(existsSync(dir), dir).toBe(true);
    return dir;
  };
  const files = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
  /** ELF e_machine: 183 = AArch64, 62 = x86-64; undefined for non-ELF files. */
  const elfMachine = (file: string): number | undefined => {
    const head = readFileSync(file).subarray(0, 20);
    if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    return head.readUInt16LE(18);
  };

  it('the image function ships sharp with the linux-arm64 binaries and no other platform’s', () => {
    const dir = assetDir('image-resize');
    const all = files(dir);
    const rel = all.map((f) => path.relative(dir, f));
    const addon = rel.filter((f) =>
      /^node_modules\/@img\/sharp-linux-arm64\/lib\/sharp-linux-arm64.*\.node$/.test(f),
    );
    expect(addon).toHaveLength(1);
    expect(elfMachine(path.join(dir, addon[0]!))).toBe(183);
    const libvips = rel.filter((f) =>
      /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips.*\.so/.test(f),
    );
    expect(libvips.length).toBeGreaterThan(0);
    for (const f of libvips) expect(elfMachine(path.join(dir, f)), f).toBe(183);
    // No binary for the build host (linux-x64) or any other platform.
    expect(rel.filter((f) => /x64|darwin|win32|musl|wasm/.test(f))).toEqual([]);
    for (const f of all) {
      const m = elfMachine(f);
      if (m !== undefined) expect(m, f).toBe(183);
    }
    // sharp is the project's version, loaded at run time from node_modules rather than bundled.
    const version = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
    expect(version(path.join(dir, 'node_modules/sharp/package.json'))).toBe(
      version(path.join(REPO_ROOT, 'node_modules/sharp/package.json')),
    );
    expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toMatch(/from\s*"sharp"/);
  });

  it('the other functions are single ESM bundles with the AWS SDK inside and no node_modules', () => {
    for (const id of fnIds.filter((f) => f !== 'image-resize')) {
      const dir = assetDir(id);
      expect(readdirSync(dir), id).toEqual(['index.mjs']);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __bannerCreateRequire }'), id).toBe(true);
      expect(code, id).not.toMatch(/from\s*"@aws-sdk\//);
    }
  });

  it('each bundle (but the arm64-only image one) loads on Node as ESM and exports handler', () => {
    const valueFor = (ref: unknown): string => {
      const [id] = [...referencedIds(ref)];
      const type = resourceOf(id!).Type;
      if (type === 'AWS::SecretsManager::Secret')
        return 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf';
      if (type === 'AWS::SNS::Topic') return 'arn:aws:sns:us-east-1:123456789012:alarms';
      // A cache URL would make the client connect (and retry) at load; '' is what -c cache=false gives.
      if (type === 'AWS::ElastiCache::ServerlessCache') return '';
      return `test-${id!.toLowerCase()}`;
    };
    for (const id of fnIds.filter((f) => f !== 'image-resize')) {
      const vars = (props(fnLogicalId(id)).Environment as { Variables: Record<string, unknown> }).Variables;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        NODE_NO_WARNINGS: '1',
      };
      for (const [k, v] of Object.entries(vars)) env[k] = typeof v === 'string' ? v : valueFor(v);
      const out = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          'const m = await import("./index.mjs"); console.log(typeof m.handler);',
        ],
        { cwd: assetDir(id), env, encoding: 'utf8', timeout: 20_000 },
      );
      expect(out.trim(), id).toBe('function');
    }
  });
});
