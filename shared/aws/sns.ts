// The SNS client for this container; endpoint from the SDK's standard variables.
import { SNSClient } from '@aws-sdk/client-sns';
import { cachedClient } from './client-cache.ts';

export const snsClient = (): SNSClient => cachedClient('sns', () => new SNSClient({}));
