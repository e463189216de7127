// Local Lambda: each function gets a pool of worker threads (one invocation per worker at a time, at most
// localWorkerCap() workers, idle ones terminated after a while), its own environment, its configured timeout (the worker is
// terminated, as Lambda freezes and discards a timed-out sandbox) and memory (V8's old generation at
// memoryMb; its young generation bounded for the host, localYoungGenerationMb). Async
// invocations (S3, SNS) are retried twice with a delay, then dead-lettered, as Lambda does for event
// sources that invoke asynchronously. An event's Utf8Text fields (lambda-protocol.ts) go to the worker as
// bytes, moved when they can be, and are decoded there. Hand-written: no library runs Lambda handlers
// in-process.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { FunctionSpec } from '../../pipelines/types.ts';
import { DEFAULTS, type LocalEnv } from './config.ts';
import type { DeadLetterStore } from './dlq.ts';
import {
  type InitDoneMessage,
  type InvokeMessage,
  type LambdaErrorPayload,
  Utf8Text,
  type WorkerData,
  type WorkerReply,
} from './lambda-protocol.ts';
import { ACCOUNT_ID, REGION } from './names.ts';

export interface FunctionConfig {
  id: string;
  /** Module path relative to the repository root. */
  entry: string;
  /** Absolute path of the module. */
  entryPath: string;
  handlerName: string;
  memoryMb: number;
  timeoutSeconds: number;
  concurrency: number;
  /** A worker idle this long is terminated (its memory returns); 0 or unset = kept until close. */
  idleMs?: number;
  /** V8's young generation per worker, MB (default DEFAULTS.workerYoungGenerationMb; localYoungGenerationMb). */
  youngGenerationMb?: number;
  env: Record<string, string>;
}

/**
 * How many workers the local cloud runs for a function at most. On Lambda each sandbox brings its own CPU
 * share and memory; locally every worker shares the host's cores and one process's memory (each worker
 * costs about 60 MB even idle: its V8 heap, the SDK, and tsx's module-hooks thread), so:
 * - CPU-bound functions (`local.cpuBound`): one worker per core, as more only wait for a core while
 *   holding their decoded inputs in memory;
 * - others: one per core too, but at least two. What they wait on locally (DynamoDB, S3, Firehose) is
 *   served by this same process, so workers beyond the cores add memory and contention, not throughput;
 * and never more than the definition's reservedConcurrency (or LOCAL_DEFAULT_CONCURRENCY without one),
 * which bounds concurrency on Lambda too. `LOCAL_POOL_SIZING=reserved` restores the former sizing
 * (reservedConcurrency or the default, no cap).
 */
export function localWorkerCap(
  fn: Pick<FunctionSpec, 'reservedConcurrency' | 'local'>,
  env: Pick<LocalEnv, 'LOCAL_DEFAULT_CONCURRENCY' | 'LOCAL_POOL_SIZING'> = {},
  cores = availableParallelism(),
): number {
  const fallback = env.LOCAL_DEFAULT_CONCURRENCY ?? DEFAULTS.concurrency;
  const wanted = fn.reservedConcurrency ?? fallback;
  if (env.LOCAL_POOL_SIZING === 'reserved') return wanted;
  const hostCap = fn.local?.cpuBound ? cores : Math.max(2, cores);
  return Math.max(1, Math.min(wanted, hostCap));
}

/**
 * V8's young generation for a function's workers, MB. By default the small local one
 * (DEFAULTS.workerYoungGenerationMb: several workers share one host). A function whose definition says
 * `local.largeRequests` holds a large request while it allocates (the events API's ingest: a batch of up to
 * 500 events), and with 4 MB semi-spaces every scavenge copies that request and promotes it: it gets the
 * young generation Lambda's Node.js runtime gives it instead. The runtime's bootstrap starts node with
 * `--max-semi-space-size` = memory / 10 / 2 (5% of the memory), which V8 rounds up to a power of two, and a
 * young generation is three semi-spaces' worth (two semi-spaces and the new large-object space); at most
 * DEFAULTS.workerYoungGenerationCapMb, V8's default for a worker.
 */
export function localYoungGenerationMb(fn: Pick<FunctionSpec, 'memoryMb' | 'local'>): number {
  if (!fn.local?.largeRequests) return DEFAULTS.workerYoungGenerationMb;
  const semiSpaceMb = 2 ** Math.ceil(Math.log2(Math.max(1, Math.floor(fn.memoryMb / 20))));
  return Math.min(DEFAULTS.workerYoungGenerationCapMb, 3 * semiSpaceMb);
}

export type InvokeResult = { ok: true; value: unknown } | { ok: false; error: LambdaErrorPayload };

/**
 * Lambda's limit on the init phase (loading the module, cold-start code), which does not count against the
 * function's timeout ("Lambda execution environment lifecycle": the Init phase is limited to 10 seconds).
 */
export const INIT_LIMIT_MS = 10_000;

interface Pending {
  message: Omit<InvokeMessage, 'id' | 'deadline' | 'timeoutMs'>;
  resolve: (r: InvokeResult) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** Armed while the worker is idle; terminates it when it fires. */
  idleTimer?: NodeJS.Timeout;
  current?: {
    id: number;
    resolve: (r: InvokeResult) => void;
    timer: NodeJS.Timeout;
    onTimeout: () => void;
    logs: string[];
  };
  /** Whether its module has loaded (a warm sandbox): a cold one gets INIT_LIMIT_MS on top of the timeout. */
  warm?: boolean;
}

const bootFile = new URL('./worker-boot.mjs', import.meta.url);

/**
 * The host's Node flags for a worker, without its preloaded modules (`--import`, `--require`, `--loader`):
 * a worker inherits them, and a TypeScript one (e.g. `npm run bench`'s `--import ./infra/local/quiet-warnings.ts`)
 * would be loaded before worker-boot.mjs registers tsx in that worker, crashing some cold starts with
 * "Unknown file extension .ts". worker-boot.mjs registers tsx itself; the environment is passed as is.
 */
export function workerExecArgv(hostArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < hostArgv.length; i++) {
    const arg = hostArgv[i]!;
    if (/^--(import|require|loader|experimental-loader)$/.test(arg) || arg === '-r') {
      i++; // and its value
      continue;
    }
    if (/^--(import|require|loader|experimental-loader)=/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}
let nextInvocationId = 1;

export function functionArn(id: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${id}`;
}

export type LogSink = (functionId: string, line: string) => void;

/**
 * The event as posted to a worker: its Utf8Text fields as their bytes, named for the worker to decode, and
 * the ArrayBuffers to transfer rather than copy (those the bytes fill entirely, so that nothing else is
 * detached with them; a slice of a shared pool is copied).
 */
function forWorker(
  event: unknown,
): Pick<InvokeMessage, 'event' | 'utf8Fields'> & { transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return { event, transfer };
  let copy: Record<string, unknown> | undefined;
  const utf8Fields: string[] = [];
  for (const [k, v] of Object.entries(event)) {
    if (!(v instanceof Utf8Text)) continue;
    copy ??= { ...event };
    copy[k] = v.bytes;
    utf8Fields.push(k);
    const buf = v.bytes.buffer;
    if (buf instanceof ArrayBuffer && v.bytes.byteOffset === 0 && v.bytes.byteLength === buf.byteLength)
      transfer.push(buf);
  }
  return copy ? { event: copy, utf8Fields, transfer } : { event, transfer };
}

/** A pool of workers running one function. */
export class FunctionPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(
    readonly config: FunctionConfig,
    private readonly log: LogSink,
  ) {}

  /** Workers alive now (busy or idle). */
  get workerCount(): number {
    return this.slots.length;
  }

  /** Whether the handler module exists on disk (it may still fail to load). */
  get moduleExists(): boolean {
    return existsSync(this.config.entryPath);
  }

  /** Invokes synchronously (RequestResponse): resolves with the result or the function's error. */
  invoke(event: unknown): Promise<InvokeResult> {
    if (this.closed) {
      return Promise.resolve({
        ok: false,
        error: { errorType: 'ServiceException', errorMessage: 'The local cloud is stopping', stack: [] },
      });
    }
    return new Promise((resolve) => {
      this.queue.push({ message: { requestId: randomUUID(), event }, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.config.concurrency) slot = this.spawn();
      if (!slot) return;
      const next = this.queue.shift()!;
      this.run(slot, next);
    }
  }

  private spawn(): Slot {
    const c = this.config;
    const data: WorkerData = {
      functionName: c.id,
      functionArn: functionArn(c.id),
      memoryMb: c.memoryMb,
      entry: c.entry,
      entryPath: c.entryPath,
      handlerName: c.handlerName,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    };
    const worker = new Worker(bootFile, {
      env: c.env,
      execArgv: workerExecArgv(process.execArgv),
      workerData: data,
      stdout: true,
      stderr: true,
      resourceLimits: {
        maxOldGenerationSizeMb: Math.max(64, c.memoryMb),
        maxYoungGenerationSizeMb: c.youngGenerationMb ?? DEFAULTS.workerYoungGenerationMb,
      },
    });
    const slot: Slot = { worker, busy: false };
    this.slots.push(slot);
    for (const stream of [worker.stdout, worker.stderr] as Readable[]) {
      createInterface({ input: stream }).on('line', (line) => {
        slot.current?.logs.push(line);
        if (slot.current && slot.current.logs.length > 40) slot.current.logs.shift();
        this.log(c.id, line);
      });
    }
    worker.on('message', (reply: WorkerReply | InitDoneMessage) => {
      const cur = slot.current;
      if (!cur || cur.id !== reply.id) return;
      if ('initDone' in reply) {
        // Init is over: the invocation now has the function's whole timeout, as on Lambda.
        clearTimeout(cur.timer);
        cur.timer = setTimeout(cur.onTimeout, this.config.timeoutSeconds * 1000);
        return;
      }
      if (reply.initFailed) this.discard(slot);
      this.finish(slot, reply.ok ? { ok: true, value: reply.value } : { ok: false, error: reply.error! });
    });
    worker.on('error', (err) => {
      this.discard(slot);
      this.finish(slot, {
        ok: false,
        error: {
          errorType: err.name === 'Error' ? 'Runtime.ExitError' : err.name,
          errorMessage: `RequestId: the function's sandbox crashed: ${err.message}`,
          stack: (err.stack ?? '')
            .split('\n')
            .slice(1, 8)
            .map((l) => l.trim()),
        },
      });
    });
    worker.on('exit', (code) => {
      this.discard(slot);
      this.finish(slot, {
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited with error: exit status ${code}`,
          stack: [],
        },
      });
    });
    return slot;
  }

  private run(slot: Slot, next: Pending): void {
    const id = nextInvocationId++;
    const timeoutMs = this.config.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    slot.busy = true;
    clearTimeout(slot.idleTimer);
    const onTimeout = () => {
      // Lambda's message for a timeout; the sandbox is discarded, so a stuck handler cannot linger.
      this.discard(slot);
      void slot.worker.terminate();
      this.finish(slot, {
        ok: false,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `${new Date().toISOString()} ${next.message.requestId} Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds`,
          stack: [],
        },
      });
    };
    // A cold sandbox first loads the module: Lambda allows that its own time (the worker says when it ends).
    const timer = setTimeout(onTimeout, slot.warm ? timeoutMs : timeoutMs + INIT_LIMIT_MS);
    slot.warm = true;
    slot.current = { id, resolve: next.resolve, timer, onTimeout, logs: [] };
    const { transfer, ...posted } = forWorker(next.message.event);
    const msg: InvokeMessage = { id, deadline, timeoutMs, ...next.message, ...posted };
    try {
      slot.worker.postMessage(msg, transfer);
    } catch (err) {
      this.discard(slot);
      this.finish(slot, {
        ok: false,
        error: {
          errorType: 'Runtime.InvalidEvent',
          errorMessage: `event could not be passed to the function: ${(err as Error).message}`,
          stack: [],
        },
      });
    }
  }

  private finish(slot: Slot, result: InvokeResult): void {
    const cur = slot.current;
    if (!cur) return;
    clearTimeout(cur.timer);
    slot.current = undefined;
    slot.busy = false;
    if (!result.ok && cur.logs.length > 0) result.error.logTail = cur.logs.slice(-20);
    cur.resolve(result);
    this.pump();
    if (!slot.busy && this.slots.includes(slot)) this.armIdle(slot);
  }

  /**
   * Terminates the worker if it stays idle for `idleMs`, so that a burst's workers (and their heaps and
   * native buffers) do not hold memory afterwards. A worker that gets work in time stays warm, as a Lambda
   * sandbox does; the next invocation after a release pays a cold start in a new worker.
   */
  private armIdle(slot: Slot): void {
    const idleMs = this.config.idleMs ?? 0;
    if (idleMs <= 0 || this.closed) return;
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (!slot.busy) this.discard(slot);
    }, idleMs);
    slot.idleTimer.unref();
  }

  /** Removes a worker from the pool (crashed, timed out, or failed to initialise). */
  private discard(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate();
    slot.worker.on('exit', () => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopped: InvokeResult = {
      ok: false,
      error: { errorType: 'ServiceException', errorMessage: 'The local cloud stopped', stack: [] },
    };
    for (const p of this.queue.splice(0)) p.resolve(stopped);
    // Invocations still running are cut short too (a stop after its grace period): their callers must
    // not wait for workers that are being terminated.
    for (const s of this.slots) {
      if (!s.current) continue;
      clearTimeout(s.current.timer);
      s.current.resolve(stopped);
      s.current = undefined;
    }
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        clearTimeout(s.idleTimer);
        s.worker.removeAllListeners('exit');
        s.worker.removeAllListeners('error');
        s.worker.on('error', () => {});
        await s.worker.terminate();
      }),
    );
  }
}

export interface AsyncInvokerOptions {
  /** Delay before the first retry; the second waits twice as long (Lambda: about 1 and 2 minutes). */
  retryDelayMs: number;
  /** Retries after the first attempt (Lambda's default MaximumRetryAttempts is 2). */
  retries: number;
  dlq: DeadLetterStore;
  onFailure?: (functionId: string, error: LambdaErrorPayload, attempt: number) => void;
}

/** Asynchronous invocation (Event): queued, retried with a delay, then dead-lettered. */
export class AsyncInvoker {
  private readonly inFlight = new Set<Promise<boolean>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private hurry = false;
  private aborted = false;

  constructor(private readonly options: AsyncInvokerOptions) {}

  /**
   * Accepts the event at once, as Lambda answers 202 to an async invoke. The returned promise (which
   * callers need not await) resolves true once the event was handled or dead-lettered, false if the
   * invoker was aborted first (the caller keeps the event, e.g. in its journal, for the next start).
   */
  submit(pool: FunctionPool, event: unknown): Promise<boolean> {
    const job = this.run(pool, event).finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
    return job;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  private async run(pool: FunctionPool, event: unknown): Promise<boolean> {
    const attempts = this.options.retries + 1;
    let last: LambdaErrorPayload | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.aborted) return false;
      const result = await pool.invoke(event);
      if (result.ok) return true;
      if (this.aborted) return false; // stopped under it: not the function's failure
      last = result.error;
      this.options.onFailure?.(pool.config.id, result.error, attempt);
      if (attempt < attempts) await this.sleep(this.options.retryDelayMs * 2 ** (attempt - 1));
    }
    await this.options.dlq.add({
      functionId: pool.config.id,
      event,
      error: last!,
      attempts,
      time: new Date().toISOString(),
    });
    return true;
  }

  /**
   * On shutdown, after the grace period: no new attempt starts, retry delays end, and invocations cut
   * short by the pools closing resolve false instead of going to the dead-letter store.
   */
  abort(): void {
    this.aborted = true;
    this.hurry = true;
    for (const t of [...this.timers]) t.wake();
  }

  private sleep(ms: number): Promise<void> {
    if (this.hurry) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        wake: () => {
          clearTimeout(entry.timer);
          this.timers.delete(entry);
          resolve();
        },
      };
      this.timers.add(entry);
    });
  }

  /**
   * Waits for every accepted event to be delivered or dead-lettered. With `hurry`, retry delays are cut
   * short (used on shutdown, so that no accepted event is dropped while the process exits).
   */
  async drain(opts: { hurry?: boolean } = {}): Promise<void> {
    if (opts.hurry) {
      this.hurry = true;
      for (const t of [...this.timers]) t.wake();
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
