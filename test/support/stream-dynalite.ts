// Starts a real dynalite (in memory, 127.0.0.1, port 0) with the stream pipeline's `events` table, for
// loader tests and the loader benchmark, and returns an SDK client pointed at it.
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { streamEtl } from '../../pipelines/stream-etl/definition.ts';

export interface TestDynamo {
  client: DynamoDBClient;
  endpoint: string;
  tableName: string;
  scanAll(): Promise<Array<Record<string, AttributeValue>>>;
  close(): Promise<void>;
}

export async function startDynalite(tableName = 'events'): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const spec = streamEtl.resources.tables!.find((t) => t.name === 'events')!;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: spec.partitionKey.name, AttributeType: spec.partitionKey.type },
        { AttributeName: spec.sortKey!.name, AttributeType: spec.sortKey!.type },
      ],
      KeySchema: [
        { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: spec.sortKey!.name, KeyType: 'RANGE' },
      ],
    }),
  );
  return {
    client,
    endpoint,
    tableName,
    async scanAll() {
      const items: Array<Record<string, AttributeValue>> = [];
      for await (const page of paginateScan({ client }, { TableName: tableName }))
        items.push(...(page.Items ?? []));
      return items;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
