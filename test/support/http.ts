// One raw HTTP request to a server on this machine, sending exactly the path, body and headers given: for
// hostile keys and malformed uploads the SDK would never send (the S3 tests), and for a client as light as
// the SDK's own transport (node:http) where a benchmark compares against it (the events API's POST row).
import http from 'node:http';

/** One request to 127.0.0.1:`port` (`content-length` set unless given); `agent` to reuse connections. */
export function rawRequest(
  port: number,
  method: string,
  rawPath: string,
  body?: string | Buffer,
  headers: Record<string, string | number> = {},
  agent?: http.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: rawPath,
        headers: body === undefined ? headers : { 'content-length': Buffer.byteLength(body), ...headers },
        ...(agent ? { agent } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
