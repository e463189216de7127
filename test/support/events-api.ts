// The events API on a test cloud (local-cloud.ts): API keys made as `npm run api-key` makes them (the
// pipeline's own createApiKey and KeyStore, into the cloud's `api-keys` table), revoked the same way, and
// HTTP calls to the API's local address (`<endpoint>/_api/events`) with or without a key.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KeyStore } from '../../pipelines/events-api/key-store.ts';
import { createApiKey, type Scope } from '../../pipelines/events-api/keys.ts';
import type { TestCloud } from './local-cloud.ts';

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: T;
  text: string;
}

export interface EventsApi {
  /** `<endpoint>/_api/events`. */
  base: string;
  /** A new key with `scopes`, stored hashed in the cloud's table; returns the key and its id. */
  createKey(scopes: Scope[], name?: string): Promise<{ key: string; id: string }>;
  revokeKey(id: string): Promise<boolean>;
  /** POST /events with a key (or `null` for none), JSON by default. */
  post<T = unknown>(
    key: string | null,
    body: unknown,
    opts?: { contentType?: string; raw?: string },
  ): Promise<ApiAnswer<T>>;
  /** GET <path>?<params> with a key (or `null` for none). */
  get<T = unknown>(key: string | null, path: string, params?: Record<string, string>): Promise<ApiAnswer<T>>;
  close(): void;
}

export function eventsApi(cloud: TestCloud): EventsApi {
  const base = `${cloud.endpoint}/_api/events`;
  const dynamo = new DynamoDBClient(cloud.clientConfig);
  const store = new KeyStore(dynamo, 'api-keys');
  const call = async <T>(url: string, init: RequestInit): Promise<ApiAnswer<T>> => {
    const res = await fetch(url, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as T, text };
  };
  const auth = (key: string | null): Record<string, string> =>
    key ? { authorization: `Bearer ${key}` } : {};
  return {
    base,
    async createKey(scopes, name = 'test') {
      const { key, item } = createApiKey(name, scopes);
      await store.put(item);
      return { key, id: item.id };
    },
    revokeKey: (id) => store.revoke(id),
    post: (key, body, opts = {}) =>
      call(`${base}/events`, {
        method: 'POST',
        headers: { ...auth(key), 'content-type': opts.contentType ?? 'application/json' },
        body: opts.raw ?? JSON.stringify(body),
      }),
    get: (key, path, params = {}) =>
      call(`${base}${path}${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`, {
        headers: auth(key),
      }),
    close: () => dynamo.destroy(),
  };
}
