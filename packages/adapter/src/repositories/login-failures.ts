import type { Queryable } from '../db/database.js';

/** A key's failed sign-ins: how many, and when the last one was (ms since 1970). */
export interface FailureCount {
  failures: number;
  lastMs: number;
}

/** Failed sign-ins per key (`account:...`, `address:...`), shared by every adapter instance. */
export class LoginFailuresRepository {
  constructor(private readonly db: Queryable) {}

  async get(keys: readonly string[]): Promise<Map<string, FailureCount>> {
    const rows = await this.db.query<{ key: string; failures: number; last_ms: string | number }>(
      'SELECT key, failures, last_ms FROM login_failures WHERE key = ANY($1::text[])',
      [keys],
    );
    return new Map(rows.map((r) => [r.key, { failures: r.failures, lastMs: Number(r.last_ms) }]));
  }

  /**
   * One more failure for each key, at `nowMs`, in one statement; a count whose last failure is
   * before `forgetBeforeMs` starts again from one.
   */
  async add(keys: readonly string[], nowMs: number, forgetBeforeMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO login_failures (key, failures, last_ms) SELECT k, 1, $2 FROM unnest($1::text[]) AS k
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN login_failures.last_ms < $3 THEN 1 ELSE login_failures.failures + 1 END,
         last_ms = GREATEST(login_failures.last_ms, EXCLUDED.last_ms)`,
      [keys, nowMs, forgetBeforeMs],
    );
  }

  async clear(key: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE key = $1', [key]);
  }

  /** Forgets counts quiet since before `beforeMs`; returns how many. */
  async purge(beforeMs: number): Promise<number> {
    const rows = await this.db.query('DELETE FROM login_failures WHERE last_ms < $1 RETURNING key', [
      beforeMs,
    ]);
    return rows.length;
  }
}
