// Messages between the function pool (lambda.ts, main thread) and a worker thread (worker.ts).

export interface WorkerData {
  functionName: string;
  functionArn: string;
  memoryMb: number;
  entry: string;
  entryPath: string;
  handlerName: string;
  logStreamName: string;
}

export interface InvokeMessage {
  id: number;
  requestId: string;
  event: unknown;
  /** Epoch ms at which the invocation times out (for a cold start: counted again from the end of init). */
  deadline: number;
  /** The function's timeout: a cold start's handler gets it from the end of its init phase, as on Lambda. */
  timeoutMs: number;
}

/** Sent by a worker when its module has loaded during an invocation (the end of Lambda's init phase). */
export interface InitDoneMessage {
  id: number;
  initDone: true;
}

export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  stack: string[];
  /** Last lines the function printed during the failed invocation (local aid, not in Lambda's payload). */
  logTail?: string[];
}

export interface WorkerReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: LambdaErrorPayload;
  /** The module failed to load: the worker is discarded so that a fixed file is picked up next time. */
  initFailed?: boolean;
  durationMs: number;
}
