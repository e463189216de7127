// The Firehose client for this container; endpoint from the SDK's standard variables.
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { cachedClient } from './client-cache.ts';

export const firehoseClient = (): FirehoseClient => cachedClient('firehose', () => new FirehoseClient({}));
