// Drops the AWS SDK's NodeVersionSupportWarning (the SDK will require Node 22 from 2027; Lambda runs the
// definitions' runtime, nodejs24.x by default, while the local cloud runs on the host's Node, 20 on this
// machine), which every worker would otherwise print on its first SDK call. Every other warning still prints.
const original = process.emitWarning.bind(process);

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (text.startsWith('NodeVersionSupportWarning')) return;
  (original as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
