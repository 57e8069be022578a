/**
 * The adapter's API benchmark (`npm run bench -- api`), in-process with autocannon:
 *  - `GET /api/assets` (a page of 50 of 10,000 assets), and
 *  - `GET /api/assets/:id/markers` (an asset with 10,000 markers),
 * on PGlite and on PostgreSQL (BENCH_DATABASE_URL, default the machine's server), each next to a
 * bare route in the same process that returns the same rows with a single query: the ratio of
 * our p50 to the bare p50 is what the adapter adds (auth, validation, mapping, serialization).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  buildApp,
  createContext,
  type Database,
  openPglite,
  openPostgres,
  readConfig,
} from '../packages/adapter/src/index.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 4;
const ASSETS = 10_000;
const MARKERS = 10_000;

interface Measure {
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(url: string, token?: string): Promise<Measure> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (result.non2xx || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** The page the API serves, fetched with one plain query and stringified: the floor. */
const BARE_ASSETS = `SELECT a.id, a.title, a.status, a.error, a.qc_status, a.qc_by, qu.username AS qc_by_username, a.qc_reason,
  a.qc_at, a.technical, a.frame_rate_num, a.frame_rate_den, a.duration_frames, a.start_timecode, a.drop_frame, a.metadata,
  a.analysis, a.created_by, a.created_at, a.updated_at FROM assets a LEFT JOIN users qu ON qu.id = a.qc_by
  ORDER BY a.created_at DESC, a.id DESC LIMIT 50`;
const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const BARE_MARKERS = `SELECT m.id, m.asset_id, m.start_frame, m.end_frame, m.title, m.description, m.group_name, m.category,
  m.severity, m.color, m.author_id, u.username, ${ISO('m.created_at')} AS created_at, ${ISO('m.updated_at')} AS updated_at
  FROM markers m LEFT JOIN users u ON u.id = m.author_id WHERE m.asset_id = $1 ORDER BY m.start_frame, m.end_frame, m.id`;

async function benchDatabase(name: string, db: Database) {
  const dir = await mkdtemp(join(tmpdir(), 'frameproof-bench-api-'));
  const config = {
    ...readConfig({ FRAMEPROOF_DATA_DIR: dir, LOG_LEVEL: 'silent' }),
    adminPassword: 'bench-password',
    busPort: null,
  };
  const ctx = await createContext(config, db);
  const app = await buildApp(ctx, { logger: false });
  app.get('/bare/assets', { config: { public: true } }, async (_req, reply) =>
    reply.type('application/json').send(JSON.stringify(await db.query(BARE_ASSETS))),
  );
  app.get('/bare/markers/:id', { config: { public: true } }, async (req, reply) =>
    reply
      .type('application/json')
      .send(JSON.stringify(await db.query(BARE_MARKERS, [(req.params as { id: string }).id]))),
  );
  const [admin] = await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`);
  await db.query(
    `INSERT INTO assets (title, created_by, status, metadata, created_at)
     SELECT 'Programme ' || g, $1, 'ready', jsonb_build_object('episode', g), now() - make_interval(secs => g)
     FROM generate_series(1, $2::int) g`,
    [admin?.id, ASSETS],
  );
  const [asset] = await db.query<{ id: string }>(`SELECT id FROM assets ORDER BY created_at DESC LIMIT 1`);
  await db.query(
    `UPDATE assets SET frame_rate_num = 25, frame_rate_den = 1, duration_frames = $2 WHERE id = $1`,
    [asset?.id, MARKERS * 10 + 10],
  );
  await db.query(
    `INSERT INTO markers (asset_id, start_frame, end_frame, title, group_name, category, severity, author_id)
     SELECT $1, g * 10, g * 10 + 5, 'Marker ' || g, 'Manual', 'video', 'minor', $2 FROM generate_series(0, $3::int - 1) g`,
    [asset?.id, admin?.id, MARKERS],
  );
  await db.exec('ANALYZE');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'bench-password' }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };

  const out: Record<string, unknown> = {};
  for (const [route, ours, bare] of [
    ['assets page (50 of 10,000)', `${base}/api/assets?limit=50`, `${base}/bare/assets`],
    [
      'markers (10,000 on one asset)',
      `${base}/api/assets/${asset?.id}/markers`,
      `${base}/bare/markers/${asset?.id}`,
    ],
  ] as const) {
    await measure(bare); // warm-up of both paths
    await measure(ours, accessToken);
    const b = await measure(bare);
    const o = await measure(ours, accessToken);
    out[route] = { ours: o, bare: b, p50Ratio: Math.round((o.p50 / Math.max(b.p50, 0.5)) * 100) / 100 };
    console.error(`${name} ${route}: ours p50 ${o.p50} ms, bare p50 ${b.p50} ms`);
  }
  await app.close();
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
  return out;
}

export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    target: 'p50Ratio <= 1.5',
  };
  results.pglite = await benchDatabase('pglite', await openPglite());
  const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `frameproof_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    results.postgres = await benchDatabase('postgres', await openPostgres(url.toString()));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
  return results;
}
