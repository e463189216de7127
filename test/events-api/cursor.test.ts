// Cursors are bound to their query and to the deployment's key: any edit, another query's cursor, or a
// cursor signed with another key is refused.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, type QueryIdentity } from '../../pipelines/events-api/cursor.ts';

const key = randomBytes(32);
const q: QueryIdentity = {
  source: 'device-1',
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-02T00:00:00.000Z',
  order: 'asc',
};
const sk = '2026-12-01T10:00:00.000Z#abc';

describe('cursor', () => {
  it('round-trips for the same query', () => {
    expect(decodeCursor(encodeCursor(q, sk, key), q, key)).toEqual({ ok: true, sk });
  });

  it('refuses a cursor of another query, another key, or with any byte changed', () => {
    const c = encodeCursor(q, sk, key);
    for (const other of [
      { ...q, source: 'device-2' },
      { ...q, to: '2026-12-03T00:00:00.000Z' },
      { ...q, type: 'click' },
    ]) {
      expect(decodeCursor(c, other, key).ok).toBe(false);
    }
    expect(decodeCursor(c, q, randomBytes(32)).ok).toBe(false);
    const [payload, mac] = c.split('.') as [string, string];
    // A cursor re-pointed at another source, keeping the old signature.
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sk: '9999' }),
    ).toString('base64url');
    expect(decodeCursor(`${forged}.${mac}`, q, key).ok).toBe(false);
    for (let i = 0; i < c.length; i += 7) {
      const flipped = c.slice(0, i) + (c[i] === 'A' ? 'B' : 'A') + c.slice(i + 1);
      if (flipped !== c) expect(decodeCursor(flipped, q, key).ok).toBe(false);
    }
    for (const junk of ['', '.', 'x'.repeat(5000), '%%%.%%%', `${payload}.`])
      expect(decodeCursor(junk, q, key).ok).toBe(false);
  });
});
