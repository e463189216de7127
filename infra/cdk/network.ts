// The stack's one VPC, created only when some function must run in it (a kind's `placement`, e.g. a cache's
// clients): private isolated subnets in two AZs, no NAT gateway, no internet gateway, flow logs to the access
// logs bucket. A function in it reaches AWS APIs only through VPC endpoints, which the plug-ins of the kinds
// it accesses ask for (their `vpcAccess`) and which are created once, on first request: gateway endpoints
// (S3, DynamoDB: free, a route in the isolated subnets' route tables) and interface endpoints (private DNS,
// in both subnets, a security group admitting 443 only from the functions that need them).
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where a function runs: in the network's isolated subnets, with these security groups. */
export interface Placement {
  network: Network;
  securityGroups: ec2.ISecurityGroup[];
}

/** AZs of the VPC: ElastiCache Serverless needs subnets in at least two; two keep interface endpoints cheap. */
export const VPC_AZS = 2;

/**
 * What Lambda needs on the execution role to attach a function to a VPC (Lambda Developer Guide, "Giving
 * Lambda functions access to resources in an Amazon VPC"; the same actions as the AWS managed policy
 * AWSLambdaVPCAccessExecutionRole, without its CloudWatch Logs wildcard). DescribeNetworkInterfaces works
 * only on Resource "*", and Lambda names the network interfaces it creates, so all are on "*".
 */
export const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** The subnets functions and caches are placed in. */
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  private readonly gateways = new Map<string, ec2.GatewayVpcEndpoint>();
  private readonly interfaces = new Map<string, ec2.InterfaceVpcEndpoint>();

  constructor(scope: Construct, id: string, props: { flowLogs: s3.IBucket }) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: VPC_AZS,
      natGateways: 0,
      // Isolated subnets only: no public subnet, hence no internet gateway and no route out of the VPC.
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      // Nothing is ever placed in the default security group (every function, cache and endpoint names its
      // own); closing it would take CDK's custom-resource Lambda, a function of its own in the stack.
      restrictDefaultSecurityGroup: false,
    });
    // Accepted and rejected flows, to the stack's access logs bucket (S3 delivery: no role, cheaper than Logs).
    this.vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toS3(props.flowLogs, 'vpc-flow-logs/'),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }

  /**
   * A gateway endpoint (S3, DynamoDB): a route in the isolated subnets' route tables, free of charge. The
   * services' addresses are public ranges, so the clients may send HTTPS anywhere: in these subnets the only
   * routes lead to the VPC itself and to the endpoints.
   */
  gatewayEndpoint(service: ec2.GatewayVpcEndpointAwsService, clients: ec2.ISecurityGroup[]): void {
    if (!this.gateways.has(service.name)) {
      const id = `${serviceId(service.name)}Gateway`; // `name` ends in the service (`….s3`)
      this.gateways.set(service.name, this.vpc.addGatewayEndpoint(id, { service, subnets: [this.subnets] }));
    }
    for (const sg of clients)
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs through the VPC endpoints');
  }

  /**
   * An interface endpoint with private DNS (the SDK's default hostname resolves to it), in every isolated
   * subnet, whose security group admits HTTPS only from `clients`.
   */
  interfaceEndpoint(service: ec2.InterfaceVpcEndpointAwsService, clients: ec2.ISecurityGroup[]): void {
    // `shortName` (e.g. `secretsmanager`): `name` holds the stack's region, a token in an env-agnostic stack.
    let endpoint = this.interfaces.get(service.shortName);
    if (!endpoint) {
      const id = serviceId(service.shortName);
      const securityGroup = new ec2.SecurityGroup(this, `${id}EndpointSg`, {
        vpc: this.vpc,
        description: `Interface endpoint ${service.shortName}: HTTPS from in-VPC functions that use it`,
        allowAllOutbound: false,
      });
      endpoint = this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: this.subnets,
        privateDnsEnabled: true,
        // Not `open`: CDK would admit 443 from the whole VPC CIDR; only the clients are admitted below.
        open: false,
        securityGroups: [securityGroup],
      });
      this.interfaces.set(service.shortName, endpoint);
    }
    for (const sg of clients)
      endpoint.connections.allowFrom(
        new ec2.Connections({ securityGroups: [sg] }),
        ec2.Port.tcp(443),
        `HTTPS to ${service.shortName}`,
      );
  }

  /** Lets `role` attach its function to this VPC (LAMBDA_VPC_ACTIONS). */
  allowAttach(role: iam.Role): void {
    role.addToPolicy(new iam.PolicyStatement({ actions: [...LAMBDA_VPC_ACTIONS], resources: ['*'] }));
  }
}

/** `com.amazonaws.<region>.s3` → `S3`, `secretsmanager` → `Secretsmanager` (a construct id). */
const serviceId = (name: string): string => {
  const last = name.split('.').at(-1) ?? name;
  return last
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
};
