import { pino, type Logger as Pino } from 'pino';

/** Structured log lines (pino's JSON, one object per line on stdout), as CloudWatch reads them. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Errors anywhere in the fields are written with their message, as pino does for `err`. */
function fieldsOf(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields))
    out[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
  return out;
}

function wrap(p: Pino): Logger {
  return {
    debug: (msg, fields) => p.debug(fieldsOf(fields), msg),
    info: (msg, fields) => p.info(fieldsOf(fields), msg),
    warn: (msg, fields) => p.warn(fieldsOf(fields), msg),
    error: (msg, fields) => p.error(fieldsOf(fields), msg),
    child: (fields) => wrap(p.child(fields)),
  };
}

/** A pino logger; `write` receives each line instead of stdout (tests). */
export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  return wrap(write ? pino(options, { write: (line: string) => write(line.trimEnd()) }) : pino(options));
}

/** For tests and tools: says nothing. */
export const silentLogger: Logger = createLogger('silent');
