// Dead-letter store for asynchronous invocations that failed every attempt (the local stand-in for a
// Lambda on-failure destination). Persisted in <dataDir>/dlq.jsonl, readable at GET /_local/dlq.
import path from 'node:path';
import { JsonlStore } from './jsonl-store.ts';
import type { LambdaErrorPayload } from './lambda-protocol.ts';

export interface DeadLetter {
  functionId: string;
  event: unknown;
  error: LambdaErrorPayload;
  attempts: number;
  time: string;
}

export class DeadLetterStore extends JsonlStore<DeadLetter> {
  /** `scrub` removes secrets (a real Slack webhook URL) from each dead letter before it is kept or written. */
  constructor(
    dataDir: string,
    private readonly scrub: (d: DeadLetter) => DeadLetter = (d) => d,
  ) {
    super(path.join(dataDir, 'dlq.jsonl'));
  }

  override add(item: DeadLetter): Promise<void> {
    return super.add(this.scrub(item));
  }
}
