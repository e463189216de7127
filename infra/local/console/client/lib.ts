// The console page's plumbing: Preact with htm (tagged templates instead of JSX, so esbuild bundles it
// without a JSX step), JSON calls to the console's own endpoints (same origin), the one server-sent-events
// connection every view listens to, and small formatting helpers.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export { html };

export const API = '/_local/console/api';

export async function getJson<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const res = await fetch(`${API}/${path}${q.size ? `?${q}` : ''}`);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${API}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const out = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(out.error ?? `${res.status}`);
  return out;
}

export type { ActivityItem } from '../activity.ts';

import type { ActivityItem } from '../activity.ts';

type Listener = (item: ActivityItem) => void;
const listeners = new Set<Listener>();
const connection = { live: false, onChange: new Set<(live: boolean) => void>() };

/**
 * The page's one EventSource (it reconnects by itself); each item goes to every listener. Closed when the
 * page is left: a browser allows six connections to a host, and pages kept in its back-forward cache with
 * their streams open would use them up.
 */
export function connectEvents(): void {
  let source: EventSource | undefined;
  const set = (live: boolean) => {
    connection.live = live;
    for (const f of connection.onChange) f(live);
  };
  const open = () => {
    source = new EventSource(`${API}/events`);
    source.onopen = () => set(true);
    source.onerror = () => set(false);
    source.onmessage = (e: MessageEvent<string>) => {
      const item = JSON.parse(e.data) as ActivityItem;
      for (const l of listeners) l(item);
    };
  };
  addEventListener('pagehide', () => {
    source?.close();
    set(false);
  });
  addEventListener('pageshow', (e) => {
    if (e.persisted) open();
  });
  open();
}

export function useLive(): boolean {
  const [live, setLive] = useState(connection.live);
  useEffect(() => {
    connection.onChange.add(setLive);
    return () => connection.onChange.delete(setLive);
  }, []);
  return live;
}

/** Calls `fn` for each activity item `filter` accepts. */
export function useActivity(fn: Listener, filter: (item: ActivityItem) => boolean = () => true): void {
  const ref = useRef(fn);
  ref.current = fn;
  const f = useRef(filter);
  f.current = filter;
  useEffect(() => {
    const l: Listener = (item) => {
      if (f.current(item)) ref.current(item);
    };
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
}

/**
 * Loads `load()` now, again whenever `deps` change, and again (at most every 250 ms) after each activity
 * item `filter` accepts: the view stays current without reloading the page.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  filter: (item: ActivityItem) => boolean = () => false,
): { data?: T; error?: string; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const run = () => {
    loadRef
      .current()
      .then((data) => setState({ data }))
      .catch((err: Error) => setState((s) => ({ ...s, error: err.message })));
  };
  useEffect(run, deps);
  useActivity(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(run, 250);
  }, filter);
  return { ...state, reload: run };
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function ago(iso: string | undefined): string {
  if (!iso) return '';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(iso).toLocaleString();
}

/** An object (or its preview); with its ETag, a URL the browser may cache for good. */
export const objectUrl = (bucket: string, key: string, width?: number, etag?: string) =>
  `${API}/object?${new URLSearchParams({ bucket, key, ...(width ? { width: String(width) } : {}), ...(etag ? { etag } : {}) })}`;

/**
 * Marks the moment a view first shows its data (`performance.mark('console:<name>')`, once per page
 * load): what `npm run bench -- console` reads as the view's render time.
 */
export function useRenderedMark(name: string, ready: boolean): void {
  useEffect(() => {
    if (ready && performance.getEntriesByName(`console:${name}`).length === 0)
      performance.mark(`console:${name}`);
  }, [name, ready]);
}
