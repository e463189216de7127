// zod as the Lambda code imports it: zod/mini (the functional, tree-shakable build of zod 4) with the
// English messages that classic zod configures for itself. Same validation core and same messages as
// `import { z } from 'zod'`, but esbuild keeps only the parts a handler uses: classic zod put 460 KiB
// (99 KiB even when imported as a namespace) into every handler bundle and ~55 ms into its import, which
// test/bench/cold-start.bench.ts measures against each handler's AWS SDK floor.
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';

/**
 * What classic zod's `ctx.addIssue({ code: 'custom', message })` does inside a transform (zod/mini hands
 * a transform the bare parse payload): the value fails with `message`, reported at the schema's path.
 */
export function addCustomIssue(ctx: import('zod/mini').core.ParsePayload, message: string): void {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
}
