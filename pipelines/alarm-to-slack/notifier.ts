// The alarm pipeline's per-invocation flow, wired from injected parts so tests run it against real
// servers: validate the SNS envelope, then per record parse → format → route → post to Slack, made
// idempotent on the SNS MessageId with Powertools (a redelivered message is posted once). A record that
// could not be delivered makes the invocation fail after every record was tried, so Lambda's retries and
// the DLQ keep it (records already posted are remembered and not posted again on the retry).
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { parseAlarmMessage } from '../../shared/events/alarm.ts';
import { parseEvent } from '../../shared/events/errors.ts';
import { SnsEventSchema, type SnsNotification } from '../../shared/events/sns.ts';
import type { Logger } from '../../shared/logger.ts';
import { type SlackMessage, slackLimitViolations } from './blocks.ts';
import type { AlarmConfig } from './config.ts';
import { formatAlarm, formatGeneric } from './format.ts';
import { selectRoute } from './routing.ts';
import { type DeliveryOptions, postToSlack, SlackPermanentError } from './slack.ts';
import type { WebhookResolver } from './webhooks.ts';

export interface NotifierDeps {
  config: AlarmConfig;
  logger: Logger;
  resolver: WebhookResolver;
  persistenceStore: BasePersistenceLayer;
  /** Test hooks for delivery (fetch, sleep); production uses the defaults. */
  delivery?: Pick<DeliveryOptions, 'fetch' | 'sleep' | 'baseDelayMs' | 'maxDelayMs'>;
}

export interface InvocationSummary {
  records: number;
  posted: number;
  duplicates: number;
}

/** What the idempotency store keeps for a posted message (returned again for a duplicate). */
interface DeliveryRecord {
  posted: true;
  kind: 'alarm' | 'generic';
  webhook: string;
  attempts: number;
}

/** One or more records of the invocation were not delivered; the message lists why (no secrets). */
export class AlarmDeliveryFailedError extends Error {
  readonly failures: Array<{ messageId: string; error: string }>;
  constructor(failures: Array<{ messageId: string; error: string }>, total: number) {
    super(
      `${failures.length} of ${total} SNS message(s) not delivered to Slack: ` +
        failures.map((f) => `${f.messageId}: ${f.error}`).join('; '),
    );
    this.name = 'AlarmDeliveryFailedError';
    this.failures = failures;
  }
}

/** Formats a notification: alarms as alarms, anything else as a generic message. */
export function render(n: SnsNotification): { message: SlackMessage; alarmName?: string; note?: string } {
  const parsed = parseAlarmMessage(n.Message);
  if (parsed.ok) return { message: formatAlarm(parsed.alarm), alarmName: parsed.alarm.AlarmName };
  return { message: formatGeneric(n, parsed.reason === 'message is not JSON' ? undefined : parsed.reason) };
}

export function createNotifier(deps: NotifierDeps) {
  const { config, logger, resolver } = deps;
  const idempotency = new IdempotencyConfig({
    eventKeyJmesPath: 'MessageId',
    expiresAfterSeconds: config.idempotencyTtlSeconds,
  });
  /** MessageIds whose delivery ran in this container (to tell duplicates apart in the logs). */
  const ranHere = new Set<string>();

  const deliver = async (n: SnsNotification, deadline: number): Promise<DeliveryRecord> => {
    ranHere.add(n.MessageId);
    const { message, alarmName } = render(n);
    const problems = slackLimitViolations(message);
    if (problems.length) logger.warn('Formatted message breaks Slack limits', { problems });
    const route = selectRoute(config.routes, alarmName);
    const webhook = await resolver.resolve(route);
    const result = await postToSlack(webhook, message, {
      deadline,
      requestTimeoutMs: config.requestTimeoutMs,
      ...deps.delivery,
      onRetry: ({ attempt, delayMs, reason }) =>
        logger.warn('Slack delivery failed, retrying', {
          messageId: n.MessageId,
          webhook: webhook.label,
          attempt,
          delayMs,
          reason,
        }),
    });
    logger.info('Posted to Slack', {
      messageId: n.MessageId,
      alarmName,
      webhook: webhook.label,
      attempts: result.attempts,
    });
    return {
      posted: true,
      kind: alarmName ? 'alarm' : 'generic',
      webhook: webhook.label,
      attempts: result.attempts,
    };
  };

  const deliverOnce = makeIdempotent(deliver, {
    persistenceStore: deps.persistenceStore,
    config: idempotency,
  });

  return async function notify(event: unknown, context: Context): Promise<InvocationSummary> {
    // An envelope that is not SNS-shaped is a wiring error: the only thing allowed to throw here unsent.
    const parsed = parseEvent(SnsEventSchema, event, 'SNS event');
    idempotency.registerLambdaContext(context);
    const deadline = Date.now() + context.getRemainingTimeInMillis() - config.safetyMarginMs;
    const failures: Array<{ messageId: string; error: string }> = [];
    let posted = 0;
    let duplicates = 0;
    for (const record of parsed.Records) {
      const n = record.Sns;
      ranHere.delete(n.MessageId);
      try {
        await deliverOnce(n, deadline);
        if (ranHere.has(n.MessageId)) posted++;
        else {
          duplicates++;
          logger.info('Duplicate SNS message skipped (already posted)', { messageId: n.MessageId });
        }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        failures.push({ messageId: n.MessageId, error: error.message });
        if (error instanceof SlackPermanentError) {
          logger.error('Slack rejected the message permanently; not retrying in this invocation', {
            messageId: n.MessageId,
            status: error.status,
            slackReason: error.reason,
            error: error.message,
          });
        } else {
          logger.error('Message not delivered to Slack', {
            messageId: n.MessageId,
            errorName: error.name,
            error: error.message,
          });
        }
      } finally {
        ranHere.delete(n.MessageId);
      }
    }
    if (failures.length) throw new AlarmDeliveryFailedError(failures, parsed.Records.length);
    return { records: parsed.Records.length, posted, duplicates };
  };
}
