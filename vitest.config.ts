// Test runner configuration: every test lives under test/, benchmarks (test/bench) run only via `npm run bench`.
import { defineConfig } from 'vitest/config';
import './infra/local/quiet-warnings.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.local/test-results.json' },
  },
});
