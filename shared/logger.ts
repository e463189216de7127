// Structured JSON logging through Powertools Logger, one instance per function (service name), so that
// every log line carries the function's context and the correlation ids Powertools extracts.
import { Logger } from '@aws-lambda-powertools/logger';

export function createLogger(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'INFO',
  });
}

export type { Logger };
