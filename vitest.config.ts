// Test runner configuration: every test lives under test/, benchmarks (test/bench) run only via `npm run bench`.
// Two test files at a time: most suites wait on child processes, servers and buffers rather than compute, so a
// second worker shortens the run on a 2-core machine (vitest's default is cores - 1, i.e. one). The CDK tests
// run without isolation: the files a worker runs one after another share its one synthesis of the project
// (test/cdk/helpers.ts synthesizedProject) instead of repeating it per file.
import { defineConfig } from 'vitest/config';
import './infra/local/quiet-warnings.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: '.local/test-results.json' },
    projects: [
      {
        extends: true,
        test: { name: 'cdk', include: ['test/cdk/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['test/bench/**', 'test/cdk/**', 'node_modules/**'],
        },
      },
    ],
  },
});
