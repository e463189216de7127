// Keys end to end on a real DynamoDB (dynalite): `npm run api-key -- create` stores only the hash and prints
// the key once; the authorizer accepts that key through the store; `revoke` makes the next check refuse it;
// `list` shows it revoked; bad usage exits 2 with the usage text.
import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../../pipelines/events-api/key-store.ts';
import { main } from '../../pipelines/events-api/keys-cli.ts';
import { authorize } from '../../pipelines/events-api/routes.ts';
import { buildHttpAuthorizerEvent } from '../../shared/events/index.ts';
import { startDynalite, type TestDynamo } from '../support/stream-dynalite.ts';

let db: TestDynamo;
const TABLE = 'api-keys';

beforeAll(async () => {
  db = await startDynalite();
  await db.client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
}, 60_000);
afterAll(() => db?.close());

const cli = async (...args: string[]) => {
  const lines: string[] = [];
  const code = await main([...args, '--table', TABLE, '--endpoint-url', db.endpoint], (l) => lines.push(l));
  return { code, lines };
};

describe('api-key CLI and the key store', () => {
  it('creates, authorizes, revokes and lists a key; the table never holds the key', async () => {
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    const created = await cli('create', '--name', 'dashboard', '--scopes', 'read');
    expect(created.code).toBe(0);
    const key = created.lines[0]!;
    expect(key).toMatch(/^eak_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const id = key.split('_')[1]!;
    const raw = JSON.stringify((await db.client.send(new ScanCommand({ TableName: TABLE }))).Items);
    expect(raw).not.toContain(key.slice(21));

    const store = new KeyStore(db.client, TABLE);
    const check = () =>
      authorize(
        buildHttpAuthorizerEvent({
          method: 'GET',
          path: '/events',
          headers: { authorization: `Bearer ${key}` },
        }),
        (i) => store.get(i),
      );
    expect(await check()).toMatchObject({ isAuthorized: true, context: { scopes: 'read' } });
    expect((await cli('revoke', id)).code).toBe(0);
    expect(await check()).toEqual({ isAuthorized: false });
    expect((await cli('list')).lines.join('\n')).toMatch(new RegExp(`${id}.*REVOKED.*dashboard`));
    expect((await cli('revoke', 'nosuchkey')).code).toBe(1);
  });

  it('refuses bad usage with the usage text', async () => {
    for (const args of [
      ['create', '--name', 'x', '--scopes', 'admin'],
      ['create', '--scopes', 'read'],
      ['frobnicate'],
      ['--bogus'],
    ]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.lines.join('\n')).toMatch(/usage: npm run api-key/);
    }
  });
});
