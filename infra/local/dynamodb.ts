// DynamoDB on the local cloud: dynalite (in-process, on an internal loopback port, LevelDB files under
// <dataDir>/dynamodb so tables survive restarts) behind the edge, which reads each request body (capped)
// before passing it on and streams the answer back.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableSpec } from '../../pipelines/types.ts';
import { BodyTooLarge, readBody } from './protocol.ts';

/**
 * Largest request body passed to dynalite. DynamoDB's largest requests are BatchWriteItem/TransactWriteItems
 * (16 MB of items in all, "Service, account, and table quotas in Amazon DynamoDB"); JSON framing adds a
 * little, so 20 MiB keeps every valid request and bounds what one request can make the edge hold.
 */
const MAX_REQUEST_BYTES = 20 * 1024 * 1024;

export interface DynamoBackend {
  port: number;
  ensureTable(spec: TableSpec): Promise<void>;
  proxy(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export async function startDynamo(directory: string): Promise<DynamoBackend> {
  const server = dynalite({ path: directory, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  return {
    port,
    async ensureTable(spec) {
      try {
        await client.send(new DescribeTableCommand({ TableName: spec.name }));
        return;
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
      }
      const keys = [spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])];
      await client.send(
        new CreateTableCommand({
          TableName: spec.name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
          KeySchema: [
            { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
            ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' as const }] : []),
          ],
        }),
      );
    },
    proxy(req, res) {
      // The body is read whole (capped) before dynalite sees the request: dynalite throws from its
      // request's 'error' handler, so a client that disconnects mid-body would otherwise take the whole
      // process down. An aborted or oversized body never reaches it.
      const requestId = randomUUID();
      const fail = (status: number, type: string, message: string) => {
        if (res.headersSent || res.destroyed) return void res.destroy();
        const body = JSON.stringify({ __type: type, message });
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      };
      readBody(req, MAX_REQUEST_BYTES).then(
        (body) => {
          if (res.destroyed) return;
          const headers = { ...req.headers, 'content-length': String(body.length) };
          delete headers.expect;
          delete headers['transfer-encoding'];
          const upstream = http.request(
            { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent },
            (up) => {
              res.writeHead(up.statusCode ?? 502, up.headers);
              pipeline(up, res, () => {});
            },
          );
          upstream.on('error', (err) =>
            fail(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', err.message),
          );
          upstream.end(body);
        },
        (err: unknown) => {
          if (err instanceof BodyTooLarge) {
            res.setHeader('connection', 'close');
            // The limit is the local cloud's (AWS documents no answer for an oversized body): 413 with
            // a JSON error the SDK reports as a ValidationException.
            fail(
              413,
              'com.amazon.coral.validate#ValidationException',
              `Request body exceeds the local cloud's limit of ${MAX_REQUEST_BYTES} bytes`,
            );
          } else res.destroy(); // the client went away mid-body: nobody to answer
        },
      );
    },
    async close() {
      client.destroy();
      agent.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
