import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';
import { openStorage, type Storage } from '@frameproof/storage';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { type AdapterConfig, readConfig } from '../src/config.js';
import { type AppContext, type ContextOptions, createContext } from '../src/context.js';
import { type Database, openPglite, openPostgres } from '../src/db/database.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const RUNNER = { username: 'runner', password: 'runner-password-for-tests' };

/**
 * The databases every database test runs on: embedded PGlite always, and the real PostgreSQL
 * server when TEST_DATABASE_URL is set (CI sets it). Starting PGlite takes seconds, so each test
 * file (one process) opens each database once and empties it between tests.
 */
export const DATABASES: { name: string; open: () => Promise<Database> }[] = [
  { name: 'pglite', open: reused('pglite', () => openPglite()) },
  ...(process.env.TEST_DATABASE_URL
    ? [
        {
          name: 'postgres',
          open: reused('postgres', () => freshPostgres(process.env.TEST_DATABASE_URL as string)),
        },
      ]
    : []),
];

const shared = new Map<string, Promise<Database>>();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const db of shared.values()) await (await db).close();
  for (const cleanup of cleanups) await cleanup();
});
function reused(name: string, open: () => Promise<Database>): () => Promise<Database> {
  return async () => {
    let db = shared.get(name);
    if (!db) {
      db = open();
      shared.set(name, db);
    }
    const real = await db;
    // A view of the shared database whose close() empties it for the next test instead.
    return Object.assign(Object.create(real) as Database, {
      close: async () => {
        const tables = await real.query<{ tablename: string }>(
          `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
        );
        if (tables.length)
          await real.exec(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')} CASCADE`);
      },
    });
  };
}

let counter = 0;
/** A new empty database on the server; it is dropped when the test file ends. Returns its URL. */
export async function createTestDatabase(url: string): Promise<string> {
  const name = `frameproof_test_${process.pid}_${counter++}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(() => dropDatabase(url, name));
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

async function freshPostgres(url: string): Promise<Database> {
  return openPostgres(await createTestDatabase(url), 5);
}

async function dropDatabase(url: string, name: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  storage: Storage;
  dir: string;
  token(username?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The storage, made in the app's folder; a local folder there by default. */
  storage?: (dir: string) => Storage;
  /** Off by default. */
  logger?: NonNullable<Parameters<typeof buildApp>[1]>['logger'];
  /** What the context takes besides its config (an injected clock). */
  context?: ContextOptions;
}

export async function startApp(
  openDb: () => Promise<Database>,
  overrides: Partial<AdapterConfig> = {},
  { storage, logger = false, context = {} }: StartOptions = {},
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
  const store = storage ? storage(dir) : openStorage(join(dir, 'media'));
  const ctx = await createContext(config, db, store, context);
  const app = await buildApp(ctx, { logger });
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
      await app.close();
      await ctx.close();
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

/** Creates people with these roles, `{ username: role }` (password `password-1234`). */
export async function addUsers(t: TestApp, users: Record<string, string>): Promise<void> {
  for (const [username, role] of Object.entries(users)) await addUser(t, role, username);
}

/** POSTs one file as a new asset, as `token`'s user; the answer is the test's to check. */
export function postAsset(
  t: TestApp,
  token: string,
  fields: Record<string, string>,
  file: { name: string; type: string; data: Buffer },
) {
  const form = multipart(fields, file);
  return t.app.inject({
    method: 'POST',
    url: '/api/assets',
    headers: { ...form.headers, ...auth(token) },
    payload: form.payload,
  });
}

/** Uploads a small file as `token`'s user and returns the new asset's id. */
export async function uploadAsset(
  t: TestApp,
  token: string,
  title = 'Clip',
  data = Buffer.from('bytes'),
): Promise<string> {
  const res = await postAsset(t, token, { title }, { name: `${title}.mov`, type: 'video/quicktime', data });
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/**
 * Creates a local user `username` (named after the role unless given) and signs them in. A
 * person but an admin becomes a member of `project` (the deployment's first project unless
 * given; none with `null`) at their role.
 */
export async function addUser(
  t: TestApp,
  role: string,
  username = role,
  project?: string | null,
): Promise<string> {
  const admin = await t.token();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/users',
    headers: auth(admin),
    payload: { username, password: 'password-1234', role },
  });
  assert.equal(res.statusCode, 201, res.body);
  if (project !== null && role !== 'admin')
    await addMember(t, project ?? (await firstProject(t)), (res.json() as { id: string }).id, role);
  return t.token(username);
}

/** The id of the deployment's first project (a new deployment has one, "Default"). */
export async function firstProject(t: TestApp): Promise<string> {
  const res = await t.app.inject({ url: '/api/projects', headers: auth(await t.token()) });
  const first = (res.json() as { items: { id: string }[] }).items[0];
  if (!first) throw new Error(`no project: ${res.body}`);
  return first.id;
}

/** Makes a user a member of a project with `role` (as the admin). */
export async function addMember(t: TestApp, projectId: string, userId: string, role?: string): Promise<void> {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/api/projects/${projectId}/members/${userId}`,
    headers: auth(await t.token()),
    payload: role ? { role } : {},
  });
  assert.equal(res.statusCode, 200, res.body);
}

/** Creates a project (as the admin) and returns its id. */
export async function addProject(t: TestApp, name: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: auth(await t.token()),
    payload: { name },
  });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

/** The names of the files below `dir`, at any depth; none when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Technical metadata as the probe reports it, for a video with `audioTracks` stereo tracks. */
export function technical(
  opts: {
    rate?: [number, number];
    frames?: number;
    startTimecode?: string;
    audioTracks?: number;
    video?: boolean;
  } = {},
) {
  const [num, den] = opts.rate ?? [30000, 1001];
  const frames = opts.frames ?? 1800;
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: (frames * den) / num,
    ...(opts.startTimecode
      ? { startTimecode: opts.startTimecode, dropFrame: opts.startTimecode.includes(';') }
      : {}),
    video:
      opts.video === false
        ? []
        : [
            {
              index: 0,
              codec: 'h264',
              width: 1920,
              height: 1080,
              frameRate: { num, den },
              variableFrameRate: false,
              frameCount: frames,
            },
          ],
    audio: Array.from({ length: opts.audioTracks ?? 1 }, (_, i) => ({
      index: i + 1,
      track: i + 1,
      codec: 'pcm_s24le',
      channels: 2,
      sampleRate: 48000,
    })),
    subtitles: [],
  };
}

/** Plays the worker: leases the next job of `type` with the service account and completes it. */
export async function runJob(
  t: TestApp,
  type: string,
  result: Record<string, unknown>,
): Promise<{ id: string; payload: Record<string, unknown> }> {
  const token = await t.token(RUNNER.username);
  const lease = await t.app.inject({
    method: 'POST',
    url: '/api/runner/lease',
    headers: auth(token),
    payload: { workerId: 'test-worker', types: [type] },
  });
  const job = (
    lease.json() as { jobs: { id: string; leaseToken: string; payload: Record<string, unknown> }[] }
  ).jobs[0];
  if (!job) throw new Error(`no ${type} job to lease: ${lease.body}`);
  const done = await t.app.inject({
    method: 'POST',
    url: `/api/runner/jobs/${job.id}/complete`,
    headers: auth(token),
    payload: { leaseToken: job.leaseToken, result },
  });
  if (done.statusCode !== 200) throw new Error(`complete ${type}: ${done.statusCode} ${done.body}`);
  return job;
}
