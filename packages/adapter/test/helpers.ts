import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LocalStorage, type Storage } from '@frameproof/storage';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { type AdapterConfig, readConfig } from '../src/config.js';
import { type AppContext, createContext } from '../src/context.js';
import { type Database, openPglite, openPostgres } from '../src/db/database.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const RUNNER = { username: 'runner', password: 'runner-password-for-tests' };

/**
 * The databases every database test runs on: embedded PGlite always, and the real PostgreSQL
 * server when TEST_DATABASE_URL is set (CI sets it).
 */
export const DATABASES: { name: string; open: () => Promise<Database> }[] = [
  { name: 'pglite', open: () => openPglite() },
  ...(process.env.TEST_DATABASE_URL
    ? [{ name: 'postgres', open: () => freshPostgres(process.env.TEST_DATABASE_URL as string) }]
    : []),
];

let counter = 0;
/** A new empty database on the server for one test app, dropped when it closes. */
async function freshPostgres(url: string): Promise<Database> {
  const name = `frameproof_test_${process.pid}_${Date.now()}_${counter++}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const db = await openPostgres(target.toString(), 5);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  return db;
}

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  storage: Storage;
  dir: string;
  token(username?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApp(
  openDb: () => Promise<Database>,
  overrides: Partial<AdapterConfig> = {},
  storage?: (dir: string) => Storage,
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'frameproof-adapter-'));
  const config: AdapterConfig = {
    ...readConfig({ FRAMEPROOF_DATA_DIR: dir }),
    adminPassword: ADMIN_PASSWORD,
    runner: RUNNER,
    busPort: null,
    ...overrides,
  };
  const db = await openDb();
  const store = storage ? storage(dir) : new LocalStorage(join(dir, 'media'));
  const ctx = await createContext(config, db, store);
  const app = await buildApp(ctx, { logger: false });
  const tokens = new Map<string, string>();
  return {
    app,
    ctx,
    storage: store,
    dir,
    async token(
      username = 'admin',
      password = username === 'admin'
        ? ADMIN_PASSWORD
        : username === RUNNER.username
          ? RUNNER.password
          : 'password-1234',
    ) {
      const cached = tokens.get(username);
      if (cached) return cached;
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password },
      });
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
      const token = (res.json() as { accessToken: string }).accessToken;
      tokens.set(username, token);
      return token;
    },
    async close() {
      ctx.pipeline.stopReaper();
      await app.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Registers the app's close with the test, so a failing test still cleans up. */
export async function appFor(
  t: TestContext,
  openDb: () => Promise<Database>,
  overrides: Partial<AdapterConfig> = {},
) {
  const app = await startApp(openDb, overrides);
  t.after(() => app.close());
  return app;
}

/** A multipart body with one file, as a browser or curl would send it. */
export function multipart(
  fields: Record<string, string>,
  file?: { name: string; type: string; data: Buffer; field?: string },
) {
  const boundary = `----frameproof${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });
