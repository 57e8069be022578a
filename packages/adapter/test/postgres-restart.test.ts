import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { EventBusMessage, LiveEvent, Marker } from '@frameproof/core';
import pg from 'pg';
import { WebSocket } from 'ws';
import { until } from '@frameproof/tests/until';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable, openPostgres } from '../src/db/database.js';
import { auth, runJob, startApp, technical, uploadAsset } from './helpers.js';
import { ownCluster, serverBin, skipWithoutServer } from './pg-cluster.js';

describe('database errors', () => {
  it('tells a server that went away from a bad statement', () => {
    const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    assert.ok(isDatabaseUnavailable(withCode('ECONNREFUSED')));
    assert.ok(
      isDatabaseUnavailable(withCode('57P01', 'terminating connection due to administrator command')),
    );
    assert.ok(isDatabaseUnavailable(withCode('57P03', 'the database system is starting up')));
    assert.ok(isDatabaseUnavailable(withCode('08006')));
    assert.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')));
    assert.ok(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect')));
    assert.ok(!isDatabaseUnavailable(withCode('23505', 'duplicate key value violates unique constraint')));
    assert.ok(!isDatabaseUnavailable(withCode('42P01', 'relation "x" does not exist')));
    assert.ok(!isDatabaseUnavailable('ECONNREFUSED'));
  });
});

const bin = serverBin();

/** The role the adapter connects as: not a superuser, so that a connection limit holds it. */
const ROLE = 'frameproof';

describe('PostgreSQL restarted under load', () => {
  it(
    'answers 503 while the database is away, reconnects by itself, and loses no acknowledged write nor its event',
    {
      skip: skipWithoutServer(),
      timeout: 600_000,
    },
    async (t) => {
      assert.ok(bin, 'no PostgreSQL server programs under /usr/lib/postgresql');
      const cluster = await ownCluster(bin);
      t.after(() => cluster.remove());
      // The adapter works as a role of its own, in its own database; the test, as the superuser.
      const server = new pg.Client(cluster.url);
      server.on('error', () => undefined); // the restart below ends this connection
      await server.connect();
      await server.query(`CREATE ROLE ${ROLE} LOGIN`);
      await server.query(`CREATE DATABASE ${ROLE} OWNER ${ROLE}`);
      await server.end();
      const POOL_SIZE = 5;
      const app = await startApp(() =>
        openPostgres(`postgres://${ROLE}@127.0.0.1:${cluster.port}/${ROLE}`, POOL_SIZE),
      );
      t.after(() => app.close());
      const events: LiveEvent[] = [];
      app.ctx.events.onEvent((e) => events.push(e));
      app.ctx.events.onError(() => undefined); // NOTIFYs that fail during the outage: read back later
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ frames: 100_000 }) });
      // A browser's socket, open from before the restart to after it.
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.app.server.address() as AddressInfo;
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/eventbus?assetId=${id}`, {
        headers: auth(token),
      });
      t.after(() => socket.terminate());
      const heard: LiveEvent[] = [];
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as EventBusMessage;
        if (message.type !== 'hello' && message.type !== 'resync') heard.push(message);
      });
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const caughtUpBefore = app.ctx.events.caughtUp;

      // Writers post markers until told to stop, keeping what each answer said.
      const acknowledged: string[] = [];
      const statuses = new Map<number, number>();
      const unavailableBodies: unknown[] = [];
      let stopWriters = false;
      /** Markers begun once LISTEN was down and acknowledged before it could come back. */
      const unheard: string[] = [];
      let listenDown = false;
      let frame = 0;
      const writer = async () => {
        for (let i = 0; i < 5000 && !stopWriters; i++) {
          const begunListenDown = listenDown;
          const res = await app.app.inject({
            method: 'POST',
            url: `/api/assets/${id}/markers`,
            headers: auth(token),
            payload: { start: { frame: frame++ % 100_000 }, title: `load ${frame}` },
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode === 201) {
            acknowledged.push((res.json() as Marker).id);
            if (begunListenDown && listenDown) unheard.push((res.json() as Marker).id);
          } else if (res.statusCode === 503) {
            unavailableBodies.push(res.json());
            await new Promise((resolve) => setTimeout(resolve, 20)); // a client backing off
          }
        }
      };
      const writers = [writer(), writer(), writer(), writer()];
      // Should an assertion fail, the writers stop too, rather than write on after the test.
      t.after(async () => {
        stopWriters = true;
        await Promise.allSettled(writers);
      });
      await until(() => acknowledged.length >= 20, 'writes before the restart', { ms: 60_000 });
      const beforeStop = acknowledged.length;

      await cluster.stop();
      const health = await app.app.inject({ url: '/api/health' });
      assert.equal(health.statusCode, 503);
      assert.deepEqual(health.json(), { status: 'unavailable', database: 'postgres' });
      const read = await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) });
      assert.equal(read.statusCode, 503, read.body);
      assert.equal(read.json().message, DATABASE_UNAVAILABLE);
      assert.equal(read.headers['retry-after'], '5');
      await until(() => (statuses.get(503) ?? 0) > 0, 'writers answered 503', { ms: 60_000 });

      await cluster.start();
      await until(
        async () => (await app.app.inject({ url: '/api/health' })).statusCode === 200,
        'healthy again',
        { ms: 120_000, everyMs: 100 },
      );
      const afterRestart = acknowledged.length;
      await until(() => acknowledged.length >= afterRestart + 20, 'writes after the restart', {
        ms: 120_000,
      });

      // Then LISTEN down while writes go through: its connection ended, and kept from coming
      // back by a connection limit on the adapter's role equal to its pool, full. What is
      // written meanwhile is announced by NOTIFY to no one: only the events table has it.
      const superuser = new pg.Client(cluster.url);
      superuser.on('error', () => undefined); // ended by the cluster's removal, should it come first
      await superuser.connect();
      t.after(() => superuser.end());
      const backends = async () =>
        (
          await superuser.query<{ pid: number; query: string }>(
            "SELECT pid, query FROM pg_stat_activity WHERE usename = $1 AND backend_type = 'client backend'",
            [ROLE],
          )
        ).rows;
      const isListener = (b: { query: string }) => b.query.startsWith('LISTEN ');
      // LISTEN back from the restart first (its reconnection backs off up to 2 s).
      await until(async () => (await backends()).some(isListener), 'LISTEN back after the restart', {
        ms: 30_000,
      });
      // Every connection of the pool open (and just used, so none idles out meanwhile): it has no
      // reason to open another, which the limit would refuse.
      await Promise.all(Array.from({ length: POOL_SIZE }, () => app.ctx.db.query('SELECT pg_sleep(0.2)')));
      const open = await backends();
      assert.equal(open.filter((b) => !isListener(b)).length, POOL_SIZE, JSON.stringify(open));
      const listener = open.filter(isListener);
      assert.equal(listener.length, 1, JSON.stringify(open));
      await superuser.query(`ALTER ROLE ${ROLE} CONNECTION LIMIT ${POOL_SIZE}`);
      await superuser.query('SELECT pg_terminate_backend($1)', [listener[0]?.pid]);
      await until(async () => !(await backends()).some(isListener), 'the LISTEN connection gone', {
        ms: 30_000,
        everyMs: 50,
      });
      const caughtUpListenerDown = app.ctx.events.caughtUp;
      listenDown = true;
      await until(() => unheard.length >= 20, 'writes while LISTEN is down', { ms: 60_000 });
      listenDown = false;
      // Still down: its reconnections (every 2 s at most) were refused.
      assert.ok(!(await backends()).some(isListener), 'LISTEN came back during the window');
      await superuser.query(`ALTER ROLE ${ROLE} CONNECTION LIMIT -1`);
      await until(async () => (await backends()).some(isListener), 'the LISTEN connection back', {
        ms: 30_000,
      });
      stopWriters = true;
      await Promise.all(writers);

      // Only 201 and 503: a request during the outage is told to come back, never a 500.
      assert.deepEqual([...statuses.keys()].sort(), [201, 503], JSON.stringify(Object.fromEntries(statuses)));
      for (const body of unavailableBodies)
        assert.deepEqual(body, {
          statusCode: 503,
          error: 'Service Unavailable',
          message: DATABASE_UNAVAILABLE,
        });
      assert.ok(beforeStop > 0 && acknowledged.length > afterRestart);

      t.diagnostic(
        `answers: ${JSON.stringify(Object.fromEntries(statuses))}; acknowledged ${acknowledged.length}`,
      );
      // Every acknowledged write is there, before and after the restart.
      const rows = await app.ctx.db.query<{ id: string }>('SELECT id FROM markers WHERE asset_id = $1', [id]);
      const stored = new Set(rows.map((r) => r.id));
      const lost = acknowledged.filter((m) => !stored.has(m));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged markers lost`);

      // And every one was announced on the socket opened before the restart, once, in seq order:
      // those committed after the server came back but before LISTEN did (its backoff reaches
      // 2 s during the outage) were read from the events table when it did.
      const announced = () => new Set(heard.filter((e) => e.type === 'marker.created').map((e) => e.id));
      await until(
        () => acknowledged.every((m) => announced().has(m)),
        'every acknowledged marker announced',
        {
          ms: 30_000,
        },
      );
      const seqs = heard.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...new Set(seqs)].sort((a, b) => a - b),
        'in seq order, none twice',
      );
      const fromTable = app.ctx.events.caughtUp - caughtUpBefore;
      t.diagnostic(
        `events heard on the socket: ${heard.length}; read back from the table: ${fromTable}; written while LISTEN was down: ${unheard.length}`,
      );
      // Those written while LISTEN was down reached the socket only from the table. (After the
      // restart, how many more did depends on whether LISTEN or the first write came back first.)
      const fromTableSinceDown = app.ctx.events.caughtUp - caughtUpListenerDown;
      assert.ok(
        fromTableSinceDown >= unheard.length,
        `${unheard.length} markers written while LISTEN was down, ${fromTableSinceDown} events read from the table`,
      );

      // The event bus listens again by itself: changes made now are heard through NOTIFY.
      const created = new Set<string>();
      await until(
        async () => {
          const res = await app.app.inject({
            method: 'POST',
            url: `/api/assets/${id}/markers`,
            headers: auth(token),
            payload: { start: { frame: 5 }, title: 'after' },
          });
          assert.equal(res.statusCode, 201, res.body);
          created.add((res.json() as Marker).id);
          return events.some((e) => e.type === 'marker.created' && created.has(e.id));
        },
        'an event heard after the restart',
        { ms: 60_000, everyMs: 250 },
      );
    },
  );
});
