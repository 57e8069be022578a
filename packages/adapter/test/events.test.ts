import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { BusMessage, EventBusMessage, LiveEvent } from '@frameproof/core';
import { WebSocket } from 'ws';
import { BusServer } from '../src/bus-server.js';
import { openPostgres } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { EventBus, type WorkSignal } from '../src/services/event-bus.js';
import {
  addMember,
  addProject,
  addUser,
  auth,
  createTestDatabase,
  firstProject,
  postAsset,
  DATABASES,
  RUNNER,
  startApp,
  type TestApp,
  uploadAsset,
} from './helpers.js';
import { until } from '@frameproof/tests/until';

/** Collects JSON messages from a WebSocket and waits for one that matches. */
function listen<T>(ws: WebSocket) {
  const seen: T[] = [];
  const waiters: { match: (m: T) => boolean; resolve: (m: T) => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as T;
    seen.push(message);
    for (const w of waiters.filter((w) => w.match(message))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  return {
    seen,
    next(match: (m: T) => boolean, ms = 5000): Promise<T> {
      const found = seen.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching message in ${ms} ms; saw ${JSON.stringify(seen)}`)),
          ms,
        );
        waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

const opened = (ws: WebSocket) =>
  new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

async function listening(app: TestApp) {
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`;
}

const sockets: WebSocket[] = [];
after(() => sockets.forEach((s) => s.terminate()));
function connect(url: string, headers?: Record<string, string>) {
  const ws = new WebSocket(url, { headers });
  // A refused socket reports an error again when terminated at the end: nobody waits for it then.
  ws.on('error', () => undefined);
  sockets.push(ws);
  return ws;
}

/** A one-time ticket for the event bus, as a browser gets one. */
async function ticket(app: TestApp, token: string): Promise<string> {
  const res = await app.app.inject({ method: 'POST', url: '/api/eventbus/ticket', headers: auth(token) });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as { ticket: string; expiresAt: string };
  const seconds = (Date.parse(body.expiresAt) - Date.now()) / 1000;
  assert.ok(seconds > 0 && seconds <= 31, body.expiresAt);
  return body.ticket;
}

/** How the bus refuses a socket: its HTTP status and the JSON error's message. */
function refusal(ws: WebSocket): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the socket opened')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, message: (JSON.parse(body) as { message: string }).message }),
      );
    });
  });
}

for (const { name, open } of DATABASES) {
  describe(`live events on ${name}`, () => {
    it('pushes asset, marker and job changes to signed-in browsers, filtered by asset', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const base = await listening(app);
      const token = await app.token();
      await assert.rejects(opened(connect(`${base}/api/eventbus`)), /401/);

      const all = connect(`${base}/api/eventbus?ticket=${await ticket(app, token)}`);
      const events = listen<LiveEvent>(all);
      await opened(all);
      const id = await uploadAsset(app, token);
      const other = await uploadAsset(app, token, 'Other');
      const one = connect(`${base}/api/eventbus?assetId=${id}`, auth(token));
      const filtered = listen<LiveEvent>(one);
      await opened(one);
      await filtered.next((e) => (e as { type: string }).type === 'hello');
      await events.next((e) => e.type === 'asset.created' && e.id === id);

      const marker = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload: { start: { frame: 3 }, title: 'x' },
      });
      const created = await filtered.next((e) => e.type === 'marker.created');
      assert.deepEqual(created, {
        type: 'marker.created',
        assetId: id,
        id: marker.json().id,
        seq: created.seq,
      });
      assert.ok(Number.isSafeInteger(created.seq) && created.seq > 0, JSON.stringify(created));
      await app.app.inject({
        method: 'POST',
        url: `/api/assets/${other}/markers`,
        headers: auth(token),
        payload: { start: { frame: 3 }, title: 'y' },
      });
      await events.next((e) => e.type === 'marker.created' && e.assetId === other);
      assert.ok(!filtered.seen.some((e) => e.assetId === other), 'the filtered socket only hears its asset');

      const runner = await app.token(RUNNER.username);
      await app.app.inject({
        method: 'POST',
        url: '/api/runner/lease',
        headers: auth(runner),
        payload: { workerId: 'w', types: ['probe'] },
      });
      const job = await events.next((e) => e.type === 'job.updated' && e.data?.status === 'running');
      assert.equal(job.data?.type, 'probe');
    });

    it("a person's socket hears only the events of the assets of their projects", async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const base = await listening(app);
      const admin = await app.token();
      const main = await firstProject(app);
      const other = await addProject(app, 'Other');
      const viewer = await addUser(app, 'viewer');
      const me = (await app.app.inject({ url: '/api/auth/me', headers: auth(viewer) })).json<{
        id: string;
      }>();
      const socket = connect(`${base}/api/eventbus`, auth(viewer));
      const heard = listen<LiveEvent>(socket);
      await opened(socket);
      await heard.next((e) => (e as { type: string }).type === 'hello');
      const upload = async (projectId: string, title: string) => {
        const res = await postAsset(
          app,
          admin,
          { title, projectId },
          { name: 'a.mov', type: 'video/quicktime', data: Buffer.from('bytes') },
        );
        return (res.json() as { id: string }).id;
      };
      const secret = await upload(other, 'Secret');
      const shared = await upload(main, 'Shared');
      // Events reach a socket in the order they happen: once the later one is heard, the
      // earlier one would have been.
      await heard.next((e) => e.type === 'asset.created' && e.id === shared);
      assert.ok(!heard.seen.some((e) => e.assetId === secret), JSON.stringify(heard.seen));

      await addMember(app, other, me.id, 'viewer');
      const marker = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${secret}/markers`,
        headers: auth(admin),
        payload: { start: { frame: 3 }, title: 'now seen' },
      });
      await heard.next((e) => e.type === 'marker.created' && e.id === marker.json<{ id: string }>().id);
      await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${secret}?hard=true`,
        headers: auth(admin),
      });
      const purged = await heard.next((e) => e.type === 'asset.deleted' && e.assetId === secret);
      assert.equal(purged.data?.purged, true);
    });

    it("a person's feed whose projects cannot be read ends the feed, not the process", async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      t.after(() => process.off('unhandledRejection', onUnhandled));
      const { projects } = app.ctx;
      projects.rolesOf = () => Promise.reject(new Error('the database is away'));
      let failed: unknown;
      const feed = projects.eventsFor(
        { userId: randomUUID(), role: 'viewer' },
        (event) => assert.fail(`heard ${event.type} without a project`),
        { resync: () => undefined, failed: (err) => (failed = err) },
      );
      t.after(() => feed.off());
      // No event yet to check against the roles: their rejection waits, handled, for one.
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(unhandled, []);
      await uploadAsset(app, await app.token());
      await until(() => failed !== undefined, 'the feed to fail');
      assert.match(String(failed), /the database is away/);
      assert.deepEqual(unhandled, []);
    });
  });
}

const isEvent = (m: EventBusMessage): m is LiveEvent => m.type !== 'hello' && m.type !== 'resync';

for (const { name, open } of DATABASES) {
  describe(`events that survive a dropped socket or notification on ${name}`, () => {
    it('replays to a socket that reconnects with `since` what it missed, once, in order, filtered as live ones', async (t) => {
      const app = await startApp(open, {}, { context: { events: { gapMs: 100 } } });
      t.after(() => app.close());
      const base = await listening(app);
      const admin = await app.token();
      const viewer = await addUser(app, 'viewer');
      const asset = async (projectId: string) => {
        const file = { name: 'a.mov', type: 'video/quicktime', data: Buffer.from('bytes') };
        return (await postAsset(app, admin, { title: 'Clip', projectId }, file)).json<{ id: string }>().id;
      };
      const shared = await asset(await firstProject(app));
      const secret = await asset(await addProject(app, 'Other'));
      const mark = async (assetId: string, title: string) => {
        const res = await app.app.inject({
          method: 'POST',
          url: `/api/assets/${assetId}/markers`,
          headers: auth(admin),
          payload: { start: { frame: 3 }, title },
        });
        assert.equal(res.statusCode, 201, res.body);
        return res.json<{ id: string }>().id;
      };
      const created = (id: string) => (m: EventBusMessage) => m.type === 'marker.created' && m.id === id;

      // Heard live, then the socket drops; changes go on meanwhile, to both assets.
      const first = connect(`${base}/api/eventbus`, auth(viewer));
      const live = listen<EventBusMessage>(first);
      await opened(first);
      const one = await mark(shared, 'one');
      const last = (await live.next(created(one))) as LiveEvent;
      first.close();
      const two = await mark(shared, 'two');
      await mark(secret, 'not for the viewer');
      const renamed = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${shared}`,
        headers: auth(admin),
        payload: { title: 'Renamed' },
      });
      assert.equal(renamed.statusCode, 200, renamed.body);
      const three = await mark(shared, 'three');

      // Back with `since`, while another change is made: what was missed, then live, none twice.
      const again = connect(`${base}/api/eventbus?since=${last.seq}`, auth(viewer));
      const resumed = listen<EventBusMessage>(again);
      const [four] = await Promise.all([mark(shared, 'four'), opened(again)]);
      const five = await mark(shared, 'five');
      const end = (await resumed.next(created(five))) as LiveEvent;
      assert.equal(resumed.seen[0]?.type, 'hello');
      const heard = resumed.seen.filter(isEvent);
      const stored = await app.ctx.db.query<{ seq: number; asset_id: string | null }>(
        'SELECT seq::float8 AS seq, asset_id FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq',
        [last.seq, end.seq],
      );
      assert.ok(
        stored.some((r) => r.asset_id === secret),
        'the other project had changes meanwhile',
      );
      assert.deepEqual(
        heard.map((e) => e.seq),
        stored.filter((r) => r.asset_id === shared).map((r) => r.seq),
        'every event of the viewer, in order, once',
      );
      assert.deepEqual(
        heard.filter((e) => e.type === 'marker.created').map((e) => e.id),
        [two, three, four, five],
      );
      assert.ok(heard.some((e) => e.type === 'asset.updated' && e.id === shared));

      // Older than the events kept: told to resync, nothing replayed, then live again.
      assert.ok((await app.ctx.events.purge(0)) > 0);
      const stale = connect(`${base}/api/eventbus?since=${last.seq}`, auth(viewer));
      const told = listen<EventBusMessage>(stale);
      await opened(stale);
      const resync = await told.next((m) => m.type === 'resync');
      assert.match((resync as { reason: string }).reason, /^events after \d+ are no longer kept: reload/);
      assert.equal(resync.seq, end.seq, 'follow on from the last event there was');
      const six = await mark(shared, 'six');
      await told.next(created(six));
      assert.deepEqual(
        told.seen.map((m) => m.type),
        ['hello', 'resync', 'marker.created'],
      );
      // A seq never issued (another deployment's, a restored database) resyncs too; not a seq: 400.
      const future = listen<EventBusMessage>(
        connect(`${base}/api/eventbus?since=${end.seq + 1000}`, auth(viewer)),
      );
      assert.match(
        ((await future.next((m) => m.type === 'resync')) as { reason: string }).reason,
        /^no event \d+ was ever sent here/,
      );
      for (const since of ['-1', 'x', '1.5'])
        assert.equal(
          (await refusal(connect(`${base}/api/eventbus?since=${since}`, auth(viewer)))).status,
          400,
        );
    });

    it('delivers a stored event whose notification never came, and goes on past a seq that never commits', async (t) => {
      const app = await startApp(open, {}, { context: { events: { gapMs: 100 } } });
      t.after(() => app.close());
      const base = await listening(app);
      const token = await app.token();
      const ws = connect(`${base}/api/eventbus`, auth(token));
      const heard = listen<EventBusMessage>(ws);
      await opened(ws);
      const id = await uploadAsset(app, token);
      await heard.next((m) => m.type === 'asset.created' && m.id === id);
      const stored = async (eventId: string, seq?: number) => {
        const [row] = await app.ctx.db.query<{ seq: number }>(
          `INSERT INTO events (seq, type, asset_id, event_id)
           VALUES (coalesce($1, nextval('events_seq_seq')), 'asset.updated', $2, $3) RETURNING seq::float8 AS seq`,
          [seq ?? null, id, eventId],
        );
        return (row as { seq: number }).seq;
      };
      // Committed, but its NOTIFY failed (or, on PGlite, never left the process).
      const unheard = await stored('unheard');
      // A seq taken by a transaction that then rolled back.
      const [burnt] = await app.ctx.db.query<{ seq: number }>(
        "SELECT nextval('events_seq_seq')::float8 AS seq",
      );
      const marker = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload: { start: { frame: 3 }, title: 'after the gap' },
      });
      const after = await heard.next(
        (m) => m.type === 'marker.created' && m.id === marker.json<{ id: string }>().id,
      );
      const seqs = heard.seen.filter(isEvent).map((e) => e.seq);
      assert.deepEqual(seqs.slice(-2), [unheard, after.seq], 'the unheard one, read from the table, first');
      assert.equal(after.seq, (burnt?.seq ?? 0) + 1);
      assert.ok(app.ctx.events.caughtUp >= 1);
      // The seq given up on commits after all (a slow transaction): delivered late, once.
      await stored('late', burnt?.seq);
      await app.ctx.events.catchUp();
      await heard.next((m) => isEvent(m) && m.id === 'late');
      await app.ctx.events.catchUp();
      const last = await stored('last');
      await app.ctx.events.catchUp();
      await heard.next((m) => isEvent(m) && m.seq === last);
      assert.equal(heard.seen.filter((m) => isEvent(m) && m.id === 'late').length, 1);
    });

    it('an instance that starts after the kept events were purged delivers the next at once, and a seq in flight late', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const id = await uploadAsset(app, await app.token());
      const { db } = app.ctx;
      await db.exec('DELETE FROM events'); // all purged: the newest stored is far behind the seqs issued
      // Issued to a transaction still committing when the instance starts.
      const [inFlight] = await db.query<{ seq: number }>("SELECT nextval('events_seq_seq')::float8 AS seq");
      // No seq will be given up on while this test runs: only a right start delivers anything.
      const bus = new EventBus(db, { gapMs: 60_000 });
      await bus.start();
      t.after(() => bus.stop());
      const heard: LiveEvent[] = [];
      bus.onEvent((e) => heard.push(e));
      bus.publish(await bus.record(db, [{ type: 'asset.updated', assetId: id, id: 'next' }]));
      await until(() => heard.some((e) => e.id === 'next'), 'the first event after the start');
      await db.query(
        `INSERT INTO events (seq, type, asset_id, event_id) VALUES ($1, 'asset.updated', $2, 'late')`,
        [inFlight?.seq, id],
      );
      await bus.catchUp();
      assert.deepEqual(
        heard.map((e) => [e.id, e.seq]),
        [
          ['next', (inFlight?.seq ?? 0) + 1],
          ['late', inFlight?.seq],
        ],
      );
    });
  });
}

for (const { name, open } of DATABASES) {
  describe(`one-time event-bus tickets on ${name}`, () => {
    it('open one socket once, on any adapter instance of the database; nothing else does', async (t) => {
      // Two adapter instances on one database, as behind the load balancer.
      const a = await startApp(open);
      const b = await startApp(open);
      t.after(async () => {
        await b.close();
        await a.close();
      });
      const [baseA, baseB] = [await listening(a), await listening(b)];
      const token = await a.token();

      const first = await ticket(a, token);
      const stored = await a.ctx.db.query<{ ticket_hash: string }>(
        'SELECT ticket_hash FROM eventbus_tickets',
      );
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0]?.ticket_hash, first, 'only a hash is kept');
      // Issued by one instance, redeemed by the other.
      const ws = connect(`${baseB}/api/eventbus?ticket=${first}`);
      const messages = listen<{ type: string; user?: string; seq?: number }>(ws);
      await opened(ws);
      const { seq, ...hello } = await messages.next((m) => m.type === 'hello');
      assert.deepEqual(hello, { type: 'hello', user: 'admin' });
      assert.equal(typeof seq, 'number');
      // Used: refused by either instance.
      for (const base of [baseA, baseB])
        assert.deepEqual(await refusal(connect(`${base}/api/eventbus?ticket=${first}`)), {
          status: 401,
          message: 'the ticket was used already: ask POST /api/eventbus/ticket for a new one',
        });

      // Expired (its 30 s are up).
      const late = await ticket(a, token);
      await a.ctx.db.query(
        `UPDATE eventbus_tickets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`,
      );
      assert.match(
        (await refusal(connect(`${baseA}/api/eventbus?ticket=${late}`))).message,
        /^the ticket has expired/,
      );

      // Tampered with, made up, or not a ticket at all; a tampered copy does not use up the real one,
      // nor does a plain GET (a link followed, a prefetch): a ticket opens a socket or nothing.
      const real = await ticket(b, token);
      const plain = await fetch(`${baseA.replace(/^ws/, 'http')}/api/eventbus?ticket=${real}`);
      assert.equal(plain.status, 400);
      assert.match(((await plain.json()) as { message: string }).message, /^a ticket opens a WebSocket/);
      const tampered = `${real.slice(0, 10)}${real[10] === 'A' ? 'B' : 'A'}${real.slice(11)}`;
      assert.match(
        (await refusal(connect(`${baseA}/api/eventbus?ticket=${tampered}`))).message,
        /^the ticket is not known/,
      );
      assert.match(
        (await refusal(connect(`${baseA}/api/eventbus?ticket=${'x'.repeat(43)}`))).message,
        /^the ticket is not known/,
      );
      assert.match(
        (await refusal(connect(`${baseA}/api/eventbus?ticket=short`))).message,
        /^the ticket is malformed/,
      );
      await opened(connect(`${baseA}/api/eventbus?ticket=${real}`));

      // Two instances redeeming one ticket at the same moment: exactly one socket opens.
      const raced = await ticket(a, token);
      const outcomes = await Promise.allSettled(
        [baseA, baseB].map((base) => opened(connect(`${base}/api/eventbus?ticket=${raced}`))),
      );
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);

      // The access token in the URL no longer opens anything, nor does no credential.
      assert.deepEqual(await refusal(connect(`${baseA}/api/eventbus?access_token=${token}`)), {
        status: 401,
        message:
          'a token in the URL is no longer accepted: POST /api/eventbus/ticket with it, then connect with ?ticket=',
      });
      assert.equal((await refusal(connect(`${baseA}/api/eventbus`))).status, 401);
      // Only a signed-in caller gets a ticket.
      assert.equal((await a.app.inject({ method: 'POST', url: '/api/eventbus/ticket' })).statusCode, 401);
      assert.equal(
        (await a.app.inject({ method: 'POST', url: '/api/eventbus/ticket', headers: auth('not.a.token') }))
          .statusCode,
        401,
      );

      // The hourly sweep that purges sessions purges expired tickets (used or not) too.
      await a.ctx.db.query(
        `UPDATE eventbus_tickets SET expires_at = CASE WHEN ticket_hash = $1
           THEN now() + interval '1 hour' ELSE now() - interval '1 second' END`,
        [stored[0]?.ticket_hash],
      );
      const fresh = await ticket(a, token);
      await a.ctx.auth.purgeSessions();
      const left = await a.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM eventbus_tickets');
      assert.deepEqual(left, [{ n: 2 }], 'the used one that has not expired, and the fresh one');
      await opened(connect(`${baseB}/api/eventbus?ticket=${fresh}`));
    });
  });
}

const serverUrl = process.env.TEST_DATABASE_URL;
describe(
  'live events across adapter instances (PostgreSQL LISTEN/NOTIFY)',
  { skip: serverUrl ? false : 'needs TEST_DATABASE_URL (a PostgreSQL server)' },
  () => {
    it('reach browsers connected to another instance', async (t) => {
      const url = await createTestDatabase(serverUrl as string);
      const a = await startApp(() => openPostgres(url, 3));
      const b = await startApp(() => openPostgres(url, 3));
      t.after(async () => {
        await a.close();
        await b.close();
      });
      const token = await a.token();
      const ws = connect(`${await listening(b)}/api/eventbus?ticket=${await ticket(a, token)}`);
      const events = listen<LiveEvent>(ws);
      await opened(ws);
      const id = await uploadAsset(a, token);
      const event = await events.next((e) => e.type === 'asset.created');
      assert.equal(event.id, id);
    });
  },
);

describe(
  'notifications from the database are checked before anyone hears them',
  { skip: serverUrl ? false : 'needs TEST_DATABASE_URL (a PostgreSQL server)' },
  () => {
    it('drops malformed payloads, reports them, and keeps delivering good ones', async (t) => {
      const url = await createTestDatabase(serverUrl as string);
      const db = await openPostgres(url, 2);
      await migrate(db);
      const bus = new EventBus(db);
      t.after(async () => {
        await bus.stop();
        await db.close();
      });
      await bus.start();
      const heard: LiveEvent[] = [];
      const work: WorkSignal[] = [];
      const errors: string[] = [];
      bus.onEvent((e) => heard.push(e));
      bus.onWork((w) => work.push(w));
      bus.onError((err) => errors.push(String(err)));
      for (const payload of [
        'not json',
        '{"type":"asset.exploded","assetId":null,"id":"x"}',
        '[1,2]',
        'null',
        '{"type":"asset.updated","assetId":null,"id":"no seq"}',
      ])
        await db.query('SELECT pg_notify($1, $2)', ['frameproof_events', payload]);
      await db.query('SELECT pg_notify($1, $2)', ['frameproof_work', '{"type":"cancel"}']);
      bus.publish([{ seq: 1, type: 'asset.updated', assetId: null, id: 'a1' }]);
      bus.signalWorkers({ type: 'work-available' });
      await until(() => heard.length === 1 && work.length === 1, 'the event and the work signal', {
        ms: 5000,
        everyMs: 50,
      });
      assert.deepEqual(heard, [{ seq: 1, type: 'asset.updated', assetId: null, id: 'a1' }]);
      assert.deepEqual(work, [{ type: 'work-available' }]);
      assert.equal(errors.length, 6);
      assert.match(errors[0] ?? '', /malformed event notification/);
    });
  },
);

describe('worker bus', () => {
  it('lets only the service account in, and says when there is work or a job to cancel', async (t) => {
    const { open } = DATABASES[0] as (typeof DATABASES)[number];
    const app = await startApp(open);
    const bus = new BusServer(app.ctx.auth, app.ctx.events, app.app.log);
    t.after(async () => {
      await bus.close();
      await app.close();
    });
    const port = await bus.listen(0, '127.0.0.1');
    const url = `ws://127.0.0.1:${port}/bus`;
    await assert.rejects(opened(connect(url)), /401/);
    await assert.rejects(opened(connect(url, auth(await app.token()))), /403/);
    await assert.rejects(
      opened(connect(`ws://127.0.0.1:${port}/other`, auth(await app.token(RUNNER.username)))),
      /404/,
    );

    const ws = connect(url, auth(await app.token(RUNNER.username)));
    const messages = listen<BusMessage>(ws);
    await opened(ws);
    await messages.next((m) => m.type === 'hello');
    const before = messages.seen.filter((m) => m.type === 'work-available').length;
    const id = await uploadAsset(app, await app.token());
    await messages.next(() => messages.seen.filter((m) => m.type === 'work-available').length > before);
    const [job] = (
      await app.app.inject({ url: `/api/jobs?assetId=${id}`, headers: auth(await app.token()) })
    ).json().items as { id: string }[];
    await app.app.inject({
      method: 'POST',
      url: `/api/jobs/${job?.id}/cancel`,
      headers: auth(await app.token()),
    });
    assert.deepEqual(await messages.next((m) => m.type === 'cancel'), { type: 'cancel', jobId: job?.id });
    assert.equal(bus.connections, 1);
  });
});
