// API keys and the authorizer's decision: a created key verifies against its stored item and nothing else
// does (another secret, a revoked key, hostile header values), and the item never holds the key.
import { describe, expect, it } from 'vitest';
import {
  createApiKey,
  keyFromAuthorization,
  parseApiKey,
  secretMatches,
} from '../../pipelines/events-api/keys.ts';
import { authorize } from '../../pipelines/events-api/routes.ts';
import { buildHttpAuthorizerEvent, HttpAuthorizerEventSchema } from '../../shared/events/index.ts';

describe('API keys', () => {
  it('stores only a hash: the key verifies, another secret of the same id does not', () => {
    const { key, item } = createApiKey('dashboard', ['read']);
    // The secret part, whole: base64url may itself hold `_`, so it is not what follows the second `_`.
    const parsed = parseApiKey(key)!;
    expect(parsed.secret).toHaveLength(43);
    expect(JSON.stringify(item)).not.toContain(parsed.secret);
    expect(parsed.id).toBe(item.id);
    expect(secretMatches(item, parsed.secret)).toBe(true);
    const other = createApiKey('x', ['read']);
    expect(secretMatches(item, parseApiKey(other.key)!.secret)).toBe(false);
    expect(secretMatches({ ...item, revoked: true }, parsed.secret)).toBe(false);
  });

  it('refuses malformed keys and Authorization values without throwing', () => {
    for (const text of [
      undefined,
      '',
      'eak_',
      'eak_short_x',
      `eak_${'a'.repeat(16)}_${'b'.repeat(42)}`,
      '\u0000',
      'x'.repeat(100_000),
    ]) {
      expect(parseApiKey(text)).toBeUndefined();
    }
    expect(keyFromAuthorization('Bearer abc')).toBe('abc');
    expect(keyFromAuthorization('bearer   abc ')).toBe('abc');
    expect(keyFromAuthorization('Basic abc')).toBeUndefined();
    expect(keyFromAuthorization('Bearer a b')).toBeUndefined();
  });
});

describe('authorize (REQUEST authorizer, simple responses)', () => {
  const { key, item } = createApiKey('device fleet', ['write']);
  const lookup = async (id: string) => (id === item.id ? item : undefined);
  const event = (authorization?: string) =>
    HttpAuthorizerEventSchema.parse(
      buildHttpAuthorizerEvent({
        method: 'POST',
        path: '/events',
        routeKey: 'POST /events',
        headers: authorization === undefined ? {} : { Authorization: authorization },
        identitySource: authorization === undefined ? [] : [authorization],
      }),
    );

  it('authorizes a known key and passes its scopes on, never the key', async () => {
    const result = await authorize(event(`Bearer ${key}`), lookup);
    expect(result).toEqual({
      isAuthorized: true,
      context: { keyId: item.id, keyName: 'device fleet', scopes: 'write' },
    });
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it('refuses no key, an unknown key, a wrong secret and a revoked key', async () => {
    const wrongSecret = `eak_${item.id}_${'A'.repeat(43)}`;
    const unknown = createApiKey('other', ['read']).key;
    for (const auth of [undefined, '', 'Bearer nope', `Bearer ${wrongSecret}`, `Bearer ${unknown}`]) {
      expect(await authorize(event(auth), lookup)).toEqual({ isAuthorized: false });
    }
    const revoked = async () => ({ ...item, revoked: true });
    expect(await authorize(event(`Bearer ${key}`), revoked)).toEqual({ isAuthorized: false });
  });
});
