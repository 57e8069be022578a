/** How `npm start` shows the services' logs: as they write them, or as lines a person scans. */
export type LogFormat = 'json' | 'lines';

/** Lines in a terminal; JSON otherwise (a file, a pipe, ECS); `FRAMEPROOF_LOG_FORMAT` decides over both. */
export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): LogFormat {
  const chosen = env.FRAMEPROOF_LOG_FORMAT;
  if (chosen === 'json' || chosen === 'lines') return chosen;
  return isTTY ? 'lines' : 'json';
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: '',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every line has, or that the line's own layout already shows. */
const SHOWN = new Set([
  ...['level', 'time', 'pid', 'hostname', 'msg', 'service', 'workerId'],
  ...['reqId', 'req', 'res', 'responseTime'],
]);

function value(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  const short = text.length > 160 ? `${text.slice(0, 157)}...` : text;
  return /[\s"=]/.test(short) && typeof v === 'string' ? JSON.stringify(short) : short;
}

function clock(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? '' : date.toTimeString().slice(0, 8);
}

interface Entry {
  level?: number;
  time?: number | string;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
  [key: string]: unknown;
}

/**
 * Turns one service's pino JSON lines into short lines with the service's name: one line per
 * request (the completed one, with method, path, status and time), the message and its fields
 * for everything else. Lines that are not JSON (the first start's password banner) pass as
 * they are.
 */
export class LogLines {
  private readonly requests = new Map<string, string>();
  private readonly prefix: string;

  constructor(service: string, width = 8) {
    this.prefix = service.padEnd(width);
  }

  /** The line to print for `line`, or null for nothing (a request's first half). */
  format(line: string): string | null {
    let entry: Entry;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not a log entry');
      entry = parsed as Entry;
    } catch {
      return line.trim() === '' ? line : `${this.prefix} ${line}`;
    }
    const level = LEVELS[entry.level ?? 30] ?? String(entry.level);
    const head = `${clock(entry.time)} ${this.prefix}${level ? ` ${level}` : ''}`;
    if (entry.msg === 'incoming request' && entry.reqId && entry.req) {
      this.requests.set(entry.reqId, `${entry.req.method ?? ''} ${entry.req.url ?? ''}`);
      return null;
    }
    if (entry.msg === 'request completed' && entry.reqId) {
      const request = this.requests.get(entry.reqId) ?? '';
      this.requests.delete(entry.reqId);
      const ms = entry.responseTime === undefined ? '' : ` ${Math.round(entry.responseTime)} ms`;
      return `${head} ${request} ${entry.res?.statusCode ?? ''}${ms}`;
    }
    const fields = Object.entries(entry)
      .filter(([key, v]) => !SHOWN.has(key) && key !== 'err' && v !== undefined)
      .map(([key, v]) => `${key}=${value(v)}`);
    if (entry.err?.message) fields.push(`error=${value(entry.err.message)}`);
    const text = [entry.msg ?? '', ...fields].filter(Boolean).join(' ');
    const stack = (entry.level ?? 30) >= 50 && entry.err?.stack ? `\n${entry.err.stack}` : '';
    return `${head} ${text}${stack}`;
  }
}
