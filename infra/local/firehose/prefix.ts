// Firehose S3 key naming: evaluates prefix expressions (`!{timestamp:<Java DateTimeFormatter pattern>}`,
// `!{firehose:random-string}`, `!{firehose:error-output-type}`, `!{partitionKeyFromLambda:<key>}`) and
// builds object names `<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>[.gz]`, in UTC,
// the timestamp being the approximate arrival time of the oldest record in the object (Firehose docs:
// "Custom Prefixes for Amazon S3 Objects", "Configure Amazon S3 object name format").
import { randomBytes, randomUUID } from 'node:crypto';

const EXPR = /!\{([A-Za-z]+):([^}]*)\}/g;
const NAMESPACES = new Set(['timestamp', 'firehose', 'partitionKeyFromLambda']);

export class PrefixError extends Error {}

/** Throws PrefixError for expressions the local cloud (or Firehose) cannot evaluate. */
export function validatePrefix(template: string, opts: { error: boolean }): void {
  for (const [, ns, value] of template.matchAll(EXPR)) {
    if (!NAMESPACES.has(ns!))
      throw new PrefixError(`unsupported prefix namespace !{${ns}:${value}} in "${template}"`);
    if (ns === 'firehose' && value !== 'random-string' && value !== 'error-output-type') {
      throw new PrefixError(`unknown !{firehose:${value}} in "${template}"`);
    }
    if (ns === 'firehose' && value === 'error-output-type' && !opts.error) {
      throw new PrefixError(
        `!{firehose:error-output-type} is only allowed in the error prefix ("${template}")`,
      );
    }
    if (ns === 'partitionKeyFromLambda' && opts.error) {
      throw new PrefixError(`!{partitionKeyFromLambda:…} is not allowed in the error prefix ("${template}")`);
    }
  }
}

export interface PrefixContext {
  timestamp: Date;
  partitionKeys?: Record<string, string>;
  errorOutputType?: string;
}

export function evaluatePrefix(template: string, ctx: PrefixContext): string {
  return template.replace(EXPR, (_m, ns: string, value: string) => {
    if (ns === 'timestamp') return formatJavaDate(ctx.timestamp, value);
    if (ns === 'firehose') {
      if (value === 'random-string') return randomBytes(8).toString('base64url').slice(0, 11);
      return ctx.errorOutputType ?? '';
    }
    const v = ctx.partitionKeys?.[value];
    if (v === undefined || v === '')
      throw new PrefixError(`partition key "${value}" missing from the transform's metadata`);
    return v;
  });
}

/** Default prefixes when none is configured: `YYYY/MM/dd/HH/` and `<error-output-type>/YYYY/MM/dd/HH/`. */
export const DEFAULT_PREFIX = '!{timestamp:yyyy/MM/dd/HH}/';
export const DEFAULT_ERROR_PREFIX = '!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/';

export function objectName(stream: string, version: number, at: Date, gzip: boolean): string {
  return `${stream}-${version}-${formatJavaDate(at, 'yyyy-MM-dd-HH-mm-ss')}-${randomUUID()}${gzip ? '.gz' : ''}`;
}

/** The subset of java.time.format.DateTimeFormatter patterns Firehose prefixes use, in UTC. */
export function formatJavaDate(d: Date, pattern: string): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      // Quoted literal text; a doubled quote is a quote, inside or outside the literal.
      if (pattern[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      i++;
      while (i < pattern.length) {
        if (pattern[i] === "'") {
          if (pattern[i + 1] === "'") {
            out += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += pattern[i];
        i++;
      }
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y':
      case 'u':
        out += n === 2 ? pad(d.getUTCFullYear() % 100, 2) : pad(d.getUTCFullYear(), n);
        break;
      case 'M':
        out += pad(d.getUTCMonth() + 1, n);
        break;
      case 'd':
        out += pad(d.getUTCDate(), n);
        break;
      case 'H':
        out += pad(d.getUTCHours(), n);
        break;
      case 'm':
        out += pad(d.getUTCMinutes(), n);
        break;
      case 's':
        out += pad(d.getUTCSeconds(), n);
        break;
      case 'S':
        out += pad(d.getUTCMilliseconds(), 3).slice(0, n);
        break;
      default:
        throw new PrefixError(`unsupported timestamp pattern letter "${c}" in "${pattern}"`);
    }
  }
  return out;
}
