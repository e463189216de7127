// Definition validation (pipelines/validate.ts with the schema of pipelines/schema.ts): the project's own
// pipelines pass, and each malformed field or broken cross-reference is refused with the message that
// names its pipeline, its field and the problem.
import { describe, expect, it } from 'vitest';
import { pipelines } from '../../pipelines/index.ts';
import { RESOURCE_KINDS } from '../../pipelines/kinds.ts';
import { type PipelineDefinition, ref } from '../../pipelines/types.ts';
import { DefinitionError, validateDefinitions } from '../../pipelines/validate.ts';

/** A small valid pipeline using every resource kind and trigger kind; each case breaks one thing. */
function demo(): PipelineDefinition {
  return {
    name: 'demo',
    title: 'Demo',
    description: 'Validation test pipeline',
    resources: {
      buckets: [
        { name: 'inbox', description: 'uploads' },
        { name: 'outbox', description: 'results', cdn: true, cdnPrivatePrefixes: ['private/'] },
      ],
      topics: [{ name: 'news', description: 'notices' }],
      tables: [{ name: 'items', description: 'items', partitionKey: { name: 'pk', type: 'S' } }],
      secrets: [
        { name: 'token', description: 'a token', localEnv: 'TOKEN' },
        { name: 'signing', description: 'a signing key', localEnv: 'SIGNING', generate: true },
      ],
      caches: [
        {
          name: 'pages',
          description: 'cached pages',
          engine: 'valkey',
          limits: { maxDataGb: 1, maxEcpuPerSecond: 5_000 },
        },
      ],
      apis: [
        {
          name: 'web',
          description: 'an HTTP API',
          authorizer: 'gate',
          identitySource: ['$request.header.Authorization'],
          authorizerCacheSeconds: 60,
          throttling: { rateLimit: 100, burstLimit: 200 },
        },
      ],
      streams: [
        {
          name: 'feed',
          description: 'records',
          destination: {
            bucket: 'outbox',
            prefix: 'data/k=!{partitionKeyFromLambda:k}/',
            errorPrefix: 'errors/!{firehose:error-output-type}/',
            compression: 'GZIP',
            partitionKeys: ['k'],
          },
          buffering: { sizeMiB: 64, intervalSeconds: 60 },
          processor: 'shape',
        },
      ],
    },
    functions: [
      {
        id: 'copy',
        description: 'copies uploads',
        entry: 'handlers/copy.ts',
        trigger: { kind: 's3', bucket: 'inbox', events: ['s3:ObjectCreated:*'], filter: { prefix: 'in/' } },
        memoryMb: 256,
        timeoutSeconds: 30,
        sizing: 'test',
        environment: {
          IN: ref.bucket('inbox'),
          OUT: ref.bucket('outbox'),
          CDN: ref.cdn('outbox'),
          ITEMS: ref.table('items'),
          TOKEN_ARN: ref.secret('token'),
          NEWS: ref.topic('news'),
          MODE: 'literal',
        },
        access: [
          { resource: ref.bucket('inbox'), mode: 'read' },
          { resource: ref.bucket('outbox'), mode: 'write' },
          { resource: ref.cdn('outbox'), mode: 'invalidate' },
          { resource: ref.table('items'), mode: 'readwrite' },
          { resource: ref.secret('token'), mode: 'read' },
          { resource: ref.topic('news'), mode: 'publish' },
        ],
        local: { sample: { name: 'a.txt', content: () => 'a\n' } },
      },
      {
        id: 'shape',
        description: 'transforms records',
        entry: 'handlers/shape.ts',
        trigger: { kind: 'firehose-transform', stream: 'feed' },
        memoryMb: 128,
        timeoutSeconds: 60,
        sizing: 'test',
        environment: {},
        access: [],
      },
      {
        id: 'gate',
        description: 'authorizes API calls',
        entry: 'handlers/gate.ts',
        trigger: { kind: 'http-authorizer', api: 'web' },
        memoryMb: 128,
        timeoutSeconds: 5,
        sizing: 'test',
        environment: { ITEMS: ref.table('items') },
        access: [{ resource: ref.table('items'), mode: 'read' }],
      },
      {
        id: 'serve',
        description: 'serves API routes',
        entry: 'handlers/serve.ts',
        trigger: { kind: 'http', api: 'web', routes: ['GET /items', 'GET /items/{id}'] },
        memoryMb: 128,
        timeoutSeconds: 10,
        sizing: 'test',
        environment: { PAGES: ref.cache('pages'), KEY_ARN: ref.secret('signing'), SELF: ref.api('web') },
        access: [
          { resource: ref.cache('pages'), mode: 'connect' },
          { resource: ref.secret('signing'), mode: 'read' },
        ],
      },
    ],
  };
}

/** `demo()` changed by `edit`; the functions of the copy are its own, so edits never leak between cases. */
function broken(edit: (d: PipelineDefinition & { [k: string]: unknown }) => void): PipelineDefinition {
  const d = demo();
  edit(d as PipelineDefinition & { [k: string]: unknown });
  return d;
}

const fn = (d: PipelineDefinition, id: string) => d.functions.find((f) => f.id === id)!;

/** The DefinitionError message for `defs`, or `valid`. */
function problem(defs: readonly PipelineDefinition[]): string {
  try {
    validateDefinitions(defs);
    return 'valid';
  } catch (err) {
    if (err instanceof DefinitionError) return err.message;
    throw err;
  }
}

describe('the project’s pipelines', () => {
  it('pass, and the catalog holds every declared resource and function once', () => {
    const catalog = validateDefinitions(pipelines);
    expect(catalog.functions.map((f) => f.id)).toEqual(
      pipelines.flatMap((p) => p.functions.map((f) => f.id)),
    );
    expect(catalog.resources.bucket.map((b) => b.name)).toEqual(
      pipelines.flatMap((p) => (p.resources.buckets ?? []).map((b) => b.name)),
    );
    expect(catalog.resources.cdn.map((c) => c.name)).toEqual(
      pipelines.flatMap((p) => (p.resources.buckets ?? []).filter((b) => b.cdn).map((b) => b.name)),
    );
    for (const kind of RESOURCE_KINDS)
      for (const r of catalog.resources[kind]) expect(pipelines.map((p) => p.name)).toContain(r.pipeline);
  });

  it('the demo pipeline used below is valid as written', () => {
    expect(problem([demo()])).toBe('valid');
  });
});

describe('schema errors name the pipeline, the field and the problem', () => {
  const cases: Array<[string, (d: PipelineDefinition & { [k: string]: unknown }) => void, string]> = [
    [
      'a pipeline name that is not kebab-case',
      (d) => {
        d.name = 'Demo Pipeline';
      },
      'pipeline Demo Pipeline: name: must be kebab-case (its folder under pipelines/)',
    ],
    [
      'an unknown field (a typo)',
      (d) => {
        Object.assign(fn(d, 'copy'), { reservedConcurency: 2 });
      },
      'pipeline demo: functions.copy: Unrecognized key: "reservedConcurency"',
    ],
    [
      'a function id that is not a valid Lambda name',
      (d) => {
        fn(d, 'copy').id = 'copy.v2';
      },
      'pipeline demo: functions.copy.v2.id: must be a valid Lambda function name (1-64 A-Z, a-z, 0-9, _ and -)',
    ],
    [
      'memory below Lambda’s minimum',
      (d) => {
        fn(d, 'copy').memoryMb = 64;
      },
      'pipeline demo: functions.copy.memoryMb: must be at least 128 MB',
    ],
    [
      'a timeout above Lambda’s maximum',
      (d) => {
        fn(d, 'copy').timeoutSeconds = 901;
      },
      'pipeline demo: functions.copy.timeoutSeconds: must be at most 900 seconds (Lambda limit)',
    ],
    [
      'a reserved concurrency of 0',
      (d) => {
        fn(d, 'copy').reservedConcurrency = 0;
      },
      'pipeline demo: functions.copy.reservedConcurrency: must be at least 1 (0 would never run the function)',
    ],
    [
      'an entry outside the repository',
      (d) => {
        fn(d, 'copy').entry = '../elsewhere/copy.ts';
      },
      'pipeline demo: functions.copy.entry: must be a repository-relative .ts or .js module path',
    ],
    [
      'an environment variable Lambda reserves',
      (d) => {
        fn(d, 'copy').environment.AWS_REGION = 'eu-west-1';
      },
      'pipeline demo: functions.copy.environment.AWS_REGION: is reserved by Lambda',
    ],
    [
      'an environment variable name Lambda refuses',
      (d) => {
        fn(d, 'copy').environment['OUT-BUCKET'] = 'x';
      },
      'pipeline demo: functions.copy.environment.OUT-BUCKET: must be a valid environment variable name (a letter, then letters, digits, _)',
    ],
    [
      'an invalid S3 bucket name',
      (d) => {
        d.resources.buckets![0]!.name = 'In_Box';
      },
      'pipeline demo: resources.buckets.In_Box.name: must be a valid S3 bucket name (3-63 a-z, 0-9, . and -)',
    ],
    [
      'CDN private prefixes on a bucket without a CDN',
      (d) => {
        d.resources.buckets![0]!.cdnPrivatePrefixes = ['x/'];
      },
      'pipeline demo: resources.buckets.inbox.cdnPrivatePrefixes: only applies to a bucket with cdn: true',
    ],
    [
      'a table whose sort key is its partition key',
      (d) => {
        d.resources.tables![0]!.sortKey = { name: 'pk', type: 'N' };
      },
      'pipeline demo: resources.tables.items.sortKey.name: must differ from the partition key',
    ],
    [
      'a secret whose local variable is not a variable name',
      (d) => {
        d.resources.secrets![0]!.localEnv = 'my token';
      },
      'pipeline demo: resources.secrets.token.localEnv: must be a valid environment variable name (a letter, then letters, digits, _)',
    ],
    [
      'an error prefix without the error output type',
      (d) => {
        d.resources.streams![0]!.destination.errorPrefix = 'errors/';
      },
      'pipeline demo: resources.streams.feed.destination.errorPrefix: must contain !{firehose:error-output-type} (Firehose requires it)',
    ],
    [
      'a prefix using a partition key the transform does not return',
      (d) => {
        d.resources.streams![0]!.destination.prefix =
          'data/k=!{partitionKeyFromLambda:k}/j=!{partitionKeyFromLambda:j}/';
      },
      'pipeline demo: resources.streams.feed.destination.prefix: uses partition key "j", which is not in destination.partitionKeys',
    ],
    [
      'a declared partition key the prefix does not use',
      (d) => {
        d.resources.streams![0]!.destination.partitionKeys = ['k', 'day'];
      },
      'pipeline demo: resources.streams.feed.destination.partitionKeys: "day" is not used by destination.prefix',
    ],
    [
      'dynamic partitioning with less than 64 MiB buffering',
      (d) => {
        d.resources.streams![0]!.buffering.sizeMiB = 8;
      },
      'pipeline demo: resources.streams.feed.buffering.sizeMiB: must be at least 64 MiB with dynamic partitioning (Firehose requires it)',
    ],
    [
      'an S3 trigger with no events',
      (d) => {
        fn(d, 'copy').trigger = { kind: 's3', bucket: 'inbox', events: [] };
      },
      'pipeline demo: functions.copy.trigger.events: must name at least one event',
    ],
    [
      'an S3 filter prefix with a leading slash',
      (d) => {
        fn(d, 'copy').trigger = {
          kind: 's3',
          bucket: 'inbox',
          events: ['s3:ObjectCreated:*'],
          filter: { prefix: '/in' },
        };
      },
      'pipeline demo: functions.copy.trigger.filter.prefix: must not start with "/" (S3 keys have no leading slash)',
    ],
    [
      'an S3 filter suffix with a wildcard',
      (d) => {
        fn(d, 'copy').trigger = {
          kind: 's3',
          bucket: 'inbox',
          events: ['s3:ObjectCreated:*'],
          filter: { suffix: '*.jpg' },
        };
      },
      'pipeline demo: functions.copy.trigger.filter.suffix: must be literal (S3 filters take no wildcards)',
    ],
    [
      'a sample with both a file and content',
      (d) => {
        fn(d, 'copy').local = { sample: { name: 'a.txt', file: 'a.txt', content: () => 'a' } };
      },
      'pipeline demo: functions.copy.local.sample: must have exactly one of file and content',
    ],
    [
      'sample content that is not a function',
      (d) => {
        Object.assign(fn(d, 'copy'), { local: { sample: { name: 'a.txt', content: 'a' } } });
      },
      'pipeline demo: functions.copy.local.sample.content: must be a function returning the sample',
    ],
    [
      'a cache name ElastiCache refuses',
      (d) => {
        d.resources.caches![0]!.name = 'Pages--1';
      },
      'pipeline demo: resources.caches.Pages--1.name: must be a valid ElastiCache cache name (2-40 a-z, 0-9 and -, starting with a letter, no -- and no trailing -)',
    ],
    [
      'cache limits beyond ElastiCache Serverless’s',
      (d) => {
        d.resources.caches![0]!.limits.maxEcpuPerSecond = 500;
      },
      'pipeline demo: resources.caches.pages.limits.maxEcpuPerSecond: must be at least 1000 (ElastiCache Serverless limit)',
    ],
    [
      'a route key that is not METHOD /path',
      (d) => {
        fn(d, 'serve').trigger = { kind: 'http', api: 'web', routes: ['GET items'] };
      },
      'pipeline demo: functions.serve.trigger.routes[0]: must be an HTTP API route key like "GET /events" or "GET /events/{id}"',
    ],
    [
      'an identity source that is not a selection expression',
      (d) => {
        d.resources.apis![0]!.identitySource = ['Authorization'];
      },
      'pipeline demo: resources.apis.web.identitySource[0]: must be an identity source like $request.header.Authorization',
    ],
    [
      'an authorizer cache longer than API Gateway allows',
      (d) => {
        d.resources.apis![0]!.authorizerCacheSeconds = 7_200;
      },
      'pipeline demo: resources.apis.web.authorizerCacheSeconds: must be at most 3600 seconds (API Gateway limit)',
    ],
    [
      'a generated secret with a local fallback',
      (d) => {
        d.resources.secrets![1]!.localFallback = 'webhook-sink';
      },
      'pipeline demo: resources.secrets.signing.localFallback: does not apply to a generated secret (the local cloud makes its value)',
    ],
  ];
  it.each(cases)('%s', (_, edit, message) => {
    expect(problem([broken(edit)])).toBe(message);
  });

  it('lists every issue of a definition, one per line, and names an unnamed one by its position', () => {
    const d = broken((d) => {
      fn(d, 'copy').memoryMb = 64;
      fn(d, 'shape').timeoutSeconds = 0;
    });
    expect(problem([d]).split('\n')).toEqual([
      'pipeline demo: functions.copy.memoryMb: must be at least 128 MB',
      'pipeline demo: functions.shape.timeoutSeconds: must be at least 1 second',
    ]);
    const unnamed = broken((d) => {
      Reflect.deleteProperty(d, 'name');
    });
    expect(problem([demo(), unnamed])).toMatch(/^pipeline #1: name: /);
  });
});

describe('cross-reference errors name the pipeline, the field and the problem', () => {
  const other = (edit: (d: PipelineDefinition) => void = () => {}): PipelineDefinition => {
    const d: PipelineDefinition = {
      name: 'other',
      title: 'Other',
      description: 'a second pipeline',
      resources: {},
      functions: [],
    };
    edit(d);
    return d;
  };
  const cases: Array<[string, () => PipelineDefinition[], string]> = [
    [
      'two pipelines with one name',
      () => [demo(), demo()],
      'pipeline demo: name: another pipeline has the same name',
    ],
    [
      'a resource name declared twice for one kind',
      () => [
        demo(),
        other((d) => {
          d.resources.topics = [{ name: 'news', description: 'again' }];
        }),
      ],
      'pipeline other: resources.topics: a topic named "news" is also declared by demo',
    ],
    [
      'a resource name declared twice in one pipeline',
      () => [
        broken((d) => {
          d.resources.tables!.push({ ...d.resources.tables![0]!, description: 'again' });
        }),
      ],
      'pipeline demo: resources.tables: a table named "items" is also declared by demo',
    ],
    [
      'a function id declared twice',
      () => [
        demo(),
        other((d) => {
          d.functions = [{ ...fn(demo(), 'shape'), trigger: { kind: 'sns', topic: 'news' } }];
        }),
      ],
      'pipeline other: functions: function id "shape" is also declared by demo',
    ],
    [
      'a trigger naming a resource of another kind',
      () => [
        broken((d) => {
          fn(d, 'copy').trigger = { kind: 'sns', topic: 'inbox' };
        }),
      ],
      'pipeline demo: functions.copy.trigger: no pipeline declares topic "inbox"',
    ],
    [
      'an environment ref to an undeclared resource',
      () => [
        broken((d) => {
          fn(d, 'copy').environment.GONE = ref.table('gone');
        }),
      ],
      'pipeline demo: functions.copy.environment.GONE: no pipeline declares table "gone"',
    ],
    [
      'a cdn ref to a bucket without a CDN',
      () => [
        broken((d) => {
          fn(d, 'copy').access.push({ resource: ref.cdn('inbox'), mode: 'invalidate' });
        }),
      ],
      'pipeline demo: functions.copy.access[6]: no pipeline declares cdn "inbox"',
    ],
    [
      'an access mode the kind does not have',
      () => [
        broken((d) => {
          fn(d, 'copy').access[4] = { resource: ref.secret('token'), mode: 'write' };
        }),
      ],
      'pipeline demo: functions.copy.access[4].mode: mode write does not apply to a secret (allowed: read)',
    ],
    [
      'one resource listed twice in access',
      () => [
        broken((d) => {
          fn(d, 'copy').access.push({ resource: ref.bucket('inbox'), mode: 'readwrite' });
        }),
      ],
      'pipeline demo: functions.copy.access[6]: bucket "inbox" is already listed in access[0]: give it one entry with one mode',
    ],
    [
      'a table named in the environment without access',
      () => [
        broken((d) => {
          fn(d, 'copy').access.splice(3, 1);
        }),
      ],
      'pipeline demo: functions.copy.environment.ITEMS: names table "items" but access has no entry for it (allowed modes: read, write, readwrite)',
    ],
    [
      'a CDN named in the environment without invalidate access',
      () => [
        broken((d) => {
          fn(d, 'copy').access.splice(2, 1);
        }),
      ],
      'pipeline demo: functions.copy.environment.CDN: names cdn "outbox" but access has no entry for it (allowed modes: invalidate)',
    ],
    [
      'a topic other than its trigger named without access',
      () => [
        broken((d) => {
          fn(d, 'copy').access.splice(5, 1);
        }),
      ],
      'pipeline demo: functions.copy.environment.NEWS: names topic "news" but access has no entry for it (allowed modes: publish)',
    ],
    [
      'a stream whose destination bucket is undeclared',
      () => [
        broken((d) => {
          d.resources.streams![0]!.destination.bucket = 'nowhere';
        }),
      ],
      'pipeline demo: resources.streams.feed.destination.bucket: no pipeline declares bucket "nowhere"',
    ],
    [
      'a stream whose processor is undeclared',
      () => [
        broken((d) => {
          d.resources.streams![0]!.processor = 'ghost';
        }),
      ],
      'pipeline demo: resources.streams.feed.processor: no pipeline declares function "ghost"',
    ],
    [
      'a stream whose processor another trigger invokes',
      () => [
        broken((d) => {
          d.resources.streams![0]!.processor = 'copy';
        }),
      ],
      'pipeline demo: resources.streams.feed.processor: function "copy" must be triggered by this stream',
    ],
    [
      'a transform on a stream that names another processor',
      () => [
        broken((d) => {
          d.functions.push({ ...fn(d, 'shape'), id: 'reshape' });
        }),
      ],
      'pipeline demo: functions.reshape.trigger: stream "feed" names "shape" as its processor, not this function',
    ],
    [
      'a transform that may run longer than Firehose waits',
      () => [
        broken((d) => {
          fn(d, 'shape').timeoutSeconds = 301;
        }),
      ],
      'pipeline demo: functions.shape.timeoutSeconds: must be at most 300 seconds: Firehose waits no longer for a transform',
    ],
    [
      'a function that writes to its trigger bucket with no filter',
      () => [
        broken((d) => {
          const copy = fn(d, 'copy');
          copy.trigger = { kind: 's3', bucket: 'inbox', events: ['s3:ObjectCreated:*'] };
          copy.access[0] = { resource: ref.bucket('inbox'), mode: 'readwrite' };
        }),
      ],
      'pipeline demo: functions.copy.trigger.filter: is needed: the function writes to bucket "inbox", which triggers it, so without a prefix or suffix that its output avoids, its own output would trigger it again',
    ],
    [
      'an API whose authorizer is not its http-authorizer function',
      () => [
        broken((d) => {
          d.resources.apis![0]!.authorizer = 'serve';
        }),
      ],
      "pipeline demo: resources.apis.web.authorizer: function \"serve\" must have the trigger { kind: 'http-authorizer', api: 'web' }",
    ],
    [
      'an http-authorizer function its API does not name',
      () => [
        broken((d) => {
          d.functions.push({ ...fn(d, 'gate'), id: 'gate-2' });
        }),
      ],
      'pipeline demo: functions.gate-2.trigger: API "web" names "gate" as its authorizer, not this function',
    ],
    [
      'an API no function serves',
      () => [
        broken((d) => {
          d.functions = d.functions.filter((f) => f.id !== 'serve');
        }),
      ],
      'pipeline demo: resources.apis.web: no function serves a route of this API (an `http` trigger naming it)',
    ],
    [
      'one route served by two functions',
      () => [
        broken((d) => {
          d.functions.push({
            ...fn(d, 'serve'),
            id: 'serve-2',
            trigger: { kind: 'http', api: 'web', routes: ['GET /items/{id}'] },
          });
        }),
      ],
      'pipeline demo: functions.serve-2.trigger.routes: route "GET /items/{id}" of API "web" is also served by function "serve"',
    ],
    [
      'a route function that outlasts API Gateway’s 30 s',
      () => [
        broken((d) => {
          fn(d, 'serve').timeoutSeconds = 60;
        }),
      ],
      "pipeline demo: functions.serve.timeoutSeconds: must be at most 30 seconds: API Gateway waits no longer for a route's function",
    ],
    [
      'an http trigger on an API nobody declares',
      () => [
        broken((d) => {
          d.functions.push({
            ...fn(d, 'serve'),
            id: 'serve-mobile',
            trigger: { kind: 'http', api: 'mobile', routes: ['GET /x'] },
          });
        }),
      ],
      'pipeline demo: functions.serve-mobile.trigger: no pipeline declares api "mobile"',
    ],
    [
      'a cache named without connect access',
      () => [
        broken((d) => {
          fn(d, 'serve').access.splice(0, 1);
        }),
      ],
      'pipeline demo: functions.serve.environment.PAGES: names cache "pages" but access has no entry for it (allowed modes: connect)',
    ],
    [
      'read access to a cache (only connect applies)',
      () => [
        broken((d) => {
          fn(d, 'serve').access[0] = { resource: ref.cache('pages'), mode: 'read' };
        }),
      ],
      'pipeline demo: functions.serve.access[0].mode: mode read does not apply to a cache (allowed: connect)',
    ],
    [
      'two S3 triggers whose events and filters overlap',
      () => [
        broken((d) => {
          d.functions.push({
            ...fn(d, 'copy'),
            id: 'copy-more',
            trigger: {
              kind: 's3',
              bucket: 'inbox',
              events: ['s3:ObjectCreated:*'],
              filter: { prefix: 'in/photos/' },
            },
          });
        }),
      ],
      'pipeline demo: functions.copy-more.trigger: overlaps the trigger of function "copy" on bucket "inbox" (same event, overlapping prefix and suffix): S3 refuses overlapping notifications',
    ],
  ];
  it.each(cases)('%s', (_, defs, message) => {
    expect(problem(defs())).toBe(message);
  });

  it('lets a function name its own trigger source without access, write to it behind a filter, and S3 triggers that cannot overlap', () => {
    const d = broken((d) => {
      const copy = fn(d, 'copy');
      copy.access.splice(0, 1); // IN names the bucket that triggers the function
      d.functions.push(
        {
          ...copy,
          id: 'on-remove',
          trigger: { kind: 's3', bucket: 'inbox', events: ['s3:ObjectRemoved:*'] },
        },
        {
          ...copy,
          id: 'on-other-prefix',
          trigger: {
            kind: 's3',
            bucket: 'inbox',
            events: ['s3:ObjectCreated:*'],
            filter: { prefix: 'out/' },
          },
        },
        {
          ...copy,
          id: 'on-other-suffix',
          trigger: {
            kind: 's3',
            bucket: 'inbox',
            events: ['s3:ObjectCreated:*'],
            filter: { prefix: 'in/', suffix: '.png' },
          },
        },
      );
      // A function may write to the bucket that triggers it when a filter keeps its output out.
      d.functions.push({
        ...fn(d, 'shape'),
        id: 'writer',
        trigger: {
          kind: 's3',
          bucket: 'outbox',
          events: ['s3:ObjectCreated:*'],
          filter: { suffix: '.json' },
        },
        access: [{ resource: ref.bucket('outbox'), mode: 'readwrite' }],
      });
      // on-other-suffix shares copy's prefix: copy gets another suffix, so no object matches both.
      copy.trigger = {
        kind: 's3',
        bucket: 'inbox',
        events: ['s3:ObjectCreated:*'],
        filter: { prefix: 'in/', suffix: '.jpg' },
      };
    });
    expect(problem([d])).toBe('valid');
  });
});
