// A real HTTP server on 127.0.0.1 (port 0) speaking Firehose's JSON 1.1 protocol for PutRecordBatch, with
// Firehose's limits enforced and faults injected on demand: per-record ErrorCodes (partial failure,
// FailedPutCount) and whole-call errors. It records every record it accepts, so tests can check that
// each record was delivered exactly once. Only AWS itself is faked here; the producer and the SDK are real.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallInfo {
  call: number;
  stream: string;
  records: Buffer[];
}

export interface FakeFirehoseOptions {
  streams?: string[];
  /** Return an ErrorCode for a record to fail it in this call (partial failure). */
  failRecord?: (data: Buffer, call: number, position: number) => string | undefined;
  /** Return an error type to fail the whole call (status from `callErrorStatus`, default 500). */
  failCall?: (info: CallInfo) => string | undefined;
  callErrorStatus?: (type: string) => number;
}

export interface FakeFirehose {
  endpoint: string;
  /** Every accepted record's bytes, in acceptance order. */
  delivered: Buffer[];
  calls: CallInfo[];
  /** Calls that broke a Firehose limit (should stay empty). */
  limitViolations: string[];
  close(): Promise<void>;
}

const MAX_RECORDS = 500;
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_RECORD = 1_000 * 1024;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeFirehose(opts: FakeFirehoseOptions = {}): Promise<FakeFirehose> {
  const streams = new Set(opts.streams ?? ['events']);
  const delivered: Buffer[] = [];
  const calls: CallInfo[] = [];
  const limitViolations: string[] = [];
  let recordSeq = 0;

  const server: Server = createServer(async (req, res) => {
    const send = (status: number, payload: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${calls.length}`,
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(payload));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const text = await body(req);
    if (target !== 'Firehose_20150804.PutRecordBatch') {
      send(400, { __type: 'UnknownOperationException', message: target }, 'UnknownOperationException');
      return;
    }
    const input = JSON.parse(text) as { DeliveryStreamName: string; Records: Array<{ Data: string }> };
    const records = input.Records.map((r) => Buffer.from(r.Data, 'base64'));
    const info: CallInfo = { call: calls.length + 1, stream: input.DeliveryStreamName, records };
    calls.push(info);
    if (!streams.has(input.DeliveryStreamName)) {
      const message = `Firehose ${input.DeliveryStreamName} under account 000000000000 not found.`;
      send(400, { __type: 'ResourceNotFoundException', message }, 'ResourceNotFoundException');
      return;
    }
    const total = records.reduce((n, r) => n + r.length, 0);
    const tooBig = records.find((r) => r.length > MAX_RECORD);
    if (records.length > MAX_RECORDS || total > MAX_BYTES || tooBig) {
      const message = `limit broken: ${records.length} records, ${total} bytes`;
      limitViolations.push(message);
      send(400, { __type: 'InvalidArgumentException', message }, 'InvalidArgumentException');
      return;
    }
    const callError = opts.failCall?.(info);
    if (callError) {
      const status = opts.callErrorStatus?.(callError) ?? 500;
      send(status, { __type: callError, message: `injected ${callError}` }, callError);
      return;
    }
    let failed = 0;
    const responses = records.map((data, position) => {
      const code = opts.failRecord?.(data, info.call, position);
      if (code) {
        failed++;
        return { ErrorCode: code, ErrorMessage: `injected ${code}` };
      }
      delivered.push(data);
      return { RecordId: `rec-${++recordSeq}` };
    });
    send(200, { FailedPutCount: failed, Encrypted: false, RequestResponses: responses });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    delivered,
    calls,
    limitViolations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
