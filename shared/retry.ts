// The one retry helper every pipeline uses: exponential backoff with full jitter (AWS Architecture Blog,
// "Exponential Backoff and Jitter"), an optional deadline (a Lambda's remaining time), and a server-given
// delay (Retry-After) that overrides the computed one. Written by hand because it is ~40 lines and must
// honour the deadline and Retry-After, which general-purpose retry packages do not combine.

export interface RetryOptions {
  /** Attempts in all, including the first. Default 5. */
  attempts?: number;
  /** First backoff ceiling in ms; doubles each retry. Default 100. */
  baseDelayMs?: number;
  /** Largest single wait in ms. Default 5,000. */
  maxDelayMs?: number;
  /** Epoch ms after which no further attempt starts (a wait that would cross it is not taken). */
  deadline?: number;
  /** Whether an error is worth retrying. Default: every error. */
  retryable?: (error: unknown) => boolean;
  /** A delay the server asked for (e.g. Retry-After), used instead of the backoff when defined. */
  delayHint?: (error: unknown) => number | undefined;
  /** Called before each wait, for logging. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export class RetryError extends Error {
  readonly attempts: number;
  constructor(message: string, attempts: number, cause: unknown) {
    super(message, { cause });
    this.name = 'RetryError';
    this.attempts = attempts;
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full-jitter backoff: a uniform wait in [0, min(max, base·2^retry)). */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random = Math.random) {
  return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry));
}

/**
 * Runs `fn` until it succeeds, an error is not retryable, attempts run out, or the deadline would be
 * crossed. The last error is rethrown when not retryable; otherwise wrapped in RetryError with it as cause.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  const wait = options.sleep ?? sleep;
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.retryable && !options.retryable(error)) throw error;
      if (attempt >= attempts) {
        throw new RetryError(`Gave up after ${attempt} attempts: ${describe(error)}`, attempt, error);
      }
      const hinted = options.delayHint?.(error);
      const delayMs = hinted ?? backoffDelay(attempt - 1, base, max, options.random);
      if (options.deadline !== undefined && now() + delayMs >= options.deadline) {
        throw new RetryError(
          `Gave up after ${attempt} attempts: no time left to wait ${delayMs} ms (${describe(error)})`,
          attempt,
          error,
        );
      }
      options.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
