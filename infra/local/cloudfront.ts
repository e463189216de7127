// CloudFront on the local cloud: the invalidation API only (there is no edge cache to serve from; viewers
// read the bucket itself). CreateInvalidation and GetInvalidation in CloudFront's REST-XML wire shape (API
// version 2020-05-31), one distribution per bucket with `cdn: true` under a fixed local id, AWS's error
// codes and shapes. Every invalidation is recorded like the webhook sink's posts: persisted in
// <dataDir>/cloudfront-invalidations.jsonl, listed by GET /_local/cloudfront/invalidations, newest last.
// Hand-written because no npm emulator of CloudFront's API runs in-process.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { BucketSpec } from '../../pipelines/types.ts';
import { JsonlStore } from './jsonl-store.ts';
import { AwsError, BodyTooLarge, newRequestId, readBody, xmlEscape } from './protocol.ts';

const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const API = '/2020-05-31';
/** CloudFront's own limit on individual paths in one batch / in progress (Developer Guide, invalidation maximum). */
const MAX_PATHS = 3_000;
const MAX_PATH_LENGTH = 4_000;

/** The local id of the distribution in front of bucket `name`: fixed, upper-case like CloudFront's ids. */
export const localDistributionId = (bucket: string): string =>
  `ELOCAL${bucket.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;

export interface InvalidationRecord {
  distributionId: string;
  /** The bucket the distribution serves. */
  bucket: string;
  id: string;
  callerReference: string;
  paths: string[];
  createTime: string;
}

export class CloudFrontService extends JsonlStore<InvalidationRecord> {
  private readonly distributions: Map<string, string>;
  private faults: Array<{ code: string; status: number }> = [];

  constructor(
    dataDir: string,
    buckets: readonly BucketSpec[],
    private readonly print: (line: string) => void,
  ) {
    super(path.join(dataDir, 'cloudfront-invalidations.jsonl'));
    this.distributions = new Map(
      buckets.filter((b) => b.cdn).map((b) => [localDistributionId(b.name), b.name]),
    );
  }

  /** Puts a distribution in front of `bucket` (the `cdn` resource kind, kinds/cdn.ts). */
  addDistribution(bucket: string): string {
    const id = localDistributionId(bucket);
    this.distributions.set(id, bucket);
    return id;
  }

  /** Distribution id → bucket, for the start screen and health. */
  list(): Array<{ id: string; bucket: string }> {
    return [...this.distributions].map(([id, bucket]) => ({ id, bucket }));
  }

  /** The next `count` CreateInvalidation calls fail with `code` (default ServiceUnavailable, 503): for tests. */
  injectFaults(count: number, code = 'ServiceUnavailable'): void {
    // ServiceUnavailable is a 5xx; CloudFront's Throttling and TooManyInvalidationsInProgress are 400s.
    const status =
      code === 'ServiceUnavailable'
        ? 503
        : code === 'InternalError'
          ? 500
          : code === 'AccessDenied'
            ? 403
            : 400;
    this.faults = Array.from({ length: Math.max(0, count) }, () => ({ code, status }));
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = newRequestId();
    try {
      const m = new RegExp(`^${API}/distribution/([^/]+)/invalidation(?:/([^/]+))?/?$`).exec(url.pathname);
      if (!m) {
        throw new AwsError(
          'InvalidAction',
          `The local cloud emulates only CreateInvalidation and GetInvalidation of CloudFront, not ${req.method} ${url.pathname}`,
          400,
        );
      }
      const distributionId = decodeURIComponent(m[1]!);
      const bucket = this.distributions.get(distributionId);
      if (bucket === undefined) {
        throw new AwsError('NoSuchDistribution', 'The specified distribution does not exist.', 404);
      }
      if (req.method === 'POST' && m[2] === undefined) {
        return await this.create(req, res, distributionId, bucket, requestId);
      }
      if (req.method === 'GET' && m[2] !== undefined) {
        const inv = this.all().find((i) => i.distributionId === distributionId && i.id === m[2]);
        if (!inv) throw new AwsError('NoSuchInvalidation', 'The specified invalidation does not exist.', 404);
        // The local "edge" has nothing to purge: an invalidation is complete as soon as it exists.
        return sendXml(res, 200, invalidationXml(inv, 'Completed'), requestId);
      }
      throw new AwsError(
        'InvalidAction',
        `The local cloud emulates only CreateInvalidation and GetInvalidation of CloudFront, not ${req.method} ${url.pathname}`,
        400,
      );
    } catch (err) {
      const e =
        err instanceof AwsError
          ? err
          : err instanceof BodyTooLarge
            ? new AwsError('BatchTooLarge', 'Invalidation batch specified is too large.', 413)
            : new AwsError('InternalError', String(err), 500, false);
      sendError(res, e, requestId);
    }
  }

  private async create(
    req: IncomingMessage,
    res: ServerResponse,
    distributionId: string,
    bucket: string,
    requestId: string,
  ): Promise<void> {
    const body = (await readBody(req, 1024 * 1024)).toString('utf8');
    const fault = this.faults.shift();
    if (fault)
      throw new AwsError(fault.code, `Injected fault (${fault.code})`, fault.status, fault.status < 500);
    if (body.trim() === '') {
      throw new AwsError(
        'MissingBody',
        'This operation requires a body. Ensure that the body is present and the Content-Type header is set.',
      );
    }
    const batch = parseInvalidationBatch(body);
    // Same CallerReference and same paths: CloudFront answers with the invalidation it already has; same
    // CallerReference with other paths is InvalidationBatchAlreadyExists (API reference, CreateInvalidation).
    const earlier = this.all().find(
      (i) => i.distributionId === distributionId && i.callerReference === batch.callerReference,
    );
    if (earlier) {
      if (JSON.stringify(earlier.paths) !== JSON.stringify(batch.paths)) {
        throw new AwsError(
          'InvalidationBatchAlreadyExists',
          'The CallerReference was used before with a different invalidation batch.',
          409,
        );
      }
      return sendCreated(res, earlier, requestId);
    }
    const inv: InvalidationRecord = {
      distributionId,
      bucket,
      id: `I${randomBytes(10).toString('hex').toUpperCase().slice(0, 13)}`,
      callerReference: batch.callerReference,
      paths: batch.paths,
      createTime: new Date().toISOString(),
    };
    await this.add(inv);
    this.print(
      `cloudfront ◂ invalidate ${distributionId} (${bucket}): ${inv.paths.slice(0, 3).join(' ')}${inv.paths.length > 3 ? ` … (${inv.paths.length} paths)` : ''}`,
    );
    sendCreated(res, inv, requestId);
  }
}

/**
 * Reads `<InvalidationBatch><CallerReference/><Paths><Quantity/><Items><Path/>…</Items></Paths>`. A small
 * strict reader rather than an XML library: the shape is fixed and tiny, and no XML parser is among this
 * project's declared dependencies. Anything else is InvalidArgument, as CloudFront answers malformed input.
 */
export function parseInvalidationBatch(xml: string): { callerReference: string; paths: string[] } {
  const bad = (why: string) => new AwsError('InvalidArgument', `Invalid InvalidationBatch: ${why}`);
  const root = /<InvalidationBatch(?:\s[^>]*)?>([\s\S]*)<\/InvalidationBatch>/.exec(xml)?.[1];
  if (root === undefined) throw bad('the body must be an InvalidationBatch element');
  const one = (inside: string, tag: string): string | undefined =>
    new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(inside)?.[1];
  const callerReference = one(root, 'CallerReference');
  if (callerReference === undefined || callerReference.trim() === '')
    throw bad('CallerReference is required');
  const pathsXml = one(root, 'Paths');
  if (pathsXml === undefined) throw bad('Paths is required');
  const quantityText = one(pathsXml, 'Quantity');
  if (quantityText === undefined || !/^\d+$/.test(quantityText.trim()))
    throw bad('Paths.Quantity is required');
  const quantity = Number(quantityText.trim());
  const itemsXml = one(pathsXml, 'Items') ?? '';
  const paths = [...itemsXml.matchAll(/<Path>([\s\S]*?)<\/Path>/g)].map((p) => xmlUnescape(p[1]!));
  if (paths.length !== quantity) {
    throw new AwsError(
      'InconsistentQuantities',
      'The value of Quantity and the size of Items don\u2019t match.',
    );
  }
  if (quantity === 0) throw bad('at least one path is required');
  if (quantity > MAX_PATHS)
    throw new AwsError('BatchTooLarge', 'Invalidation batch specified is too large.', 413);
  for (const p of paths) {
    // Through the API "invalidation paths must begin with a leading slash" (Developer Guide).
    if (!p.startsWith('/') || p.length > MAX_PATH_LENGTH) {
      throw new AwsError('InvalidArgument', `Invalid path: ${p.slice(0, 100)}`);
    }
    // `*` is a wildcard only as the last character (Developer Guide, "Invalidation paths").
    if (p.slice(0, -1).includes('*')) {
      throw new AwsError('InvalidArgument', `A wildcard (*) may only end a path: ${p.slice(0, 100)}`);
    }
  }
  return { callerReference: xmlUnescape(callerReference), paths };
}

function xmlUnescape(s: string): string {
  return s.replace(
    /&(lt|gt|amp|apos|quot|#(\d+)|#x([0-9a-fA-F]+));/g,
    (_, name: string, dec?: string, hex?: string) => {
      if (dec) return String.fromCodePoint(Number(dec));
      if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
      return { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' }[name as 'lt']!;
    },
  );
}

function invalidationXml(inv: InvalidationRecord, status: 'InProgress' | 'Completed'): string {
  const items = inv.paths.map((p) => `<Path>${xmlEscape(p)}</Path>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Invalidation xmlns="${NS}">` +
    `<Id>${inv.id}</Id><Status>${status}</Status><CreateTime>${inv.createTime}</CreateTime>` +
    `<InvalidationBatch><Paths><Quantity>${inv.paths.length}</Quantity><Items>${items}</Items></Paths>` +
    `<CallerReference>${xmlEscape(inv.callerReference)}</CallerReference></InvalidationBatch></Invalidation>\n`
  );
}

/** 201 Created with a Location header and the Invalidation, status InProgress (API reference, CreateInvalidation). */
function sendCreated(res: ServerResponse, inv: InvalidationRecord, requestId: string): void {
  res.setHeader(
    'location',
    `https://cloudfront.amazonaws.com${API}/distribution/${inv.distributionId}/invalidation/${inv.id}`,
  );
  sendXml(res, 201, invalidationXml(inv, 'InProgress'), requestId);
}

function sendXml(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** CloudFront's REST-XML error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`. */
function sendError(res: ServerResponse, err: AwsError, requestId: string): void {
  const body =
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${err.sender ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${xmlEscape(err.code)}</Code><Message>${xmlEscape(err.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>\n`;
  sendXml(res, err.status, body, requestId);
}
