// Page cursors of GET /events: opaque to clients, and bound to the query that produced them. A cursor is
// base64url(JSON{ v, q, sk }) + "." + base64url(HMAC-SHA256 over that JSON), where `q` is a digest of the
// query (source, range, type, order) and `sk` the sort key to continue after. The key is a secret of the
// deployment, so a client can neither edit a cursor nor mint one for another source or range: a changed
// byte, a cursor of another query or of another deployment is refused.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What identifies a query across its pages (the page size may change between pages). */
export interface QueryIdentity {
  source: string;
  from: string;
  to: string;
  type?: string | undefined;
  order: 'asc' | 'desc';
}

export type CursorCheck = { ok: true; sk: string } | { ok: false; reason: string };

const queryDigest = (q: QueryIdentity) =>
  createHash('sha256')
    .update(JSON.stringify([q.source, q.from, q.to, q.type ?? null, q.order]))
    .digest('base64url')
    .slice(0, 22);

const sign = (payload: string, key: Uint8Array) => createHmac('sha256', key).update(payload).digest();

export function encodeCursor(q: QueryIdentity, sk: string, key: Uint8Array): string {
  const payload = JSON.stringify({ v: 1, q: queryDigest(q), sk });
  return `${Buffer.from(payload).toString('base64url')}.${sign(payload, key).toString('base64url')}`;
}

export function decodeCursor(cursor: string, q: QueryIdentity, key: Uint8Array): CursorCheck {
  const bad = { ok: false as const, reason: 'is not a cursor this API issued for this query' };
  const m = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/.exec(cursor);
  if (!m) return bad;
  const payload = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const mac = Buffer.from(m[2]!, 'base64url');
  const expected = sign(payload, key);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return bad;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return bad;
  }
  const p = parsed as { v?: unknown; q?: unknown; sk?: unknown };
  if (p.v !== 1 || p.q !== queryDigest(q) || typeof p.sk !== 'string') return bad;
  return { ok: true, sk: p.sk };
}
