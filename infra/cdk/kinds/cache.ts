// The cache kind on AWS: ElastiCache Serverless for Valkey per CacheSpec (TLS only, encrypted at rest, usage
// limits from the spec) in the stack's VPC (network.ts), with a security group admitting Valkey's port only
// from its clients' group. `connect` = the function runs in that VPC with the clients' group (placement);
// environments get `rediss://<endpoint>:<port>`. With `-c cache=false` nothing is created: the reference
// resolves to '' (functions run uncached), `connect` places nothing. Also the alarm on the CacheErrors metric
// the cache's clients emit.
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { DEFAULT_METRICS_NAMESPACE } from '../../../shared/metrics.ts';
import { ALARM_PERIOD } from '../alarms.ts';
import { pascal } from '../functions.ts';
import type { CdkCache, CdkResourceKind } from './types.ts';

/** ElastiCache Serverless's port for reads and writes (the reader endpoint, 6380, is not used). */
export const VALKEY_PORT = 6379;
/** The Valkey major version ElastiCache Serverless runs (ElastiCache "Supported engines and versions"). */
export const VALKEY_MAJOR_VERSION = '8';
/** The metric the cache's clients emit (Powertools, dimension `service`) when the cache fails them. */
export const CACHE_ERRORS_METRIC = 'CacheErrors';

export const cacheKind: CdkResourceKind<'cache'> = {
  create(ctx, spec): CdkCache {
    if (!ctx.settings.cache) return { name: spec.name };
    const network = ctx.network();
    const id = `Cache${pascal(spec.name)}`;
    const securityGroup = new ec2.SecurityGroup(ctx.stack, `${id}Sg`, {
      vpc: network.vpc,
      description: `Cache ${spec.name}: Valkey (TLS) from the group of its clients only`,
      allowAllOutbound: false,
    });
    const clients = new ec2.SecurityGroup(ctx.stack, `${id}ClientsSg`, {
      vpc: network.vpc,
      description: `Functions with connect access to cache ${spec.name}`,
      allowAllOutbound: false,
    });
    // Ingress on the cache's group from the clients' group, and the matching egress on the clients' group.
    clients.connections.allowTo(securityGroup, ec2.Port.tcp(VALKEY_PORT), `Valkey (TLS) to ${spec.name}`);
    const cache = new elasticache.CfnServerlessCache(ctx.stack, id, {
      // The schema admits only names ElastiCache accepts; a cache name is unique per account and region.
      serverlessCacheName: spec.name,
      description: spec.description.slice(0, 255),
      engine: spec.engine,
      majorEngineVersion: VALKEY_MAJOR_VERSION,
      // Usage limits cap the bill (and the damage of a runaway client): beyond them ElastiCache throttles.
      cacheUsageLimits: {
        dataStorage: { maximum: spec.limits.maxDataGb, unit: 'GB' },
        ecpuPerSecond: { maximum: spec.limits.maxEcpuPerSecond },
      },
      securityGroupIds: [securityGroup.securityGroupId],
      subnetIds: network.vpc.selectSubnets(network.subnets).subnetIds,
    });
    // Query results only, rebuilt from DynamoDB on a miss: nothing to keep when the stack goes.
    cache.applyRemovalPolicy(RemovalPolicy.DESTROY);
    new CfnOutput(ctx.stack, `${id}Endpoint`, {
      value: `${cache.attrEndpointAddress}:${cache.attrEndpointPort}`,
      description: `${spec.description} (TLS, reachable only from its clients in the VPC)`,
    });
    return { name: spec.name, deployed: { cache, securityGroup, clients, network } };
  },
  // Serverless caches accept TLS connections only, hence rediss://.
  resolve: ({ deployed }) =>
    deployed ? `rediss://${deployed.cache.attrEndpointAddress}:${deployed.cache.attrEndpointPort}` : '',
  placement: ({ deployed }) =>
    deployed ? { network: deployed.network, securityGroups: [deployed.clients] } : undefined,
  grants: {
    // Reach is the whole grant (no IAM: the cache has no IAM authentication here, its group admits the
    // clients' group only); the placement above put the function in that group, which this checks.
    connect: ({ resource, fn }) => {
      if (!resource.deployed) return;
      if (!fn.placement?.securityGroups.includes(resource.deployed.clients))
        throw new Error(
          `function ${fn.spec.id} was not placed in the clients' group of cache ${resource.name}`,
        );
    },
  },
  vpcAccess({ resource, fn }, _mode, placement) {
    // The cache is in the VPC itself: no endpoint, but it must be the function's VPC.
    if (resource.deployed && resource.deployed.network !== placement.network)
      throw new Error(`function ${fn.spec.id} runs in another VPC than cache ${resource.name}`);
  },
  alarms(ctx, created) {
    if (![...created.values()].some((c) => c.deployed)) return;
    // The clients (handlers/events-api-query.ts, stream-loader.ts) count each cache call that failed or timed
    // out and went to DynamoDB instead; one Metrics Insights query sums it over every service that emits it.
    ctx.alarms.add('AlarmCacheErrors', {
      alarmName: 'cache-errors',
      alarmDescription:
        'A function could not use its cache (down, unreachable, throttled at its usage limits or slow) in the ' +
        'last 5 minutes. Queries fell back to DynamoDB (slower, dearer) and a loader could not mark what it ' +
        'loaded, so cached pages may stay stale until their TTL. See the functions’ "cache unavailable" logs.',
      metric: new cloudwatch.MathExpression({
        expression: `SELECT SUM(${CACHE_ERRORS_METRIC}) FROM SCHEMA("${DEFAULT_METRICS_NAMESPACE}", service)`,
        usingMetrics: {},
        period: ALARM_PERIOD,
        label: 'cache errors (all clients)',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // The clients emit the metric only when a cache call fails: no datapoint means no failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  },
};
