// DynamoDB clients for this container (low-level and document); endpoint from the SDK's standard variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cachedClient } from './client-cache.ts';

export const dynamoClient = (): DynamoDBClient => cachedClient('dynamodb', () => new DynamoDBClient({}));

export const documentClient = (): DynamoDBDocumentClient =>
  cachedClient('dynamodb-doc', () =>
    DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } }),
  );
