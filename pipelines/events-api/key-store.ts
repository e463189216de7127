// The `api-keys` table as the authorizer and the key CLI use it: put a new key's item (never the key),
// get one by id (strongly consistent, so a revocation is seen by the next authorizer call that is not
// served from API Gateway's authorizer cache), list and revoke.
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type ApiKeyItem, ApiKeyItemSchema } from './keys.ts';

function toAttributes(item: ApiKeyItem): Record<string, AttributeValue> {
  return {
    id: { S: item.id },
    hash: { S: item.hash },
    name: { S: item.name },
    scopes: { SS: item.scopes },
    created: { S: item.created },
    revoked: { BOOL: item.revoked },
  };
}

/** The item, or undefined when the stored attributes do not make a valid one (reported via `onInvalid`). */
export function fromAttributes(
  a: Record<string, AttributeValue>,
  onInvalid: (problem: string) => void = () => {},
): ApiKeyItem | undefined {
  const parsed = ApiKeyItemSchema.safeParse({
    id: a.id?.S,
    hash: a.hash?.S,
    name: a.name?.S,
    scopes: a.scopes?.SS,
    created: a.created?.S,
    revoked: a.revoked?.BOOL ?? false,
  });
  if (!parsed.success) onInvalid(parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.success ? parsed.data : undefined;
}

export class KeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async put(item: ApiKeyItem): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toAttributes(item),
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
  }

  async get(id: string, onInvalid?: (problem: string) => void): Promise<ApiKeyItem | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { id: { S: id } }, ConsistentRead: true }),
    );
    return out.Item ? fromAttributes(out.Item, onInvalid) : undefined;
  }

  async list(): Promise<ApiKeyItem[]> {
    const items: ApiKeyItem[] = [];
    for await (const page of paginateScan({ client: this.client }, { TableName: this.table })) {
      for (const a of page.Items ?? []) {
        const item = fromAttributes(a);
        if (item) items.push(item);
      }
    }
    return items.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** True when the key existed (it is kept, refused from now on). */
  async revoke(id: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { id: { S: id } },
          UpdateExpression: 'SET revoked = :t',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: { ':t': { BOOL: true } },
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
