// Redaction of a known secret URL (a Slack webhook is its own credential) from text and stored values, in
// every encoding it may come back in. Used by the alarm pipeline's delivery errors and by the local cloud
// for function logs and dead letters.

/**
 * Removes the webhook URL from any text, in every form an error body or a log may carry it: as is, with
 * its case changed, percent-encoded (once or twice, either hex case), JSON-escaped (`\/`, `\u002f`) or any
 * mix of these (e.g. inside a JSON string). Its secret part (path and query) and its last path segment
 * (the token) are removed in the same forms when they appear without the origin. Hand-written: no
 * maintained package redacts a known secret across encodings.
 */
export function redact(text: string, url: string): string {
  if (!url) return text;
  let out = text;
  for (const [pattern, replacement] of patternsFor(url)) out = out.replace(pattern, replacement);
  return out;
}

/** Compiled once per URL: the local cloud redacts every function log line, each with the same URL. */
const compiled = new Map<string, Array<[RegExp, string]>>();

function patternsFor(url: string): Array<[RegExp, string]> {
  let patterns = compiled.get(url);
  if (patterns) return patterns;
  patterns = [[encodedPattern(url), '<redacted webhook>']];
  try {
    const { pathname, search } = new URL(url);
    const secretPart = pathname + search;
    if (secretPart.length > 1) patterns.push([encodedPattern(secretPart), '/<redacted>']);
    const token = pathname.split('/').filter(Boolean).pop() ?? '';
    if (token.length >= 8) patterns.push([encodedPattern(token), '<redacted>']);
  } catch {
    // not a URL: nothing more to strip
  }
  if (compiled.size >= 16) compiled.clear();
  compiled.set(url, patterns);
  return patterns;
}

/** A case-insensitive pattern matching `secret` with each character in any of its encodings. */
function encodedPattern(secret: string): RegExp {
  const alternatives = [...secret].map((c) => {
    const hex = [...Buffer.from(c, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
    const forms = [
      escapeRegExp(c),
      hex.map((h) => `%${h}`).join(''), // percent-encoded (the i flag covers %2F and %2f)
      hex.map((h) => `%25${h}`).join(''), // percent-encoded twice
    ];
    const code = c.codePointAt(0)!;
    if (code <= 0xffff) forms.push(String.raw`\\u${code.toString(16).padStart(4, '0')}`); // JSON \uXXXX
    if (c === '/') forms.push(String.raw`\\{1,7}/`); // JSON-escaped solidus, possibly escaped again
    return `(?:${forms.join('|')})`;
  });
  return new RegExp(alternatives.join(''), 'gi');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `value` with every string in it (deeply, keys excepted) redacted; other values unchanged. */
export function redactDeep<T>(value: T, url: string): T {
  if (!url) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, url);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
