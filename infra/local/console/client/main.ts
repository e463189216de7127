// The console page: a tab per view (Overview, then each pipeline's views as its definition gives them,
// then Dead letters), chosen by the URL's hash so a view can be linked. Every view reads a page of data
// from /_local/console/api/* and reloads it when a matching activity item arrives over server-sent events.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
// The shapes the console's endpoints answer with, as the server defines them (types only: not bundled).
import type { FailedRecord, UploadCard } from '../data.ts';
import { ApiView } from './api.ts';
import {
  type ActivityItem,
  ago,
  bytes,
  connectEvents,
  getJson,
  html,
  objectUrl,
  postJson,
  useActivity,
  useLive,
  useLoad,
  useRenderedMark,
} from './lib.ts';
import { SlackMessage } from './slack.ts';
import { STYLE } from './style.ts';

interface FunctionRow {
  id: string;
  description: string;
  trigger: string;
  workers: number;
  invocations: number;
  errors: number;
  throttles: number;
  meanMs?: number;
  deadLetters: number;
}
interface PipelineRow {
  name: string;
  title: string;
  description: string;
  views: string[];
  resources: Array<{ kind: string; name: string }>;
  functions: FunctionRow[];
}
interface Overview {
  ready: boolean;
  endpoint: string;
  pipelines: PipelineRow[];
  recent: ActivityItem[];
}

const route = () => (location.hash.replace(/^#\/?/, '') || 'overview').split('/');

function App() {
  const [path, setPath] = useState(route());
  const live = useLive();
  const overview = useLoad(
    () => getJson<Overview>('overview'),
    [],
    () => false,
  );
  useEffect(() => {
    const on = () => setPath(route());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const tabs: Array<{ href: string; label: string }> = [{ href: 'overview', label: 'Overview' }];
  for (const p of overview.data?.pipelines ?? []) {
    for (const v of new Set(p.views)) {
      if (v === 'images') tabs.push({ href: `images/${p.name}`, label: `Images · ${p.name}` });
      if (v === 'slack') tabs.push({ href: `slack/${p.name}`, label: `Slack · ${p.name}` });
      if (v === 'stream') tabs.push({ href: `stream/${p.name}`, label: `Stream · ${p.name}` });
      if (v === 'api') tabs.push({ href: `api/${p.name}`, label: `API · ${p.name}` });
    }
  }
  tabs.push({ href: 'dlq', label: 'Dead letters' });
  const [view, a] = path;
  const current = path.join('/');
  return html`<header>
      <h1>Local console</h1>
      <nav>${tabs.map((t) => html`<a href=${`#/${t.href}`} class=${current === t.href || (t.href === 'overview' && view === 'overview') ? 'on' : ''} data-testid=${`tab-${t.href.split('/')[0]}`}>${t.label}</a>`)}</nav>
      <span class=${`live ${live ? 'on' : ''}`} data-testid="live">${live ? '● live' : '○ reconnecting'}</span>
    </header>
    <main>
      ${overview.error ? html`<p class="error">${overview.error}</p>` : null}
      ${view === 'overview' ? html`<${OverviewView} />` : null}
      ${view === 'images' && a ? html`<${ImagesView} pipeline=${a} key=${a} />` : null}
      ${view === 'slack' && a ? html`<${SlackView} pipeline=${a} key=${a} />` : null}
      ${view === 'stream' && a ? html`<${StreamView} pipeline=${a} key=${a} />` : null}
      ${view === 'api' && a ? html`<${ApiView} pipeline=${a} key=${a} />` : null}
      ${view === 'dlq' ? html`<${DeadLettersView} />` : null}
    </main>`;
}

function OverviewView() {
  const { data, error } = useLoad(
    () => getJson<Overview>('overview'),
    [],
    (i) => i.kind !== 's3',
  );
  const [recent, setRecent] = useState<ActivityItem[]>([]);
  useEffect(() => setRecent(data?.recent ?? []), [data]);
  useActivity((item) => setRecent((r) => [item, ...r.filter((x) => x.seq !== item.seq)].slice(0, 50)));
  useRenderedMark('overview', !!data);
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p>Loading…</p>`;
  return html`<section data-testid="overview" class="overview"><div>
    ${data.pipelines.map(
      (p) => html`<div class="card pipeline" data-testid=${`pipeline-${p.name}`}>
        <h2>${p.title} <small>${p.name}</small></h2>
        <p class="muted">${p.description}</p>
        <p class="chips">${p.resources.map((r) => html`<span class="chip">${r.kind} ${r.name}</span>`)}</p>
        <table>
          <thead><tr><th>Function</th><th>Trigger</th><th class="n">Invocations</th><th class="n">Errors</th><th class="n">Throttles</th><th class="n">Mean</th><th class="n">Dead letters</th><th class="n">Workers</th></tr></thead>
          <tbody>${p.functions.map(
            (f) => html`<tr data-testid=${`fn-${f.id}`}>
              <td><b>λ ${f.id}</b><div class="muted small">${f.description}</div></td>
              <td>${f.trigger}</td>
              <td class="n" data-testid="invocations">${f.invocations}</td>
              <td class=${`n ${f.errors ? 'bad' : ''}`}>${f.errors}</td>
              <td class="n" title="invocations that waited for a free worker">${f.throttles}</td>
              <td class="n">${f.meanMs === undefined ? '—' : f.meanMs >= 1000 ? `${(f.meanMs / 1000).toFixed(2)} s` : `${f.meanMs} ms`}</td>
              <td class=${`n ${f.deadLetters ? 'bad' : ''}`}>${f.deadLetters ? html`<a href="#/dlq">${f.deadLetters}</a>` : 0}</td>
              <td class="n">${f.workers}</td>
            </tr>`,
          )}</tbody>
        </table>
      </div>`,
    )}</div>
    <div class="card side">
      <h2>Recent activity <small>live</small></h2>
      <ul class="activity" data-testid="activity">
        ${recent.length === 0 ? html`<li class="muted">Nothing yet: try the start screen's commands or <code>npm run demo</code>.</li>` : null}
        ${recent.map((i) => html`<li class=${i.ok ? '' : 'bad'}><time>${new Date(i.time).toLocaleTimeString()}</time> <span class="chip">${i.pipeline ?? '—'}</span> ${i.text}</li>`)}
      </ul>
    </div>
  </section>`;
}

/**
 * The size an image is shown at inside a `maxW`×`maxH` box (its measured size scaled down to fit, as the
 * CSS max-width/max-height would), as width/height attributes: the page is laid out once, before any
 * thumbnail has arrived or been decoded, and not again as each one does. Nothing when the size is unknown.
 */
const shownSize = (o: { width?: number; height?: number }, maxW: number, maxH: number) => {
  if (!o.width || !o.height) return {};
  const scale = Math.min(1, maxW / o.width, maxH / o.height);
  return {
    width: Math.max(1, Math.round(o.width * scale)),
    height: Math.max(1, Math.round(o.height * scale)),
  };
};

const dims = (o: { width?: number; height?: number; format?: string }) =>
  `${o.width && o.height ? `${o.width}×${o.height}` : '?×?'} ${o.format ?? ''}`;

function Pager({ cursors, next, go }: { cursors: string[]; next?: string; go: (c: string[]) => void }) {
  return html`<div class="pager">
    <button disabled=${cursors.length === 0} onClick=${() => go(cursors.slice(0, -1))}>← Previous</button>
    <span class="muted">page ${cursors.length + 1}</span>
    <button disabled=${!next} onClick=${() => next && go([...cursors, next])} data-testid="next-page">Next →</button>
  </div>`;
}

function ImagesView({ pipeline }: { pipeline: string }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const { data, error, reload } = useLoad(
    () =>
      getJson<{ cards: UploadCard[]; next?: string; source: string; display: string }>('images', {
        pipeline,
        cursor,
      }),
    [pipeline, cursor],
    (i) => i.pipeline === pipeline && (i.kind === 's3' || i.kind === 'invocation'),
  );
  const [busy, setBusy] = useState<string | undefined>();
  const [deleted, setDeleted] = useState<string[]>([]);
  useRenderedMark('images', !!data);
  const remove = async (key: string) => {
    setBusy(key);
    try {
      await postJson('images/delete', { pipeline, key });
      setDeleted((d) => [key, ...d.filter((k) => k !== key)]);
    } finally {
      setBusy(undefined);
      reload();
    }
  };
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p>Loading…</p>`;
  return html`<section data-testid="images" data-loaded="yes">
    <p class="muted">Uploads in <code>s3://${data.source}</code>, variants in <code>s3://${data.display}</code>. Upload with
      <code>aws s3 cp photo.jpg s3://${data.source}/</code>.</p>
    ${deleted.map((key) => html`<${DeletedUpload} key=${key} pipeline=${pipeline} upload=${key} display=${data.display} />`)}
    ${data.cards.length === 0 ? html`<p class="card muted" data-testid="no-uploads">No uploads yet.</p>` : null}
    <div class="uploads">
    ${data.cards.map(
      (c) => html`<div class="card upload" data-testid="upload" data-key=${c.upload.key}>
        <div class="original">
          ${c.upload.width ? html`<img loading="lazy" decoding="async" ...${shownSize(c.upload, 240, 180)} src=${objectUrl(data.source, c.upload.key, 240, c.upload.eTag)} alt=${c.upload.key} />` : html`<div class="pending">not an image</div>`}
          <div><b title=${c.upload.key}>${c.upload.key}</b></div>
          <div class="muted small">${dims(c.upload)} · ${bytes(c.upload.bytes)}</div>
          <button class="danger" data-testid="delete-upload" disabled=${busy === c.upload.key} onClick=${() => remove(c.upload.key)}>${busy === c.upload.key ? 'Deleting…' : 'Delete upload'}</button>
        </div>
        <div class="variants">
          ${
            c.rejected
              ? html`<div class="rejected" data-testid="rejected"><b>Rejected: ${c.rejected.reason}</b><div>${c.rejected.message}</div></div>`
              : c.variants.map(
                  (
                    v,
                  ) => html`<figure class="variant" data-testid=${v.object ? 'variant' : 'variant-pending'} data-variant=${v.name}>
                    ${
                      v.object
                        ? html`<a href=${objectUrl(data.display, v.key)} target="_blank"><img loading="lazy" decoding="async" ...${shownSize(v.object, 200, 200)} src=${objectUrl(data.display, v.key, v.name === 'thumb' ? undefined : 200, v.object.eTag)} alt=${v.key} /></a>`
                        : html`<div class="pending">…</div>`
                    }
                    <figcaption><b>${v.name}</b>${v.object ? html`<br />${dims(v.object)}<br />${bytes(v.object.bytes)}` : html`<br /><span class="muted">not yet</span>`}</figcaption>
                  </figure>`,
                )
          }
        </div>
      </div>`,
    )}
    </div>
    <${Pager} cursors=${cursors} next=${data.next} go=${setCursors} />
  </section>`;
}

/** An upload deleted from this page: its variants, watched until the function has removed them all. */
function DeletedUpload({ pipeline, upload, display }: { pipeline: string; upload: string; display: string }) {
  const { data } = useLoad(
    () => getJson<UploadCard['variants']>('images/variants', { pipeline, key: upload }),
    [upload],
    (i) => i.pipeline === pipeline && (i.kind === 's3' || i.kind === 'invocation'),
  );
  const left = (data ?? []).filter((v) => v.object);
  return html`<div class="card upload gone" data-testid="deleted-upload" data-key=${upload} data-left=${data ? left.length : ''}>
    <div class="original"><b>${upload}</b><div class="muted small">deleted</div></div>
    <div class="variants">
      ${(data ?? []).map(
        (v) => html`<figure class="variant" data-testid=${v.object ? 'variant' : 'variant-gone'}>
          ${v.object ? html`<img src=${objectUrl(display, v.key, 200)} alt=${v.key} />` : html`<div class="pending">removed</div>`}
          <figcaption><b>${v.name}</b><br />${v.object ? 'still there' : 'gone'}</figcaption>
        </figure>`,
      )}
      ${data && left.length === 0 ? html`<p class="good">The upload and all its variants are gone.</p>` : null}
    </div>
  </div>`;
}

function SlackView({ pipeline }: { pipeline: string }) {
  const [offset, setOffset] = useState(0);
  const { data, error } = useLoad(
    () =>
      getJson<{ total: number; messages: Array<Record<string, unknown>> }>('slack', {
        offset: String(offset),
      }),
    [offset],
    (i) => i.kind === 'webhook',
  );
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p>Loading…</p>`;
  return html`<section data-testid="slack">
    <p class="muted">${data.total} message(s) posted to the local webhook sink by <b>${pipeline}</b>, newest first.</p>
    ${data.messages.length === 0 ? html`<p class="card muted">No messages yet: publish an alarm to the topic (see the start screen).</p>` : null}
    <div class="slack">${data.messages.map((m, i) => html`<${SlackMessage} key=${data.total - offset - i} payload=${m} app=${pipeline} />`)}</div>
    <div class="pager">
      <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - 20))}>← Newer</button>
      <button disabled=${offset + 20 >= data.total} onClick=${() => setOffset(offset + 20)}>Older →</button>
    </div>
  </section>`;
}

interface StreamInfo {
  stream: string;
}

function StreamView({ pipeline }: { pipeline: string }) {
  const { data } = useLoad(() => getJson<Overview>('overview'), [pipeline]);
  const p = data?.pipelines.find((x) => x.name === pipeline);
  const streams =
    p?.resources.filter((r) => r.kind === 'stream').map((r): StreamInfo => ({ stream: r.name })) ?? [];
  const tables = p?.resources.filter((r) => r.kind === 'table').map((r) => r.name) ?? [];
  if (!data) return html`<p>Loading…</p>`;
  return html`<section data-testid="stream">${streams.map((s) => html`<${OneStream} pipeline=${pipeline} stream=${s.stream} tables=${tables} />`)}</section>`;
}

interface Delivery {
  stream: string;
  objects: string[];
  ok: number;
  dropped: number;
  failed: number;
}

function OneStream({ pipeline, stream, tables }: { pipeline: string; stream: string; tables: string[] }) {
  const mine = (i: ActivityItem) =>
    i.pipeline === pipeline && (i.kind === 'delivery' || i.kind === 'console' || i.kind === 'invocation');
  const deliveries = useLoad(
    () => getJson<Delivery[]>('stream/deliveries', { pipeline, stream }),
    [stream],
    mine,
  );
  return html`<div>
    <div class="card"><h2>Firehose <code>${stream}</code>: latest deliveries</h2>
      <table><thead><tr><th class="n">Ok</th><th class="n">Dropped</th><th class="n">Failed</th><th>Objects</th></tr></thead>
      <tbody data-testid="deliveries">${(deliveries.data ?? [])
        .slice(0, 10)
        .map(
          (d) =>
            html`<tr><td class="n">${d.ok}</td><td class="n">${d.dropped}</td><td class=${`n ${d.failed ? 'bad' : ''}`}>${d.failed}</td><td class="small">${d.objects.map((o) => html`<div>${o}</div>`)}</td></tr>`,
        )}</tbody></table>
      ${(deliveries.data ?? []).length === 0 ? html`<p class="muted">No deliveries yet.</p>` : null}
    </div>
    <${Failed} pipeline=${pipeline} stream=${stream} mine=${mine} />
    <${Lake} pipeline=${pipeline} stream=${stream} mine=${mine} />
    ${tables.map((t) => html`<${Items} pipeline=${pipeline} stream=${stream} table=${t} mine=${mine} />`)}
  </div>`;
}

/** What each part of the stream view gets: its pipeline, its delivery stream, and which activity is its own. */
interface StreamPartProps {
  pipeline: string;
  stream: string;
  mine: (i: ActivityItem) => boolean;
}

function Failed({ pipeline, stream, mine }: StreamPartProps) {
  const { data, error, reload } = useLoad(
    () =>
      getJson<{ records: FailedRecord[]; objects: number; more: boolean }>('stream/failed', {
        pipeline,
        stream,
      }),
    [stream],
    mine,
  );
  const [editing, setEditing] = useState<{ key: string; line: number; text: string } | undefined>();
  useRenderedMark('failed', !!data);
  const [report, setReport] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const replay = async () => {
    setBusy(true);
    try {
      const r = await postJson<{ resent: number; stillInvalid: number; dropped: number; failed: number }>(
        'stream/replay',
        { pipeline, stream },
      );
      setReport(
        `Replayed: ${r.resent} re-sent, ${r.stillInvalid} still invalid, ${r.dropped} dropped, ${r.failed} not accepted.`,
      );
    } catch (err) {
      setReport(`Replay failed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
      reload();
    }
  };
  const save = async () => {
    if (!editing) return;
    await postJson('stream/fix', {
      pipeline,
      stream,
      key: editing.key,
      line: editing.line,
      data: editing.text,
    });
    setEditing(undefined);
    reload();
  };
  const records = data?.records ?? [];
  return html`<div class="card" data-testid="failed" data-loaded=${data ? 'yes' : 'no'}>
    <h2>Failed records <small>${records.length} shown${data?.more ? ', more in later objects (a replay takes them all)' : ''}</small></h2>
    ${error ? html`<p class="error">${error}</p>` : null}
    <p><button data-testid="replay" disabled=${busy || records.length === 0} onClick=${replay}>${busy ? 'Replaying…' : 'Replay failed records'}</button>
      <span class="muted"> sends the records the transform now accepts back through <code>${stream}</code> (fix a record first with Edit).</span></p>
    ${report ? html`<p data-testid="replay-report">${report}</p>` : null}
    ${records.length === 0 ? html`<p class="muted" data-testid="no-failed">No failed records.</p>` : null}
    <table><thead><tr><th>Object : line</th><th>Error</th><th>Record (decoded)</th><th>Now</th><th></th></tr></thead>
    <tbody>${records.map(
      (r) => html`<tr data-testid="failed-record">
        <td class="small">${r.key}:${r.line}<div class="muted">${r.arrival ?? ''}</div></td>
        <td class="small"><b>${r.errorCode}</b><div class="muted">${r.errorMessage}</div></td>
        <td>${
          editing && editing.key === r.key && editing.line === r.line
            ? html`<textarea data-testid="fix-text" rows="3" value=${editing.text} onInput=${(e: Event) => setEditing({ ...editing, text: (e.target as HTMLTextAreaElement).value })}></textarea>
               <button data-testid="fix-save" onClick=${save}>Save</button> <button onClick=${() => setEditing(undefined)}>Cancel</button>`
            : html`<code class="record" data-testid="failed-data">${r.data}</code>`
        }</td>
        <td class=${`small ${r.replayable ? 'good' : 'bad'}`} data-testid="failed-reason">${r.replayable ? 'would be accepted' : r.reason}</td>
        <td><button data-testid="fix" onClick=${() => setEditing({ key: r.key, line: r.line, text: r.data })}>Edit</button></td>
      </tr>`,
    )}</tbody></table>
  </div>`;
}

interface LakeLevel {
  prefix: string;
  partitions: string[];
  objects: Array<{ key: string; bytes: number; lastModified?: string }>;
  next?: string;
}

function Lake({ pipeline, stream, mine }: StreamPartProps) {
  const [prefix, setPrefix] = useState<string | undefined>();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const { data, error } = useLoad(
    () => getJson<LakeLevel>('stream/lake', { pipeline, stream, prefix, cursor }),
    [prefix, cursor],
    mine,
  );
  const [peek, setPeek] = useState<{ key: string; records: number; lines: string[] } | undefined>();
  useRenderedMark('lake', !!data);
  const go = (p: string) => {
    setPrefix(p);
    setCursors([]);
    setPeek(undefined);
  };
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<div class="card"><h2>Lake</h2><p>Loading…</p></div>`;
  const parts = data.prefix.split('/').filter(Boolean);
  return html`<div class="card" data-testid="lake" data-loaded="yes">
    <h2>Lake <small>by partition</small></h2>
    <p class="crumbs">${parts.map(
      (seg, i) =>
        html`<a href="#" onClick=${(e: Event) => {
          e.preventDefault();
          go(`${parts.slice(0, i + 1).join('/')}/`);
        }}>${seg}/</a>`,
    )}</p>
    <ul class="partitions">${data.partitions.map(
      (p) =>
        html`<li><a href="#" data-testid="partition" onClick=${(e: Event) => {
          e.preventDefault();
          go(p);
        }}>${p.slice(data.prefix.length)}</a></li>`,
    )}</ul>
    ${
      data.objects.length
        ? html`<table><thead><tr><th>Object</th><th class="n">Size</th><th>Written</th></tr></thead><tbody>${data.objects.map(
            (o) =>
              html`<tr><td><a href="#" onClick=${async (e: Event) => {
                e.preventDefault();
                setPeek(await getJson('stream/object', { pipeline, stream, key: o.key }));
              }}>${o.key.slice(data.prefix.length)}</a></td><td class="n">${bytes(o.bytes)}</td><td>${ago(o.lastModified)}</td></tr>`,
          )}</tbody></table>`
        : null
    }
    ${data.partitions.length === 0 && data.objects.length === 0 ? html`<p class="muted">Empty.</p>` : null}
    <${Pager} cursors=${cursors} next=${data.next} go=${setCursors} />
    ${peek ? html`<div><b>${peek.key}</b>: ${peek.records} record(s)<pre class="raw">${peek.lines.join('\n')}</pre></div>` : null}
  </div>`;
}

function Items({ pipeline, stream, table, mine }: StreamPartProps & { table: string }) {
  const [form, setForm] = useState({ pk: '', from: '', to: '' });
  const [query, setQuery] = useState(form);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const { data, error } = useLoad(
    () =>
      getJson<{ items: Array<Record<string, unknown>>; count?: number; next?: string }>('stream/items', {
        pipeline,
        stream,
        table,
        ...query,
        cursor,
      }),
    [query, cursor],
    mine,
  );
  const [total, setTotal] = useState<number | undefined>();
  useRenderedMark('items', !!data);
  const columns = [...new Set((data?.items ?? []).flatMap((i) => Object.keys(i)))].slice(0, 8);
  const field = (name: 'pk' | 'from' | 'to', label: string, placeholder: string) =>
    html`<label>${label} <input data-testid=${`q-${name}`} value=${form[name]} placeholder=${placeholder} onInput=${(e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })} /></label>`;
  return html`<div class="card" data-testid="items" data-loaded=${data ? 'yes' : 'no'}>
    <h2>Table <code>${table}</code></h2>
    <form class="query" onSubmit=${(e: Event) => {
      e.preventDefault();
      setCursors([]);
      setQuery({ ...form });
    }}>
      ${field('pk', 'Source', 'e.g. sample-0')} ${field('from', 'From', '2026-01-01T00:00')} ${field('to', 'To', '2026-12-31')}
      <button type="submit" data-testid="query">Query</button>
      <button type="button" onClick=${async () => setTotal((await getJson<{ count: number }>('stream/count', { pipeline, stream, table })).count)}>Count whole table</button>
      ${total !== undefined ? html`<span data-testid="table-total"> ${total} item(s) in the table</span>` : null}
    </form>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${data?.count !== undefined ? html`<p><b data-testid="query-count">${data.count}</b> item(s) match.</p>` : html`<p class="muted">Without a source: the table's first items (Scan). Give a source to Query and count.</p>`}
    <table><thead><tr>${columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${(data?.items ?? []).map((i) => html`<tr data-testid="item">${columns.map((c) => html`<td class="small">${typeof i[c] === 'object' ? JSON.stringify(i[c]) : String(i[c] ?? '')}</td>`)}</tr>`)}</tbody></table>
    <${Pager} cursors=${cursors} next=${data?.next} go=${setCursors} />
  </div>`;
}

interface DeadLetterRow {
  index: number;
  pipeline?: string;
  functionId: string;
  event: unknown;
  error: { errorType: string; errorMessage: string; stack?: string[]; logTail?: string[] };
  attempts: number;
  time: string;
}

function DeadLettersView() {
  const { data, error, reload } = useLoad(
    () => getJson<DeadLetterRow[]>('dlq'),
    [],
    (i) => i.kind === 'dead-letter' || i.kind === 'console',
  );
  const [note, setNote] = useState<string | undefined>();
  const act = async (d: DeadLetterRow, what: 'redrive' | 'discard') => {
    setNote(what === 'redrive' ? `Re-driving ${d.functionId}…` : undefined);
    try {
      const r = await postJson<{ ok?: boolean; error?: { errorMessage: string } }>(`dlq/${what}`, {
        index: d.index,
        time: d.time,
        functionId: d.functionId,
      });
      if (what === 'redrive')
        setNote(
          r.ok
            ? `Re-drive of ${d.functionId} succeeded: dead letter removed.`
            : `Re-drive of ${d.functionId} failed again: ${r.error?.errorMessage}`,
        );
    } catch (err) {
      setNote((err as Error).message);
    }
    reload();
  };
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p>Loading…</p>`;
  return html`<section data-testid="dlq">
    ${note ? html`<p class="card" data-testid="dlq-note">${note}</p>` : null}
    ${data.length === 0 ? html`<p class="card muted" data-testid="no-dead-letters">No dead letters.</p>` : null}
    ${data.map(
      (d) => html`<div class="card" data-testid="dead-letter">
        <h2>λ ${d.functionId} <small>${d.pipeline ?? ''} · ${d.attempts} attempt(s) · ${ago(d.time)}</small></h2>
        <p class="bad"><b>${d.error.errorType}</b>: ${d.error.errorMessage}</p>
        <details><summary>Event</summary><pre class="raw">${JSON.stringify(d.event, null, 2)}</pre></details>
        ${d.error.logTail?.length ? html`<details><summary>Last log lines</summary><pre class="raw">${d.error.logTail.join('\n')}</pre></details>` : null}
        <p><button data-testid="redrive" onClick=${() => act(d, 'redrive')}>Re-drive</button> <button class="danger" data-testid="discard" onClick=${() => act(d, 'discard')}>Discard</button></p>
      </div>`,
    )}
  </section>`;
}

const style = document.createElement('style');
style.textContent = STYLE;
document.head.append(style);
connectEvents();
const root = document.getElementById('app')!;
root.textContent = '';
render(html`<${App} />`, root);
