// Renders a Slack webhook payload as Slack shows it: Block Kit blocks (header, section text and fields,
// context, divider, actions buttons) and attachments with their coloured bar, mrkdwn (*bold*, _italic_,
// ~strike~, `code`, ```pre```, <url|label> links, the escaped &amp; &lt; &gt;) and the emoji codes the
// alarm pipeline uses. Built as Preact nodes, never as HTML strings, so a payload cannot inject markup.
// Hand-written: Slack publishes no renderer, and the subset used by incoming webhooks is small.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { html } from './lib.ts';

/**
 * Emoji codes: the state circles are drawn in CSS (their colour is the message, and a machine without an
 * emoji font, headless Chromium on a server among them, would show empty boxes); a few others as text.
 */
const CIRCLES: Record<string, string> = {
  red_circle: '#dd2e44',
  large_green_circle: '#78b159',
  white_circle: '#e6e7e8',
  large_blue_circle: '#55acee',
  large_yellow_circle: '#fdcb58',
  large_orange_circle: '#f4900c',
};
const EMOJI: Record<string, string> = {
  envelope: '✉',
  alarm: '⏰',
  warning: '⚠',
  white_check_mark: '✔',
  x: '✖',
  information_source: 'ℹ',
};

const unescapeMrkdwn = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function emojiNode(name: string) {
  const circle = CIRCLES[name];
  if (circle)
    return html`<span class="s-emoji" data-emoji=${name} title=${`:${name}:`} style=${`background: ${circle}`}></span>`;
  return html`<span data-emoji=${name} title=${`:${name}:`}>${EMOJI[name] ?? `:${name}:`}</span>`;
}

/** Plain text with its emoji codes as nodes. */
function emoji(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const m of text.matchAll(/:([a-z0-9_+-]+):/g)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(emojiNode(m[1]!));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Links only to http(s) (a payload's `javascript:` link is shown as text). */
const safeHref = (url: string) => (/^https?:\/\//i.test(url) ? url : undefined);

/** mrkdwn → nodes (bold, italic and strike only at word boundaries, as Slack reads them). */
export function mrkdwn(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  const re =
    /```([\s\S]+?)```|`([^`]+)`|<([^|>]+)(?:\|([^>]+))?>|:([a-z0-9_+-]+):|(?<![\w*])\*([^*\n]+)\*(?![\w*])|(?<![\w_])_([^_\n]+)_(?![\w_])|(?<![\w~])~([^~\n]+)~(?![\w~])/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(unescapeMrkdwn(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(html`<pre class="s-pre">${unescapeMrkdwn(m[1])}</pre>`);
    else if (m[2] !== undefined) out.push(html`<code class="s-code">${unescapeMrkdwn(m[2])}</code>`);
    else if (m[3] !== undefined) {
      const href = safeHref(m[3]);
      const label = emoji(unescapeMrkdwn(m[4] ?? m[3]));
      out.push(href ? html`<a href=${href} target="_blank" rel="noreferrer noopener">${label}</a>` : label);
    } else if (m[5] !== undefined) out.push(emojiNode(m[5]));
    else if (m[6] !== undefined) out.push(html`<b>${mrkdwn(m[6])}</b>`);
    else if (m[7] !== undefined) out.push(html`<i>${mrkdwn(m[7])}</i>`);
    else if (m[8] !== undefined) out.push(html`<s>${mrkdwn(m[8])}</s>`);
    last = re.lastIndex;
  }
  if (last < text.length) out.push(unescapeMrkdwn(text.slice(last)));
  return out;
}

interface TextObject {
  type?: string;
  text?: string;
}
type Block = {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: Array<TextObject & { url?: string; style?: string }>;
};

const textOf = (t: TextObject | undefined) =>
  !t?.text ? '' : t.type === 'mrkdwn' ? mrkdwn(t.text) : emoji(t.text);

function renderBlock(b: Block, i: number) {
  switch (b.type) {
    case 'header':
      return html`<div class="s-header" key=${i}>${emoji(b.text?.text ?? '')}</div>`;
    case 'section':
      return html`<div class="s-section" key=${i}>
        ${b.text ? html`<div class="s-text">${textOf(b.text)}</div>` : null}
        ${b.fields?.length ? html`<div class="s-fields">${b.fields.map((f) => html`<div class="s-field">${textOf(f)}</div>`)}</div>` : null}
      </div>`;
    case 'context':
      return html`<div class="s-context" key=${i}>${(b.elements ?? []).map((e) => html`<span>${textOf(e)}</span>`)}</div>`;
    case 'divider':
      return html`<hr class="s-divider" key=${i} />`;
    case 'actions':
      return html`<div class="s-actions" key=${i}>
        ${(b.elements ?? []).map((e) => {
          const label = emoji((e as { text?: TextObject }).text?.text ?? 'Button');
          const href = e.url ? safeHref(e.url) : undefined;
          return href
            ? html`<a class="s-button ${e.style ?? ''}" href=${href} target="_blank" rel="noreferrer noopener">${label}</a>`
            : html`<span class="s-button">${label}</span>`;
        })}
      </div>`;
    default:
      return html`<div class="s-unknown" key=${i}>(${b.type ?? 'unknown'} block)</div>`;
  }
}

export function SlackMessage({ payload, app }: { payload: Record<string, unknown>; app: string }) {
  const [raw, setRaw] = useState(false);
  const blocks = Array.isArray(payload.blocks) ? (payload.blocks as Block[]) : [];
  const attachments = Array.isArray(payload.attachments)
    ? (payload.attachments as Array<{ color?: string; blocks?: Block[]; text?: string }>)
    : [];
  const color = (c: string | undefined) =>
    c && /^#?[0-9a-f]{3,8}$/i.test(c) ? (c.startsWith('#') ? c : `#${c}`) : '#ddd';
  return html`<article class="s-message" data-testid="slack-message">
    <div class="s-avatar">${app.slice(0, 1).toUpperCase()}</div>
    <div class="s-body">
      <div class="s-meta"><b>${app}</b> <span class="s-app">APP</span>
        <button class="link" data-testid="raw-toggle" onClick=${() => setRaw(!raw)}>${raw ? 'rendered' : 'raw payload'}</button></div>
      ${
        raw
          ? html`<pre class="raw" data-testid="raw-payload">${JSON.stringify(payload, null, 2)}</pre>`
          : html`
        ${blocks.length ? blocks.map(renderBlock) : typeof payload.text === 'string' ? html`<div class="s-text">${mrkdwn(payload.text)}</div>` : null}
        ${attachments.map(
          (
            a,
          ) => html`<div class="s-attachment" data-testid="slack-attachment" style=${`border-left-color: ${color(a.color)}`}>
            ${(a.blocks ?? []).map(renderBlock)}${a.text ? html`<div class="s-text">${mrkdwn(a.text)}</div>` : null}
          </div>`,
        )}`
      }
    </div>
  </article>`;
}
