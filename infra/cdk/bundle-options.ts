// How a handler is bundled for Lambda, in esbuild's own terms: the one statement of it. functions.ts turns
// it into NodejsFunction bundling props; the alarm bundle test and benchmark build with it directly, so
// what they measure is what gets deployed. The target follows the function's runtime (pipelines/types.ts).
import { DEFAULT_RUNTIME, type NodeRuntime, nodeMajor } from '../../pipelines/types.ts';

/** esbuild's target for a Lambda runtime, e.g. `node24` for `nodejs24.x`. */
export const esbuildTarget = (runtime: NodeRuntime): string => `node${nodeMajor(runtime)}`;

/** ESM output still meets CommonJS dependencies that call `require` on Node built-ins: give them one. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __bannerCreateRequire } from 'node:module'; " +
  'const require = __bannerCreateRequire(import.meta.url);';

/**
 * esbuild options of a deployed handler bundle (the AWS SDK included, pinned and tree-shaken), for a function
 * on the default runtime; functions.ts takes the target from each function's own runtime.
 */
export const DEPLOYED_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: esbuildTarget(DEFAULT_RUNTIME),
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  banner: { js: ESM_REQUIRE_BANNER },
} as const;
