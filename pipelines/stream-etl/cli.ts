// `npm run produce -- <file.ndjson> [--stream events] [--attempts 8]`: sends every non-blank line of an
// NDJSON file to the Firehose stream as one record (bytes exactly as in the file, so the transform judges
// them), then prints what was sent and, per line, what could not be. Exit code 1 when anything failed.
// Against the local cloud: AWS_ENDPOINT_URL=http://127.0.0.1:4566 npm run produce -- events.ndjson
import { createReadStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type ProducerRecord, putRecords, type SendFailure } from './producer.ts';

/** Lines sent per window, so a large file never sits in memory whole. */
const WINDOW = 10_000;

/** The lines of a file as raw bytes (no decoding: a non-UTF-8 line is sent as it is), with line numbers. */
export async function* fileLines(path: string): AsyncGenerator<{ line: number; bytes: Buffer }> {
  let carry = Buffer.alloc(0);
  let line = 0;
  for await (const chunk of createReadStream(path)) {
    let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let nl = buf.indexOf(0x0a);
    while (nl !== -1) {
      line++;
      yield { line, bytes: stripCr(buf.subarray(0, nl)) };
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(0x0a);
    }
    carry = Buffer.from(buf);
  }
  if (carry.length) yield { line: line + 1, bytes: stripCr(carry) };
}

const stripCr = (b: Buffer) => (b.length && b[b.length - 1] === 0x0d ? b.subarray(0, -1) : b);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stream: { type: 'string', default: 'events' },
      attempts: { type: 'string', default: '8' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const file = positionals[0];
  if (values.help || !file) {
    console.error('usage: npm run produce -- <file.ndjson> [--stream events] [--attempts 8]');
    return values.help ? 0 : 2;
  }
  const maxAttempts = Number(values.attempts);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    console.error(`--attempts must be a positive whole number, got ${JSON.stringify(values.attempts)}`);
    return 2;
  }
  // Convenience for the local cloud: it accepts any credentials, so supply dummy ones when none are set.
  if (/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(process.env.AWS_ENDPOINT_URL ?? '')) {
    process.env.AWS_REGION ||= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ||= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ||= 'test';
  }

  let sent = 0;
  let blank = 0;
  const failed: SendFailure[] = [];
  let window: Array<{ line: number; bytes: Buffer }> = [];
  const flush = async () => {
    if (!window.length) return;
    const lines = window;
    window = [];
    const result = await putRecords(
      lines.map((l) => l.bytes as ProducerRecord),
      { streamName: values.stream, maxAttempts },
    );
    sent += result.sent;
    // Report by line number in the file, not by position in the window.
    for (const f of result.failed) failed.push({ ...f, index: lines[f.index]!.line });
    process.stderr.write(`\rsent ${sent}, failed ${failed.length}`);
  };
  for await (const l of fileLines(file)) {
    if (l.bytes.toString('latin1').trim() === '') {
      blank++;
      continue;
    }
    window.push(l);
    if (window.length === WINDOW) await flush();
  }
  await flush();
  process.stderr.write('\n');

  console.log(
    `stream ${values.stream}: ${sent} records sent, ${failed.length} not sent, ${blank} blank lines skipped`,
  );
  for (const f of failed.slice(0, 100)) {
    console.log(`  line ${f.index}: ${f.errorCode}: ${f.errorMessage} (${f.attempts} attempts)`);
  }
  if (failed.length > 100) console.log(`  ... and ${failed.length - 100} more`);
  return failed.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 2;
    },
  );
}
