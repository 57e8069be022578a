import { ApiError } from '@frameproof/client';

/** A failure the user can act on: what went wrong, then what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Any error, in words for the terminal (or for `--json`). */
export function explain(err: unknown, url?: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof ApiError) {
    const what = err.body?.message ?? `HTTP ${err.status}`;
    if (err.status === 401)
      return new CliError(`the server refused the session (${what})`, 'sign in again: frameproof login', 3);
    if (err.status === 403)
      return new CliError(`not allowed: ${what}`, 'ask an admin for a role that may do this', 3);
    if (err.status === 404)
      return new CliError(`not found: ${what}`, 'check the id (frameproof assets list)', 4);
    return new CliError(`the server answered ${err.status}: ${what}`, undefined, 1);
  }
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH')
    return new CliError(
      `cannot reach Frameproof${url ? ` at ${url}` : ''} (${code})`,
      'is it running (npm start)? Is the URL right (frameproof login URL)?',
      2,
    );
  return new CliError(err instanceof Error ? err.message : String(err));
}
