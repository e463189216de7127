// Validation errors for incoming events: one error type that names every failing field by its path
// (`Records.0.s3.object.key`) and the problem, so a bad event is diagnosable from the message alone.
import * as z from '../zod.ts';

export interface EventIssue {
  path: string;
  message: string;
}

export class EventValidationError extends Error {
  readonly issues: EventIssue[];
  constructor(label: string, issues: EventIssue[]) {
    super(`Invalid ${label}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'EventValidationError';
    this.issues = issues;
  }
}

/** Turns zod issues into `{ path, message }` pairs with dotted paths. */
export function describeIssues(error: z.core.$ZodError): EventIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/** Parses `input` with `schema`; on failure throws EventValidationError naming each bad field. */
export function parseEvent<S extends z.core.$ZodType>(schema: S, input: unknown, label: string): z.output<S> {
  const result = z.safeParse(schema, input);
  if (!result.success) throw new EventValidationError(label, describeIssues(result.error));
  return result.data;
}
