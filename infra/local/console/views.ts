// Which console views a pipeline gets, read from its definition: an Images view for a function that an S3
// upload triggers and that writes to another bucket (the image pipeline: source and display buckets from
// its trigger and access list), a Slack view for a function holding a secret that falls back to the
// webhook sink (the alarm pipeline), a Stream view for each delivery stream (its bucket, prefixes and the
// pipeline's tables), an API view for each HTTP API that functions serve (`http` triggers: its routes, and
// the table its authorizer reads keys from). Overview and Dead letters cover every pipeline.
import type { DeliveryStreamSpec, TableSpec } from '../../../pipelines/types.ts';
import type { Catalog } from '../../../pipelines/validate.ts';

export interface ImagesView {
  kind: 'images';
  pipeline: string;
  functionId: string;
  sourceBucket: string;
  displayBucket: string;
}

export interface SlackView {
  kind: 'slack';
  pipeline: string;
  functionId: string;
}

export interface StreamView {
  kind: 'stream';
  pipeline: string;
  stream: string;
  bucket: string;
  /** The literal part of the destination prefix (`events/`). */
  dataRoot: string;
  /** The literal part of the error prefix (`errors/`). */
  errorRoot: string;
  partitionKeys: string[];
  tables: Array<{ name: string; partitionKey: string; sortKey?: string }>;
}

export interface ApiView {
  kind: 'api';
  pipeline: string;
  api: string;
  /** `POST /events`, `GET /events`, … from the functions' `http` triggers. */
  routes: string[];
  /** The table the API's authorizer reads (its API keys), where the console stores its own local key. */
  keysTable?: string;
}

export type PipelineView = ImagesView | SlackView | StreamView | ApiView;

/** The folders of an S3 prefix template before its first `!{…}` expression: `events/type=!{…}/` → `events/`. */
export function literalPrefix(template: string): string {
  const i = template.indexOf('!{');
  const literal = i === -1 ? template : template.slice(0, i);
  return literal.slice(0, literal.lastIndexOf('/') + 1);
}

export function viewsOf(catalog: Catalog): PipelineView[] {
  const views: PipelineView[] = [];
  for (const fn of catalog.functions) {
    const t = fn.trigger;
    if (t.kind === 's3') {
      const written = fn.access.find(
        (a) =>
          a.resource.kind === 'bucket' &&
          a.resource.name !== t.bucket &&
          (a.mode === 'write' || a.mode === 'readwrite'),
      );
      const removes = t.events.some((e) => e.startsWith('s3:ObjectRemoved'));
      if (written && removes) {
        views.push({
          kind: 'images',
          pipeline: fn.pipeline,
          functionId: fn.id,
          sourceBucket: t.bucket,
          displayBucket: written.resource.name,
        });
      }
    }
    const secrets = Object.values(fn.environment ?? {}).filter(
      (v) => typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'secret',
    ) as Array<{ name: string }>;
    const sinkSecret = secrets.some((s) =>
      catalog.resources.secret.some((d) => d.name === s.name && d.localFallback === 'webhook-sink'),
    );
    if (sinkSecret) views.push({ kind: 'slack', pipeline: fn.pipeline, functionId: fn.id });
  }
  const apis = new Map<string, ApiView>();
  for (const fn of catalog.functions) {
    const t = fn.trigger;
    if (t.kind !== 'http') continue;
    let v = apis.get(t.api);
    if (!v) {
      const authorizer = catalog.functions.find(
        (f) => f.trigger.kind === 'http-authorizer' && f.trigger.api === t.api,
      );
      const keys = authorizer?.access.find((a) => a.resource.kind === 'table');
      v = { kind: 'api', pipeline: fn.pipeline, api: t.api, routes: [], keysTable: keys?.resource.name };
      apis.set(t.api, v);
      views.push(v);
    }
    v.routes.push(...t.routes);
  }
  for (const s of catalog.resources.stream as Array<DeliveryStreamSpec & { pipeline: string }>) {
    const tables = (catalog.resources.table as Array<TableSpec & { pipeline: string }>)
      .filter((t) => t.pipeline === s.pipeline)
      .map((t) => ({ name: t.name, partitionKey: t.partitionKey.name, sortKey: t.sortKey?.name }));
    views.push({
      kind: 'stream',
      pipeline: s.pipeline,
      stream: s.name,
      bucket: s.destination.bucket,
      dataRoot: literalPrefix(s.destination.prefix ?? ''),
      errorRoot: literalPrefix(s.destination.errorPrefix ?? ''),
      partitionKeys: s.destination.partitionKeys ?? [],
      tables,
    });
  }
  return views;
}
