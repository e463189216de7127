// How a handler is bundled for Lambda, in esbuild's own terms: the one statement of it. functions.ts turns
// it into NodejsFunction bundling props; the alarm bundle test and benchmark build with it directly, so
// what they measure is what gets deployed.

/** ESM output still meets CommonJS dependencies that call `require` on Node built-ins: give them one. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __bannerCreateRequire } from 'node:module'; " +
  'const require = __bannerCreateRequire(import.meta.url);';

/** esbuild options of a deployed handler bundle (the AWS SDK included, pinned and tree-shaken). */
export const DEPLOYED_BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  banner: { js: ESM_REQUIRE_BANNER },
} as const;
