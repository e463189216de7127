// The built-in webhook sink: stands in for a Slack incoming webhook wherever a secret with
// `localFallback: 'webhook-sink'` has no value (kinds/secret.ts).
// Answers like Slack (200 "ok"; 400 "invalid_payload" / "no_text"), records every payload (persisted in
// <dataDir>/slack.jsonl, GET /_local/webhooks, newest last) and prints a one-line summary.
import path from 'node:path';
import { JsonlStore } from './jsonl-store.ts';

export type SlackPayload = Record<string, unknown>;

export class SlackSink extends JsonlStore<SlackPayload> {
  constructor(
    dataDir: string,
    private readonly print: (line: string) => void,
  ) {
    super(path.join(dataDir, 'slack.jsonl'));
  }

  /** Handles one webhook POST body; returns Slack's status and plain-text answer. */
  async receive(body: string): Promise<{ status: number; text: string }> {
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return { status: 400, text: 'invalid_payload' };
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return { status: 400, text: 'invalid_payload' };
    }
    const p = payload as SlackPayload;
    if (typeof p.text !== 'string' && !Array.isArray(p.blocks) && !Array.isArray(p.attachments)) {
      return { status: 400, text: 'no_text' };
    }
    await this.add(p);
    this.print(summarise(p));
    return { status: 200, text: 'ok' };
  }
}

/** One readable line: the header block's text if any, else the fallback text. */
export function summarise(p: SlackPayload): string {
  let title: string | undefined;
  if (Array.isArray(p.blocks)) {
    for (const b of p.blocks as Array<Record<string, unknown>>) {
      const text = b?.text as { text?: unknown } | undefined;
      if (b?.type === 'header' && typeof text?.text === 'string') {
        title = text.text;
        break;
      }
    }
  }
  const line = (title ?? (typeof p.text === 'string' ? p.text : '(blocks only)')).replace(/\s+/g, ' ').trim();
  const n = Array.isArray(p.blocks) ? p.blocks.length : 0;
  const blocks = n ? ` (${n} block${n === 1 ? '' : 's'})` : '';
  return `slack ◂ ${line.length > 140 ? `${line.slice(0, 139)}…` : line}${blocks}`;
}
