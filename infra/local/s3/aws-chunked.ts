// Streams the payload out of the SDK's `aws-chunked` upload framing: `<hex size>[;chunk-signature=…]\r\n
// <data>\r\n` … `0\r\n<trailer lines>\r\n\r\n`, keeping the trailers (where SDK v3 sends its default
// checksum, e.g. `x-amz-checksum-crc32:…`). Hand-written: a small state machine, and no maintained npm
// package decodes this framing.
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors.ts';

/**
 * A chunked body that is malformed or ends before its final chunk. S3 answers such an upload with
 * 400 IncompleteBody ("You did not provide the number of bytes specified by the Content-Length HTTP
 * header", S3 API Reference, List of error codes) and stores nothing.
 */
const chunkedError = (what: string) =>
  new S3Error('IncompleteBody', `You did not provide a complete aws-chunked body (${what}).`, 400);

export class AwsChunkedDecoder extends Transform {
  private state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  private line = '';
  private remaining = 0;
  private crlfLeft = 0;
  /** Trailer headers (lower-case names), complete once the stream has ended. */
  readonly trailers: Record<string, string> = {};

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'size' || this.state === 'trailer') {
        const nl = chunk.indexOf(0x0a, i);
        if (nl === -1) {
          this.line += chunk.toString('latin1', i);
          if (this.line.length > 64 * 1024) {
            done(chunkedError('malformed chunk framing'));
            return;
          }
          break;
        }
        this.line += chunk.toString('latin1', i, nl);
        i = nl + 1;
        const line = this.line.replace(/\r$/, '');
        this.line = '';
        if (this.state === 'size') {
          const size = Number.parseInt(line.split(';')[0] ?? '', 16);
          if (!Number.isFinite(size) || size < 0) {
            done(chunkedError('malformed chunk framing'));
            return;
          }
          if (size === 0) this.state = 'trailer';
          else {
            this.state = 'data';
            this.remaining = size;
          }
        } else if (line === '') {
          this.state = 'done';
        } else {
          const colon = line.indexOf(':');
          if (colon > 0)
            this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
      } else if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - i);
        this.push(chunk.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.state = 'crlf';
          this.crlfLeft = 2;
        }
      } else if (this.state === 'crlf') {
        const n = Math.min(this.crlfLeft, chunk.length - i);
        i += n;
        this.crlfLeft -= n;
        if (this.crlfLeft === 0) this.state = 'size';
      } else {
        i = chunk.length;
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // Ended before the terminating zero-length chunk: the upload is incomplete.
    if (this.state !== 'trailer' && this.state !== 'done') done(chunkedError('no final chunk'));
    else done();
  }
}
