// Formatting of every alarm form and state (from the real-sample fixtures and the shared builders), of
// non-alarm messages, and Slack's size limits under hostile input.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SlackMessage,
  slackLimitViolations,
  truncate,
  truncateMrkdwn,
} from '../../pipelines/alarm-to-slack/blocks.ts';
import {
  alarmConsoleUrl,
  formatAlarm,
  formatGeneric,
  STATE_STYLE,
} from '../../pipelines/alarm-to-slack/format.ts';
import { render } from '../../pipelines/alarm-to-slack/notifier.ts';
import { buildAlarmMessage, buildSnsRecord } from '../../shared/events/builders.ts';
import { SnsEventSchema, type SnsNotification } from '../../shared/events/sns.ts';

function fixture(name: string): SnsNotification {
  const raw = JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
  return SnsEventSchema.parse(raw).Records[0]!.Sns;
}

/** Everything a reader sees: fallback, header and every block text, joined. */
function allText(m: SlackMessage): string {
  return JSON.stringify(m);
}
function header(m: SlackMessage): string {
  const h = m.blocks[0];
  return h?.type === 'header' ? h.text.text : '';
}

describe('alarm fixtures', () => {
  const cases = [
    {
      fixture: 'sns-alarm-metric',
      name: 'EC2-CPU',
      states: ['INSUFFICIENT_DATA', 'ALARM'],
      region: 'ap-northeast-2',
      measured: ['AWS/EC2 CPUUtilization', 'InstanceId=i-0f672ea50a80cda4b', 'Average over 5 min', '> 15'],
    },
    {
      fixture: 'sns-alarm-metric-math',
      name: 'checkout-error-rate',
      states: ['OK', 'ALARM'],
      region: 'eu-west-1',
      measured: ['error_rate = IF(invocations&gt;0,100*errors/invocations,0)', 'AWS/Lambda Errors', '≥ 5'],
    },
    {
      fixture: 'sns-alarm-anomaly',
      name: 'vibe-nonprod-lb-dev-alb-latency',
      states: ['ALARM', 'OK'],
      region: 'us-east-2',
      measured: ['ANOMALY_DETECTION_BAND(m1, 2)', '2 standard deviations', 'p90 of', 'above the upper bound'],
    },
    {
      fixture: 'sns-alarm-composite',
      name: 'if-sim-app-test_node_monitor',
      states: ['OK', 'ALARM'],
      region: 'us-east-1',
      measured: [
        '*Rule:*',
        'ALARM(arn:aws:cloudwatch',
        '*Triggered by:*',
        '|if-sim-app-metric_emitting_node_failure>',
      ],
    },
    {
      fixture: 'sns-alarm-extended-statistic',
      name: 'checkout-duration-p95',
      states: ['OK', 'INSUFFICIENT_DATA'],
      region: 'eu-west-1',
      measured: ['AWS/Lambda Duration', 'p95 over 5 min', '(Milliseconds)', '≥ 3000'],
    },
  ];

  for (const c of cases) {
    it(`${c.fixture}: name, states, measurement, account, region, time, link`, () => {
      const { message, alarmName } = render(fixture(c.fixture));
      expect(alarmName).toBe(c.name);
      const [from, to] = c.states as [keyof typeof STATE_STYLE, keyof typeof STATE_STYLE];
      expect(header(message)).toBe(`${STATE_STYLE[to].emoji} ${to}: ${c.name}`);
      expect(message.attachments?.[0]?.color).toBe(STATE_STYLE[to].color);
      const text = allText(message);
      expect(text).toContain(`${STATE_STYLE[from].emoji} ${from} → ${STATE_STYLE[to].emoji} *${to}*`);
      for (const m of c.measured) expect(text).toContain(m);
      expect(text).toContain('*Account*\\n123456789012');
      expect(text).toContain(`*Region*\\n${c.region}`);
      expect(text).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|20\d\d-/);
      const url = `https://${c.region}.console.aws.amazon.com/cloudwatch/home?region=${c.region}#alarmsV2:alarm/${c.name}`;
      expect(text).toContain(`"url":"${url}"`);
      expect(message.text).toContain(c.name);
      expect(message.text).toContain(`${from} → ${to}`);
      expect(message.text).toContain(url);
      expect(slackLimitViolations(message)).toEqual([]);
    });
  }

  it('reads the reason of the state change', () => {
    const text = allText(render(fixture('sns-alarm-metric')).message);
    expect(text).toContain('Threshold Crossed: 1 out of the last 1 datapoints [17.2564528039004');
  });

  it('cleans the odd TreatMissingData values real messages carry', () => {
    const text = allText(render(fixture('sns-alarm-anomaly')).message);
    expect(text).toContain('missing data: ignore');
    expect(text).not.toContain('TreatMissingData:');
  });

  it('falls back to the Region display name for old messages without an AlarmArn', () => {
    const { message } = render(fixture('sns-alarm-legacy-no-arn'));
    expect(allText(message)).toMatch(/console\.aws\.amazon\.com\/cloudwatch\/home/);
    expect(slackLimitViolations(message)).toEqual([]);
  });
});

describe('every form × state from the builders', () => {
  const kinds = ['metric', 'metric-math', 'anomaly-detection', 'composite'] as const;
  const states = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
  it('gives each state its own colour and emoji, and each form its measurement', () => {
    const colours = new Set<string>();
    const emojis = new Set<string>();
    for (const kind of kinds) {
      for (const state of states) {
        const m = formatAlarm(buildAlarmMessage({ kind, state, name: `${kind}-${state}` }));
        expect(slackLimitViolations(m)).toEqual([]);
        expect(header(m)).toContain(`${kind}-${state}`);
        colours.add(m.attachments![0]!.color);
        emojis.add(header(m).split(' ')[0]!);
        const text = allText(m);
        if (kind === 'metric') expect(text).toContain('AWS/Lambda Errors');
        if (kind === 'metric-math') expect(text).toContain('e1 = 100 * errors / invocations');
        if (kind === 'anomaly-detection') expect(text).toContain('ANOMALY_DETECTION_BAND(m1, 2)');
        if (kind === 'composite') expect(text).toContain('ALARM(\\"image-resize-errors\\")');
      }
    }
    expect(colours.size).toBe(3);
    expect(emojis.size).toBe(3);
  });
});

describe('descriptions and limits', () => {
  it('truncates a 10,000-character description cleanly and keeps every Slack limit', () => {
    const description = `${'🔥'.repeat(2000)}${'<b>&'.repeat(1500)}`; // astral chars and escapes
    expect(description.length).toBe(10_000);
    const m = formatAlarm(
      buildAlarmMessage({ description, name: 'x'.repeat(300), reason: 'r'.repeat(5000) }),
    );
    expect(slackLimitViolations(m)).toEqual([]);
    const desc = m.attachments![0]!.blocks.find(
      (b) => b.type === 'section' && b.text?.text.startsWith('*Description*'),
    );
    expect(desc?.type === 'section' && desc.text?.text.endsWith('…')).toBe(true);
    expect(header(m).length).toBeLessThanOrEqual(150);
    expect(header(m).endsWith('…')).toBe(true);
  });

  it('renders a null description without a description block', () => {
    const m = render(fixture('sns-alarm-metric')).message; // AlarmDescription: null
    expect(allText(m)).not.toContain('*Description*');
    expect(slackLimitViolations(m)).toEqual([]);
    const withDesc = formatAlarm(buildAlarmMessage({ description: 'Errors in image-resize' }));
    expect(allText(withDesc)).toContain('*Description*\\nErrors in image-resize');
  });

  it('escapes mrkdwn control characters in user text', () => {
    const m = formatAlarm(buildAlarmMessage({ description: 'a <@U123> & <!channel> > b' }));
    expect(allText(m)).toContain('a &lt;@U123&gt; &amp; &lt;!channel&gt; &gt; b');
  });

  it('truncate never splits a surrogate pair or an entity', () => {
    expect(truncate('ab🔥cd', 4)).toBe('ab…');
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncateMrkdwn('abc &amp; def', 7)).toBe('abc …');
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (s, max) => {
          const t = truncate(s, max);
          expect(t.length).toBeLessThanOrEqual(max);
          expect(/[\uD800-\uDBFF]$/.test(t.replace(/…$/, ''))).toBe(false);
        },
      ),
    );
  });

  it('keeps every limit for arbitrary alarm text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 4000 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }),
        fc.option(fc.string({ unit: 'binary', maxLength: 12_000 })),
        (reason, name, description) => {
          const m = formatAlarm(buildAlarmMessage({ reason, name, description }));
          expect(slackLimitViolations(m)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('console link', () => {
  it('encodes special characters of the alarm name', () => {
    expect(alarmConsoleUrl('prod/api 5xx (p99) & más!', 'eu-west-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1' +
        '#alarmsV2:alarm/prod%2Fapi%205xx%20%28p99%29%20%26%20m%C3%A1s%21',
    );
  });
  it('uses the partition console for China and GovCloud', () => {
    expect(alarmConsoleUrl('a', 'cn-north-1', 'arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a')).toMatch(
      /^https:\/\/cn-north-1\.console\.amazonaws\.cn\//,
    );
    expect(
      alarmConsoleUrl('a', 'us-gov-west-1', 'arn:aws-us-gov:cloudwatch:us-gov-west-1:1:alarm:a'),
    ).toMatch(/^https:\/\/console\.amazonaws-us-gov\.com\/cloudwatch\/home\?region=us-gov-west-1#/);
  });
});

describe('other SNS messages', () => {
  it('renders a plain-text message with subject and body', () => {
    const { message, alarmName } = render(fixture('sns-plain'));
    expect(alarmName).toBeUndefined();
    expect(header(message)).toBe(':envelope: TestInvoke');
    expect(allText(message)).toContain('Hello from SNS!');
    expect(allText(message)).toContain('sns-lambda');
    expect(message.text).toContain('TestInvoke: Hello from SNS!');
    expect(slackLimitViolations(message)).toEqual([]);
  });

  it('renders JSON that is not an alarm as pretty JSON, naming the problem of alarm-like JSON', () => {
    const n = buildSnsRecord({
      topicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
      message: JSON.stringify({ AlarmName: 'half-an-alarm', detail: { a: 1 } }),
      subject: null,
    }).Sns;
    const { message, alarmName } = render(n);
    expect(alarmName).toBeUndefined();
    expect(header(message)).toBe(':envelope: Message on alarms');
    const text = allText(message);
    expect(text).toContain('\\"AlarmName\\": \\"half-an-alarm\\"');
    expect(text).toContain('Not shown as an alarm: not a valid alarm message');
    expect(slackLimitViolations(message)).toEqual([]);
  });

  it('splits and cuts a huge body without breaking any limit, and copes with an empty one', () => {
    const big = formatGeneric({
      Message: '&<>🔥x'.repeat(20_000),
      Subject: 's'.repeat(500),
      TopicArn: 'arn:aws:sns:us-east-1:1:t',
      MessageId: 'm',
      Timestamp: 'not a time',
    });
    expect(slackLimitViolations(big)).toEqual([]);
    expect(allText(big)).toContain('truncated: 120000 characters in all');
    const empty = formatGeneric({
      Message: '',
      TopicArn: 'arn:aws:sns:us-east-1:1:t',
      MessageId: 'm',
      Timestamp: '',
    });
    expect(slackLimitViolations(empty)).toEqual([]);
  });

  it('never throws, whatever the message text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.json()),
        fc.option(fc.string()),
        (message, subject) => {
          const n = buildSnsRecord({ topicArn: 'arn:aws:sns:us-east-1:1:alarms', message, subject }).Sns;
          expect(slackLimitViolations(render(n).message)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
