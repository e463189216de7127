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

/**
 * A text field of an event still held as its UTF-8 bytes (the local API Gateway's request body). The pool
 * hands the bytes to the function's worker, which decodes them into the string the handler sees (as
 * `Buffer#toString('utf8')` would on the main thread): a large body is then decoded in the function's own
 * thread, not on the main thread that serves every request of the local cloud. The bytes are given away:
 * when they are the whole of their ArrayBuffer, the pool transfers it to the worker instead of copying it,
 * so whoever makes a Utf8Text must not read the bytes afterwards.
 */
export class Utf8Text {
  /** The length in bytes, kept: after a transfer the bytes themselves read as empty. */
  readonly byteLength: number;

  constructor(readonly bytes: Uint8Array) {
    this.byteLength = bytes.byteLength;
  }
}

export interface InvokeMessage {
  id: number;
  requestId: string;
  event: unknown;
  /** Top-level fields of `event` sent as UTF-8 bytes (Utf8Text), for the worker to decode into strings. */
  utf8Fields?: string[];
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
