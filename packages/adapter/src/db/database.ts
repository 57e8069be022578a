import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { unavailable } from '@frameproof/core';

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
  /**
   * Runs `handler` each time notifications are heard again after a gap (the LISTEN connection
   * came back): what was sent meanwhile was not heard. Resolves to a function that stops it.
   */
  onListenResumed(handler: () => void): () => void;
  /**
   * Embedded only: the whole data folder as a gzipped tar, copied with no statement or
   * transaction in flight (what a restore loads with PGlite's `loadDataDir`).
   */
  dumpDataDir?(): Promise<Blob>;
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
  onListenResumed(): () => void {
    return () => undefined; // in the process: never interrupted
  }
  async dumpDataDir(): Promise<Blob> {
    // A checkpoint first, so that the copy needs little WAL replay to open; then the copy, holding
    // the lock every statement and transaction takes (PGlite's `query` and `transaction` alike).
    await this.db.query('CHECKPOINT');
    return this.db._runExclusiveTransaction(() => this.db.dumpDataDir('gzip'));
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

/** SQLSTATE classes and codes that say the server went away, not that the statement was wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable|the database system is/i;

/**
 * Whether `err` means the database cannot be reached now (stopped, restarting, network), so
 * the request may succeed when retried: answered 503, never 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08/.test(code))) return true;
  return UNAVAILABLE_MESSAGES.test(err.message);
}

/** What a request gets while the database is away: 503 with a reason and when to try again. */
export const DATABASE_UNAVAILABLE = 'the database is unavailable right now; try again in a few seconds';
const unavailableError = () => unavailable(DATABASE_UNAVAILABLE, 5);
const translate = (err: unknown): unknown => (isDatabaseUnavailable(err) ? unavailableError() : err);

interface Listener {
  client: pg.Client;
  query: ReturnType<typeof oneAtATime>;
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private listener: Promise<Listener> | undefined;
  /** The LISTEN connection now open, to tell its loss from that of one already replaced. */
  private listenerClient: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 250;
  /** The LISTEN connection broke since it last listened: the next one tells `resumed`. */
  private interrupted = false;
  private readonly resumed = new Set<() => void>();
  private closed = false;
  private readonly handlers = new Map<string, ((payload: string) => void)[]>();
  constructor(
    private readonly pool: pg.Pool,
    private readonly config: pg.PoolConfig,
  ) {}
  async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query(sql, params as unknown[])).rows as T[];
    } catch (err) {
      throw translate(err);
    }
  }
  async exec(sql: string) {
    await this.query(sql);
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    // A connection lost between two statements is reported as an event on the client; without
    // a listener that would end the process. The next statement fails instead.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
    };
    client.on('error', onError);
    const run = oneAtATime(client);
    const query = async <R>(sql: string, params?: readonly unknown[]) => {
      try {
        return await run<R>(sql, params);
      } catch (err) {
        if (isDatabaseUnavailable(err)) lost ??= err as Error;
        throw translate(err);
      }
    };
    try {
      await query('BEGIN');
      const result = await fn({ query });
      await query('COMMIT');
      return result;
    } catch (err) {
      if (!lost) await run('ROLLBACK').catch(() => undefined);
      throw translate(err);
    } finally {
      client.off('error', onError);
      // A broken connection is thrown away rather than handed to the next caller.
      client.release(lost);
    }
  }

  /**
   * The one connection that LISTENs, opened once however many callers ask at the same time. It
   * listens on every channel that has handlers, so a reconnection takes them all up again.
   */
  private connectListener(): Promise<Listener> {
    this.listener ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('error', () => this.listenerLost(client));
      client.on('end', () => this.listenerLost(client));
      client.on('notification', (msg) => {
        for (const h of this.handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
      });
      try {
        await client.connect();
        const query = oneAtATime(client);
        for (const [channel, list] of this.handlers)
          if (list.length > 0) await query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        this.listenerClient = client;
        this.reconnectDelayMs = 250;
        if (this.interrupted) {
          this.interrupted = false;
          for (const handler of this.resumed) handler();
        }
        return { client, query };
      } catch (err) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        throw err;
      }
    })().catch((err: unknown) => {
      this.listener = undefined; // the next caller, or the reconnection, tries again
      throw translate(err);
    });
    return this.listener;
  }

  /** The LISTEN connection broke (the server restarted): open another, with backoff, until one holds. */
  private listenerLost(client: pg.Client) {
    if (this.listenerClient !== client) return;
    this.interrupted = true;
    this.listenerClient = undefined;
    this.listener = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }
  private scheduleReconnect() {
    if (this.closed || this.reconnect || ![...this.handlers.values()].some((l) => l.length > 0)) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(2000, delay * 2);
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      this.connectListener().catch(() => this.scheduleReconnect());
    }, delay);
    this.reconnect.unref();
  }

  async listen(channel: string, handler: (payload: string) => void) {
    const list = this.handlers.get(channel) ?? [];
    this.handlers.set(channel, [...list, handler]);
    try {
      const listener = await this.connectListener();
      if (list.length === 0) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      this.handlers.set(
        channel,
        (this.handlers.get(channel) ?? []).filter((h) => h !== handler),
      );
      throw translate(err);
    }
    return async () => {
      const rest = (this.handlers.get(channel) ?? []).filter((h) => h !== handler);
      this.handlers.set(channel, rest);
      const listener = await this.listener?.catch(() => undefined);
      if (!listener) return;
      if (rest.length === 0)
        await listener.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
      if ([...this.handlers.values()].every((l) => l.length === 0)) {
        this.listenerClient = undefined;
        this.listener = undefined;
        await listener.client.end().catch(() => undefined);
      }
    };
  }
  async notify(channel: string, payload: string) {
    await this.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }
  onListenResumed(handler: () => void): () => void {
    this.resumed.add(handler);
    return () => this.resumed.delete(handler);
  }
  async close() {
    this.closed = true;
    clearTimeout(this.reconnect);
    const listener = await this.listener?.catch(() => undefined);
    this.listenerClient = undefined;
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
  // A server that does not answer makes a request wait at most this long for a connection,
  // then answer 503, rather than hang.
  const config: pg.PoolConfig = { connectionString, max, connectionTimeoutMillis: 5000 };
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined); // idle client errors surface on the next query instead
  await pool.query('SELECT 1');
  return new PostgresDatabase(pool, config);
}
