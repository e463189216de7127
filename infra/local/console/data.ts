// The console's data, one function per view, each a page at a time (so a view costs the same with 10 or
// 10,000 objects present): read through the AWS SDK from the local cloud's own edge (the same wire any
// tool uses) and from the stores the edge already serves (webhook sink, dead letters, Firehose reports).
// Image sizes are read with sharp (libvips, already a dependency) from the first bytes of each object and
// kept per ETag; previews of large variants are made with sharp too and kept likewise.
import { gunzipSync, gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  CONTENT_TYPES,
  DEFAULT_VARIANTS,
  rejectionKey,
  variantKey,
} from '../../../pipelines/image-resize/variants.ts';
import {
  deployedTransformOptions,
  judgeErrorLine,
  replayErrors,
} from '../../../pipelines/stream-etl/replay.ts';
import {
  decodeFirehoseData,
  FirehoseErrorRecordSchema,
  firehoseErrorCode,
} from '../../../shared/events/firehose.ts';
import { REGION } from '../names.ts';
import type { ImagesView, StreamView } from './views.ts';

export const PAGE = { uploads: 24, lake: 50, failedObjects: 10, failedRecords: 100, items: 50, slack: 20 };

export interface Clients {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  firehose: FirehoseClient;
}

export function clientsFor(endpoint: string): Clients {
  const config = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local-console', secretAccessKey: 'local-console' },
  };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    firehose: new FirehoseClient(config),
  };
}

export function destroyClients(c: Clients): void {
  c.s3.destroy();
  c.dynamo.destroy();
  c.firehose.destroy();
}

const isNotFound = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 ||
  (err as Error).name === 'NotFound' ||
  (err as Error).name === 'NoSuchKey';

async function body(s3: S3Client, bucket: string, key: string, range?: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

type SharpModule = typeof import('sharp');
let sharpModule: Promise<SharpModule> | undefined;
/** sharp, loaded the first time an image is measured (the cloud itself never needs it otherwise). */
const loadSharp = () => {
  sharpModule ??= import('sharp');
  return sharpModule;
};

/** A small map that forgets its oldest entries (sizes and previews per bucket/key/ETag). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  delete(k: string): void {
    this.map.delete(k);
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

export interface ImageInfo {
  width?: number;
  height?: number;
  format?: string;
}
const sizes = new Lru<Promise<ImageInfo>>(5_000);
const previews = new Lru<Promise<Buffer>>(300);

/** Width, height and format from the object's first 256 KiB (the whole object if that is not enough). */
function measure(s3: S3Client, bucket: string, key: string, eTag: string): Promise<ImageInfo> {
  const id = `${bucket}\0${key}\0${eTag}`;
  let p = sizes.get(id);
  if (!p) {
    p = (async () => {
      const sharp = (await loadSharp()).default;
      const read = async (range?: string) => {
        const m = await sharp(await body(s3, bucket, key, range)).metadata();
        return {
          width: m.autoOrient?.width ?? m.width,
          height: m.autoOrient?.height ?? m.height,
          format: m.format,
        };
      };
      try {
        return await read('bytes=0-262143');
      } catch {
        return read().catch(() => ({}));
      }
    })();
    p.catch(() => sizes.delete(id));
    sizes.set(id, p);
  }
  return p;
}

/** A JPEG at most `width` wide of an image object (for thumbnails of large variants and uploads). */
export function preview(
  s3: S3Client,
  bucket: string,
  key: string,
  eTag: string,
  width: number,
): Promise<Buffer> {
  const id = `${bucket}\0${key}\0${eTag}\0${width}`;
  let p = previews.get(id);
  if (!p) {
    p = (async () => {
      const sharp = (await loadSharp()).default;
      return sharp(await body(s3, bucket, key))
        .autoOrient()
        .resize({ width, height: width, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 70 })
        .toBuffer();
    })();
    p.catch(() => previews.delete(id)); // not an image (or gone): asked again, tried again
    previews.set(id, p);
  }
  return p;
}

export class NotAnImage extends Error {}

/**
 * An object's bytes and type, or (with `width`) a JPEG preview at most that wide, with its ETag: a page
 * that names the ETag in the URL may cache the answer for good (a changed object gets another URL).
 */
export async function objectForPage(
  s3: S3Client,
  bucket: string,
  key: string,
  width: number,
): Promise<{ contentType: string; body: Buffer; eTag: string }> {
  if (width > 0) {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const eTag = h.ETag ?? '';
    try {
      return { contentType: 'image/jpeg', body: await preview(s3, bucket, key, eTag, width), eTag };
    } catch (err) {
      throw new NotAnImage(`s3://${bucket}/${key} is not an image sharp can read: ${(err as Error).message}`);
    }
  }
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    contentType: out.ContentType ?? 'application/octet-stream',
    body: Buffer.from(await out.Body!.transformToByteArray()),
    eTag: out.ETag ?? '',
  };
}

export interface ObjectSummary extends ImageInfo {
  key: string;
  bytes: number;
  eTag: string;
  contentType?: string;
  lastModified?: string;
}

export interface UploadCard {
  upload: ObjectSummary;
  variants: Array<{ name: string; key: string; object?: ObjectSummary }>;
  rejected?: { reason: string; message: string; time?: string };
}

async function head(
  s3: S3Client,
  bucket: string,
  key: string,
  dims: boolean,
): Promise<ObjectSummary | undefined> {
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const eTag = h.ETag ?? '';
    return {
      key,
      bytes: h.ContentLength ?? 0,
      eTag,
      contentType: h.ContentType,
      lastModified: h.LastModified?.toISOString(),
      ...(dims ? await measure(s3, bucket, key, eTag) : {}),
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The variants of a page of uploads, found with one listing per variant (from just before the first
 * expected key to past the last, at most 3 listing pages) instead of a HeadObject per variant:
 * key → summary, or null when the listing proved it absent. Keys the listings did not reach are left out
 * (the caller asks HeadObject for them).
 */
async function findVariants(
  s3: S3Client,
  bucket: string,
  uploads: string[],
): Promise<Map<string, Omit<ObjectSummary, 'width' | 'height' | 'format'> | null>> {
  const found = new Map<string, Omit<ObjectSummary, 'width' | 'height' | 'format'> | null>();
  if (uploads.length === 0) return found;
  await Promise.all(
    DEFAULT_VARIANTS.map(async (v) => {
      const wanted = [...new Set(uploads.map((k) => variantKey(v, k)))].sort(byUtf8);
      const first = wanted[0]!;
      const last = wanted.at(-1)!;
      let token: string | undefined;
      let reached = '';
      for (let page = 0; page < 3; page++) {
        const out = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${v.name}/`,
            // A prefix of the first key sorts before it, so the listing starts at most a few keys early.
            StartAfter: token ? undefined : first.slice(0, -1),
            ContinuationToken: token,
            // Usually just the page's variants (keys sort like their uploads), plus a few others.
            MaxKeys: wanted.length + 16,
          }),
        );
        for (const o of out.Contents ?? []) {
          reached = o.Key!;
          if (byUtf8(o.Key!, first) < 0 || byUtf8(o.Key!, last) > 0) continue;
          found.set(o.Key!, {
            key: o.Key!,
            bytes: o.Size ?? 0,
            eTag: o.ETag ?? '',
            contentType: CONTENT_TYPES[v.format],
            lastModified: o.LastModified?.toISOString(),
          });
        }
        token = out.NextContinuationToken;
        if (!token || byUtf8(reached, last) >= 0) {
          token = undefined;
          break;
        }
      }
      // Listed past the last wanted key (or to the end): whatever was not seen does not exist.
      if (!token) for (const k of wanted) if (!found.has(k)) found.set(k, null);
    }),
  );
  return found;
}

/** S3 lists keys in UTF-8 byte order. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** One page of uploads, each with its variants (or its rejection). */
export async function imagesPage(
  c: Clients,
  view: ImagesView,
  cursor: string | undefined,
): Promise<{ cards: UploadCard[]; next?: string; display: string; source: string }> {
  const list = await c.s3.send(
    new ListObjectsV2Command({ Bucket: view.sourceBucket, MaxKeys: PAGE.uploads, ContinuationToken: cursor }),
  );
  const found = await findVariants(
    c.s3,
    view.displayBucket,
    (list.Contents ?? []).map((o) => o.Key!),
  );
  const cards = await Promise.all(
    (list.Contents ?? []).map(async (o): Promise<UploadCard> => {
      const key = o.Key!;
      const eTag = o.ETag ?? '';
      const upload: ObjectSummary = {
        key,
        bytes: o.Size ?? 0,
        eTag,
        lastModified: o.LastModified?.toISOString(),
        ...(await measure(c.s3, view.sourceBucket, key, eTag)),
      };
      const variants = await Promise.all(
        DEFAULT_VARIANTS.map(async (v) => {
          const vk = variantKey(v, key);
          const listed = found.get(vk);
          const object = listed
            ? { ...listed, ...(await measure(c.s3, view.displayBucket, vk, listed.eTag)) }
            : listed === null
              ? undefined
              : await head(c.s3, view.displayBucket, vk, true);
          return { name: v.name, key: vk, object };
        }),
      );
      let rejected: UploadCard['rejected'];
      if (!variants.some((v) => v.object)) {
        try {
          const marker = JSON.parse(
            (await body(c.s3, view.displayBucket, rejectionKey(key))).toString('utf8'),
          );
          rejected = { reason: String(marker.reason), message: String(marker.message), time: marker.time };
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return { upload, variants, rejected };
    }),
  );
  return { cards, next: list.NextContinuationToken, display: view.displayBucket, source: view.sourceBucket };
}

/** The variants of one upload as they are now (after a delete: those not yet removed). */
export async function variantsOf(c: Clients, view: ImagesView, key: string) {
  return Promise.all(
    DEFAULT_VARIANTS.map(async (v) => {
      const vk = variantKey(v, key);
      return { name: v.name, key: vk, object: await head(c.s3, view.displayBucket, vk, false) };
    }),
  );
}

export async function deleteUpload(c: Clients, view: ImagesView, key: string): Promise<void> {
  await c.s3.send(new DeleteObjectCommand({ Bucket: view.sourceBucket, Key: key }));
}

/** One level of the lake: partitions (common prefixes) and objects under `prefix`, a page at a time. */
export async function lakePage(c: Clients, view: StreamView, prefix: string, cursor: string | undefined) {
  const p = prefix.startsWith(view.dataRoot) ? prefix : view.dataRoot;
  const list = await c.s3.send(
    new ListObjectsV2Command({
      Bucket: view.bucket,
      Prefix: p,
      Delimiter: '/',
      MaxKeys: PAGE.lake,
      ContinuationToken: cursor,
    }),
  );
  return {
    prefix: p,
    partitions: (list.CommonPrefixes ?? []).map((cp) => cp.Prefix!),
    objects: (list.Contents ?? []).map((o) => ({
      key: o.Key!,
      bytes: o.Size ?? 0,
      lastModified: o.LastModified?.toISOString(),
    })),
    next: list.NextContinuationToken,
  };
}

/** The first lines of a lake object, decompressed (for a look inside a partition). */
export async function lakeObject(c: Clients, view: StreamView, key: string, lines = 20) {
  const raw = await body(c.s3, view.bucket, key);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const all = text.split('\n').filter((l) => l.trim() !== '');
  return { key, records: all.length, lines: all.slice(0, lines) };
}

export interface FailedRecord {
  key: string;
  line: number;
  errorCode: string;
  errorMessage: string;
  arrival?: string;
  /** The record as the producer put it (decoded from rawData), at most 2,000 characters. */
  data: string;
  /** Whether replaying now would send it (the transform's verdict on it today) and why not. */
  replayable: boolean;
  reason?: string;
}

/** The first failed records under the error prefix (not yet replayed), decoded, with the transform's verdict. */
export async function failedPage(c: Clients, view: StreamView) {
  const list = await c.s3.send(
    new ListObjectsV2Command({
      Bucket: view.bucket,
      Prefix: view.errorRoot,
      MaxKeys: PAGE.failedObjects * 4,
    }),
  );
  const keys = (list.Contents ?? [])
    .map((o) => o.Key!)
    .filter((k) => !k.startsWith(`${view.errorRoot}replayed/`))
    .slice(0, PAGE.failedObjects);
  const transform = deployedTransformOptions();
  const records: FailedRecord[] = [];
  let read = 0;
  for (const key of keys) {
    if (records.length >= PAGE.failedRecords) break; // the page is full: later objects are not read
    read++;
    const raw = await body(c.s3, view.bucket, key);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '' || records.length >= PAGE.failedRecords) return;
      let errorCode = 'unknown';
      let errorMessage = '';
      let arrival: string | undefined;
      let data = '';
      try {
        const parsed = FirehoseErrorRecordSchema.safeParse(JSON.parse(line));
        if (parsed.success) {
          errorCode = firehoseErrorCode(parsed.data);
          const message = [parsed.data.errorMessage, parsed.data.ErrorMessage, parsed.data.lastErrorMessage];
          errorMessage = String(message.find((m) => typeof m === 'string') ?? '');
          const at = Number(parsed.data.arrivalTimestamp);
          arrival = Number.isFinite(at) && at > 0 ? new Date(at).toISOString() : undefined;
          data = decodeFirehoseData(parsed.data.rawData)?.toString('utf8') ?? '(rawData is not base64)';
        }
      } catch {
        data = line;
      }
      const verdict = judgeErrorLine(line, transform);
      records.push({
        key,
        line: i + 1,
        errorCode,
        errorMessage,
        arrival,
        data: data.length > 2000 ? `${data.slice(0, 1999)}…` : data,
        replayable: verdict.kind !== 'invalid',
        reason: verdict.kind === 'invalid' ? verdict.reason : undefined,
      });
    });
  }
  // Replay handles every object; the page shows the first records only.
  return { records, objects: read, more: read < keys.length || list.NextContinuationToken !== undefined };
}

/**
 * Fixes one failed record: line `line` of error object `key` gets `data` as its rawData (the object is
 * rewritten, compressed as it was), so that a replay sends the corrected record.
 */
export async function fixRecord(c: Clients, view: StreamView, key: string, line: number, data: string) {
  if (!key.startsWith(view.errorRoot) || key.startsWith(`${view.errorRoot}replayed/`))
    throw new RangeError(`${key} is not a failed-records object of stream ${view.stream}`);
  const raw = await body(c.s3, view.bucket, key);
  const gz = raw[0] === 0x1f && raw[1] === 0x8b;
  const lines = (gz ? gunzipSync(raw) : raw).toString('utf8').split('\n');
  const old = lines[line - 1];
  if (old === undefined || old.trim() === '') throw new RangeError(`${key} has no record on line ${line}`);
  const record = JSON.parse(old) as Record<string, unknown>;
  record.rawData = Buffer.from(data, 'utf8').toString('base64');
  lines[line - 1] = JSON.stringify(record);
  const text = Buffer.from(lines.join('\n'));
  await c.s3.send(new PutObjectCommand({ Bucket: view.bucket, Key: key, Body: gz ? gzipSync(text) : text }));
}

export function replay(c: Clients, view: StreamView) {
  return replayErrors({
    bucket: view.bucket,
    streamName: view.stream,
    s3: c.s3,
    firehose: c.firehose,
    errorRoot: view.errorRoot,
  });
}

/** Items of a table: by partition key (and a sort-key range) with Query, else a Scan page. */
export async function itemsPage(
  c: Clients,
  table: StreamView['tables'][number],
  q: { pk?: string; from?: string; to?: string; cursor?: string },
) {
  const start = q.cursor
    ? (JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as Record<string, unknown>)
    : undefined;
  if (q.pk) {
    const names: Record<string, string> = { '#pk': table.partitionKey };
    const values: Record<string, unknown> = { ':pk': q.pk };
    let condition = '#pk = :pk';
    if (table.sortKey && (q.from || q.to)) {
      names['#sk'] = table.sortKey;
      values[':from'] = q.from || '';
      values[':to'] = `${q.to || '\uffff'}\uffff`;
      condition += ' AND #sk BETWEEN :from AND :to';
    }
    const base = {
      TableName: table.name,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    const [page, count] = await Promise.all([
      c.dynamo.send(
        new QueryCommand({ ...base, Limit: PAGE.items, ExclusiveStartKey: start, ScanIndexForward: false }),
      ),
      countQuery(c, base),
    ]);
    return { items: page.Items ?? [], count, next: cursorOf(page.LastEvaluatedKey) };
  }
  const page = await c.dynamo.send(
    new ScanCommand({ TableName: table.name, Limit: PAGE.items, ExclusiveStartKey: start }),
  );
  return { items: page.Items ?? [], count: undefined, next: cursorOf(page.LastEvaluatedKey) };
}

async function countQuery(c: Clients, base: ConstructorParameters<typeof QueryCommand>[0]): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await c.dynamo.send(new QueryCommand({ ...base, Select: 'COUNT', ExclusiveStartKey: start }));
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

/** Counts a whole table (on demand only: it scans every item). */
export async function countTable(c: Clients, table: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await c.dynamo.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

const cursorOf = (key: Record<string, unknown> | undefined) =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
