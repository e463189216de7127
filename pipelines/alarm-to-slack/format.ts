// Pure formatting of SNS notifications into Slack Block Kit messages: every CloudWatch alarm form
// (single metric, metric math, anomaly detection, composite) and any other message (plain text, JSON that
// is not an alarm). The state shows at a glance (emoji in the header, coloured attachment bar); every
// piece of user text is escaped and truncated so Slack never rejects the result.
import {
  type AlarmKind,
  type AlarmState,
  type AlarmTrigger,
  alarmKind,
  alarmRegionCode,
  type CloudWatchAlarmMessage,
} from '../../shared/events/alarm.ts';
import {
  type Block,
  codeSafe,
  escapeMrkdwn,
  mrkdwnText,
  nonEmpty,
  SLACK_LIMITS,
  type SlackMessage,
  truncate,
  truncateMrkdwn,
} from './blocks.ts';

export const STATE_STYLE: Record<AlarmState, { emoji: string; color: string; label: string }> = {
  ALARM: { emoji: ':red_circle:', color: '#D13212', label: 'ALARM' },
  OK: { emoji: ':large_green_circle:', color: '#2EB67D', label: 'OK' },
  INSUFFICIENT_DATA: { emoji: ':white_circle:', color: '#9E9E9E', label: 'INSUFFICIENT_DATA' },
};
const GENERIC_STYLE = { emoji: ':envelope:', color: '#439FE0' };

const KIND_LABEL: Record<AlarmKind, string> = {
  metric: 'Metric alarm',
  'metric-math': 'Metric math alarm',
  'anomaly-detection': 'Anomaly detection alarm',
  composite: 'Composite alarm',
};

const COMPARISON: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '≥',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
  GreaterThanUpperThreshold: 'above the upper bound of the band',
  LessThanLowerThreshold: 'below the lower bound of the band',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside the band',
};

/** Most triggering children listed for a composite alarm (the rest are counted). */
const MAX_CHILDREN = 10;
/** Most sections a generic message body is split into (each ≤ 3,000 characters). */
const MAX_BODY_SECTIONS = 10;

// --------------------------------------------------------------------------------------------------
// Console links

/** RFC 3986 component encoding (encodeURIComponent leaves !'()* alone; the console fragment needs them encoded). */
function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Console origin for a region's partition (aws, aws-cn, aws-us-gov). */
function consoleOrigin(region: string | undefined, arn: string | undefined): string {
  const partition = arn?.split(':')[1] ?? 'aws';
  if (partition === 'aws-cn') return `https://${region ? `${region}.` : ''}console.amazonaws.cn`;
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  return `https://${region ? `${region}.` : ''}console.aws.amazon.com`;
}

/**
 * Deep link to an alarm in the CloudWatch console:
 * `https://<region>.console.aws.amazon.com/cloudwatch/home?region=<region>#alarmsV2:alarm/<encoded name>`.
 */
export function alarmConsoleUrl(alarmName: string, region: string | undefined, arn?: string): string {
  const query = region ? `?region=${region}` : '';
  return `${consoleOrigin(region, arn)}/cloudwatch/home${query}#alarmsV2:alarm/${encodeComponent(alarmName)}`;
}

// --------------------------------------------------------------------------------------------------
// Small renderers

/** 300 → `5 min`, 3600 → `1 h`, 10 → `10 s`. */
export function formatPeriod(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** CloudWatch sends statistics upper-case (`AVERAGE`); show them as the console does (`Average`). */
function statLabel(stat: string): string {
  return /^[A-Z_]+$/.test(stat) ? stat.charAt(0) + stat.slice(1).toLowerCase().replace(/_/g, ' ') : stat;
}

function dimensions(dims: Array<{ name: string; value: string }> | undefined): string {
  if (!dims?.length) return '';
  return ` (${dims.map((d) => `\`${codeSafe(`${d.name}=${d.value}`)}\``).join(', ')})`;
}

function inlineCode(raw: string, max = 500): string {
  return `\`${escapeMrkdwn(truncate(codeSafe(raw), max))}\``;
}

/** Slack date token: shown in each reader's time zone, with the UTC ISO time as fallback. */
export function slackDate(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return nonEmpty(escapeMrkdwn(truncate(time, 100)), 'time unknown');
  const iso = new Date(ms).toISOString().replace('.000Z', 'Z');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

function alarmNameFromArn(arn: string): string {
  const i = arn.indexOf(':alarm:');
  return i >= 0 ? arn.slice(i + ':alarm:'.length) : arn;
}

function evaluation(t: AlarmTrigger): string {
  const of = `${t.DatapointsToAlarm ?? t.EvaluationPeriods} of ${t.EvaluationPeriods} datapoint${
    t.EvaluationPeriods === 1 ? '' : 's'
  }`;
  // Some real messages carry `- TreatMissingData:   ignore`; keep only the value.
  const treat = t.TreatMissingData?.replace(/^-?\s*TreatMissingData:\s*/i, '').trim();
  const missing = treat ? ` · missing data: ${escapeMrkdwn(truncate(treat, 50))}` : '';
  return `${of}${missing}`;
}

function comparison(op: string): string {
  return COMPARISON[op] ?? escapeMrkdwn(truncate(op, 80));
}

// --------------------------------------------------------------------------------------------------
// "What was measured", per alarm form

type MetricQuery = NonNullable<AlarmTrigger['Metrics']>[number];

function describeQuery(q: MetricQuery): string {
  const label = q.Label ? ` _${mrkdwnText(q.Label, 200)}_` : '';
  if (q.Expression) return `${inlineCode(`${q.Id} = ${q.Expression}`)}${label}`;
  if (q.MetricStat) {
    const m = q.MetricStat.Metric;
    const metric = inlineCode([m.Namespace, m.MetricName].filter(Boolean).join(' '), 300);
    return (
      `${inlineCode(q.Id, 100)} = ${escapeMrkdwn(statLabel(q.MetricStat.Stat))} of ${metric}` +
      `${dimensions(m.Dimensions)} over ${formatPeriod(q.MetricStat.Period)}${label}`
    );
  }
  return inlineCode(q.Id, 100);
}

function measuredMetric(t: AlarmTrigger): string {
  const metric = inlineCode([t.Namespace, t.MetricName].filter(Boolean).join(' '), 300);
  const stat = t.ExtendedStatistic ?? (t.Statistic ? statLabel(t.Statistic) : '?');
  const unit = t.Unit ? ` (${escapeMrkdwn(truncate(t.Unit, 50))})` : '';
  return [
    `*Metric:* ${metric}${dimensions(t.Dimensions)}`,
    `*Statistic:* ${escapeMrkdwn(truncate(stat, 50))} over ${formatPeriod(t.Period)}${unit}`,
    `*Condition:* ${comparison(t.ComparisonOperator)} ${t.Threshold ?? '?'} for ${evaluation(t)}`,
  ].join('\n');
}

function measuredMath(t: AlarmTrigger): string {
  const queries = t.Metrics ?? [];
  const returned = queries.filter((q) => q.ReturnData !== false && q.Expression);
  const inputs = queries.filter((q) => !returned.includes(q));
  return [
    `*Expression:* ${returned.map(describeQuery).join(', ') || '—'}`,
    ...(inputs.length ? ['*Inputs:*', ...inputs.slice(0, 20).map((q) => `• ${describeQuery(q)}`)] : []),
    `*Condition:* ${comparison(t.ComparisonOperator)} ${t.Threshold ?? '?'} for ${evaluation(t)}`,
  ].join('\n');
}

function measuredAnomaly(t: AlarmTrigger): string {
  const queries = t.Metrics ?? [];
  const band = queries.find((q) => q.Id === t.ThresholdMetricId);
  const others = queries.filter((q) => q !== band);
  const width = band?.Expression
    ? /ANOMALY_DETECTION_BAND\s*\(\s*[^,)]+,\s*([\d.]+)\s*\)/i.exec(band.Expression)
    : null;
  return [
    ...others.slice(0, 20).map((q) => `*Metric:* ${describeQuery(q)}`),
    `*Band:* ${band ? describeQuery(band) : inlineCode(t.ThresholdMetricId ?? '?')}${
      width ? ` (${width[1]} standard deviations)` : ''
    }`,
    `*Condition:* ${comparison(t.ComparisonOperator)} for ${evaluation(t)}`,
  ].join('\n');
}

function measuredComposite(alarm: CloudWatchAlarmMessage, region: string | undefined): string {
  const rule = alarm.AlarmRule ?? '?';
  const children = alarm.TriggeringChildren ?? [];
  const lines = children.slice(0, MAX_CHILDREN).map((c) => {
    const name = alarmNameFromArn(c.Arn);
    const link = `<${alarmConsoleUrl(name, region, c.Arn)}|${mrkdwnText(name, 200).replace(/\|/g, '¦')}>`;
    const state = c.State
      ? ` — ${escapeMrkdwn(truncate(c.State.Value, 30))} since ${slackDate(c.State.Timestamp)}`
      : '';
    return `• ${link}${state}`;
  });
  if (children.length > MAX_CHILDREN) lines.push(`• …and ${children.length - MAX_CHILDREN} more`);
  return [
    `*Rule:*\n\`\`\`${escapeMrkdwn(truncate(rule.replace(/```/g, "'''"), 1200))}\`\`\``,
    `*Triggered by:*${lines.length ? `\n${lines.join('\n')}` : ' —'}`,
  ].join('\n');
}

function measured(alarm: CloudWatchAlarmMessage, kind: AlarmKind, region: string | undefined): string {
  const t = alarm.Trigger;
  if (kind === 'composite' || !t) return measuredComposite(alarm, region);
  if (kind === 'anomaly-detection') return measuredAnomaly(t);
  if (kind === 'metric-math') return measuredMath(t);
  return measuredMetric(t);
}

// --------------------------------------------------------------------------------------------------
// Messages

function section(text: string): Block {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: nonEmpty(truncateMrkdwn(text, SLACK_LIMITS.sectionText)) },
  };
}

/** A CloudWatch alarm state change as a Block Kit message with a coloured attachment. */
export function formatAlarm(alarm: CloudWatchAlarmMessage): SlackMessage {
  const kind = alarmKind(alarm);
  const region = alarmRegionCode(alarm);
  const style = STATE_STYLE[alarm.NewStateValue];
  const oldStyle = STATE_STYLE[alarm.OldStateValue];
  const url = alarmConsoleUrl(alarm.AlarmName, region, alarm.AlarmArn);
  const name = alarm.AlarmName;

  const header = truncate(`${style.emoji} ${style.label}: ${name}`, SLACK_LIMITS.headerText);
  const transition = `${oldStyle.emoji} ${oldStyle.label} → ${style.emoji} *${style.label}*`;
  const reasonBudget = SLACK_LIMITS.sectionText - transition.length - 20;

  const details: Block[] = [
    section(
      `${transition}  ·  ${KIND_LABEL[kind]}\n${mrkdwnText(nonEmpty(alarm.NewStateReason), reasonBudget)}`,
    ),
  ];
  if (alarm.AlarmDescription?.trim()) {
    details.push(
      section(`*Description*\n${mrkdwnText(alarm.AlarmDescription, SLACK_LIMITS.sectionText - 20)}`),
    );
  }
  details.push(section(measured(alarm, kind, region)));
  details.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Account*\n${escapeMrkdwn(truncate(alarm.AWSAccountId, 100))}` },
      { type: 'mrkdwn', text: `*Region*\n${escapeMrkdwn(truncate(region ?? alarm.Region, 100))}` },
      { type: 'mrkdwn', text: `*State changed*\n${slackDate(alarm.StateChangeTime)}` },
      { type: 'mrkdwn', text: `*Alarm type*\n${KIND_LABEL[kind]}` },
    ].map((f) => ({ ...f, text: nonEmpty(f.text) })) as Array<{ type: 'mrkdwn'; text: string }>,
  });
  if (url.length <= SLACK_LIMITS.buttonUrl) {
    details.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in CloudWatch', emoji: true },
          url,
          action_id: 'open-alarm',
        },
      ],
    });
  }

  const fallback =
    `${style.emoji} ${style.label}: ${escapeMrkdwn(name)} (${oldStyle.label} → ${style.label}) · ` +
    `${escapeMrkdwn(alarm.AWSAccountId)} ${escapeMrkdwn(region ?? alarm.Region)} · ` +
    `${escapeMrkdwn(alarm.NewStateReason)}`;
  const link = ` · <${url}|Open in CloudWatch>`;
  const text =
    link.length < 1000
      ? truncateMrkdwn(fallback, SLACK_LIMITS.fallbackText - link.length) + link
      : truncateMrkdwn(fallback, SLACK_LIMITS.fallbackText);

  return {
    text,
    blocks: [{ type: 'header', text: { type: 'plain_text', text: nonEmpty(header), emoji: true } }],
    attachments: [{ color: style.color, blocks: details }],
  };
}

/** The SNS fields a generic message shows. */
export interface NotificationLike {
  Message: string;
  Subject?: string | null;
  TopicArn: string;
  MessageId: string;
  Timestamp: string;
}

/**
 * Any other SNS message (plain text, JSON that is not an alarm) as a readable message: subject as the
 * header, body as text (JSON pretty-printed in a code block), split over sections and cut cleanly.
 * `note` explains why it was not rendered as an alarm (e.g. a field problem in an alarm-like JSON).
 */
export function formatGeneric(n: NotificationLike, note?: string): SlackMessage {
  const topic = n.TopicArn.split(':').pop() || n.TopicArn;
  const subject = n.Subject?.trim() || `Message on ${topic}`;
  const header = truncate(`${GENERIC_STYLE.emoji} ${subject}`, SLACK_LIMITS.headerText);

  let pretty: string | undefined;
  try {
    const json: unknown = JSON.parse(n.Message);
    if (typeof json === 'object' && json !== null) pretty = JSON.stringify(json, null, 2);
  } catch {
    // plain text
  }
  const raw = pretty !== undefined ? pretty.replace(/```/g, "'''") : n.Message;
  const chunks = chunkEscaped(escapeMrkdwn(raw), 2900);
  const shown = chunks.slice(0, MAX_BODY_SECTIONS);
  const body: Block[] = shown.map((c, i) => {
    const cut = i === shown.length - 1 && chunks.length > shown.length;
    const more = cut ? `\n_…truncated: ${n.Message.length} characters in all_` : '';
    return section((pretty !== undefined ? `\`\`\`${c}\`\`\`` : c) + more);
  });
  if (body.length === 0) body.push(section('_(empty message)_'));

  const context = [
    `Topic *${mrkdwnText(topic, 200)}*`,
    `MessageId \`${mrkdwnText(codeSafe(n.MessageId), 100)}\``,
    slackDate(n.Timestamp),
    ...(note ? [`Not shown as an alarm: ${mrkdwnText(note, 500)}`] : []),
  ];

  return {
    text: truncateMrkdwn(
      `${GENERIC_STYLE.emoji} ${escapeMrkdwn(subject)}: ${escapeMrkdwn(n.Message.replace(/\s+/g, ' '))}`,
      SLACK_LIMITS.fallbackText,
    ),
    blocks: [{ type: 'header', text: { type: 'plain_text', text: nonEmpty(header), emoji: true } }],
    attachments: [
      {
        color: GENERIC_STYLE.color,
        blocks: [
          ...body,
          { type: 'context', elements: context.map((text) => ({ type: 'mrkdwn', text: nonEmpty(text) })) },
        ],
      },
    ],
  };
}

/**
 * Splits escaped mrkdwn into pieces of at most `size` UTF-16 units, never between the halves of a
 * surrogate pair and never inside an `&amp;`-style entity.
 */
function chunkEscaped(text: string, size: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + size, text.length);
    if (end < text.length) {
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) end--;
      const amp = text.lastIndexOf('&', end - 1);
      if (amp >= end - 4 && amp > i && text.indexOf(';', amp) >= end) end = amp;
    }
    out.push(text.slice(i, end));
    i = end;
  }
  return out.filter((c) => c.trim() !== '');
}
