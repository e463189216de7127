// Which UTC days a query's time range covers, for the cache's per-day generations (cache.ts). Its own
// module, apart from cache.ts, because routes.ts needs it in every events API function and cache.ts
// imports the Valkey client, which esbuild cannot drop from a bundle (~130 KiB in the authorizer's and
// ingest's bundles, which never use the cache).

/** Ranges longer than this many days are not cached (their key would need too many generations). */
export const MAX_CACHED_DAYS = 31;

/** The UTC days (`YYYY-MM-DD`) a half-open range [from, to) covers, or undefined past MAX_CACHED_DAYS. */
export function daysCovered(from: string, to: string): string[] | undefined {
  const days: string[] = [];
  const last = new Date(Date.parse(to) - 1).toISOString().slice(0, 10);
  for (let d = from.slice(0, 10); d <= last; d = nextDay(d)) {
    days.push(d);
    if (days.length > MAX_CACHED_DAYS) return undefined;
  }
  return days;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
}
