import type { LogLevel } from '@frameproof/core';
import { pino, type Logger as Pino } from 'pino';

/**
 * The log shape of every service: pino's, called `(fields, message)`, errors under `err` (with
 * their stack), one JSON object per line on stdout as CloudWatch reads them. Fastify's logger
 * (the adapter, analyze) is the same pino.
 */
export type Logger = Pick<Pino, 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'level'> & {
  child(bindings: Record<string, unknown>): Logger;
};

/** pino's options for that shape; pass them to Fastify as `logger` too. */
export function loggerOptions(level: LogLevel = 'info') {
  return {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
}

/** A pino logger; `write` receives each line instead of stdout (tests). */
export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const options = loggerOptions(level);
  return write ? pino(options, { write: (line: string) => write(line.trimEnd()) }) : pino(options);
}

/** For tests and tools: says nothing. */
export const silentLogger: Logger = createLogger('silent');
