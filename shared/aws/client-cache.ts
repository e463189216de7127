// Keeps one SDK client per service per container: clients are created on first use and reused by every
// later invocation (connection reuse, no per-request setup). One file per service beside this one, so a
// handler's bundle carries only the SDK clients it imports.
const cache = new Map<string, unknown>();

export function cachedClient<T>(key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

/** True when the SDK's standard variables point this service somewhere other than AWS (the local cloud). */
export function endpointOverridden(service: string): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL || process.env[`AWS_ENDPOINT_URL_${service}`]);
}

/** Drops every cached client (tests that change endpoints between cases). */
export function resetClients(): void {
  cache.clear();
}
