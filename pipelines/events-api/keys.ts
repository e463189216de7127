// API keys of the events API: how a key looks, how it is stored (only a SHA-256 of its secret part, in the
// `api-keys` table), and how a presented key is checked. A key is `eak_<id>_<secret>`: the id finds the
// item, the secret (32 random bytes) is compared by hash in constant time. A fast hash is right here: the
// secret is random with 256 bits of entropy, so there is nothing for a slow password hash to protect.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from '../../shared/zod.ts';

/** What a key may do: `write` = POST /events, `read` = the GET routes. */
export const SCOPES = ['read', 'write'] as const;
export type Scope = (typeof SCOPES)[number];

const KEY_PATTERN = /^eak_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** The item stored for a key: never the key itself. */
export const ApiKeyItemSchema = z.object({
  id: z.string().check(z.regex(/^[a-z0-9]{16}$/)),
  /** SHA-256 of the secret part, hex. */
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  scopes: z.array(z.enum(SCOPES)).check(z.minLength(1)),
  created: z.string(),
  /** A revoked key stays (so its id is never reused) but is refused. */
  revoked: z._default(z.boolean(), false),
});
export type ApiKeyItem = z.infer<typeof ApiKeyItemSchema>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A new key: the text to hand to its user once, and the item to store. */
export function createApiKey(
  name: string,
  scopes: readonly Scope[],
  now = new Date(),
): { key: string; item: ApiKeyItem } {
  const id = randomBytes(10).toString('hex').slice(0, 16);
  const secret = randomBytes(32).toString('base64url');
  const item = ApiKeyItemSchema.parse({
    id,
    hash: sha256(secret),
    name,
    scopes: [...new Set(scopes)].sort(),
    created: now.toISOString(),
    revoked: false,
  });
  return { key: `eak_${id}_${secret}`, item };
}

/** The id and secret of a well-formed key, else undefined (never throws on hostile input). */
export function parseApiKey(text: string | undefined): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec((text ?? '').trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** The key from an `Authorization: Bearer <key>` header value. */
export function keyFromAuthorization(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** True when `secret` is the one `item` was made for and the key is not revoked. */
export function secretMatches(item: ApiKeyItem, secret: string): boolean {
  const presented = Buffer.from(sha256(secret), 'hex');
  const stored = Buffer.from(item.hash, 'hex');
  return !item.revoked && presented.length === stored.length && timingSafeEqual(presented, stored);
}
