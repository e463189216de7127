// Loader tests against a real dynalite: GZIP and plain NDJSON objects, bad lines reported with their line
// numbers while the rest load, duplicate keys within one BatchWriteItem, UnprocessedItems retried (fault
// injected by wrapping the client's send for one call), giving up when they never clear, and idempotent
// redelivery (the same object, or the same events re-sent in another form, never duplicate an item).
import { gzipSync } from 'node:zlib';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  BATCH_SIZE,
  dedupeByKey,
  lineToItem,
  loadLines,
  objectLines,
} from '../../pipelines/stream-etl/loader.ts';
import { RetryError } from '../../shared/retry.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';

/** A separate in-memory dynalite per test (~20 ms to start) keeps tests independent. */
const freshTable = (): Promise<TestDynamo> => startDynalite();

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  eventId: `e-${i}`,
  source: `src-${i % 3}`,
  type: 'order',
  time: '2024-05-01T12:00:00.000Z',
  data: { i, note: 'ünïcødé ✓' },
  ...extra,
});
const ndjson = (values: unknown[]) =>
  `${values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n')}\n`;

async function* chunks(buf: Buffer, size = 1_000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
async function collect(it: AsyncIterable<string>) {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('objectLines', () => {
  it('reads plain, GZIP and multi-member GZIP objects, split at any byte', async () => {
    const text = ndjson([event(1), event(2), event(3)]);
    const expected = text.trimEnd().split('\n');
    expect(await collect(objectLines(chunks(Buffer.from(text), 7)))).toEqual(expected);
    expect(await collect(objectLines(chunks(gzipSync(text), 1)))).toEqual(expected);
    const multi = Buffer.concat([gzipSync(ndjson([event(1)])), gzipSync(ndjson([event(2), event(3)]))]);
    expect(await collect(objectLines(chunks(multi, 5)))).toEqual(expected);
    expect(await collect(objectLines(chunks(Buffer.alloc(0))))).toEqual([]);
  });

  it('fails on a corrupt GZIP object instead of loading part of it silently', async () => {
    const gz = gzipSync(ndjson(Array.from({ length: 200 }, (_, i) => event(i))));
    const corrupt = Buffer.concat([gz.subarray(0, gz.length / 2), Buffer.from('garbage')]);
    await expect(collect(objectLines(chunks(corrupt)))).rejects.toThrow();
  });
});

describe('stream loader into dynalite', () => {
  it('loads every valid line, reports bad lines by number, and keeps the keys deterministic', async () => {
    const t = await freshTable();
    try {
      const lines: unknown[] = Array.from({ length: 1_000 }, (_, i) => event(i));
      lines.splice(10, 0, 'not json'); // line 11
      lines.splice(500, 0, { source: 's', type: 't', time: 'noon', data: 1 }); // line 501
      lines.splice(700, 0, ''); // blank: skipped, not an error
      const text = ndjson(lines);
      const result = await loadLines(objectLines(chunks(gzipSync(text))), {
        client: t.client,
        tableName: t.tableName,
      });
      expect(result.badLines).toEqual([
        { line: 11, reason: expect.stringMatching(/^invalid JSON/) },
        { line: 501, reason: expect.stringMatching(/^schema violation: time/) },
      ]);
      expect(result.written).toBe(1_000);
      expect(result.calls).toBe(Math.ceil(1_000 / BATCH_SIZE));
      const items = await t.scanAll();
      expect(items).toHaveLength(1_000);
      const one = items.find((it) => it.eventId?.S === 'e-7')!;
      expect(one).toEqual({
        pk: { S: 'src-1' },
        sk: { S: '2024-05-01T12:00:00.000Z#e-7' },
        eventId: { S: 'e-7' },
        source: { S: 'src-1' },
        type: { S: 'order' },
        time: { S: '2024-05-01T12:00:00.000Z' },
        data: { S: JSON.stringify({ i: 7, note: 'ünïcødé ✓' }) },
      });
    } finally {
      await t.close();
    }
  });

  it('never duplicates: redelivered objects and re-sent events map to the same items', async () => {
    const t = await freshTable();
    try {
      const noId = (i: number) => ({ source: 'shop', type: 'order', time: 1714564800000 + i, data: { i } });
      const first = ndjson(Array.from({ length: 300 }, (_, i) => noId(i)));
      const opts = { client: t.client, tableName: t.tableName };
      await loadLines(objectLines(chunks(gzipSync(first))), opts);
      await loadLines(objectLines(chunks(gzipSync(first))), opts); // redelivery of the same object
      // The same events again, re-sent with their time as ISO with an offset and keys in another order.
      const resent = Array.from({ length: 300 }, (_, i) => {
        const d = new Date(1714564800000 + i + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
        return JSON.stringify({ data: { i }, time: d, type: 'order', source: 'shop' });
      }).reverse();
      await loadLines(objectLines(chunks(Buffer.from(ndjson(resent)))), opts);
      const items = await t.scanAll();
      expect(items).toHaveLength(300);
      expect(new Set(items.map((it) => `${it.pk!.S}|${it.sk!.S}`)).size).toBe(300);
    } finally {
      await t.close();
    }
  });

  it('de-duplicates keys within one BatchWriteItem (DynamoDB rejects a batch naming an item twice)', async () => {
    const t = await freshTable();
    try {
      const lines = Array.from({ length: 25 }, (_, i) => event(i % 10)); // 10 distinct keys in one batch
      const result = await loadLines(
        lines.map((l) => JSON.stringify(l)),
        { client: t.client, tableName: t.tableName },
      );
      expect(result.calls).toBe(1);
      expect(await t.scanAll()).toHaveLength(10);
      const items = lines.map((l) => {
        const r = lineToItem(JSON.stringify(l));
        if (!r.ok) throw new Error(r.reason);
        return r.item;
      });
      expect(dedupeByKey(items)).toHaveLength(10);
    } finally {
      await t.close();
    }
  });

  it('reports a line nested too deep to serialise as a bad line, not a crash', () => {
    const depth = 50_000;
    const deep = `{"eventId":"d","source":"s","type":"t","time":0,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(lineToItem(deep)).toEqual({ ok: false, reason: expect.stringMatching(/cannot be processed/) });
  });

  it('retries UnprocessedItems with backoff, resending only those', async () => {
    const t = await freshTable();
    try {
      const sent: number[] = [];
      const faulty = faultInjected(t.client, (call, input) => {
        sent.push(input.length);
        // Fault injection on the second call only: DynamoDB "processes" the first 5 and hands back the rest.
        if (call === 2) return { process: input.slice(0, 5), unprocessed: input.slice(5) };
        return undefined;
      });
      const waits: number[] = [];
      const result = await loadLines(
        Array.from({ length: 75 }, (_, i) => JSON.stringify(event(i))),
        {
          client: faulty,
          tableName: t.tableName,
          concurrency: 1,
          sleep: async (ms) => {
            waits.push(ms);
          },
        },
      );
      expect(result.written).toBe(75);
      expect(sent).toEqual([25, 25, 20, 25]); // the retry carries only the 20 unprocessed items
      expect(waits).toHaveLength(1);
      expect(await t.scanAll()).toHaveLength(75);
    } finally {
      await t.close();
    }
  });

  it('gives up with an error when UnprocessedItems never clear, so the invocation is retried', async () => {
    const t = await freshTable();
    try {
      const faulty = faultInjected(t.client, (_call, input) => ({ process: [], unprocessed: input }));
      await expect(
        loadLines([JSON.stringify(event(1))], {
          client: faulty,
          tableName: t.tableName,
          attempts: 3,
          sleep: async () => {},
        }),
      ).rejects.toBeInstanceOf(RetryError);
    } finally {
      await t.close();
    }
  });
});

type Requests = NonNullable<BatchWriteItemCommand['input']['RequestItems']>[string];

/**
 * Wraps a real client's `send`: for BatchWriteItem calls the injector may split the requests into those
 * really written and those returned as UnprocessedItems. Everything else goes to dynalite untouched.
 */
function faultInjected(
  client: DynamoDBClient,
  inject: (call: number, input: Requests) => { process: Requests; unprocessed: Requests } | undefined,
): DynamoDBClient {
  let calls = 0;
  const send = client.send.bind(client) as (cmd: unknown) => Promise<unknown>;
  const wrapped = Object.create(client) as DynamoDBClient;
  wrapped.send = (async (cmd: unknown) => {
    if (!(cmd instanceof BatchWriteItemCommand)) return send(cmd);
    const [tableName, input] = Object.entries(cmd.input.RequestItems ?? {})[0]!;
    const plan = inject(++calls, input);
    if (!plan) return send(cmd);
    if (plan.process.length)
      await send(new BatchWriteItemCommand({ RequestItems: { [tableName]: plan.process } }));
    const out: BatchWriteItemCommandOutput = {
      $metadata: {},
      UnprocessedItems: plan.unprocessed.length ? { [tableName]: plan.unprocessed } : {},
    };
    return out;
  }) as DynamoDBClient['send'];
  return wrapped;
}
