// `npm run api-key -- <create|list|revoke> …`: manages the events API's keys in the `api-keys` table.
// `create` prints the new key once (only its hash is stored, so it cannot be shown again). Against the
// local cloud: `AWS_ENDPOINT_URL=http://127.0.0.1:4566 npm run api-key -- create --name me --scopes read,write`;
// on AWS, --table is the stack output TableApiKeysName.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KeyStore } from './key-store.ts';
import { createApiKey, SCOPES, type Scope } from './keys.ts';

const USAGE = `usage: npm run api-key -- <command> [options]
  create --name <label> --scopes <read|write|read,write>   make a key and print it (once)
  list                                                      ids, names, scopes, created, revoked
  revoke <id>                                               refuse the key from now on
options:
  --table <name>         the keys table (env API_KEYS_TABLE; default api-keys; on AWS: TableApiKeysName)
  --endpoint-url <url>   AWS endpoint override (like AWS_ENDPOINT_URL), e.g. http://127.0.0.1:4566`;

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ options: Record<string, { type: 'string' }>; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        table: { type: 'string' },
        'endpoint-url': { type: 'string' },
      },
      allowPositionals: true,
    });
  } catch (err) {
    out(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg] = positionals;
  const table = values.table ?? process.env.API_KEYS_TABLE ?? 'api-keys';
  const endpoint = values['endpoint-url'];
  // Convenience for the local cloud (as `npm run produce`): it accepts any credentials, so supply dummy
  // ones and a region when none are set and the endpoint is on this machine.
  if (/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint ?? process.env.AWS_ENDPOINT_URL ?? '')) {
    process.env.AWS_REGION ||= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ||= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ||= 'local';
  }
  const store = new KeyStore(new DynamoDBClient(endpoint ? { endpoint } : {}), table);
  if (command === 'create') {
    const scopes = (values.scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (!values.name || !scopes.length || bad.length) {
      out(
        `create needs --name and --scopes from ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n${USAGE}`,
      );
      return 2;
    }
    const { key, item } = createApiKey(values.name, scopes as Scope[]);
    await store.put(item);
    out(key);
    out(
      `# key ${item.id} "${item.name}" (${item.scopes.join(', ')}): shown once, store it now. Send it as: Authorization: Bearer <key>`,
    );
    return 0;
  }
  if (command === 'list') {
    for (const k of await store.list()) {
      out(
        `${k.id}  ${k.scopes.join(',').padEnd(10)}  ${k.created}  ${k.revoked ? 'REVOKED' : 'active '}  ${k.name}`,
      );
    }
    return 0;
  }
  if (command === 'revoke' && arg) {
    if (await store.revoke(arg)) {
      out(
        `revoked ${arg} (API Gateway may serve its cached authorization for up to the authorizer's cache TTL)`,
      );
      return 0;
    }
    out(`no key ${arg} in ${table}`);
    return 1;
  }
  out(USAGE);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`api-key: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      process.exit(2);
    },
  );
}
