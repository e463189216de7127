// The `http` trigger kind on the local cloud: each of the trigger's route keys on its API (apis.ts) is
// served by the function, invoked synchronously through its worker pool with an API Gateway payload-2.0
// event, after the API's authorizer allowed the request (apigateway.ts). A sample (FunctionSpec.local) is
// read by the route methods: for a function with a POST/PUT/PATCH route it is the body sent there; for one
// with only GET routes, one request per line (`GET /events?source=…`). Its `credential` hint says how a
// caller gets the Authorization value: the start screen shows the command, the demo runs it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocalSample, TriggerOf } from '../../../pipelines/types.ts';
import { REPO_ROOT } from '../config.ts';
import { Utf8Text } from '../lambda-protocol.ts';
import { apiUrl } from './api.ts';
import { quote } from './s3-trigger.ts';
import type { DemoClients, LocalTriggerKind } from './types.ts';

type HttpTrigger = TriggerOf<'http'>;

const BODY_METHODS = ['POST', 'PUT', 'PATCH'];

/** The route that takes the sample as its body, if the trigger has one. */
const bodyRoute = (t: HttpTrigger) =>
  t.routes.map((r) => r.split(' ') as [string, string]).find(([m]) => BODY_METHODS.includes(m));

/** The requests a GET-only sample holds: `GET /path?query` per line. */
function requestLines(content: string): Array<{ method: string; target: string }> {
  return content
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [method, target] = l.split(/\s+/, 2) as [string, string | undefined];
      return target ? { method: method.toUpperCase(), target } : { method: 'GET', target: method };
    });
}

export const httpTrigger: LocalTriggerKind<'http'> = {
  async wire(fn, t, ctx) {
    for (const route of t.routes) ctx.services.apis.addRoute(t.api, route, fn.id);
  },
  wired: (fn, t, services) => t.routes.every((r) => services.apis.routeOf(t.api, r) === fn.id),
  describe: (t) => `http ${t.routes.join(', ')} (API ${t.api})`,
  summarise(event) {
    const e = event as {
      rawPath?: string;
      rawQueryString?: string;
      body?: string | Utf8Text;
      requestContext?: { http?: { method?: string } };
    };
    const target = `${e.rawPath ?? '?'}${e.rawQueryString ? `?${e.rawQueryString}` : ''}`;
    const shown = target.length > 100 ? `${target.slice(0, 99)}…` : target;
    const bytes = e.body instanceof Utf8Text ? e.body.byteLength : e.body ? Buffer.byteLength(e.body) : 0;
    const body = bytes ? ` (${bytes} bytes)` : '';
    return `http ${e.requestContext?.http?.method ?? '?'} ${shown}${body}`;
  },
  tryCommands(t, sample, ctx) {
    const base = apiUrl(ctx.endpoint, t.api);
    const lines: string[] = [];
    const auth = sample.credential
      ? ` -H "Authorization: ${sample.credential.authorization.replace('{credential}', `$${sample.credential.variable}`)}"`
      : '';
    if (sample.credential)
      lines.push(
        `export ${sample.credential.variable}=$(AWS_ENDPOINT_URL=${ctx.endpoint} ${sample.credential.command} | head -1)`,
      );
    const route = bodyRoute(t);
    if (route) {
      lines.push(
        `curl -s -X ${route[0]} ${quote(`${base}${route[1]}`)}${auth} -H 'Content-Type: application/json' --data-binary ${quote(`@${sample.shown}`)}`,
      );
      return lines;
    }
    for (const r of requestLines(sample.content?.() ?? '')) {
      lines.push(
        `curl -s${r.method === 'GET' ? '' : ` -X ${r.method}`} ${quote(`${base}${r.target}`)}${auth}`,
      );
    }
    return lines;
  },
  async send(t, sample, content, demo) {
    const route = bodyRoute(t);
    if (route) {
      const res = await request(demo, t, sample, route[0], route[1], content);
      return `${route[0]} ${apiUrl(demo.endpoint, t.api)}${route[1]} (${sample.name}, ${content.length} bytes) → ${res.line}`;
    }
    // GET-only: what the routes answer before the pipeline has settled (the check reads them again after).
    const out: string[] = [];
    for (const r of requestLines(content.toString('utf8'))) {
      const res = await request(demo, t, sample, r.method, r.target);
      out.push(`${r.method} ${apiUrl(demo.endpoint, t.api)}${r.target} → ${res.line}`);
    }
    return out.join('\n  ↑ ');
  },
  async check(t, sample, content, demo) {
    if (bodyRoute(t)) return [];
    const out: string[] = [];
    for (const r of requestLines(content.toString('utf8'))) {
      const first = await request(demo, t, sample, r.method, r.target);
      const items = first.items.slice(0, 5).map((item) => `\n      ${item}`);
      out.push(`${r.method} ${apiUrl(demo.endpoint, t.api)}${r.target} → ${first.line}${items.join('')}`);
      const again = await request(demo, t, sample, r.method, r.target);
      out.push(`the same again → ${again.line}`);
    }
    return out;
  },
  results: () => [],
};

/** One request to the API with the sample's credential; its status, `x-*` headers and body, summarised. */
async function request(
  demo: DemoClients,
  t: HttpTrigger,
  sample: LocalSample,
  method: string,
  target: string,
  body?: Buffer,
): Promise<{ line: string; items: string[] }> {
  const headers: Record<string, string> = {};
  if (sample.credential)
    headers.authorization = sample.credential.authorization.replace(
      '{credential}',
      await credential(sample.credential.command, demo.endpoint),
    );
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(`${apiUrl(demo.endpoint, t.api)}${target}`, {
    method,
    headers,
    ...(body ? { body: new Uint8Array(body) } : {}),
  });
  const text = await res.text();
  const extra = [...res.headers]
    .filter(([k]) => k.startsWith('x-') && !k.startsWith('x-amz'))
    .map(([k, v]) => `${k}: ${v}`);
  const { summary, items } = summariseBody(text);
  return { line: `${res.status}${extra.length ? ` (${extra.join(', ')})` : ''} ${summary}`, items };
}

/** A JSON object's scalar fields as `k=v` and its arrays as `k: n`; the first array's items as lines. */
function summariseBody(text: string): { summary: string; items: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { summary: text.length > 120 ? `${text.slice(0, 119)}…` : text, items: [] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { summary: text.slice(0, 120), items: [] };
  const parts: string[] = [];
  let items: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (Array.isArray(v)) {
      parts.push(`${k}: ${v.length}`);
      if (!items.length) items = v.map((i) => clip(JSON.stringify(i), 200));
    } else if (typeof v !== 'object' || v === null) parts.push(`${k}=${clip(String(v), 24)}`);
  }
  return { summary: parts.join(', '), items };
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const credentials = new Map<string, Promise<string>>();

/** Runs the sample's credential command against the cloud once per demo; its first output line. */
function credential(command: string, endpoint: string): Promise<string> {
  const key = `${endpoint} ${command}`;
  let found = credentials.get(key);
  if (!found) {
    found = promisify(execFile)('sh', ['-c', command], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL: endpoint },
      timeout: 60_000,
    }).then(({ stdout }) => {
      const line = stdout.split('\n').find((l) => l.trim());
      if (!line) throw new Error(`\`${command}\` printed no credential`);
      return line.trim();
    });
    credentials.set(key, found);
  }
  return found;
}
