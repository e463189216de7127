// Alarm pipeline definition: CloudWatch alarms publish to the `alarms` topic; the function formats
// each message and posts it to Slack, deduplicated by SNS MessageId. Read by infra/cdk and infra/local.
import { buildAlarmMessage } from '../../shared/events/builders.ts';
import { type PipelineDefinition, ref } from '../types.ts';
import { DEFAULT_DELIVERY_SAFETY_MARGIN_MS, DEFAULT_IDEMPOTENCY_TTL_SECONDS } from './config.ts';

export const alarmToSlack: PipelineDefinition = {
  name: 'alarm-to-slack',
  title: 'Alarm pipeline',
  description: 'CloudWatch alarm → SNS topic → formatted Block Kit message in Slack',
  resources: {
    topics: [{ name: 'alarms', description: 'CloudWatch alarms (and any other notices) for Slack' }],
    tables: [
      {
        name: 'idempotency',
        description: 'Powertools idempotency records: one per SNS MessageId already posted',
        partitionKey: { name: 'id', type: 'S' },
        ttlAttribute: 'expiration',
      },
    ],
    secrets: [
      {
        name: 'slack-webhook',
        description: 'Slack incoming-webhook URL (a secret: it is the credential)',
        localEnv: 'SLACK_WEBHOOK_URL',
        // Unset locally: posts go to the local cloud's webhook sink (GET /_local/webhooks shows them).
        localFallback: 'webhook-sink',
      },
    ],
  },
  functions: [
    {
      id: 'alarm-to-slack',
      description: 'Formats alarm notifications and posts them to Slack',
      entry: 'handlers/alarm-to-slack.ts',
      trigger: { kind: 'sns', topic: 'alarms' },
      memoryMb: 256,
      timeoutSeconds: 30,
      reservedConcurrency: 5,
      sizing:
        'I/O bound (one HTTPS post); 256 MB keeps cold starts short. 30 s leaves room to honour a Slack ' +
        'Retry-After and back off on 5xx before the invocation fails and Lambda retries.',
      environment: {
        SLACK_WEBHOOK_SECRET_ARN: ref.secret('slack-webhook'),
        IDEMPOTENCY_TABLE: ref.table('idempotency'),
        // Deployed visibly with their defaults (config.ts says why each is what it is): how long a posted SNS
        // MessageId is remembered, and the time kept back when retrying Slack so that a failure is reported
        // (and the event retried / sent to the DLQ) before Lambda's timeout.
        IDEMPOTENCY_TTL_SECONDS: String(DEFAULT_IDEMPOTENCY_TTL_SECONDS),
        DELIVERY_SAFETY_MARGIN_MS: String(DEFAULT_DELIVERY_SAFETY_MARGIN_MS),
        // Optional routing by alarm name, JSON: [{"match":"prod-*","webhook":"secret:<name or ARN>"}].
        // Unset by default; see pipelines/alarm-to-slack/README.md.
      },
      access: [
        { resource: ref.secret('slack-webhook'), mode: 'read' },
        { resource: ref.table('idempotency'), mode: 'readwrite' },
      ],
      local: {
        // What CloudWatch publishes when an alarm fires (the start screen's `aws sns publish`, the demo).
        sample: {
          name: 'alarm.json',
          subject: 'ALARM: "checkout-latency-p99" in US East (N. Virginia)',
          content: () =>
            `${JSON.stringify(buildAlarmMessage({ name: 'checkout-latency-p99', state: 'ALARM' }), null, 2)}\n`,
        },
      },
    },
  ],
};
