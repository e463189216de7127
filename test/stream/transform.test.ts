// Property-based tests of the Firehose transform contract (fast-check): for any batch mixing valid,
// dropped, invalid-JSON, schema-violating, empty, unicode and non-UTF-8 records, every recordId comes back
// exactly once, in order, with the right result; Ok data is newline-terminated normalised JSON with
// partition keys; the response fits the configured size limit, falling back to ProcessingFailed (never
// to silence) when normalised output would not fit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DROP_TYPES,
  DEFAULT_TRANSFORM_OPTIONS,
  LAMBDA_RESPONSE_LIMIT,
} from '../../pipelines/stream-etl/config.ts';
import {
  canonicalJson,
  deriveEventId,
  EventRecordSchema,
  partitionType,
  quickAccepts,
} from '../../pipelines/stream-etl/schema.ts';
import {
  type InputRecord,
  type TransformOptions,
  transformRecords,
  utf8Text,
} from '../../pipelines/stream-etl/transform.ts';
import { buildFirehoseTransformEvent, FirehoseTransformResponseSchema } from '../../shared/events/index.ts';

type Expected =
  | { kind: 'ok'; event: { eventId?: string; source: string; type: string; ms: number; data: unknown } }
  | { kind: 'dropped' }
  | { kind: 'failed'; code: string };

interface Case {
  bytes: Buffer;
  expected: Expected;
}

const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/** Renders epoch ms as ISO-8601 in a given offset (minutes), with or without fractional seconds. */
function isoWithOffset(ms: number, offsetMin: number, fraction: boolean): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString(); // shifted wall-clock time
  const body = fraction ? local.slice(0, 23) : local.slice(0, 19);
  if (offsetMin === 0) return `${body}Z`;
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${body}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const textArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 24 }),
  fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), // unicode: accents, emoji, CJK, ZWJ
);
const typeArb = textArb.filter((t) => !DEFAULT_DROP_TYPES.includes(t));

const timeArb = fc.oneof(
  fc.integer({ min: MIN_MS, max: MAX_MS }).map((ms) => ({ ms, wire: ms as string | number })),
  fc
    .tuple(
      fc.integer({ min: MIN_MS / 1000, max: MAX_MS / 1000 }),
      fc.integer({ min: -12 * 60, max: 14 * 60 }).map((m) => m - (m % 15)),
      fc.boolean(),
      fc.integer({ min: 0, max: 999 }),
    )
    .map(([s, off, frac, msPart]) => {
      const ms = s * 1000 + (frac ? msPart : 0);
      return { ms, wire: isoWithOffset(ms, off, frac) as string | number };
    }),
);

const validFields = fc.record({
  eventId: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
  source: textArb,
  type: typeArb,
  time: timeArb,
  data: fc.jsonValue({ maxDepth: 3 }),
});

const serialise = (value: unknown, indent: boolean) => JSON.stringify(value, null, indent ? 2 : undefined);

const validCase: fc.Arbitrary<Case> = fc.tuple(validFields, fc.boolean()).map(([f, indent]) => {
  const wire = { eventId: f.eventId, source: f.source, type: f.type, time: f.time.wire, data: f.data };
  return {
    bytes: Buffer.from(serialise(wire, indent), 'utf8'),
    expected: {
      kind: 'ok',
      event: { eventId: f.eventId, source: f.source, type: f.type, ms: f.time.ms, data: f.data },
    },
  };
});

const droppedCase: fc.Arbitrary<Case> = validFields.map((f) => ({
  bytes: Buffer.from(
    JSON.stringify({ source: f.source, type: DEFAULT_DROP_TYPES[0], time: f.time.wire, data: f.data }),
  ),
  expected: { kind: 'dropped' },
}));

const invalidJsonCase: fc.Arbitrary<Case> = fc
  .oneof(
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    validFields.map((f) => JSON.stringify(f).slice(0, -1)), // truncated
    fc.constantFrom('{', '{"source":', "{'a':1}", 'NaN', '[1,]', ' ', '\n', 'undefined'),
  )
  .filter((s) => {
    if (s.length === 0) return false;
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  })
  .map((s) => ({ bytes: Buffer.from(s, 'utf8'), expected: { kind: 'failed', code: 'invalid-json' } }));

const schemaViolationCase: fc.Arbitrary<Case> = fc
  .tuple(
    validFields,
    fc.constantFrom(
      'no-source',
      'no-data',
      'empty-type',
      'bad-time',
      'float-time',
      'extra-key',
      'not-object',
      'number-source',
      'null',
    ),
  )
  .map(([f, how]) => {
    const r: Record<string, unknown> = { source: f.source, type: f.type, time: f.time.wire, data: f.data };
    let value: unknown = r;
    if (how === 'no-source') delete r.source;
    if (how === 'no-data') delete r.data;
    if (how === 'empty-type') r.type = '';
    if (how === 'bad-time') r.time = '2024-02-30T00:00:00Z';
    if (how === 'float-time') r.time = 1.5;
    if (how === 'extra-key') r.tpye = 'typo';
    if (how === 'number-source') r.source = 42;
    if (how === 'not-object') value = [r];
    if (how === 'null') value = null;
    return { bytes: Buffer.from(JSON.stringify(value)), expected: { kind: 'failed', code: 'schema' } };
  });

const emptyCase: fc.Arbitrary<Case> = fc.constant({
  bytes: Buffer.alloc(0),
  expected: { kind: 'failed', code: 'empty' },
});

// Byte sequences that are never valid UTF-8: a lone continuation byte, 0xFF, an overlong encoding of
// '/', a UTF-16 surrogate encoded as UTF-8 (CESU-8), a truncated 3-byte sequence at the very end.
const INVALID_UTF8 = [[0x80], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80]];
const notUtf8Case: fc.Arbitrary<Case> = fc
  .tuple(validCase, fc.constantFrom(...INVALID_UTF8), fc.nat(), fc.boolean())
  .map(([c, bad, pos, atEnd]) => {
    const at = atEnd ? c.bytes.length : pos % (c.bytes.length + 1);
    const bytes = Buffer.concat([c.bytes.subarray(0, at), Buffer.from(bad), c.bytes.subarray(at)]);
    return { bytes, expected: { kind: 'failed', code: 'not-utf8' } };
  });

const truncatedMultibyte: fc.Arbitrary<Case> = fc.constant({
  bytes: Buffer.from([...Buffer.from('{"source":"a","type":"t","time":0,"data":"'), 0xe2, 0x82]),
  expected: { kind: 'failed', code: 'not-utf8' },
});

// Valid JSON nested so deep that serialising it overflows the stack: failed on its own, batch unharmed.
const tooDeepCase: fc.Arbitrary<Case> = fc.integer({ min: 20_000, max: 100_000 }).map((depth) => ({
  bytes: Buffer.from(`{"source":"s","type":"t","time":0,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  expected: { kind: 'failed', code: 'unprocessable' },
}));

const anyCase = fc.oneof(
  { weight: 5, arbitrary: validCase },
  { weight: 1, arbitrary: droppedCase },
  { weight: 1, arbitrary: invalidJsonCase },
  { weight: 1, arbitrary: schemaViolationCase },
  { weight: 1, arbitrary: emptyCase },
  { weight: 1, arbitrary: notUtf8Case },
  { weight: 1, arbitrary: truncatedMultibyte },
  { weight: 1, arbitrary: tooDeepCase },
);

const batchArb = fc
  .tuple(fc.array(anyCase, { minLength: 1, maxLength: 60 }), fc.string({ maxLength: 8 }))
  .map(([cases, salt]) => ({
    cases,
    records: cases.map(
      (c, i): InputRecord => ({ recordId: `49${salt}${i}`, data: c.bytes.toString('base64') }),
    ),
  }));

function checkContract(records: InputRecord[], cases: Case[], options: TransformOptions) {
  const outcome = transformRecords(records, options);
  const out = outcome.response.records;
  // Shape AWS accepts.
  FirehoseTransformResponseSchema.parse(outcome.response);
  // Every recordId exactly once, in input order.
  expect(out.map((r) => r.recordId)).toEqual(records.map((r) => r.recordId));
  // Size bookkeeping is exact, and within the limit.
  expect(Buffer.byteLength(JSON.stringify(outcome.response))).toBe(outcome.responseBytes);
  expect(outcome.responseBytes).toBeLessThanOrEqual(options.maxResponseBytes);

  const failureById = new Map(outcome.failures.map((f) => [f.recordId, f]));
  expect(failureById.size).toBe(outcome.failures.length);
  out.forEach((r, i) => {
    const want = cases[i]!.expected;
    const failure = failureById.get(r.recordId);
    if (want.kind === 'ok' && r.result === 'ProcessingFailed') {
      // Only allowed when the response would not fit; the record is kept intact.
      expect(failure?.code).toBe('response-limit');
      expect(r.data).toBe(records[i]!.data);
      return;
    }
    expect(r.result).toBe(
      want.kind === 'ok' ? 'Ok' : want.kind === 'dropped' ? 'Dropped' : 'ProcessingFailed',
    );
    if (want.kind === 'failed') {
      expect(failure?.code).toBe(want.code);
      expect(failure?.reason.length).toBeGreaterThan(0);
      expect(r.data).toBe(records[i]!.data); // the original bytes go to the error prefix
      expect(r.metadata).toBeUndefined();
    }
    if (want.kind === 'ok') {
      expect(failure).toBeUndefined();
      const text = Buffer.from(r.data, 'base64').toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(text.indexOf('\n')).toBe(text.length - 1); // exactly one line
      const line = JSON.parse(text) as Record<string, unknown>;
      const time = new Date(want.event.ms).toISOString();
      expect(Object.keys(line)).toEqual(['eventId', 'source', 'type', 'time', 'data']);
      expect(line.source).toBe(want.event.source);
      expect(line.type).toBe(want.event.type);
      expect(line.time).toBe(time);
      expect(line.data).toEqual(JSON.parse(JSON.stringify(want.event.data)));
      if (want.event.eventId !== undefined) expect(line.eventId).toBe(want.event.eventId);
      else expect(line.eventId).toMatch(/^[0-9a-f]{64}$/);
      expect(r.metadata?.partitionKeys).toEqual({
        type: partitionType(want.event.type),
        dt: time.slice(0, 10),
      });
    }
  });
  const counts = { ok: 0, dropped: 0, failed: 0 };
  for (const r of out) counts[r.result === 'Ok' ? 'ok' : r.result === 'Dropped' ? 'dropped' : 'failed']++;
  expect(outcome.counts).toEqual(counts);
  return outcome;
}

describe('stream transform contract (property-based)', () => {
  it('answers every record exactly once with the right result', () => {
    fc.assert(
      fc.property(batchArb, ({ cases, records }) => {
        checkContract(records, cases, DEFAULT_TRANSFORM_OPTIONS);
      }),
      { numRuns: 300 },
    );
  });

  it('never exceeds the response limit and turns only overflow into ProcessingFailed', () => {
    fc.assert(
      fc.property(batchArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ cases, records }, share) => {
        // The smallest possible response: every record failed with its original data.
        const floor = Buffer.byteLength(
          JSON.stringify({ records: records.map((r) => ({ ...r, result: 'ProcessingFailed' })) }),
        );
        const full = transformRecords(records).responseBytes;
        const limit = Math.floor(floor + (Math.max(full, floor) - floor) * share);
        const outcome = checkContract(records, cases, {
          ...DEFAULT_TRANSFORM_OPTIONS,
          maxResponseBytes: limit,
        });
        // Nothing is turned away when everything fits.
        if (limit >= full) expect(outcome.failures.filter((f) => f.code === 'response-limit')).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('derives the same eventId for the same content, whatever its key order or time form', () => {
    fc.assert(
      fc.property(validFields, fc.integer({ min: -12, max: 14 }), (f, offsetH) => {
        const epoch = { source: f.source, type: f.type, time: f.time.ms, data: f.data };
        const iso = {
          data: f.data,
          time: isoWithOffset(f.time.ms, offsetH * 60, true),
          type: f.type,
          source: f.source,
        };
        const [a, b] = transformRecords(
          [epoch, iso].map((r, i) => ({
            recordId: String(i),
            data: Buffer.from(JSON.stringify(r)).toString('base64'),
          })),
        ).response.records;
        const idOf = (r: typeof a) =>
          (JSON.parse(Buffer.from(r!.data, 'base64').toString()) as { eventId: string }).eventId;
        expect(idOf(a)).toBe(idOf(b));
        expect(idOf(a)).toBe(
          deriveEventId({
            source: f.source,
            type: f.type,
            time: new Date(f.time.ms).toISOString(),
            data: f.data,
          }),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('schema quick check', () => {
  const wire = validFields.map((f) => ({
    eventId: f.eventId,
    source: f.source,
    type: f.type,
    time: f.time.wire,
    data: f.data,
  }));
  const nearIso = fc
    .tuple(fc.integer({ min: MIN_MS, max: MAX_MS }), fc.nat({ max: 29 }), fc.string({ maxLength: 2 }))
    .map(([ms, at, junk]) => {
      const iso = new Date(ms).toISOString();
      return `${iso.slice(0, at)}${junk}${iso.slice(at + junk.length)}`; // ISO with a few characters changed
    });
  const mutated = fc
    .tuple(
      wire,
      fc.constantFrom('eventId', 'source', 'type', 'time', 'data', 'extra'),
      fc.oneof(
        fc.anything(),
        nearIso,
        fc.string({ maxLength: 300 }),
        fc.double(),
        fc.integer(),
        fc.constantFrom(
          undefined,
          '',
          'x'.repeat(257),
          -62167219200001,
          253402300800000,
          '2024-02-29T00:00:00Z',
          '2023-02-29T00:00:00Z',
        ),
      ),
    )
    .map(([w, key, v]) => ({ ...w, [key]: v }) as unknown);

  it('accepts valid records without zod', () => {
    fc.assert(
      fc.property(wire, (w) => {
        expect(quickAccepts(JSON.parse(JSON.stringify(w)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts nothing that the zod schema rejects', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.anything(), wire), (v) => {
        if (quickAccepts(v)) expect(EventRecordSchema.safeParse(v).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('stream transform details', () => {
  it('changes the derived eventId when any field changes', () => {
    const base = { source: 's', type: 't', time: '2024-05-01T12:00:00.000Z', data: { a: 1, b: [1, 2] } };
    const id = deriveEventId(base);
    expect(deriveEventId({ ...base, source: 's2' })).not.toBe(id);
    expect(deriveEventId({ ...base, type: 't2' })).not.toBe(id);
    expect(deriveEventId({ ...base, time: '2024-05-01T12:00:00.001Z' })).not.toBe(id);
    expect(deriveEventId({ ...base, data: { a: 1, b: [2, 1] } })).not.toBe(id);
    expect(deriveEventId({ ...base, data: { b: [1, 2], a: 1 } })).toBe(id);
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('makes partition types S3-key safe, bounded and collision-free', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }),
        fc.string({ minLength: 1 }),
        (a, b) => {
          const pa = partitionType(a);
          expect(pa).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
          expect(['.', '..']).not.toContain(pa);
          if (a !== b) expect(partitionType(b)).not.toBe(pa);
        },
      ),
      { numRuns: 500 },
    );
    expect(partitionType('page.view')).toBe('page.view');
    expect(partitionType('a/b')).toMatch(/^a_b-[0-9a-f]{8}$/);
    expect(partitionType('a_b')).toBe('a_b');
  });

  it('decodes UTF-8 exactly as the WHATWG decoder with fatal errors does, byte-order mark included', () => {
    // The reference is the Encoding Standard's decoder (TextDecoder, fatal), which the transform used
    // before: every byte sequence must get the same verdict and the same text from the quicker path.
    const reference = new TextDecoder('utf-8', { fatal: true });
    const expectSame = (bytes: Buffer) => {
      let want: string | undefined;
      try {
        want = reference.decode(bytes);
      } catch {
        want = undefined;
      }
      expect(utf8Text(bytes)).toBe(want);
    };
    const parts = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 8 }).map((s) => Buffer.from(s, 'utf8')),
      fc.constantFrom(...INVALID_UTF8.map((b) => Buffer.from(b)), Buffer.from([0xef, 0xbb, 0xbf])),
    );
    fc.assert(
      fc.property(fc.array(parts, { maxLength: 6 }), (chunks) => {
        expectSame(Buffer.concat(chunks.map((c) => Buffer.from(c))));
      }),
      { numRuns: 2_000 },
    );
    // A record that starts with a byte-order mark is still JSON to the transform.
    const withBom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify({ source: 's', type: 't', time: 0, data: 1 })),
    ]);
    expect(utf8Text(withBom)?.startsWith('{')).toBe(true);
    const out = transformRecords([{ recordId: 'bom', data: withBom.toString('base64') }]);
    expect(out.response.records[0]!.result).toBe('Ok');
  });

  it('drops the configured types only', () => {
    const rec = (type: string) => ({
      recordId: type,
      data: Buffer.from(JSON.stringify({ source: 's', type, time: 0, data: null })).toString('base64'),
    });
    const opts = { ...DEFAULT_TRANSFORM_OPTIONS, dropTypes: new Set(['ping', 'noise']) };
    const results = transformRecords([rec('ping'), rec('heartbeat'), rec('noise')], opts).response.records;
    expect(results.map((r) => r.result)).toEqual(['Dropped', 'Ok', 'Dropped']);
  });

  it('fails a record whose data is not base64 alone, with a valid base64 answer', () => {
    const valid = Buffer.from(JSON.stringify({ source: 's', type: 't', time: 0, data: 1 })).toString(
      'base64',
    );
    const records = [
      { recordId: 'a', data: valid },
      { recordId: 'b', data: `${valid.slice(0, -4)}!!!!` },
      { recordId: 'c', data: 'e30' }, // unpadded
      { recordId: 'd', data: valid },
    ];
    const outcome = transformRecords(records);
    expect(outcome.response.records.map((r) => [r.recordId, r.result])).toEqual([
      ['a', 'Ok'],
      ['b', 'ProcessingFailed'],
      ['c', 'ProcessingFailed'],
      ['d', 'Ok'],
    ]);
    expect(outcome.failures.map((f) => [f.recordId, f.code])).toEqual([
      ['b', 'invalid-base64'],
      ['c', 'invalid-base64'],
    ]);
    // Firehose rejects a whole response whose data is not base64, so every answer must be.
    expect(FirehoseTransformResponseSchema.safeParse(outcome.response).success).toBe(true);
    expect(outcome.responseBytes).toBe(Buffer.byteLength(JSON.stringify(outcome.response)));
  });

  it('rejects a record whose normalised form is too big for a table item, with a reason', () => {
    const big = { source: 's', type: 't', time: 0, data: 'x'.repeat(2_000) };
    const outcome = transformRecords(
      [{ recordId: '1', data: Buffer.from(JSON.stringify(big)).toString('base64') }],
      { ...DEFAULT_TRANSFORM_OPTIONS, maxEventBytes: 1_000 },
    );
    expect(outcome.response.records[0]!.result).toBe('ProcessingFailed');
    expect(outcome.failures[0]).toMatchObject({ code: 'too-large' });
  });

  it('names the failing field in schema reasons and rejects times past year 9999 in UTC', () => {
    const run = (v: unknown) =>
      transformRecords([{ recordId: '1', data: Buffer.from(JSON.stringify(v)).toString('base64') }])
        .failures[0]?.reason;
    expect(run({ source: 's', type: 't', time: 'yesterday', data: 1 })).toMatch(/^schema violation: time: /);
    expect(run({ source: 's', type: 't', time: 0 })).toMatch(/data: /);
    expect(run({ source: 's', type: 't', time: '9999-12-31T23:00:00-02:00', data: 1 })).toMatch(/time: /);
    expect(run({ source: 's', type: 't', time: 0, data: 1, extra: true })).toMatch(/extra/);
  });

  it('fills a real 6 MB batch within the Lambda response limit', () => {
    // A request just under Lambda's 6 MiB cap (Firehose's own ceiling) of ~1 KB records whose normalised
    // form grows (epoch → ISO time, added eventId, partition keys): some must fall back, none be lost.
    const event = buildFirehoseTransformEvent({ records: [{ data: 'x' }] });
    const records: InputRecord[] = [];
    let requestBytes = Buffer.byteLength(JSON.stringify({ ...event, records: [] }));
    for (let i = 0; requestBytes < LAMBDA_RESPONSE_LIMIT - 2_000; i++) {
      const r = {
        source: 'shop',
        type: 'order',
        time: 1714564800000 + i,
        data: { pad: 'x'.repeat(1_000), i },
      };
      const rec = {
        recordId: `${i}`.padStart(56, '4'),
        data: Buffer.from(JSON.stringify(r)).toString('base64'),
      };
      records.push(rec);
      requestBytes +=
        Buffer.byteLength(JSON.stringify({ ...rec, approximateArrivalTimestamp: 1714564800000 })) + 1;
    }
    const outcome = transformRecords(records);
    expect(outcome.response.records).toHaveLength(records.length);
    expect(Buffer.byteLength(JSON.stringify(outcome.response))).toBeLessThanOrEqual(LAMBDA_RESPONSE_LIMIT);
    expect(outcome.counts.ok + outcome.counts.failed).toBe(records.length);
    expect(outcome.failures.every((f) => f.code === 'response-limit')).toBe(true);
    expect(outcome.counts.failed).toBeGreaterThan(0);
    expect(outcome.counts.ok).toBeGreaterThan(0);
  });
});
