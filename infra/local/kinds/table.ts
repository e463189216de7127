// The `table` resource kind on the local cloud: a DynamoDB table in dynalite (keys and TTL attribute as
// declared), its name in environments; functions that write to it leave their results there (start
// screen: `aws dynamodb scan`; demo: the item count before and after).
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AccessMode } from '../../../pipelines/types.ts';
import type { LocalResourceKind } from './types.ts';

const writes = (mode: AccessMode) => mode === 'write' || mode === 'readwrite';

export const table: LocalResourceKind<'table'> = {
  title: 'DynamoDB tables',
  health: 'tables',
  create: (spec, services) => services.dynamo.ensureTable(spec),
  id: (spec) => spec.name,
  describe: (spec) =>
    `${spec.name} (${[spec.partitionKey.name, spec.sortKey?.name].filter(Boolean).join(', ')})`,
  resolve: (spec, variable) => ({ [variable]: spec.name }),
  lookCommand: (spec, mode) =>
    writes(mode) ? `aws dynamodb scan --table-name ${spec.name} --max-items 5` : undefined,
  watch: (spec, mode, demo) =>
    writes(mode)
      ? {
          snapshot: () => countItems(demo.dynamo, spec.name),
          async changes(before) {
            const now = await countItems(demo.dynamo, spec.name);
            const added = now - (before as number);
            return added === 0 ? [] : [`DynamoDB table ${spec.name}: ${now} item(s), ${added} new`];
          },
        }
      : undefined,
};

async function countItems(dynamo: DynamoDBClient, name: string): Promise<number> {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: name, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}
