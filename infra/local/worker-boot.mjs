// Worker-thread entry for local Lambda functions. Node 20 cannot start a worker on a .ts file even with
// `execArgv: ['--import', 'tsx']` (the entry's format is resolved before the hooks apply), so this plain
// ESM file registers tsx's loader inside the worker first, then loads the TypeScript worker runtime.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
