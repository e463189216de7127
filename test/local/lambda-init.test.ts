// Lambda's init phase does not count against a function's timeout ("Lambda execution environment
// lifecycle": Init is limited to 10 seconds of its own, then Invoke gets the configured timeout). A local
// worker whose module takes 2 s to load still runs a 1 s-timeout handler, which starts with its whole
// timeout left; on a busy machine, cold starts of short-timeout functions (e.g. an API authorizer with 5 s)
// would otherwise fail before the handler ran.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionPool } from '../../infra/local/lambda.ts';

const pool = new FunctionPool(
  {
    id: 'slow-init',
    entry: 'test/local/fixtures/slow-init.ts',
    entryPath: path.resolve('test/local/fixtures/slow-init.ts'),
    handlerName: 'handler',
    memoryMb: 128,
    timeoutSeconds: 1,
    concurrency: 1,
    idleMs: 0,
    env: {},
  },
  () => {},
);
afterAll(() => pool.close());

describe('local Lambda init phase', () => {
  it('gives a cold start’s handler its whole timeout after a module load longer than the timeout', async () => {
    const cold = await pool.invoke({});
    expect(cold.ok, JSON.stringify(cold)).toBe(true);
    const { remainingMs } = (cold as { value: { remainingMs: number } }).value;
    expect(remainingMs).toBeGreaterThan(500);
    expect(remainingMs).toBeLessThanOrEqual(1_000);
    // Warm: the module is loaded, the timeout applies from the call.
    const warm = await pool.invoke({});
    expect(warm.ok).toBe(true);
  });
});
