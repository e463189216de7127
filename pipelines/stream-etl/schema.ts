// The stream pipeline's record schema, in one file: what a producer may send, how a valid record is
// normalised for the lake, how a missing eventId is derived, and the DynamoDB keys a record gets.
// To change the schema, change this file only: the transform (Firehose Lambda), the loader and the tests
// all go through `parseEventRecord` / `eventKeys`. Keep three promises when you do:
//   1. `parseEventRecord` is a pure function of the record's content (same input → same output),
//   2. the normalised record has `eventId`, `source`, `type`, `time` (ISO-8601 UTC) at the top level,
//   3. `eventKeys` is deterministic, so redelivery never creates a second item.
import { createHash, hash } from 'node:crypto';
import * as z from '../../shared/zod.ts';

/** Earliest and latest instants accepted, so that every normalised time has a 4-digit year. */
const EPOCH_MS_RANGE = { min: -62_167_219_200_000 /* 0000-01-01T00:00:00.000Z */, max: 253_402_300_799_999 };

/**
 * `time`: an ISO-8601 date-time with seconds and an explicit zone (`2024-05-01T12:00:00Z`,
 * `2024-05-01T14:00:00.250+02:00`), or epoch milliseconds (`1714564800000`).
 */
const IsoTimeSchema = z.iso.datetime({
  offset: true,
  error: 'must be ISO-8601 with seconds and a zone (Z or ±HH:MM)',
});

const TimeSchema = z.union(
  [
    IsoTimeSchema,
    z
      .number()
      .check(
        z.int('epoch milliseconds must be a whole number'),
        z.gte(EPOCH_MS_RANGE.min, 'is before year 0000'),
        z.lte(EPOCH_MS_RANGE.max, 'is after year 9999'),
      ),
  ],
  { error: 'must be an ISO-8601 date-time string or epoch milliseconds' },
);

const MAX_TEXT = 256;
const Text = () =>
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(MAX_TEXT, `must be at most ${MAX_TEXT} characters`),
    );

/**
 * The record a producer sends. Unknown top-level fields are rejected (not silently stripped), so a typo
 * such as `tpye` surfaces as a failed record rather than as lost data.
 */
export const EventRecordSchema = z.strictObject({
  eventId: z.optional(Text()),
  source: Text(),
  type: Text(),
  time: TimeSchema,
  // Any JSON value. It came from JSON.parse, so it is JSON already; only its presence is checked.
  data: z.unknown().check(z.refine((v) => v !== undefined, 'is required')),
});

/** A valid record after normalisation: this is exactly what is written to the lake, one per line. */
// A type alias rather than an interface, so that it is a JSON object (Record<string, unknown>) to the
// producer as it is: the events API sends normalised events without copying them.
export type NormalisedEvent = {
  eventId: string;
  source: string;
  type: string;
  /** ISO-8601 UTC with milliseconds, e.g. `2024-05-01T12:00:00.000Z`. */
  time: string;
  data: unknown;
};

export type ParseResult = { ok: true; event: NormalisedEvent } | { ok: false; reason: string };

type EventRecord = z.output<typeof EventRecordSchema>;

const FIELDS = new Set(Object.keys(EventRecordSchema.shape));
/** The very regular expression zod checks ISO times with, so the quick check cannot disagree with it. */
const ISO_PATTERN = IsoTimeSchema._zod.def.pattern;
const isText = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= MAX_TEXT;

/**
 * A quick check that accepts only records EventRecordSchema accepts (a test holds it to that, on
 * generated valid and invalid records). It spares the transform zod's per-record cost (about a tenth of
 * its time) on the common, valid path; anything it does not accept goes through zod, which decides and
 * names the problem. If you change the schema, change this too, or make it return false.
 */
export function quickAccepts(value: unknown): value is EventRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !ISO_PATTERN) return false;
  for (const k in value) if (!FIELDS.has(k)) return false;
  const r = value as Record<string, unknown>;
  if (r.data === undefined || !isText(r.source) || !isText(r.type)) return false;
  if (r.eventId !== undefined && !isText(r.eventId)) return false;
  const t = r.time;
  if (typeof t === 'number') return Number.isInteger(t) && t >= EPOCH_MS_RANGE.min && t <= EPOCH_MS_RANGE.max;
  return typeof t === 'string' && ISO_PATTERN.test(t);
}

/** Validates a parsed JSON value and normalises it (time → ISO UTC, eventId derived when missing). */
export function parseEventRecord(value: unknown): ParseResult {
  let r: EventRecord;
  if (quickAccepts(value)) r = value;
  else {
    const parsed = EventRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.length ? issue.path.map(String).join('.') : '(record)';
      const more = parsed.error.issues.length > 1 ? ` (+${parsed.error.issues.length - 1} more)` : '';
      return { ok: false, reason: `${path}: ${issue.message}${more}` };
    }
    r = parsed.data;
  }
  const ms = typeof r.time === 'number' ? r.time : Date.parse(r.time);
  // An offset can carry an in-range local time past year 9999 in UTC (`9999-12-31T23:00:00-02:00`).
  if (!(ms >= EPOCH_MS_RANGE.min && ms <= EPOCH_MS_RANGE.max)) {
    return { ok: false, reason: 'time: is outside years 0000-9999 in UTC' };
  }
  // Built once, in the order the lake line keeps (eventId first); the id is derived from the other fields.
  const event: NormalisedEvent = {
    eventId: r.eventId ?? '',
    source: r.source,
    type: r.type,
    time: new Date(ms).toISOString(),
    data: r.data,
  };
  if (r.eventId === undefined) event.eventId = deriveEventId(event);
  return { ok: true, event };
}

/**
 * A stable id from the record's content: sha256 over canonical JSON (object keys sorted at every level)
 * of source, type, normalised time and data. The same event sent twice (even with keys in another order,
 * or its time as epoch ms once and ISO once) gets the same id, so it lands on the same table item.
 */
export function deriveEventId(body: Omit<NormalisedEvent, 'eventId'>): string {
  // crypto.hash: the one-shot form (Node ≥ 20.12, Lambda's nodejs22.x), cheaper than createHash per record.
  return hash('sha256', canonicalJson([body.source, body.type, body.time, body.data]), 'hex');
}

/**
 * Canonical JSON: equal values always serialise to equal text, whatever order their object keys came in.
 * Built as a copy with every object's keys inserted in sorted order, then serialised by the native
 * JSON.stringify (measured faster than building the string in JavaScript). Key order in the text is the
 * one the language defines for objects: integer-like keys ascending first, then the others sorted.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedCopy(value)) ?? 'null';
}

function sortedCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = sortedCopy(value[i]);
    return out;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // defineProperty, not assignment: a `__proto__` key from JSON.parse must stay a plain property.
    if (k === '__proto__') Object.defineProperty(out, k, { value: sortedCopy(obj[k]), enumerable: true });
    else out[k] = sortedCopy(obj[k]);
  }
  return out;
}

/** The events table's keys: one item per (source, time, eventId), whatever path the record took. */
export function eventKeys(e: Pick<NormalisedEvent, 'source' | 'time' | 'eventId'>): {
  pk: string;
  sk: string;
} {
  return { pk: e.source, sk: `${e.time}#${e.eventId}` };
}

const MAX_TYPE_KEY = 64;

/**
 * Dynamic-partitioning keys (`type`, `dt`) for `events/type=<type>/dt=<YYYY-MM-DD>/`. `type` is made
 * S3-key safe and bounded: characters outside [A-Za-z0-9._-] become `_`, the result is at most 64
 * characters, and whenever the type had to be changed a short hash of the original is appended so two
 * different types never share a partition by accident (`a/b` → `a_b-1c2d3e4f`, `a_b` → `a_b`).
 */
export function partitionKeys(e: Pick<NormalisedEvent, 'type' | 'time'>): { type: string; dt: string } {
  return { type: partitionType(e.type), dt: e.time.slice(0, 10) };
}

const typeCache = new Map<string, string>();

export function partitionType(type: string): string {
  const cached = typeCache.get(type);
  if (cached !== undefined) return cached;
  let safe = type.replace(/[^A-Za-z0-9._-]/g, '_');
  if (/^\.+$/.test(safe)) safe = safe.replace(/\./g, '_'); // `.` and `..` are not key segments to keep
  if (safe !== type || safe.length > MAX_TYPE_KEY) {
    const hash = createHash('sha256').update(type).digest('hex').slice(0, 8);
    safe = `${safe.slice(0, MAX_TYPE_KEY - 9)}-${hash}`;
  }
  if (typeCache.size > 10_000) typeCache.clear();
  typeCache.set(type, safe);
  return safe;
}

/**
 * A time as records carry it (ISO-8601 with seconds and a zone, or epoch milliseconds) normalised to the
 * table's form (ISO-8601 UTC with milliseconds), or the reason it is not one. Readers of the table (the
 * events API's `from`/`to`) use it, so that a query's bounds and the stored times are the same text.
 */
export function normaliseTime(
  value: string | number,
): { ok: true; time: string } | { ok: false; reason: string } {
  const parsed = TimeSchema.safeParse(
    typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value,
  );
  if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]!.message };
  const ms = typeof parsed.data === 'number' ? parsed.data : Date.parse(parsed.data);
  if (!(ms >= EPOCH_MS_RANGE.min && ms <= EPOCH_MS_RANGE.max)) {
    return { ok: false, reason: 'is outside years 0000-9999 in UTC' };
  }
  return { ok: true, time: new Date(ms).toISOString() };
}
