// The DynamoDB client for this container; endpoint from the SDK's standard variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cachedClient } from './client-cache.ts';

export const dynamoClient = (): DynamoDBClient => cachedClient('dynamodb', () => new DynamoDBClient({}));
