// The table kind on AWS: a DynamoDB table per TableSpec (on demand, point-in-time recovery, encrypted, TTL
// when the spec names an attribute, retained on stack deletion), its name in environments, and the read/
// write/readwrite data grants, the DynamoDB gateway endpoint for a function in the VPC.
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { pascal } from '../functions.ts';
import type { CdkResourceKind } from './types.ts';

const attrType = (t: 'S' | 'N') =>
  t === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER;

export const tableKind: CdkResourceKind<'table'> = {
  create(ctx, spec) {
    const table = new dynamodb.Table(ctx.stack, `Table${pascal(spec.name)}`, {
      partitionKey: { name: spec.partitionKey.name, type: attrType(spec.partitionKey.type) },
      ...(spec.sortKey ? { sortKey: { name: spec.sortKey.name, type: attrType(spec.sortKey.type) } } : {}),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(ctx.stack, `Table${pascal(spec.name)}Name`, {
      value: table.tableName,
      description: spec.description,
    });
    return table;
  },
  resolve: (table) => table.tableName,
  grants: {
    read: ({ resource, fn }) => resource.grantReadData(fn.fn),
    write: ({ resource, fn }) => resource.grantWriteData(fn.fn),
    readwrite: ({ resource, fn }) => resource.grantReadWriteData(fn.fn),
  },
  // From a VPC: the DynamoDB gateway endpoint (free; a route in the isolated subnets' route tables).
  vpcAccess: (_g, _mode, { network, securityGroups }) =>
    network.gatewayEndpoint(ec2.GatewayVpcEndpointAwsService.DYNAMODB, securityGroups),
};
