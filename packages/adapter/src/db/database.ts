import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** Something that runs SQL: the database, or a transaction in it. */
export interface Queryable {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/**
 * The adapter's PostgreSQL: embedded PGlite on one machine, a real server (RDS) at scale. The
 * same SQL runs on both; keep it to what PostgreSQL 15 accepts.
 */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several statements (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Cross-instance notifications; resolves to a function that stops listening. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  constructor(private readonly db: PGlite) {}
  async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return (await this.db.query<T>(sql, params as unknown[])).rows;
  }
  async exec(sql: string) {
    await this.db.exec(sql);
  }
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      fn({
        query: async <R>(sql: string, params?: readonly unknown[]) =>
          (await tx.query<R>(sql, params as unknown[])).rows,
      }),
    );
  }
  listen(channel: string, handler: (payload: string) => void) {
    return this.db.listen(channel, handler);
  }
  async notify(channel: string, payload: string) {
    await this.db.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }
  async close() {
    await this.db.close();
  }
}

/**
 * One query at a time on a client: pg 8 queues overlapping `client.query()` calls with a
 * deprecation warning, and pg 9 refuses them. Callers may still overlap (a transaction's steps
 * run with `Promise.all`); they wait here, in order, instead of in the driver.
 */
function oneAtATime(client: pg.ClientBase): <R>(sql: string, params?: readonly unknown[]) => Promise<R[]> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(sql: string, params?: readonly unknown[]) => {
    const result = tail.then(async () => (await client.query(sql, params as unknown[])).rows as R[]);
    tail = result.catch(() => undefined);
    return result;
  };
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private listener: Promise<{ client: pg.Client; query: ReturnType<typeof oneAtATime> }> | undefined;
  private readonly handlers = new Map<string, ((payload: string) => void)[]>();
  constructor(
    private readonly pool: pg.Pool,
    private readonly config: pg.PoolConfig,
  ) {}
  async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return (await this.pool.query(sql, params as unknown[])).rows as T[];
  }
  async exec(sql: string) {
    await this.pool.query(sql);
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const query = oneAtATime(client);
    try {
      await query('BEGIN');
      const result = await fn({ query });
      await query('COMMIT');
      return result;
    } catch (err) {
      await query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  /** The one connection that LISTENs, opened once however many callers ask at the same time. */
  private connectListener() {
    this.listener ??= (async () => {
      const client = new pg.Client(this.config);
      await client.connect();
      client.on('notification', (msg) => {
        for (const h of this.handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
      });
      return { client, query: oneAtATime(client) };
    })().catch((err: unknown) => {
      this.listener = undefined; // the next caller tries again
      throw err;
    });
    return this.listener;
  }

  async listen(channel: string, handler: (payload: string) => void) {
    const pending = this.connectListener();
    const listener = await pending;
    const list = this.handlers.get(channel) ?? [];
    if (list.length === 0) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
    return async () => {
      const rest = (this.handlers.get(channel) ?? []).filter((h) => h !== handler);
      this.handlers.set(channel, rest);
      if (rest.length === 0)
        await listener.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
      if ([...this.handlers.values()].every((l) => l.length === 0) && this.listener === pending) {
        this.listener = undefined;
        await listener.client.end().catch(() => undefined);
      }
    };
  }
  async notify(channel: string, payload: string) {
    await this.pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }
  async close() {
    const listener = await this.listener?.catch(() => undefined);
    await listener?.client.end().catch(() => undefined);
    await this.pool.end();
  }
}

export async function openPglite(dataDir?: string): Promise<Database> {
  const db = new PGlite(dataDir);
  await db.waitReady;
  return new PgliteDatabase(db);
}

export async function openPostgres(connectionString: string, max = 10): Promise<Database> {
  const config: pg.PoolConfig = { connectionString, max };
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined); // idle client errors surface on the next query instead
  await pool.query('SELECT 1');
  return new PostgresDatabase(pool, config);
}
