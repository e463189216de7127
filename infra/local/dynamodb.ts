// DynamoDB on the local cloud: dynalite (in-process, on an internal loopback port, LevelDB files under
// <dataDir>/dynamodb so tables survive restarts) behind the edge, which streams requests to it.
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
      const headers = { ...req.headers };
      delete headers.expect;
      const upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          pipeline(up, res, () => {});
        },
      );
      const fail = (err: Error) => {
        if (res.headersSent) return void res.destroy(err);
        const body = JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: err.message,
        });
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(body);
      };
      upstream.on('error', fail);
      pipeline(req, upstream, (err) => err && fail(err));
    },
    async close() {
      client.destroy();
      agent.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
