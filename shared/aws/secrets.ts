// Secrets Manager client for this container; endpoint from the SDK's standard variables.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedClient } from './client-cache.ts';

export const secretsClient = (): SecretsManagerClient =>
  cachedClient('secrets', () => new SecretsManagerClient({}));
