// The cache kind on AWS (infra/cdk/kinds/cache.ts) and the VPC its clients run in (infra/cdk/network.ts), on
// the template synthesized from the real definitions (without bundling), and with `-c cache=false`: an
// ElastiCache Serverless Valkey cache in isolated subnets of a VPC without NAT or internet gateway, reachable
// only from its clients' security group; the functions with `connect` access in those subnets, reaching S3
// and DynamoDB through gateway endpoints and Secrets Manager through an interface endpoint; the others
// outside the VPC; the cache-errors alarm; with the cache off, none of it and an empty CACHE_URL.
import { beforeAll, describe, expect, it } from 'vitest';
import { VALKEY_MAJOR_VERSION, VALKEY_PORT } from '../../../infra/cdk/kinds/cache.ts';
import { LAMBDA_VPC_ACTIONS, VPC_AZS } from '../../../infra/cdk/network.ts';
import { allFunctions } from '../../../pipelines/index.ts';
import { type AlarmProps, alarmStates } from '../aws-model.ts';
import {
  asArray,
  catalog,
  idOf,
  ofType,
  propsOf,
  referencedIds,
  roleStatements,
  type Synthesized,
  synth,
  synthesizedProject,
} from '../helpers.ts';

const s = synthesizedProject();
let off: Synthesized;
beforeAll(() => {
  off = synth({ bundle: false, context: { cache: 'false' } });
}, 120_000);

const connecting = allFunctions().filter((f) => f.access.some((a) => a.mode === 'connect'));
const fnProps = (x: Synthesized, id: string) => propsOf(x, idOf(x, x.stack.resources.functions.get(id)!.fn));
const deployed = () => {
  const [cache] = s.stack.resources.cache.values();
  return cache!.deployed!;
};
const sgId = (x: Synthesized, c: Parameters<typeof idOf>[1]) => idOf(x, c);

/** Every ingress rule of a security group: inline ones and AWS::EC2::SecurityGroupIngress resources. */
function ingressOf(x: Synthesized, groupId: string): Array<Record<string, unknown>> {
  const inline = (propsOf(x, groupId).SecurityGroupIngress ?? []) as Array<Record<string, unknown>>;
  const separate = ofType(x, 'AWS::EC2::SecurityGroupIngress')
    .filter(([, r]) => referencedIds(r.Properties!.GroupId).has(groupId))
    .map(([, r]) => r.Properties!);
  return [...inline, ...separate];
}

describe('the cache', () => {
  it('one ElastiCache Serverless Valkey cache per declared cache, with the usage limits of its spec', () => {
    expect(catalog.resources.cache.length).toBeGreaterThan(0);
    s.template.resourceCountIs('AWS::ElastiCache::ServerlessCache', catalog.resources.cache.length);
    for (const spec of catalog.resources.cache) {
      const cache = s.stack.resources.cache.get(spec.name)!.deployed!.cache;
      // AWS::ElastiCache::ServerlessCache (CloudFormation reference): Engine, MajorEngineVersion, and
      // CacheUsageLimits.DataStorage (GB) / ECPUPerSecond, the caps beyond which ElastiCache throttles.
      expect(propsOf(s, idOf(s, cache))).toMatchObject({
        ServerlessCacheName: spec.name,
        Engine: 'valkey',
        MajorEngineVersion: VALKEY_MAJOR_VERSION,
        CacheUsageLimits: {
          DataStorage: { Maximum: spec.limits.maxDataGb, Unit: 'GB' },
          ECPUPerSecond: { Maximum: spec.limits.maxEcpuPerSecond },
        },
      });
    }
  });

  it('sits in the isolated subnets of two AZs, behind its own security group', () => {
    const { cache, securityGroup, network } = deployed();
    const p = propsOf(s, idOf(s, cache));
    const isolated = network.vpc.isolatedSubnets.map((sn) => idOf(s, sn));
    // ElastiCache Serverless needs subnets in at least two Availability Zones (ElastiCache User Guide,
    // "Creating a serverless cache").
    expect(isolated).toHaveLength(VPC_AZS);
    expect(referencedIds(p.SubnetIds)).toEqual(new Set(isolated));
    const azs = isolated.map((id) => JSON.stringify(propsOf(s, id).AvailabilityZone));
    expect(new Set(azs).size).toBe(VPC_AZS);
    expect(referencedIds(p.SecurityGroupIds)).toEqual(new Set([sgId(s, securityGroup)]));
  });

  it('its security group admits Valkey’s port from its clients’ group only: no CIDR, no other source', () => {
    const { securityGroup, clients } = deployed();
    const rules = ingressOf(s, sgId(s, securityGroup));
    // A security group denies every inbound flow no rule allows (Amazon VPC User Guide, "Security group
    // rules"), so this one rule is the whole of who may connect.
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ IpProtocol: 'tcp', FromPort: VALKEY_PORT, ToPort: VALKEY_PORT });
    expect(referencedIds(rules[0]!.SourceSecurityGroupId)).toEqual(new Set([sgId(s, clients)]));
    expect(rules[0]!.CidrIp).toBeUndefined();
    expect(rules[0]!.CidrIpv6).toBeUndefined();
    // …and no security group of the stack admits the whole internet.
    for (const [id] of ofType(s, 'AWS::EC2::SecurityGroup'))
      for (const r of ingressOf(s, id)) expect([r.CidrIp, r.CidrIpv6], id).toEqual([undefined, undefined]);
  });

  it('functions get its TLS URL (rediss://): serverless caches accept TLS connections only', () => {
    // ElastiCache User Guide, "ElastiCache in-transit encryption": serverless caches always have in-transit
    // encryption enabled; clients must connect over TLS.
    const cacheId = idOf(s, deployed().cache);
    expect(connecting.length).toBeGreaterThan(0);
    for (const spec of connecting) {
      const url = (fnProps(s, spec.id).Environment as { Variables: Record<string, unknown> }).Variables
        .CACHE_URL;
      expect(url, spec.id).toEqual({
        'Fn::Join': [
          '',
          [
            'rediss://',
            { 'Fn::GetAtt': [cacheId, 'Endpoint.Address'] },
            ':',
            { 'Fn::GetAtt': [cacheId, 'Endpoint.Port'] },
          ],
        ],
      });
    }
  });

  it('an alarm counts the CacheErrors its clients emit; no datapoint (no failure) is OK', () => {
    const [, a] = ofType(s, 'AWS::CloudWatch::Alarm').find(
      ([, x]) => x.Properties!.AlarmName === 'EventPipelines-cache-errors',
    )!;
    const p = a.Properties as unknown as AlarmProps & {
      Metrics: Array<{ Expression?: string; Period?: number }>;
    };
    // The clients publish with Powertools Metrics: namespace EventPipelines (shared/metrics.ts), dimension
    // `service` only, and only when a cache call failed.
    expect(p.Metrics[0]!.Expression).toBe('SELECT SUM(CacheErrors) FROM SCHEMA("EventPipelines", service)');
    expect(p.Metrics[0]!.Period).toBe(300);
    // CloudWatch missing-data semantics (aws-model.ts): quiet periods are OK, a failure alarms at once.
    expect(alarmStates(p, [undefined, 1, undefined, 0])).toEqual(['OK', 'ALARM', 'OK', 'OK']);
  });
});

describe('the VPC of the cache’s clients', () => {
  it('has isolated subnets only: no internet gateway, no NAT gateway, no Elastic IP, no route out', () => {
    // Amazon VPC User Guide: a subnet is public only if its route table routes to an internet gateway; a NAT
    // gateway needs a public subnet and an Elastic IP. With none of them, nothing leaves the VPC but
    // through its endpoints.
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    for (const type of [
      'AWS::EC2::InternetGateway',
      'AWS::EC2::VPCGatewayAttachment',
      'AWS::EC2::NatGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::Route',
      'AWS::EC2::EgressOnlyInternetGateway',
    ])
      s.template.resourceCountIs(type, 0);
    for (const [id, sn] of ofType(s, 'AWS::EC2::Subnet'))
      expect(sn.Properties!.MapPublicIpOnLaunch, id).toBe(false);
  });

  it('fits a fresh account: 1 VPC (default quota 5 per Region), no Elastic IP (default quota 5)', () => {
    // Amazon VPC quotas: VPCs per Region 5, Elastic IP addresses per Region 5; the default VPC uses one VPC.
    expect(ofType(s, 'AWS::EC2::VPC').length + 1).toBeLessThanOrEqual(5);
    expect(ofType(s, 'AWS::EC2::EIP')).toHaveLength(0);
  });

  it('records its flow logs (accepted and rejected) in the access logs bucket', () => {
    const vpc = idOf(s, deployed().network.vpc);
    const logs = ofType(s, 'AWS::EC2::FlowLog').map(([, r]) => r.Properties!);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 's3' });
    expect(referencedIds(logs[0]!.ResourceId)).toEqual(new Set([vpc]));
    expect(referencedIds(logs[0]!.LogDestination)).toEqual(new Set([idOf(s, s.stack.accessLogs)]));
  });

  it('the functions with connect access run in its isolated subnets with the clients’ group; no other function is in a VPC', () => {
    const { clients, network } = deployed();
    const isolated = new Set(network.vpc.isolatedSubnets.map((sn) => idOf(s, sn)));
    expect(connecting.map((f) => f.id).sort()).toEqual(['events-api-query', 'stream-loader']);
    for (const spec of connecting) {
      const vpcConfig = fnProps(s, spec.id).VpcConfig as Record<string, unknown>;
      expect(referencedIds(vpcConfig.SubnetIds), spec.id).toEqual(isolated);
      expect(referencedIds(vpcConfig.SecurityGroupIds), spec.id).toEqual(new Set([sgId(s, clients)]));
      // Lambda attaches a function to a VPC with the execution role's EC2 actions (Lambda Developer Guide,
      // "Giving Lambda functions access to resources in an Amazon VPC").
      const role = idOf(s, s.stack.resources.functions.get(spec.id)!.role);
      const actions = roleStatements(s, role)
        .filter((st) => asArray(st.Resource).includes('*'))
        .flatMap((st) => asArray(st.Action));
      expect(actions.sort(), spec.id).toEqual([...LAMBDA_VPC_ACTIONS].sort());
      // Lambda checks those permissions when the function is created ("The provided execution role does not
      // have permissions to call CreateNetworkInterface on EC2"), so the policy must exist first.
      const fnResource = s.json.Resources[idOf(s, s.stack.resources.functions.get(spec.id)!.fn)] as {
        DependsOn?: string[];
      };
      const policy = idOf(s, s.stack.resources.functions.get(spec.id)!.role.node.findChild('DefaultPolicy'));
      expect(fnResource.DependsOn, spec.id).toContain(policy);
    }
    for (const spec of allFunctions().filter((f) => !connecting.includes(f)))
      expect(fnProps(s, spec.id).VpcConfig, spec.id).toBeUndefined();
    // the ingest function writes to Firehose from outside the VPC: no Firehose endpoint is needed
    expect(fnProps(s, 'events-api-ingest').VpcConfig).toBeUndefined();
  });

  it('S3 and DynamoDB gateway endpoints are attached to every isolated subnet’s route table', () => {
    // Amazon VPC "Gateway endpoints": a gateway endpoint is a target in the route tables it is associated
    // with; subnets whose route table lacks it cannot reach the service without a NAT.
    const tables = new Set(
      deployed().network.vpc.isolatedSubnets.map((sn) => idOf(s, sn.node.findChild('RouteTable'))),
    );
    expect(tables.size).toBe(VPC_AZS);
    const gateways = ofType(s, 'AWS::EC2::VPCEndpoint').filter(
      ([, r]) => r.Properties!.VpcEndpointType === 'Gateway',
    );
    const services = gateways.map(([, r]) => JSON.stringify(r.Properties!.ServiceName));
    expect(services.some((x) => x.endsWith('.s3"]]}'))).toBe(true);
    expect(services.some((x) => x.endsWith('.dynamodb"]]}'))).toBe(true);
    expect(gateways).toHaveLength(2);
    for (const [id, r] of gateways) expect(referencedIds(r.Properties!.RouteTableIds), id).toEqual(tables);
  });

  it('only the Secrets Manager interface endpoint (the query function reads a secret), with private DNS, admitting 443 from the clients only', () => {
    const { clients, network: net } = deployed();
    const interfaces = ofType(s, 'AWS::EC2::VPCEndpoint').filter(
      ([, r]) => r.Properties!.VpcEndpointType === 'Interface',
    );
    // Firehose (ingest) and SNS are used only by functions outside the VPC: no endpoint for them.
    expect(interfaces).toHaveLength(1);
    const [, endpoint] = interfaces[0]!;
    const p = endpoint.Properties!;
    expect(JSON.stringify(p.ServiceName)).toMatch(/\.secretsmanager"\]\]\}$/);
    // AWS PrivateLink "Access an AWS service using an interface VPC endpoint": with private DNS the service's
    // default hostname resolves to the endpoint, so the SDK needs no endpoint setting.
    expect(p.PrivateDnsEnabled).toBe(true);
    expect(referencedIds(p.SubnetIds)).toEqual(new Set(net.vpc.isolatedSubnets.map((sn) => idOf(s, sn))));
    const [group] = [...referencedIds(p.SecurityGroupIds)];
    const rules = ingressOf(s, group!);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(referencedIds(rules[0]!.SourceSecurityGroupId)).toEqual(new Set([sgId(s, clients)]));
  });
});

describe('-c cache=false', () => {
  it('deploys no cache, no VPC, no subnet, no endpoint, no security group, no flow log', () => {
    for (const type of [
      'AWS::ElastiCache::ServerlessCache',
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::VPCEndpoint',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::FlowLog',
    ])
      off.template.resourceCountIs(type, 0);
    expect([...off.stack.resources.cache.values()].every((c) => c.deployed === undefined)).toBe(true);
  });

  it('gives the cache’s clients an empty CACHE_URL (they run uncached) and runs every function outside any VPC', () => {
    for (const spec of connecting) {
      const p = fnProps(off, spec.id);
      expect((p.Environment as { Variables: Record<string, unknown> }).Variables.CACHE_URL, spec.id).toBe('');
      expect(p.VpcConfig, spec.id).toBeUndefined();
      const role = idOf(off, off.stack.resources.functions.get(spec.id)!.role);
      const onStar = roleStatements(off, role).filter((st) => asArray(st.Resource).includes('*'));
      expect(onStar, spec.id).toEqual([]);
    }
    for (const [id, fn] of ofType(off, 'AWS::Lambda::Function'))
      expect(fn.Properties!.VpcConfig, id).toBeUndefined();
  });

  it('has no cache-errors alarm (nothing emits CacheErrors without a cache)', () => {
    const names = ofType(off, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!.AlarmName);
    expect(names).not.toContain('EventPipelines-cache-errors');
    expect(ofType(s, 'AWS::CloudWatch::Alarm')).toHaveLength(names.length + 1);
  });

  it('refuses a value that is not a boolean, naming the key', () => {
    expect(() => synth({ bundle: false, context: { cache: 'maybe' } })).toThrow(/context "cache"/);
  });
});
