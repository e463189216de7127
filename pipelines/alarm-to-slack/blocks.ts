// Slack Block Kit message types (only the parts this pipeline uses), Slack's documented size limits, and
// the helpers that keep every message inside them: clean truncation (ellipsis, never half a surrogate pair,
// never half an `&amp;` entity), mrkdwn escaping, and a validator used as a last guard and by the tests.
// Hand-written: the official @slack/types package is types only, and no library truncates to these limits.

/** Slack limits, from the Block Kit reference (docs.slack.dev/reference/block-kit). */
export const SLACK_LIMITS = {
  /** header block: plain_text ≤ 150 characters. */
  headerText: 150,
  /** section block: text ≤ 3,000 characters. */
  sectionText: 3000,
  /** section block: ≤ 10 fields, each ≤ 2,000 characters. */
  sectionFields: 10,
  fieldText: 2000,
  /** context block: ≤ 10 elements (each text object ≤ 3,000). */
  contextElements: 10,
  /** button: text ≤ 75 characters, url ≤ 3,000 characters. */
  buttonText: 75,
  buttonUrl: 3000,
  /** ≤ 50 blocks in a message (we count top-level and attachment blocks together, to be safe). */
  blocks: 50,
  /**
   * Top-level `text`: Slack truncates beyond 40,000 characters and splits beyond ~4,000; it is only the
   * notification / fallback here, so we keep it well under both.
   */
  fallbackText: 3000,
} as const;

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export type TextObject = PlainText | Mrkdwn;

export interface ButtonElement {
  type: 'button';
  text: PlainText;
  url: string;
  action_id?: string;
}

export type Block =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | { type: 'actions'; elements: ButtonElement[] };

export interface Attachment {
  /** Hex colour of the bar beside the attachment, e.g. `#D13212`. */
  color: string;
  blocks: Block[];
}

/** The JSON body posted to an incoming webhook. */
export interface SlackMessage {
  /** Plain fallback: notifications, screen readers, clients without Block Kit. */
  text: string;
  blocks: Block[];
  attachments?: Attachment[];
}

const ELLIPSIS = '…';

/**
 * Cuts `text` to at most `max` UTF-16 code units (JS length; ≥ the character count Slack applies, so
 * always safe), ending with an ellipsis, without splitting a surrogate pair. Text that fits is returned
 * unchanged.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let cut = max - ELLIPSIS.length;
  // Do not keep a lone high surrogate (first half of an astral character such as an emoji).
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.slice(0, Math.max(cut, 0)).trimEnd() + ELLIPSIS;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Truncates already-escaped mrkdwn: like `truncate`, and also drops a trailing, half-cut entity
 * (`&am` of `&amp;`), which Slack would otherwise show as raw text.
 */
export function truncateMrkdwn(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  const cut = truncate(escaped, max);
  const body = cut.slice(0, -ELLIPSIS.length).replace(/&[a-z]{0,3}$/, '');
  return body + ELLIPSIS;
}

/** Escapes user text for mrkdwn and fits it in `max` characters. */
export function mrkdwnText(raw: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(raw), max);
}

/** Text for inline code (`…`): backticks in user text would end the span, so they become quotes. */
export function codeSafe(raw: string): string {
  return raw.replace(/`/g, "'");
}

/** Slack rejects empty text objects; this keeps a visible placeholder instead. */
export function nonEmpty(text: string, placeholder = '—'): string {
  return text.trim() === '' ? placeholder : text;
}

/** Every way `message` breaks a Slack limit (empty when it is safe to post). */
export function slackLimitViolations(message: SlackMessage): string[] {
  const problems: string[] = [];
  const all = [...message.blocks, ...(message.attachments ?? []).flatMap((a) => a.blocks)];
  if (all.length > SLACK_LIMITS.blocks) problems.push(`${all.length} blocks > ${SLACK_LIMITS.blocks}`);
  if (message.text.length === 0) problems.push('empty fallback text');
  if (message.text.length > SLACK_LIMITS.fallbackText) {
    problems.push(`fallback text ${message.text.length} > ${SLACK_LIMITS.fallbackText}`);
  }
  const checkText = (where: string, t: TextObject | undefined, max: number) => {
    if (!t) return;
    if (t.text.length === 0) problems.push(`${where}: empty text`);
    if (t.text.length > max) problems.push(`${where}: ${t.text.length} > ${max}`);
    if (hasLoneSurrogate(t.text)) problems.push(`${where}: lone surrogate`);
  };
  all.forEach((block, i) => {
    const where = `block ${i} (${block.type})`;
    switch (block.type) {
      case 'header':
        checkText(where, block.text, SLACK_LIMITS.headerText);
        break;
      case 'section':
        if (!block.text && !block.fields?.length) problems.push(`${where}: neither text nor fields`);
        checkText(where, block.text, SLACK_LIMITS.sectionText);
        if ((block.fields?.length ?? 0) > SLACK_LIMITS.sectionFields)
          problems.push(`${where}: too many fields`);
        for (const f of block.fields ?? []) checkText(`${where} field`, f, SLACK_LIMITS.fieldText);
        break;
      case 'context':
        if (block.elements.length === 0 || block.elements.length > SLACK_LIMITS.contextElements) {
          problems.push(`${where}: ${block.elements.length} elements`);
        }
        for (const e of block.elements) checkText(`${where} element`, e, SLACK_LIMITS.sectionText);
        break;
      case 'actions':
        for (const b of block.elements) {
          checkText(`${where} button`, b.text, SLACK_LIMITS.buttonText);
          if (b.url.length > SLACK_LIMITS.buttonUrl) problems.push(`${where}: button url too long`);
        }
        break;
      case 'divider':
        break;
    }
  });
  return problems;
}

function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
