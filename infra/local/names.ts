// Fixed identity of the local cloud: one account, one region, and how resource names become ARNs.
import { LOCAL_ACCOUNT_ID } from '../../shared/events/builders.ts';

/** The same account the shared event builders default to, so built events and local ARNs agree. */
export const ACCOUNT_ID = LOCAL_ACCOUNT_ID;
export const REGION = 'us-east-1';

export const topicArn = (name: string): string => `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${name}`;
export const streamArn = (name: string): string =>
  `arn:aws:firehose:${REGION}:${ACCOUNT_ID}:deliverystream/${name}`;
export const bucketArn = (name: string): string => `arn:aws:s3:::${name}`;
