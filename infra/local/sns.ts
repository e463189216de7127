// SNS on the local cloud (hand-written: no npm emulator speaks SNS's query protocol in-process).
// CreateTopic, ListTopics, Subscribe, ListSubscriptions(ByTopic), Publish and PublishBatch, with AWS's
// XML responses, error codes and limits. Topics and subscriptions persist in <dataDir>/sns.json.
// Publishing hands each message to `deliver` once per subscription (cloud.ts journals it, then invokes the
// function) and answers only once every `deliver` has resolved, so an accepted message is durable.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ACCOUNT_ID, topicArn } from './names.ts';
import { AwsError, newRequestId, readBody, sendQueryError, sendQueryResult, xmlEscape } from './protocol.ts';

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 262_144;

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

interface State {
  topics: Array<{ name: string; arn: string }>;
  subscriptions: Subscription[];
}

export class SnsService {
  private state: State = { topics: [], subscriptions: [] };
  private readonly file: string;
  private saving: Promise<void> = Promise.resolve();

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

  async createTopic(name: string): Promise<string> {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name.replace(/\.fifo$/, '')) || name.length > 256) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    const arn = topicArn(name);
    if (!this.topicExists(arn)) {
      this.state.topics.push({ name, arn });
      await this.save();
    }
    return arn;
  }

  async subscribe(topic: string, protocol: string, endpoint: string): Promise<Subscription> {
    if (!topic) throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn');
    if (!protocol) throw new AwsError('InvalidParameter', 'Invalid parameter: Protocol');
    if (!this.topicExists(topic)) throw new AwsError('NotFound', 'Topic does not exist', 404);
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

  /** Validates and fans out one message; resolves with its MessageId once every delivery is accepted. */
  async publish(topic: string, entry: PublishEntry): Promise<string> {
    if (!this.topicExists(topic)) throw new AwsError('NotFound', 'Topic does not exist', 404);
    const msg = validateEntry(topic, entry);
    await Promise.all(
      this.state.subscriptions.filter((s) => s.TopicArn === topic).map((s) => this.deliver(s, msg)),
    );
    return msg.messageId;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const requestId = newRequestId();
    try {
      const body = req.method === 'POST' ? (await readBody(req, 1024 * 1024)).toString('utf8') : '';
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
        const arn = await this.createTopic(p.get('Name') ?? '');
        return `<TopicArn>${xmlEscape(arn)}</TopicArn>`;
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
        const topic = p.get('TopicArn') ?? '';
        if (!this.topicExists(topic)) throw new AwsError('NotFound', 'Topic does not exist', 404);
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
        const id = await this.publish(topic, entryFromParams(p, ''));
        return `<MessageId>${id}</MessageId>`;
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

  private async publishBatch(p: URLSearchParams): Promise<string> {
    const topic = p.get('TopicArn') ?? '';
    if (!this.topicExists(topic)) throw new AwsError('NotFound', 'Topic does not exist', 404);
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
        const id = await this.publish(topic, e);
        ok.push(`<member><Id>${xmlEscape(e.id)}</Id><MessageId>${id}</MessageId></member>`);
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
  };
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
