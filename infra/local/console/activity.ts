// What the console shows as live: per-function counters (invocations, errors, throttles = invocations
// that waited for a free worker because the pool was at its cap) and a bounded list of recent activity
// (invocations, S3 changes, webhook posts, dead letters, Firehose deliveries), pushed to every
// server-sent-events subscriber as it happens. Hand-written: a counter map and a ring buffer.
import type { Catalog } from '../../../pipelines/validate.ts';
import type { S3Change } from '../s3.ts';

export interface ActivityItem {
  /** Increasing number, so a client can tell which items it already has. */
  seq: number;
  time: string;
  /** The pipeline the activity belongs to, when one can be named. */
  pipeline?: string;
  kind: 'invocation' | 's3' | 'webhook' | 'dead-letter' | 'delivery' | 'console';
  ok: boolean;
  text: string;
}

export interface FunctionCounters {
  invocations: number;
  errors: number;
  throttles: number;
  /** Total duration of finished invocations, ms (for the mean). */
  totalMs: number;
}

export const RECENT_LIMIT = 200;

export class Activity {
  private readonly recentItems: ActivityItem[] = [];
  private readonly counters = new Map<string, FunctionCounters>();
  private readonly subscribers = new Set<(item: ActivityItem) => void>();
  private readonly bucketPipeline = new Map<string, string>();
  private seq = 0;

  constructor(private readonly catalog: Catalog) {
    for (const b of catalog.resources.bucket) this.bucketPipeline.set(b.name, b.pipeline);
  }

  /** Counters of one function (zeros until it runs). */
  of(functionId: string): FunctionCounters {
    return this.counters.get(functionId) ?? { invocations: 0, errors: 0, throttles: 0, totalMs: 0 };
  }

  recent(limit = 50): ActivityItem[] {
    return this.recentItems.slice(-limit).reverse();
  }

  subscribe(fn: (item: ActivityItem) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  push(item: Omit<ActivityItem, 'seq' | 'time'>): void {
    const full: ActivityItem = { seq: ++this.seq, time: new Date().toISOString(), ...item };
    this.recentItems.push(full);
    if (this.recentItems.length > RECENT_LIMIT) this.recentItems.shift();
    for (const s of this.subscribers) s(full);
  }

  /** One finished invocation of a function (from the wiring's per-invocation report). */
  invoked(functionId: string, ok: boolean, ms: number, waited: boolean, text: string): void {
    const c = this.of(functionId);
    c.invocations++;
    if (!ok) c.errors++;
    if (waited) c.throttles++;
    c.totalMs += ms;
    this.counters.set(functionId, c);
    const fn = this.catalog.functions.find((f) => f.id === functionId);
    this.push({ pipeline: fn?.pipeline, kind: 'invocation', ok, text });
  }

  /** A committed S3 change (the engine's report): shown for buckets the definitions declare. */
  s3Change(c: S3Change): void {
    const pipeline = this.bucketPipeline.get(c.bucket);
    if (!pipeline) return;
    this.push({ pipeline, kind: 's3', ok: true, text: `s3 ${c.eventName} s3://${c.bucket}/${c.key}` });
  }
}
