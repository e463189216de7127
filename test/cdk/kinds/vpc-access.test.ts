// What a function in the VPC (a cache's client) needs to reach the rest of what it accesses, asked of each
// accessed kind's plug-in (`vpcAccess`), on variants of the real definitions (without bundling): publishing
// to a topic and writing to a delivery stream from the VPC bring the SNS and Firehose interface endpoints,
// each admitting 443 only from the clients' group; invalidating a CDN from the VPC is refused (CloudFront's
// API has no VPC endpoint and the VPC has no NAT). The real definitions' endpoints are in cache.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { eventsApi, pipelines } from '../../../pipelines/index.ts';
import { type FunctionSpec, type PipelineDefinition, ref } from '../../../pipelines/types.ts';

type AccessSpec = FunctionSpec['access'][number];

import { idOf, ofType, propsOf, referencedIds, removeSynthOutput, synth } from '../helpers.ts';

afterAll(removeSynthOutput);

/** The real definitions, with more access entries for the (in-VPC) query function. */
const withQueryAccess = (extra: AccessSpec[]): PipelineDefinition[] =>
  pipelines.map((p) =>
    p === eventsApi
      ? {
          ...p,
          functions: p.functions.map((f) =>
            f.id === 'events-api-query' ? { ...f, access: [...f.access, ...extra] } : f,
          ),
        }
      : p,
  );

describe('endpoints for what an in-VPC function accesses', () => {
  it('topic publish and stream write from the VPC: SNS and Firehose interface endpoints, 443 from the clients only', () => {
    const s = synth({
      bundle: false,
      pipelines: withQueryAccess([
        { resource: ref.topic('alarms'), mode: 'publish' },
        { resource: ref.stream('events'), mode: 'write' },
      ]),
    });
    const [cache] = s.stack.resources.cache.values();
    const clients = idOf(s, cache!.deployed!.clients);
    const interfaces = ofType(s, 'AWS::EC2::VPCEndpoint')
      .filter(([, r]) => r.Properties!.VpcEndpointType === 'Interface')
      .map(([, r]) => r.Properties!);
    const service = (p: Record<string, unknown>) =>
      (JSON.stringify(p.ServiceName).match(/\.([a-z-]+)"\]\]\}$/) ?? [])[1];
    // AWS PrivateLink "AWS services that integrate with AWS PrivateLink": com.amazonaws.<region>.sns,
    // .kinesis-firehose, .secretsmanager.
    expect(interfaces.map(service).sort()).toEqual(['kinesis-firehose', 'secretsmanager', 'sns']);
    for (const p of interfaces) {
      expect(p.PrivateDnsEnabled, service(p)).toBe(true);
      const [group] = [...referencedIds(p.SecurityGroupIds)];
      const rules = ofType(s, 'AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties!)
        .filter((r) => referencedIds(r.GroupId).has(group!));
      expect(propsOf(s, group!).SecurityGroupIngress, service(p)).toBeUndefined();
      expect(rules, service(p)).toHaveLength(1);
      expect(rules[0]).toMatchObject({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' });
      expect(referencedIds(rules[0]!.SourceSecurityGroupId)).toEqual(new Set([clients]));
    }
  }, 120_000);

  it('a CDN invalidation from the VPC is refused at synthesis, naming the function', () => {
    expect(() =>
      synth({
        bundle: false,
        pipelines: withQueryAccess([{ resource: ref.cdn('display'), mode: 'invalidate' }]),
      }),
    ).toThrow('function events-api-query runs in the VPC (no NAT) and cannot reach the CloudFront API');
  }, 120_000);
});
