// Runs inside the arm64 Node under qemu (plain JavaScript: no tsx or esbuild, whose binaries are x64):
// imports a synthesized Lambda asset's bundled handler as Lambda would (`index.handler`), invokes it once
// with the S3 event in argv[3], and writes what it returned plus the platform it ran on to argv[4].
// The asset's environment (bucket names, endpoint, credentials) comes from the parent process.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [assetDir, eventJson, resultFile] = process.argv.slice(2);
if (!assetDir || !eventJson || !resultFile) {
  console.error('usage: invoke.mjs <asset dir> <event json> <result file>');
  process.exit(2);
}
const entry = path.join(assetDir, 'index.mjs');
const result = { arch: process.arch, node: process.version, platform: process.platform };
try {
  // The asset's own copy of sharp, resolved as the bundle resolves it (node_modules beside index.mjs).
  const require = createRequire(entry);
  const sharpPath = require.resolve('sharp');
  const sharp = require('sharp');
  Object.assign(result, { sharpPath, sharpVersions: sharp.versions });
  const { handler } = await import(pathToFileURL(entry).href);
  const end = Date.now() + 600_000;
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'image-resize',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:image-resize',
    memoryLimitInMB: '2048',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/image-resize',
    logStreamName: 'arm64-check',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
  };
  result.output = await handler(JSON.parse(eventJson), context);
} catch (err) {
  result.error = { name: err?.name, message: err?.message, stack: err?.stack };
}
writeFileSync(resultFile, JSON.stringify(result));
