// The one place that silences the AWS SDK's NodeVersionSupportWarning (the SDK will require Node 22 from
// 2027; Lambda runs the definitions' runtime, nodejs24.x by default, while the local cloud, the demo, the
// scripts and the tests run on the host's Node, 20 on this machine), with the SDK's own opt-out
// (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, read by @aws-sdk/core's
// emitWarningIfUnsupportedVersion). Child processes and worker threads started afterwards inherit it.
// Loaded by infra/local/main.ts, demo.ts and worker.ts, by the npm scripts that use the SDK (package.json
// `--import`), and by vitest.config.ts. Every other warning still prints.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
