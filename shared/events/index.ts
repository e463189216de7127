// The typed event library: one zod schema per event the pipelines receive, the TypeScript types inferred
// from them, helpers to read them, and builders that make realistic events for tests and the local cloud.
export * from './alarm.ts';
export * from './builders.ts';
export * from './errors.ts';
export * from './firehose.ts';
export * from './http.ts';
export * from './s3.ts';
export * from './sns.ts';
