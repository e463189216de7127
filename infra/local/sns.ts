// SNS on the local cloud (hand-written: no npm emulator speaks SNS's query protocol in-process).
// CreateTopic, ListTopics, DeleteTopic, Get/SetTopicAttributes, Subscribe, Unsubscribe,
// GetSubscriptionAttributes, ListSubscriptions(ByTopic), Publish and PublishBatch, with AWS's XML
// responses, error codes and limits, and FIFO topics (MessageGroupId, deduplication, SequenceNumber).
// Topics and subscriptions persist in <dataDir>/sns.json. Publishing hands each message to `deliver`
// once per subscription (for a Lambda subscription, kinds/sns-trigger.ts journals it, then invokes the
// function) and answers only once every `deliver` has resolved, so an accepted message is durable.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ACCOUNT_ID, topicArn } from './names.ts';
import {
  AwsError,
  BodyTooLarge,
  newRequestId,
  readBody,
  sendQueryError,
  sendQueryResult,
  xmlEscape,
} from './protocol.ts';

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** Publish: "messages must be UTF-8 encoded strings and at most 256 KB in size (262,144 bytes)". */
const MAX_MESSAGE_BYTES = 262_144;
/**
 * Largest request body read. A valid Publish holds at most 256 KiB of message and attributes, which the
 * query protocol's percent-encoding can triple; anything larger cannot be a valid request and is answered
 * 400 InvalidParameter (as an over-long message is), without reading the rest.
 */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** FIFO topics: "any message sent with the same MessageDeduplicationId during the 5-minute deduplication interval is treated as a duplicate". */
const DEDUP_WINDOW_MS = 5 * 60 * 1000;
/** Topic attributes a caller may set (API reference, SetTopicAttributes / CreateTopic `Attributes`). */
const SETTABLE_TOPIC_ATTRIBUTES = new Set([
  'DeliveryPolicy',
  'DisplayName',
  'Policy',
  'TracingConfig',
  'KmsMasterKeyId',
  'SignatureVersion',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'FifoThroughputScope',
  'DataProtectionPolicy',
  'HTTPSuccessFeedbackRoleArn',
  'HTTPSuccessFeedbackSampleRate',
  'HTTPFailureFeedbackRoleArn',
  'LambdaSuccessFeedbackRoleArn',
  'LambdaSuccessFeedbackSampleRate',
  'LambdaFailureFeedbackRoleArn',
  'SQSSuccessFeedbackRoleArn',
  'SQSSuccessFeedbackSampleRate',
  'SQSFailureFeedbackRoleArn',
  'FirehoseSuccessFeedbackRoleArn',
  'FirehoseSuccessFeedbackSampleRate',
  'FirehoseFailureFeedbackRoleArn',
  'ApplicationSuccessFeedbackRoleArn',
  'ApplicationSuccessFeedbackSampleRate',
  'ApplicationFailureFeedbackRoleArn',
]);

export interface Subscription {
  SubscriptionArn: string;
  TopicArn: string;
  Protocol: string;
  Endpoint: string;
  Owner: string;
}

export interface SnsMessage {
  messageId: string;
  topicArn: string;
  message: string;
  subject: string | null;
  attributes: Record<string, { Type: string; Value: string }>;
  timestamp: Date;
}

interface Topic {
  name: string;
  arn: string;
  /** Attributes set at creation or with SetTopicAttributes (absent in data dirs from before). */
  attributes?: Record<string, string>;
}

interface State {
  topics: Topic[];
  subscriptions: Subscription[];
}

export class SnsService {
  private state: State = { topics: [], subscriptions: [] };
  private readonly file: string;
  private saving: Promise<void> = Promise.resolve();
  /** FIFO deduplication: `<topic arn> <deduplication id>` → MessageId and when the window closes. */
  private readonly dedup = new Map<string, { messageId: string; sequenceNumber: string; until: number }>();
  private sequence = 0n;

  constructor(
    dataDir: string,
    private readonly deliver: (sub: Subscription, msg: SnsMessage) => void | Promise<void>,
  ) {
    this.file = path.join(dataDir, 'sns.json');
  }

  async load(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    try {
      this.state = JSON.parse(await readFile(this.file, 'utf8')) as State;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private save(): Promise<void> {
    const text = JSON.stringify(this.state, null, 2);
    this.saving = this.saving.then(async () => {
      await writeFile(`${this.file}.tmp`, text);
      await rename(`${this.file}.tmp`, this.file);
    });
    return this.saving;
  }

  flush(): Promise<void> {
    return this.saving;
  }

  topicExists(arn: string): boolean {
    return this.state.topics.some((t) => t.arn === arn);
  }

  subscriptions(): Subscription[] {
    return [...this.state.subscriptions];
  }

  /**
   * CreateTopic. A FIFO topic needs both the `.fifo` suffix and `FifoTopic=true`; a `.fifo` name without the
   * attribute is "Invalid parameter: Topic Name", the attribute without the suffix is refused with the
   * "Fifo Topic names must end with .fifo…" message (both InvalidParameter, as LocalStack's AWS-validated
   * snapshot tests record). Creating an existing topic again is idempotent unless the attributes differ.
   */
  async createTopic(name: string, attributes: Record<string, string> = {}): Promise<string> {
    const fifo = attributes.FifoTopic?.toLowerCase() === 'true';
    if (fifo) {
      if (!/^[A-Za-z0-9_-]{1,251}\.fifo$/.test(name)) {
        throw new AwsError(
          'InvalidParameter',
          'Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.',
        );
      }
    } else if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) {
      if (k === 'FifoTopic') continue;
      checkTopicAttribute(k, v, fifo);
      attrs[k] = v;
    }
    if (fifo) {
      attrs.FifoTopic = 'true';
      attrs.ContentBasedDeduplication =
        attrs.ContentBasedDeduplication?.toLowerCase() === 'true' ? 'true' : 'false';
    }
    const arn = topicArn(name);
    const existing = this.findTopic(arn);
    if (existing) {
      const current = existing.attributes ?? {};
      if (Object.entries(attrs).some(([k, v]) => (current[k] ?? defaultAttribute(k)) !== v)) {
        throw new AwsError(
          'InvalidParameter',
          'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
        );
      }
      return arn;
    }
    this.state.topics.push({ name, arn, attributes: attrs });
    await this.save();
    return arn;
  }

  private findTopic(arn: string): Topic | undefined {
    return this.state.topics.find((t) => t.arn === arn);
  }

  /** The topic an ARN parameter names: InvalidParameter when it is not a topic ARN, NotFound when absent. */
  private topic(arn: string, param = 'TopicArn'): Topic {
    checkArn(arn, param);
    const topic = this.findTopic(arn);
    if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  async subscribe(topic: string, protocol: string, endpoint: string): Promise<Subscription> {
    if (!topic) throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn');
    if (!protocol) throw new AwsError('InvalidParameter', 'Invalid parameter: Protocol');
    this.topic(topic);
    if (
      !['lambda', 'http', 'https', 'email', 'email-json', 'sqs', 'sms', 'application', 'firehose'].includes(
        protocol,
      )
    ) {
      throw new AwsError(
        'InvalidParameter',
        `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
      );
    }
    if (protocol === 'lambda' && !/^arn:aws:lambda:[^:]+:\d{12}:function:[\w-]+/.test(endpoint)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Lambda endpoint ARN');
    }
    const existing = this.state.subscriptions.find(
      (s) => s.TopicArn === topic && s.Protocol === protocol && s.Endpoint === endpoint,
    );
    if (existing) return existing;
    const sub: Subscription = {
      SubscriptionArn: `${topic}:${randomUUID()}`,
      TopicArn: topic,
      Protocol: protocol,
      Endpoint: endpoint,
      Owner: ACCOUNT_ID,
    };
    this.state.subscriptions.push(sub);
    await this.save();
    return sub;
  }

  /**
   * Validates and fans out one message; returns its MessageId (and SequenceNumber on a FIFO topic). On a
   * FIFO topic a message whose deduplication id was seen in the last 5 minutes is accepted but not
   * delivered again, and answered with the first message's ids.
   */
  async publish(
    topicArnValue: string,
    entry: PublishEntry,
  ): Promise<{ messageId: string; sequenceNumber?: string }> {
    const topic = this.topic(topicArnValue);
    const fifo = topic.attributes?.FifoTopic === 'true';
    const dedupId = checkFifoParameters(entry, fifo, topic.attributes?.ContentBasedDeduplication === 'true');
    const msg = validateEntry(topic.arn, entry);
    let sequenceNumber: string | undefined;
    if (fifo) {
      const now = Date.now();
      for (const [k, v] of this.dedup) if (v.until <= now) this.dedup.delete(k);
      const key = `${topic.arn} ${dedupId}`;
      const seen = this.dedup.get(key);
      if (seen) return { messageId: seen.messageId, sequenceNumber: seen.sequenceNumber };
      sequenceNumber = (++this.sequence + BigInt(now) * 1_000_000n).toString().padStart(20, '0');
      this.dedup.set(key, { messageId: msg.messageId, sequenceNumber, until: now + DEDUP_WINDOW_MS });
    }
    await Promise.all(
      this.state.subscriptions.filter((s) => s.TopicArn === topic.arn).map((s) => this.deliver(s, msg)),
    );
    return { messageId: msg.messageId, sequenceNumber };
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = newRequestId();
    try {
      let body = '';
      if (req.method === 'POST') {
        try {
          body = (await readBody(req, MAX_REQUEST_BYTES)).toString('utf8');
        } catch (err) {
          if (!(err instanceof BodyTooLarge)) return; // the client went away mid-body: nobody to answer
          res.setHeader('connection', 'close'); // the rest of the body is not read
          throw new AwsError(
            'InvalidParameter',
            `Invalid parameter: Message too long (the request exceeds ${MAX_REQUEST_BYTES} bytes)`,
          );
        }
      }
      const params = new URLSearchParams(body || url.search);
      const action = params.get('Action') ?? '';
      const result = await this.dispatch(action, params);
      sendQueryResult(res, NS, action, result, requestId);
    } catch (err) {
      const e =
        err instanceof AwsError
          ? err
          : new AwsError('InternalError', `Internal error: ${(err as Error).message}`, 500, false);
      sendQueryError(res, NS, e, requestId);
    }
  }

  private async dispatch(action: string, p: URLSearchParams): Promise<string> {
    switch (action) {
      case 'CreateTopic': {
        const arn = await this.createTopic(p.get('Name') ?? '', mapFromParams(p, 'Attributes'));
        return `<TopicArn>${xmlEscape(arn)}</TopicArn>`;
      }
      case 'GetTopicAttributes': {
        const topic = this.topic(p.get('TopicArn') ?? '');
        return attributesXml(this.topicAttributes(topic));
      }
      case 'SetTopicAttributes': {
        const topic = this.topic(p.get('TopicArn') ?? '');
        const name = p.get('AttributeName') ?? '';
        const value = p.get('AttributeValue') ?? '';
        // FifoTopic is fixed at creation: setting it is "Invalid parameter: AttributeName".
        if (name === 'FifoTopic') throw new AwsError('InvalidParameter', 'Invalid parameter: AttributeName');
        checkTopicAttribute(name, value, topic.attributes?.FifoTopic === 'true');
        topic.attributes = { ...topic.attributes, [name]: value };
        await this.save();
        return '';
      }
      case 'DeleteTopic': {
        // Idempotent: deleting a topic that does not exist succeeds. Its subscriptions go with it.
        const arn = p.get('TopicArn') ?? '';
        checkArn(arn, 'TopicArn');
        if (this.findTopic(arn)) {
          this.state.topics = this.state.topics.filter((t) => t.arn !== arn);
          this.state.subscriptions = this.state.subscriptions.filter((s) => s.TopicArn !== arn);
          for (const k of this.dedup.keys()) if (k.startsWith(`${arn} `)) this.dedup.delete(k);
          await this.save();
        }
        return '';
      }
      case 'Unsubscribe': {
        const arn = p.get('SubscriptionArn');
        if (arn === null) {
          throw new AwsError(
            'InvalidParameter',
            'Invalid parameter: SubscriptionArn Reason: no value for required parameter',
          );
        }
        const parts = checkArn(arn, 'SubscriptionArn');
        const sub = this.state.subscriptions.find((s) => s.SubscriptionArn === arn);
        // A topic ARN (6 parts) is not a subscription; an unknown subscription ARN is a no-op.
        if (parts === 6 && !sub) throw new AwsError('InvalidParameter', 'Invalid parameter: SubscriptionId');
        if (sub) {
          this.state.subscriptions = this.state.subscriptions.filter((s) => s !== sub);
          await this.save();
        }
        return '';
      }
      case 'GetSubscriptionAttributes': {
        const arn = p.get('SubscriptionArn') ?? '';
        checkArn(arn, 'SubscriptionArn');
        const sub = this.state.subscriptions.find((s) => s.SubscriptionArn === arn);
        if (!sub) throw new AwsError('NotFound', 'Subscription does not exist', 404);
        return attributesXml({
          Owner: sub.Owner,
          SubscriptionArn: sub.SubscriptionArn,
          TopicArn: sub.TopicArn,
          Protocol: sub.Protocol,
          Endpoint: sub.Endpoint,
          RawMessageDelivery: 'false',
          PendingConfirmation: 'false',
          ConfirmationWasAuthenticated: 'true',
          SubscriptionPrincipal: `arn:aws:iam::${ACCOUNT_ID}:root`,
        });
      }
      case 'ListTopics':
        return `<Topics>${this.state.topics.map((t) => `<member><TopicArn>${xmlEscape(t.arn)}</TopicArn></member>`).join('')}</Topics>`;
      case 'Subscribe': {
        const sub = await this.subscribe(
          p.get('TopicArn') ?? '',
          p.get('Protocol') ?? '',
          p.get('Endpoint') ?? '',
        );
        const confirmed = sub.Protocol === 'lambda' || p.get('ReturnSubscriptionArn') === 'true';
        return `<SubscriptionArn>${confirmed ? xmlEscape(sub.SubscriptionArn) : 'pending confirmation'}</SubscriptionArn>`;
      }
      case 'ListSubscriptions':
        return subscriptionsXml(this.state.subscriptions);
      case 'ListSubscriptionsByTopic': {
        const topic = this.topic(p.get('TopicArn') ?? '').arn;
        return subscriptionsXml(this.state.subscriptions.filter((s) => s.TopicArn === topic));
      }
      case 'Publish': {
        const topic = p.get('TopicArn') ?? p.get('TargetArn') ?? '';
        if (!topic) {
          throw new AwsError(
            'InvalidParameter',
            'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
          );
        }
        const { messageId, sequenceNumber } = await this.publish(topic, entryFromParams(p, ''));
        return `<MessageId>${messageId}</MessageId>${sequenceNumber ? `<SequenceNumber>${sequenceNumber}</SequenceNumber>` : ''}`;
      }
      case 'PublishBatch':
        return this.publishBatch(p);
      case '':
        throw new AwsError('MissingAction', 'Missing Action');
      default:
        throw new AwsError(
          'InvalidAction',
          `The action ${action} is not valid for this web service (local cloud).`,
        );
    }
  }

  /** GetTopicAttributes: the documented read-only attributes, then what was set. */
  private topicAttributes(topic: Topic): Record<string, string> {
    const subs = this.state.subscriptions.filter((s) => s.TopicArn === topic.arn);
    return {
      Owner: ACCOUNT_ID,
      TopicArn: topic.arn,
      DisplayName: '',
      Policy: defaultPolicy(topic.arn),
      EffectiveDeliveryPolicy: defaultAttribute('EffectiveDeliveryPolicy') ?? '',
      SubscriptionsConfirmed: String(subs.length),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      ...topic.attributes,
    };
  }

  private async publishBatch(p: URLSearchParams): Promise<string> {
    const topic = this.topic(p.get('TopicArn') ?? '').arn;
    const entries: Array<PublishEntry & { id: string }> = [];
    for (let i = 1; p.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
      const prefix = `PublishBatchRequestEntries.member.${i}.`;
      entries.push({ id: p.get(`${prefix}Id`) ?? '', ...entryFromParams(p, prefix) });
    }
    if (entries.length === 0)
      throw new AwsError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
    if (entries.length > 10) {
      throw new AwsError(
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
      );
    }
    if (new Set(entries.map((e) => e.id)).size !== entries.length) {
      throw new AwsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    for (const e of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(e.id)) {
        throw new AwsError(
          'InvalidBatchEntryId',
          "The Id of a batch entry in a batch request doesn't abide by the specification.",
        );
      }
    }
    const total = entries.reduce((n, e) => n + entrySize(e), 0);
    if (total > MAX_MESSAGE_BYTES) {
      throw new AwsError(
        'BatchRequestTooLong',
        'The length of all the messages put together is more than the limit.',
      );
    }
    const ok: string[] = [];
    const failed: string[] = [];
    for (const e of entries) {
      try {
        const { messageId, sequenceNumber } = await this.publish(topic, e);
        ok.push(
          `<member><Id>${xmlEscape(e.id)}</Id><MessageId>${messageId}</MessageId>${sequenceNumber ? `<SequenceNumber>${sequenceNumber}</SequenceNumber>` : ''}</member>`,
        );
      } catch (err) {
        const ae = err instanceof AwsError ? err : new AwsError('InternalError', String(err), 500, false);
        failed.push(
          `<member><Id>${xmlEscape(e.id)}</Id><Code>${xmlEscape(ae.code)}</Code><Message>${xmlEscape(ae.message)}</Message><SenderFault>${ae.sender}</SenderFault></member>`,
        );
      }
    }
    return `<Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed>`;
  }
}

export interface PublishEntry {
  message: string | null;
  subject: string | null;
  structure: string | null;
  attributes: Array<{ name: string; type: string | null; value: string | null }>;
  groupId?: string | null;
  deduplicationId?: string | null;
}

function entryFromParams(p: URLSearchParams, prefix: string): PublishEntry {
  const attributes: PublishEntry['attributes'] = [];
  for (let i = 1; p.has(`${prefix}MessageAttributes.entry.${i}.Name`); i++) {
    const a = `${prefix}MessageAttributes.entry.${i}.`;
    attributes.push({
      name: p.get(`${a}Name`) ?? '',
      type: p.get(`${a}Value.DataType`),
      value: p.get(`${a}Value.StringValue`) ?? p.get(`${a}Value.BinaryValue`),
    });
  }
  return {
    message: p.get(`${prefix}Message`),
    subject: p.get(`${prefix}Subject`),
    structure: p.get(`${prefix}MessageStructure`),
    attributes,
    groupId: p.get(`${prefix}MessageGroupId`),
    deduplicationId: p.get(`${prefix}MessageDeduplicationId`),
  };
}

/** A query-protocol map (`<name>.entry.N.key` / `.value`) as an object. */
function mapFromParams(p: URLSearchParams, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; p.has(`${name}.entry.${i}.key`); i++) {
    out[p.get(`${name}.entry.${i}.key`) ?? ''] = p.get(`${name}.entry.${i}.value`) ?? '';
  }
  return out;
}

function attributesXml(attrs: Record<string, string>): string {
  const entries = Object.entries(attrs)
    .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></entry>`)
    .join('');
  return `<Attributes>${entries}</Attributes>`;
}

/**
 * Checks that `arn` is an SNS ARN (`arn:aws:sns:<region>:<account>:<name>[:<id>]`) and returns its number
 * of `:`-separated parts. As SNS answers (recorded in LocalStack's AWS-validated tests): fewer than 6
 * parts is "Invalid parameter: <param> Reason: An ARN must have at least 6 elements, not N"; any other
 * malformed value is "Invalid parameter: <param>" (InvalidParameter, 400, never NotFound).
 */
function checkArn(arn: string, param: string): number {
  const parts = arn.split(':');
  if (parts.length < 6) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: ${param} Reason: An ARN must have at least 6 elements, not ${parts.length}`,
    );
  }
  const [arnWord, partition, service, region, account, name] = parts;
  if (
    arnWord !== 'arn' ||
    !/^aws(-[a-z]+)*$/.test(partition!) ||
    service !== 'sns' ||
    !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region!) ||
    !/^\d{12}$/.test(account!) ||
    !/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name!) ||
    parts.length > 7
  ) {
    throw new AwsError('InvalidParameter', `Invalid parameter: ${param}`);
  }
  return parts.length;
}

function checkTopicAttribute(name: string, value: string, fifo: boolean): void {
  if (!SETTABLE_TOPIC_ATTRIBUTES.has(name)) {
    throw new AwsError('InvalidParameter', 'Invalid parameter: AttributeName');
  }
  if (name === 'ContentBasedDeduplication') {
    // The code is SNS's; the wording of these two messages is ours (not found in AWS's references).
    if (!fifo) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics',
      );
    }
    if (!/^(true|false)$/i.test(value)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: ContentBasedDeduplication');
    }
  }
  if ((name === 'Policy' || name === 'DeliveryPolicy') && value !== '') {
    try {
      JSON.parse(value);
    } catch {
      throw new AwsError('InvalidParameter', `Invalid parameter: ${name}`);
    }
  }
}

function defaultAttribute(name: string): string | undefined {
  if (name === 'EffectiveDeliveryPolicy') {
    return JSON.stringify({
      http: {
        defaultHealthyRetryPolicy: {
          minDelayTarget: 20,
          maxDelayTarget: 20,
          numRetries: 3,
          numMaxDelayRetries: 0,
          numNoDelayRetries: 0,
          numMinDelayRetries: 0,
          backoffFunction: 'linear',
        },
        disableSubscriptionOverrides: false,
        defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
      },
    });
  }
  return undefined;
}

function defaultPolicy(arn: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT_ID } },
      },
    ],
  });
}

/**
 * FIFO rules (API reference, Publish: MessageGroupId, MessageDeduplicationId): on a FIFO topic every
 * message needs a MessageGroupId, and a MessageDeduplicationId unless ContentBasedDeduplication is on (then
 * the SHA-256 of the message body is the id). On a standard topic a MessageDeduplicationId is refused and a
 * MessageGroupId is optional (forwarded to SQS fair queues only). Both: up to 128 characters, alphanumeric
 * and punctuation. Returns the deduplication id on a FIFO topic. Messages as LocalStack's AWS-validated tests.
 */
function checkFifoParameters(e: PublishEntry, fifo: boolean, contentBased: boolean): string {
  for (const [param, v] of [
    ['MessageGroupId', e.groupId],
    ['MessageDeduplicationId', e.deduplicationId],
  ] as const) {
    if (v !== null && v !== undefined && !/^[\x21-\x7e]{1,128}$/.test(v)) {
      throw new AwsError(
        'InvalidParameter',
        `Invalid parameter: ${param} Reason: ${param} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
      );
    }
  }
  if (!fifo) {
    if (e.deduplicationId) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
      );
    }
    return '';
  }
  if (!e.groupId) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
    );
  }
  if (e.deduplicationId) return e.deduplicationId;
  if (!contentBased) {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
    );
  }
  return createHash('sha256')
    .update(e.message ?? '')
    .digest('hex');
}

function entrySize(e: PublishEntry): number {
  return (
    Buffer.byteLength(e.message ?? '') +
    e.attributes.reduce(
      (n, a) =>
        n + Buffer.byteLength(a.name) + Buffer.byteLength(a.type ?? '') + Buffer.byteLength(a.value ?? ''),
      0,
    )
  );
}

function validateEntry(topic: string, e: PublishEntry): SnsMessage {
  if (e.message === null || e.message === '')
    throw new AwsError('InvalidParameter', 'Invalid parameter: Empty message');
  if (entrySize(e) > MAX_MESSAGE_BYTES)
    throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
  if (
    e.subject !== null &&
    (e.subject === '' || e.subject.length > 100 || /[\r\n]|[^\x20-\x7e]/.test(e.subject))
  ) {
    throw new AwsError('InvalidParameter', 'Invalid parameter: Subject');
  }
  let message = e.message;
  if (e.structure === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(e.message);
    } catch {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Message Structure - JSON message body failed to parse',
      );
    }
    const obj = parsed as Record<string, unknown>;
    if (typeof obj?.default !== 'string') {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Message Structure - No default entry in JSON message body',
      );
    }
    message = typeof obj.lambda === 'string' ? obj.lambda : obj.default;
  } else if (e.structure !== null) {
    throw new AwsError('InvalidParameter', 'Invalid parameter: MessageStructure');
  }
  const attributes: SnsMessage['attributes'] = {};
  for (const a of e.attributes) {
    if (!a.type || !/^(String|Number|Binary|String\.Array)(\..+)?$/.test(a.type)) {
      throw new AwsError(
        'InvalidParameterValue',
        `The message attribute '${a.name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (a.value === null) {
      throw new AwsError(
        'InvalidParameterValue',
        `The message attribute '${a.name}' must contain non-empty message attribute value.`,
      );
    }
    attributes[a.name] = { Type: a.type, Value: a.value };
  }
  return {
    messageId: randomUUID(),
    topicArn: topic,
    message,
    subject: e.subject,
    attributes,
    timestamp: new Date(),
  };
}

function subscriptionsXml(subs: Subscription[]): string {
  const members = subs
    .map(
      (s) =>
        `<member><TopicArn>${xmlEscape(s.TopicArn)}</TopicArn><Protocol>${xmlEscape(s.Protocol)}</Protocol>` +
        `<SubscriptionArn>${xmlEscape(s.SubscriptionArn)}</SubscriptionArn><Owner>${s.Owner}</Owner>` +
        `<Endpoint>${xmlEscape(s.Endpoint)}</Endpoint></member>`,
    )
    .join('');
  return `<Subscriptions>${members}</Subscriptions>`;
}
