// Runs inside one worker thread: the local stand-in for one Lambda execution environment. Loads the
// function's module on the first invocation (the "init" phase), then runs one invocation at a time with a
// Lambda-shaped context, and reports the JSON-serialised result or the error back to the pool.
import './quiet-warnings.ts';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { InitDoneMessage, InvokeMessage, WorkerData, WorkerReply } from './lambda-protocol.ts';

type Handler = (
  event: unknown,
  context: Context,
  callback?: (err?: unknown, result?: unknown) => void,
) => unknown;

const data = workerData as WorkerData;
let handlerPromise: Promise<Handler> | undefined;

class InitError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

async function loadHandler(): Promise<Handler> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(data.entryPath).href)) as Record<string, unknown>;
  } catch (err) {
    // As Lambda reports init failures: a missing module or syntax error is Runtime.ImportModuleError /
    // Runtime.UserCodeSyntaxError; an exception thrown at cold start (e.g. bad config) keeps its own name.
    const e: NodeJS.ErrnoException = err instanceof Error ? err : new Error(String(err));
    const type =
      e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND'
        ? 'Runtime.ImportModuleError'
        : e.name === 'SyntaxError' || e.name === 'TransformError'
          ? 'Runtime.UserCodeSyntaxError'
          : e.name || 'Error';
    throw new InitError(type, `Error: Cannot load module '${data.entry}': ${e.message}`);
  }
  const candidate =
    mod[data.handlerName] ?? (mod.default as Record<string, unknown> | undefined)?.[data.handlerName];
  if (typeof candidate !== 'function') {
    throw new InitError(
      'Runtime.HandlerNotFound',
      `${data.entry}.${data.handlerName} is undefined or not exported`,
    );
  }
  return candidate as Handler;
}

function serialiseError(err: unknown): WorkerReply['error'] {
  if (err instanceof InitError) return { errorType: err.errorType, errorMessage: err.message, stack: [] };
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      stack: (err.stack ?? '')
        .split('\n')
        .slice(1, 12)
        .map((l) => l.trim()),
    };
  }
  return {
    errorType: 'Error',
    errorMessage: typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)),
    stack: [],
  };
}

async function invoke(msg: InvokeMessage): Promise<unknown> {
  const cold = !handlerPromise;
  handlerPromise ??= loadHandler();
  const handler = await handlerPromise;
  if (cold) {
    // Lambda's init phase does not count against the function's timeout: the handler's time starts now.
    msg.deadline = Date.now() + msg.timeoutMs;
    const done: InitDoneMessage = { id: msg.id, initDone: true };
    parentPort?.postMessage(done);
  }
  let settle: ((err: unknown, value: unknown) => void) | undefined;
  const viaCallback = new Promise<unknown>((resolve, reject) => {
    settle = (err, value) => (err ? reject(err) : resolve(value));
  });
  const context: Context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: msg.requestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: data.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
    done: (error?: Error, result?: unknown) => settle?.(error, result),
    fail: (error: Error | string) => settle?.(error, undefined),
    succeed: (result: unknown) => settle?.(undefined, result),
  };
  if (msg.utf8Fields) {
    // Text the main thread handed over as bytes (lambda-protocol.ts, Utf8Text): the handler sees strings.
    const event = msg.event as Record<string, Uint8Array | string>;
    for (const k of msg.utf8Fields) {
      const b = event[k] as Uint8Array;
      event[k] = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
    }
  }
  const returned = handler(msg.event, context, (err, result) => settle?.(err, result));
  // Async handlers return a promise; callback-style handlers (3 parameters) call back instead.
  if (returned !== null && typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
    return await returned;
  }
  if (handler.length >= 3) return await viaCallback;
  return returned;
}

parentPort?.on('message', (msg: InvokeMessage) => {
  const started = Date.now();
  invoke(msg).then(
    (value) => {
      let json: unknown = null;
      try {
        // Lambda returns the JSON serialisation of the result; do the same (drops functions, dates → strings).
        json = value === undefined ? null : JSON.parse(JSON.stringify(value));
      } catch (err) {
        const reply: WorkerReply = {
          id: msg.id,
          ok: false,
          error: serialiseError(err),
          durationMs: Date.now() - started,
        };
        parentPort?.postMessage(reply);
        return;
      }
      const reply: WorkerReply = { id: msg.id, ok: true, value: json, durationMs: Date.now() - started };
      parentPort?.postMessage(reply);
    },
    (err: unknown) => {
      const reply: WorkerReply = {
        id: msg.id,
        ok: false,
        error: serialiseError(err),
        initFailed: err instanceof InitError,
        durationMs: Date.now() - started,
      };
      parentPort?.postMessage(reply);
    },
  );
});
