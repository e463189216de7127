// The API view: an HTTP API that pipeline functions serve, tried from the page. A form POSTs a JSON event
// (or array) and shows the status and per-record results; another runs GET /events (source, from, to,
// type, limit) or GET /events/latest and shows the events with the answer's x-cache, and "Next page"
// passes the answer's cursor back. Calls go through the console's proxy, which adds the console's own
// local key: the page never holds a secret.
import { useState } from 'preact/hooks';
import { getJson, html, postJson, useLoad, useRenderedMark } from './lib.ts';

interface ApiInfo {
  pipeline: string;
  api: string;
  routes: string[];
}
interface CallAnswer {
  status: number;
  cache?: string;
  body: unknown;
}
interface EventRow {
  eventId: string;
  source: string;
  type: string;
  time: string;
  data: unknown;
}
interface RecordResult {
  index: number;
  status: string;
  eventId?: string;
  reason?: string;
}

const call = (
  api: string,
  c: { method: 'GET' | 'POST'; path: string; query?: Record<string, string>; body?: string },
) => postJson<CallAnswer>(`apis/${api}/call`, c);

/** A sample batch of two events from now, to edit before posting. */
const sample = () => {
  const now = Date.now();
  return JSON.stringify(
    [0, 1].map((i) => ({
      source: 'console-sensor',
      type: 'reading',
      time: new Date(now - (1 - i) * 1000).toISOString(),
      data: { celsius: 21 + i / 10 },
    })),
    null,
    1,
  );
};

export function ApiView({ pipeline }: { pipeline: string }) {
  const { data, error } = useLoad(() => getJson<ApiInfo[]>('apis'), []);
  useRenderedMark('api', !!data);
  if (error) return html`<p class="error">${error}</p>`;
  if (!data) return html`<p>Loading…</p>`;
  return html`<section data-testid="api">
    ${data.filter((a) => a.pipeline === pipeline).map((a) => html`<${OneApi} key=${a.api} info=${a} />`)}
  </section>`;
}

function OneApi({ info }: { info: ApiInfo }) {
  const has = (route: string) => info.routes.includes(route);
  return html`<div class="card">
      <h2>API <code>${info.api}</code> <small>${info.routes.join(' · ')}</small></h2>
      <p class="muted small">Called through the console with its own local key (read, write), made by the console and kept by the local cloud: no key is pasted into or shown on this page.</p>
    </div>
    ${has('POST /events') ? html`<${Post} api=${info.api} />` : null}
    ${has('GET /events') ? html`<${Query} api=${info.api} latest=${has('GET /events/latest')} />` : null}`;
}

function Post({ api }: { api: string }) {
  const [text, setText] = useState(sample);
  const [answer, setAnswer] = useState<CallAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const body = answer?.body as
    | { accepted?: number; rejected?: number; failed?: number; results?: RecordResult[] }
    | undefined;
  return html`<div class="card" data-testid="api-post">
    <h2>POST /events</h2>
    <form onSubmit=${async (e: Event) => {
      e.preventDefault();
      setError(undefined);
      try {
        setAnswer(await call(api, { method: 'POST', path: '/events', body: text }));
      } catch (err) {
        setError((err as Error).message);
      }
    }}>
      <textarea data-testid="post-body" rows="10" style="width:100%;font-family:monospace" value=${text} onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
      <p><button type="submit" data-testid="post-send">POST</button> <button type="button" onClick=${() => setText(sample())}>New sample</button></p>
    </form>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${
      answer
        ? html`<div data-testid="post-answer">
        <p>Status <b data-testid="post-status" class=${answer.status < 400 ? '' : 'bad'}>${answer.status}</b>
        ${body?.accepted !== undefined ? html` · <b data-testid="post-accepted">${body.accepted}</b> accepted · ${body.rejected} rejected · ${body.failed} failed` : null}</p>
        ${
          body?.results
            ? html`<table><thead><tr><th class="n">#</th><th>Result</th><th>Event id / reason</th></tr></thead><tbody>
            ${body.results.map((r) => html`<tr data-testid="post-result"><td class="n">${r.index}</td><td class=${r.status === 'accepted' ? '' : 'bad'}>${r.status}</td><td class="small">${r.eventId ?? r.reason}</td></tr>`)}
          </tbody></table>`
            : html`<pre class="small">${JSON.stringify(answer.body, null, 1)}</pre>`
        }
      </div>`
        : null
    }
  </div>`;
}

type Field = 'source' | 'from' | 'to' | 'type' | 'limit';

function Query({ api, latest }: { api: string; latest: boolean }) {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const [form, setForm] = useState<Record<Field, string>>({
    source: 'console-sensor',
    from: hourAgo,
    to: new Date(Date.now() + 3_600_000).toISOString(),
    type: '',
    limit: '20',
  });
  const [shown, setShown] = useState<
    { path: string; query: Record<string, string>; answer: CallAnswer } | undefined
  >();
  const [error, setError] = useState<string | undefined>();
  const run = async (path: string, query: Record<string, string>) => {
    setError(undefined);
    try {
      setShown({ path, query, answer: await call(api, { method: 'GET', path, query }) });
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const field = (name: Field, label: string, placeholder = '') =>
    html`<label>${label} <input data-testid=${`api-${name}`} value=${form[name]} placeholder=${placeholder} onInput=${(e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })} /></label>`;
  const body = shown?.answer.body as { events?: EventRow[]; cursor?: string } | undefined;
  return html`<div class="card" data-testid="api-query">
    <h2>GET /events</h2>
    <form class="query" onSubmit=${(e: Event) => {
      e.preventDefault();
      void run('/events', form);
    }}>
      ${field('source', 'Source')} ${field('from', 'From')} ${field('to', 'To')} ${field('type', 'Type', 'any')} ${field('limit', 'Limit')}
      <button type="submit" data-testid="api-run">GET /events</button>
      ${latest ? html`<button type="button" data-testid="api-latest" onClick=${() => run('/events/latest', { source: form.source, type: form.type, limit: form.limit })}>GET /events/latest</button>` : null}
    </form>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${
      shown
        ? html`<p data-testid="api-answer">${shown.path} → status <b data-testid="api-status" class=${shown.answer.status < 400 ? '' : 'bad'}>${shown.answer.status}</b>${' '}· x-cache <b data-testid="api-cache">${shown.answer.cache ?? '—'}</b>
        ${body?.events ? html` · <b data-testid="api-count">${body.events.length}</b> event(s)` : null}</p>
        ${
          body?.events
            ? html`<table><thead><tr><th>Time</th><th>Source</th><th>Type</th><th>Data</th><th>Event id</th></tr></thead><tbody>
            ${body.events.map((ev) => html`<tr data-testid="api-event"><td class="small">${ev.time}</td><td>${ev.source}</td><td>${ev.type}</td><td class="small"><code>${JSON.stringify(ev.data)}</code></td><td class="small muted">${ev.eventId}</td></tr>`)}
          </tbody></table>`
            : html`<pre class="small">${JSON.stringify(shown.answer.body, null, 1)}</pre>`
        }
        <div class="pager"><button data-testid="api-next" disabled=${!body?.cursor} onClick=${() => body?.cursor && run(shown.path, { ...shown.query, cursor: body.cursor })}>Next page →</button></div>`
        : null
    }
  </div>`;
}
