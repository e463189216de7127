// Drops the AWS SDK's NodeVersionSupportWarning (the SDK will require Node 22 from 2027; Lambda runs
// nodejs22.x, the local cloud runs on the Node 20 this machine has), which every worker would otherwise
// print on its first SDK call. Every other warning still prints.
const original = process.emitWarning.bind(process);

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (text.startsWith('NodeVersionSupportWarning')) return;
  (original as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
