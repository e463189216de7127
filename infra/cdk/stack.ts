// The one stack holding every pipeline, built generically from `pipelines/index.ts`: each BucketSpec,
// TopicSpec, TableSpec, SecretSpec, DeliveryStreamSpec and FunctionSpec maps to its secure-by-default AWS
// resource; ResourceRefs in environments become physical names/ARNs; `access` entries become CDK grants
// (nothing else is granted); triggers become S3 notifications, SNS subscriptions or Firehose processors.
// No pipeline is named here: pipeline-specific pieces (CloudFront) follow spec fields (`cdn: true`).
import {
  ArnFormat,
  CfnOutput,
  type CfnResource,
  Duration,
  RemovalPolicy,
  Size,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type {
  AccessMode,
  BucketSpec,
  DeliveryStreamSpec,
  FunctionSpec,
  PipelineDefinition,
  ResourceRef,
  S3EventName,
} from '../../pipelines/types.ts';
import { validateDefinitions } from '../../pipelines/validate.ts';
import { addOperationalAlarms } from './alarms.ts';
import { type BuiltFunction, buildFunction, pascal } from './functions.ts';
import { acknowledgeFindings } from './nag.ts';
import type { PipelineResources } from './resources.ts';
import type { DeploySettings } from './settings.ts';

export type { PipelineResources } from './resources.ts';

export interface EventPipelinesStackProps extends StackProps {
  pipelines: readonly PipelineDefinition[];
  settings: DeploySettings;
}

/** Object CloudFront asks for on `GET /` of a CDN bucket; never written, so `/` answers 404. */
export const CDN_DEFAULT_ROOT_OBJECT = 'index.html';

const S3_EVENTS: Record<S3EventName, s3.EventType> = {
  's3:ObjectCreated:*': s3.EventType.OBJECT_CREATED,
  's3:ObjectRemoved:*': s3.EventType.OBJECT_REMOVED,
};

export class EventPipelinesStack extends Stack {
  readonly resources: PipelineResources;

  constructor(scope: Construct, id: string, props: EventPipelinesStackProps) {
    super(scope, id, props);
    const { pipelines, settings } = props;
    this.templateOptions.description = `Event pipelines (${pipelines.map((p) => p.name).join(', ')}), built from pipelines/index.ts`;
    const logRetention = retentionDays(settings.logRetentionDays);

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // CloudFront standard logging writes with an ACL grant to its log-delivery account, so ACLs must be on.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(Math.max(settings.logRetentionDays, 1)) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Deleted with the stack (after the topics, which reference it, so CloudFormation removes them first):
    // a retained key would keep billing $1/month with nothing left to decrypt. KMS waits the pending window
    // (7 days, its minimum) before the key is gone; `aws kms cancel-key-deletion` undoes it meanwhile.
    const topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the SNS topics; CloudWatch alarms may use it to publish',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    topicKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );

    const res: PipelineResources = {
      buckets: new Map(),
      distributions: new Map(),
      topics: new Map(),
      tables: new Map(),
      secrets: new Map(),
      streams: new Map(),
      functions: new Map(),
      streamWiring: new Map(),
      accessLogs,
      topicKey,
    };
    this.resources = res;

    type Resources = PipelineDefinition['resources'];
    const all = <K extends keyof Resources>(key: K): Array<NonNullable<Resources[K]>[number]> =>
      pipelines.flatMap((p) => (p.resources[key] ?? []) as Array<NonNullable<Resources[K]>[number]>);

    validateDefinitions(pipelines);
    for (const spec of all('buckets')) this.addBucket(spec, res, settings);
    const unknownCdn = Object.keys(settings.cdnDomains).filter((b) => !res.distributions.has(b));
    if (unknownCdn.length)
      throw new Error(`context cdnDomains names buckets without cdn: ${unknownCdn.join(', ')}`);
    for (const spec of all('topics')) {
      const topic = new sns.Topic(this, `Topic${pascal(spec.name)}`, {
        displayName: spec.description.slice(0, 100),
        masterKey: topicKey,
        enforceSSL: true,
      });
      if (spec.name === settings.alarmTopic) allowCloudWatchAlarms(topic);
      res.topics.set(spec.name, topic);
      new CfnOutput(this, `Topic${pascal(spec.name)}Arn`, {
        value: topic.topicArn,
        description: spec.description,
      });
    }
    for (const spec of all('tables')) {
      const table = new dynamodb.Table(this, `Table${pascal(spec.name)}`, {
        partitionKey: { name: spec.partitionKey.name, type: attrType(spec.partitionKey.type) },
        ...(spec.sortKey ? { sortKey: { name: spec.sortKey.name, type: attrType(spec.sortKey.type) } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      res.tables.set(spec.name, table);
      new CfnOutput(this, `Table${pascal(spec.name)}Name`, {
        value: table.tableName,
        description: spec.description,
      });
    }
    for (const spec of all('secrets')) {
      const existing = settings.secretArns[spec.name];
      const secret = existing
        ? secretsmanager.Secret.fromSecretCompleteArn(this, `Secret${pascal(spec.name)}`, existing)
        : new secretsmanager.Secret(this, `Secret${pascal(spec.name)}`, {
            description: `${spec.description}. Set its value after deploy (see infra/cdk/README.md).`,
            removalPolicy: RemovalPolicy.RETAIN,
          });
      res.secrets.set(spec.name, secret);
      new CfnOutput(this, `Secret${pascal(spec.name)}Arn`, {
        value: secret.secretArn,
        description: spec.description,
      });
    }

    // Functions need the resources above for their environment and grants. A stream needs its processor, and
    // other functions may name a stream: so processors first, then streams, then every other function.
    const functionSpecs = pipelines.flatMap((p) => p.functions);
    const isProcessor = (f: FunctionSpec) => f.trigger.kind === 'firehose-transform';
    for (const spec of functionSpecs.filter(isProcessor)) this.addFunction(spec, res, settings, logRetention);
    for (const spec of all('streams')) this.addStream(spec, res, logRetention);
    for (const spec of functionSpecs.filter((f) => !isProcessor(f))) {
      this.addFunction(spec, res, settings, logRetention);
    }
    const unknownEnv = Object.keys(settings.functionEnv).filter((id) => !res.functions.has(id));
    if (unknownEnv.length)
      throw new Error(`context functionEnv names unknown functions: ${unknownEnv.join(', ')}`);
    for (const built of res.functions.values()) this.addTrigger(built, res);
    this.retainNotificationHandlerLogs(logRetention);

    addOperationalAlarms(this, res, settings);
    acknowledgeFindings(this, res, settings);
  }

  private addFunction(
    spec: FunctionSpec,
    res: PipelineResources,
    settings: DeploySettings,
    logRetention: logs.RetentionDays,
  ): void {
    const environment: Record<string, string> = { POWERTOOLS_SERVICE_NAME: spec.id, LOG_LEVEL: 'INFO' };
    for (const [name, value] of Object.entries(spec.environment)) {
      environment[name] = typeof value === 'string' ? value : this.resolveRef(value, res, spec);
    }
    Object.assign(environment, settings.functionEnv[spec.id] ?? {});
    const built = buildFunction(this, spec, {
      environment,
      logRetention,
      reservedConcurrency: settings.reservedConcurrency,
    });
    res.functions.set(spec.id, built);
    for (const { resource, mode } of spec.access) this.grant(built, resource, mode, res, spec);
  }

  private addBucket(spec: BucketSpec, res: PipelineResources, settings: DeploySettings): void {
    const id = `Bucket${pascal(spec.name)}`;
    const bucket = new s3.Bucket(this, id, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: res.accessLogs,
      serverAccessLogsPrefix: `s3/${spec.name}/`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    res.buckets.set(spec.name, bucket);
    new CfnOutput(this, `${id}Name`, { value: bucket.bucketName, description: spec.description });
    if (!spec.cdn) return;
    const domain = settings.cdnDomains[spec.name];
    const distribution = new cloudfront.Distribution(this, `Cdn${pascal(spec.name)}`, {
      comment: `${spec.name}: ${spec.description}`.slice(0, 128),
      defaultBehavior: {
        // Origin Access Control: only this distribution may read the bucket (SigV4-signed, bucket stays private).
        origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      // With s3:ListBucket granted below, `GET /` would be a ListObjects of the bucket; a default root object
      // (which no pipeline writes: keys it serves have a `<prefix>/`) turns it into a GetObject → 404.
      defaultRootObject: CDN_DEFAULT_ROOT_OBJECT,
      // With the default *.cloudfront.net certificate CloudFront fixes the policy at TLSv1; with a custom
      // domain (context cdnDomains) viewers must use TLS 1.2 or later.
      ...(domain
        ? {
            certificate: acm.Certificate.fromCertificateArn(
              this,
              `Cdn${pascal(spec.name)}Cert`,
              domain.certificateArn,
            ),
            domainNames: domain.domainNames,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      enableLogging: true,
      logBucket: res.accessLogs,
      logFilePrefix: `cloudfront/${spec.name}/`,
    });
    res.distributions.set(spec.name, distribution);
    // A missing key must be 404, not 403: S3 answers 404 only to a requester that may s3:ListBucket (S3 API
    // reference, GetObject "Permissions"). Granted to this distribution alone (AWS:SourceArn), on the bucket
    // (listing), not its objects. CloudFront never forwards a query string here (CACHING_OPTIMIZED, no origin
    // request policy), and `/` maps to the default root object, so no viewer request becomes a listing.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CdnSees404ForMissingKeys',
        effect: iam.Effect.ALLOW,
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: { 'AWS:SourceArn': distribution.distributionArn } },
      }),
    );
    // An explicit Deny outranks the Origin Access Control Allow: CloudFront gets 403 for private prefixes.
    if (spec.cdnPrivatePrefixes?.length) {
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CdnNeverServesPrivatePrefixes',
          effect: iam.Effect.DENY,
          principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
          actions: ['s3:GetObject'],
          resources: spec.cdnPrivatePrefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    new CfnOutput(this, `Cdn${pascal(spec.name)}Domain`, {
      value: distribution.distributionDomainName,
      description: `HTTPS domain serving bucket ${spec.name}`,
    });
  }

  private addStream(spec: DeliveryStreamSpec, res: PipelineResources, retention: logs.RetentionDays): void {
    const id = `Stream${pascal(spec.name)}`;
    const bucket = need(res.buckets, spec.destination.bucket, `stream ${spec.name} destination`);
    const processor = need(res.functions, spec.processor, `stream ${spec.name} processor`);
    if (processor.spec.trigger.kind !== 'firehose-transform' || processor.spec.trigger.stream !== spec.name) {
      throw new Error(
        `function ${spec.processor} must declare trigger firehose-transform of stream ${spec.name}`,
      );
    }
    const dynamic = spec.destination.partitionKeys.length > 0;
    for (const key of spec.destination.partitionKeys) {
      if (!spec.destination.prefix.includes(`!{partitionKeyFromLambda:${key}}`)) {
        throw new Error(`stream ${spec.name}: partition key ${key} is not used in the destination prefix`);
      }
    }
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = this.firehoseDestinationRole(id, bucket, processor, logGroup);
    // The L2 DeliveryStream covers everything needed here (Lambda processor, dynamic partitioning with keys
    // from Lambda, GZIP, error prefix, buffering, SSE), so no L1 CfnDeliveryStream is used.
    const stream = new firehose.DeliveryStream(this, id, {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(bucket, {
        // Grants the L2 would add (grantReadWrite on the bucket, log and invoke grants) are dropped: the role
        // already holds exactly what AWS documents for an S3 destination (see firehoseDestinationRole).
        role: role.withoutPolicyUpdates(),
        dataOutputPrefix: spec.destination.prefix,
        errorOutputPrefix: spec.destination.errorPrefix,
        compression:
          spec.destination.compression === 'GZIP'
            ? firehose.Compression.GZIP
            : firehose.Compression.UNCOMPRESSED,
        bufferingSize: Size.mebibytes(spec.buffering.sizeMiB),
        bufferingInterval: Duration.seconds(spec.buffering.intervalSeconds),
        processors: [
          new firehose.LambdaFunctionProcessor(processor.fn, {
            // Firehose batches ≤1 MiB per invocation (its default, stated): the response stays far under
            // Lambda's 6 MB payload limit even when records grow during normalisation.
            bufferSize: Size.mebibytes(1),
            bufferInterval: Duration.seconds(60),
            retries: 3,
          }),
        ],
        ...(dynamic ? { dynamicPartitioning: { enabled: true, retryDuration: Duration.minutes(5) } } : {}),
        loggingConfig: new firehose.EnableLogging(logGroup),
      }),
    });
    // The role's policy must exist before Firehose first assumes the role (the L2 would add this dependency
    // for its own grants, which the immutable role above dropped).
    stream.node.addDependency(role);
    res.streams.set(spec.name, stream);
    res.streamWiring.set(spec.name, {
      bucket: spec.destination.bucket,
      processor: spec.processor,
      role,
      dynamicPartitioning: dynamic,
    });
    new CfnOutput(this, `${id}Name`, { value: stream.deliveryStreamName, description: spec.description });
  }

  /**
   * The role Firehose assumes to deliver to S3. Its S3 actions are exactly the list in AWS's "Grant Firehose
   * access to an Amazon S3 destination" (Amazon Data Firehose developer guide, controlling access), on the
   * destination bucket and its objects: the L2 would grant `bucket.grantReadWrite` (GetObject*, List*,
   * DeleteObject*, PutObjectLegalHold/Retention/Tagging …), more than delivery uses. Writing its delivery log
   * and invoking the transform are granted as the L2 grants them.
   */
  private firehoseDestinationRole(
    id: string,
    bucket: s3.Bucket,
    processor: BuiltFunction,
    logGroup: logs.LogGroup,
  ): iam.Role {
    const role = new iam.Role(this, `${id}DeliveryRole`, {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com'),
      description: `Firehose stream ${id}: the S3 delivery actions AWS documents, its log group, its transform`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...FIREHOSE_S3_DESTINATION_ACTIONS],
        resources: [bucket.bucketArn, bucket.arnForObjects('*')],
      }),
    );
    logGroup.grantWrite(role);
    processor.fn.grantInvoke(role);
    return role;
  }

  /**
   * CDK's S3-notification custom resource is a Lambda function (BucketNotificationsHandler…) that would log
   * to /aws/lambda/<name>, created on first run and kept forever. Point it at a log group of ours with the
   * stack's retention instead (Lambda's LoggingConfig; its managed role may write to any log group).
   */
  private retainNotificationHandlerLogs(retention: logs.RetentionDays): void {
    const handler = this.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    const fn = handler?.node.defaultChild as CfnResource | undefined;
    if (!fn) return;
    const logGroup = new logs.LogGroup(this, 'BucketNotificationsHandlerLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    fn.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  }

  private addTrigger({ spec, fn, dlq }: BuiltFunction, res: PipelineResources): void {
    const t = spec.trigger;
    if (t.kind === 's3') {
      const bucket = need(res.buckets, t.bucket, `trigger of ${spec.id}`);
      const filter = {
        ...(t.filter?.prefix ? { prefix: t.filter.prefix } : {}),
        ...(t.filter?.suffix ? { suffix: t.filter.suffix } : {}),
      };
      fn.addEventSource(
        new lambdaEvents.S3EventSourceV2(bucket, {
          events: t.events.map((name) => S3_EVENTS[name]),
          ...(Object.keys(filter).length ? { filters: [filter] } : {}),
        }),
      );
    } else if (t.kind === 'sns') {
      // The function's DLQ also catches what SNS itself could not hand to Lambda after its own retries.
      const topic = need(res.topics, t.topic, `trigger of ${spec.id}`);
      fn.addEventSource(new lambdaEvents.SnsEventSource(topic, dlq ? { deadLetterQueue: dlq } : {}));
    } else if (!res.streams.has(t.stream)) {
      throw new Error(
        `function ${spec.id} is the transform of stream ${t.stream}, which no pipeline declares`,
      );
    }
  }

  /** bucket → name, table → name, topic → ARN, stream → name, secret → ARN, cdn → distribution id. */
  private resolveRef(ref: ResourceRef, res: PipelineResources, fn: FunctionSpec): string {
    const where = `environment of ${fn.id}`;
    switch (ref.kind) {
      case 'bucket':
        return need(res.buckets, ref.name, where).bucketName;
      case 'table':
        return need(res.tables, ref.name, where).tableName;
      case 'topic':
        return need(res.topics, ref.name, where).topicArn;
      case 'secret':
        return need(res.secrets, ref.name, where).secretArn;
      case 'stream':
        return need(res.streams, ref.name, `${where} (a stream's processor cannot name a stream)`)
          .deliveryStreamName;
      case 'cdn':
        return need(res.distributions, ref.name, `${where} (cdn of a bucket without cdn: true?)`)
          .distributionId;
    }
  }

  /** The only place permissions are granted to functions: one CDK grant per `access` entry. */
  private grant(
    built: BuiltFunction,
    ref: ResourceRef,
    mode: AccessMode,
    res: PipelineResources,
    fn: FunctionSpec,
  ) {
    const who: iam.IGrantable = built.fn;
    const where = `access of ${fn.id}`;
    const bad = () => new Error(`${where}: mode ${mode} does not apply to a ${ref.kind}`);
    switch (ref.kind) {
      case 'bucket': {
        const b = need(res.buckets, ref.name, where);
        if (mode === 'read') b.grantRead(who);
        else if (mode === 'write') b.grantWrite(who);
        else if (mode === 'readwrite') b.grantReadWrite(who);
        else throw bad();
        return;
      }
      case 'table': {
        const t = need(res.tables, ref.name, where);
        if (mode === 'read') t.grantReadData(who);
        else if (mode === 'write') t.grantWriteData(who);
        else if (mode === 'readwrite') t.grantReadWriteData(who);
        else throw bad();
        return;
      }
      case 'topic': {
        if (mode !== 'publish') throw bad();
        need(res.topics, ref.name, where).grantPublish(who);
        return;
      }
      case 'secret': {
        if (mode !== 'read') throw bad();
        need(res.secrets, ref.name, where).grantRead(who);
        return;
      }
      case 'stream': {
        if (mode !== 'write' && mode !== 'publish') throw bad();
        need(res.streams, ref.name, where).grantPutRecords(who);
        return;
      }
      case 'cdn': {
        // cloudfront:CreateInvalidation on this one distribution's ARN, nothing else.
        if (mode !== 'invalidate') throw bad();
        need(
          res.distributions,
          ref.name,
          `${where} (cdn of a bucket without cdn: true?)`,
        ).grantCreateInvalidation(who);
        return;
      }
    }
  }
}

/**
 * S3 actions AWS lists for a Firehose S3 destination ("Grant Firehose access to an Amazon S3 destination",
 * https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3): multipart upload and
 * its cleanup, bucket location/listing, and put/get of objects.
 */
export const FIREHOSE_S3_DESTINATION_ACTIONS = [
  's3:AbortMultipartUpload',
  's3:GetBucketLocation',
  's3:GetObject',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
  's3:PutObject',
] as const;

/**
 * A topic policy replaces SNS's default policy, and `enforceSSL` gives the topic one whose only statement is
 * a Deny; without this Allow, every alarm action fails with "CloudWatch Alarms is not authorized to perform:
 * SNS:Publish". Scoped (confused-deputy protection, as SNS's docs advise for service principals) to alarms
 * of this stack's account and region.
 */
function allowCloudWatchAlarms(topic: sns.Topic): void {
  const stack = Stack.of(topic);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}

function need<T>(map: Map<string, T>, name: string, where: string): T {
  const v = map.get(name);
  if (v === undefined) throw new Error(`${where}: no pipeline declares "${name}"`);
  return v;
}

const attrType = (t: 'S' | 'N') =>
  t === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER;

function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter(
    (v): v is number => typeof v === 'number' && v > 0,
  );
  const match = allowed.find((v) => v === days);
  if (match === undefined)
    throw new Error(`logRetentionDays must be one of ${allowed.join(', ')}, got ${days}`);
  return match as logs.RetentionDays;
}
