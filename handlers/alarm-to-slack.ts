// Lambda entry point of the alarm pipeline (SNS `alarms` topic → Slack). Thin: validates configuration
// at cold start, builds the notifier once per container, and hands each event to it.
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { loadAlarmConfig } from '../pipelines/alarm-to-slack/config.ts';
import { createNotifier, type InvocationSummary } from '../pipelines/alarm-to-slack/notifier.ts';
import { createWebhookResolver } from '../pipelines/alarm-to-slack/webhooks.ts';
import { dynamoClient } from '../shared/aws/dynamodb.ts';
import { createLogger } from '../shared/logger.ts';

const logger = createLogger('alarm-to-slack');
const config = loadAlarmConfig();
const notify = createNotifier({
  config,
  logger,
  resolver: createWebhookResolver(config),
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: config.idempotencyTable,
    awsSdkV3Client: dynamoClient(),
  }),
});

export async function handler(event: unknown, context: Context): Promise<InvocationSummary> {
  logger.addContext(context);
  return notify(event, context);
}
