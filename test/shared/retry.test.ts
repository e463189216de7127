// The shared retry helper: full-jitter backoff, attempt limit, deadline, server-given delays, and
// errors that must not be retried.
import { describe, expect, it } from 'vitest';
import { backoffDelay, RetryError, retry } from '../../shared/retry.ts';

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('retry', () => {
  it('returns the first success and retries failures with growing, jittered waits', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 4) throw new Error(`fail ${attempt}`);
        return 'done';
      },
      { sleep, random: () => 0.999, baseDelayMs: 100, maxDelayMs: 10_000 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(waits).toEqual([99, 199, 399]);
  });

  it('caps each wait and draws it uniformly below the cap (full jitter)', () => {
    expect(backoffDelay(10, 100, 5_000, () => 0.5)).toBe(2_500);
    expect(backoffDelay(0, 100, 5_000, () => 0)).toBe(0);
  });

  it('gives up after the attempt limit with the last error as cause', async () => {
    const { sleep } = recorder();
    const last = new Error('still down');
    const promise = retry(
      async () => {
        throw last;
      },
      { attempts: 3, sleep },
    );
    await expect(promise).rejects.toBeInstanceOf(RetryError);
    await expect(promise).rejects.toMatchObject({ attempts: 3, cause: last });
  });

  it('does not retry errors marked permanent and rethrows them as they are', async () => {
    const permanent = new Error('invalid_payload');
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw permanent;
        },
        { retryable: (e) => e !== permanent },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it('uses a server-given delay instead of the backoff', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    await retry(
      async () => {
        if (++calls === 1) throw Object.assign(new Error('429'), { retryAfterMs: 1_000 });
      },
      { sleep, delayHint: (e) => (e as { retryAfterMs?: number }).retryAfterMs },
    );
    expect(waits).toEqual([1_000]);
  });

  it('stops before a wait that would cross the deadline', async () => {
    const { waits, sleep } = recorder();
    const now = 0;
    const promise = retry(
      async () => {
        throw new Error('slow');
      },
      { sleep, now: () => now, deadline: 500, delayHint: () => 600, attempts: 10 },
    );
    await expect(promise).rejects.toThrow(/no time left to wait 600 ms/);
    expect(waits).toEqual([]);
  });
});
