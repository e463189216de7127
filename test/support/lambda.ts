// A Lambda `Context` for calling a handler directly in a test: the function's name and memory as Lambda
// would give them, and a deadline `remainingMs` from now (getRemainingTimeInMillis counts down to it).
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export function functionContext(
  functionName: string,
  { remainingMs = 60_000, memoryMb = 512 }: { remainingMs?: number; memoryMb?: number } = {},
): Context {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
