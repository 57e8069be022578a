import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameproofClient } from '@frameproof/client';
import type { Job } from '@frameproof/core';
import * as tus from 'tus-js-client';
import { WebSocket } from 'ws';
import { until } from '../support/until.js';
import { Cluster, psql } from './cluster.js';
import { flakyHop, healthSpy } from './hop.js';
import { exited, freePort, makeClip, service } from './stack.js';

const exitCode = (child: ChildProcess) =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

const serverUrl = process.env.TEST_DATABASE_URL;

/** An event-bus socket through the gateway that reconnects when closed, as the frontend's does. */
function busSocket(client: FrameproofClient, first: string) {
  const state = { hellos: 0, codes: [] as number[], socket: undefined as WebSocket | undefined, done: false };
  const connect = async (given?: string) => {
    // A one-time ticket for each connection (src/app/lib/events.ts in the frontend).
    const ticket = given ?? (await client.eventBusTicket()).ticket;
    const ws = new WebSocket(`${client.baseUrl.replace('http', 'ws')}/api/eventbus?ticket=${ticket}`);
    state.socket = ws;
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'hello') state.hellos++;
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      state.codes.push(code);
      if (!state.done) setTimeout(reconnect, 200);
    });
  };
  // No ticket (no instance answered): try again, as the frontend does.
  const reconnect = () =>
    void connect().catch(() => {
      if (!state.done) setTimeout(reconnect, 200);
    });
  void connect(first);
  return state;
}

/** How long the adapter that is stopped drains (its health check answers 503) before it closes. */
const DRAIN_SECONDS = '3';

/**
 * How often the gateway checks the adapters' health. The drain test stops an adapter just after
 * a check passed, so the next comes one interval later: well before the drain ends (so the
 * gateway takes the adapter out while it still answers), and well after an adapter without a
 * drain has closed (so without the drain the gateway always meets it closed, never saved by a
 * check that happened to come in time).
 */
const HEALTH_CHECK_INTERVAL_SECONDS = '1.5';

/** The most of a request body the gateway keeps to send again (its REPLAYABLE_BODY_BYTES). */
const REPLAYABLE_BODY_BYTES = 1024 * 1024;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * One cluster for the tests of faults on the way in: two adapters on one PostgreSQL database
 * behind the gateway, as on ECS. Its tests run in order: the upload needs both adapters, the
 * drain stops the second, the kill stops the first and starts it again.
 */
describe(
  'two adapters on one database behind the gateway: cut uploads, a drain, a kill',
  { skip: !serverUrl && 'needs TEST_DATABASE_URL: two adapters share one PostgreSQL database' },
  () => {
    let cluster: Cluster | undefined;
    let admin: FrameproofClient;
    let tiny: string;
    let spy: Awaited<ReturnType<typeof healthSpy>> | undefined;
    before(async () => {
      cluster = await Cluster.create(serverUrl ?? '');
      // A backend whose client is gone stops at once, even in the middle of a statement, rather
      // than when the statement ends (the killed adapter's write, below).
      const database = new URL(cluster.databaseUrl).pathname.slice(1);
      await psql(
        cluster.serverUrl,
        `ALTER DATABASE ${database} SET client_connection_check_interval = '100ms'`,
      );
      const first = await cluster.startAdapter();
      const second = await cluster.startAdapter({ SHUTDOWN_DRAIN_SECONDS: DRAIN_SECONDS });
      // The gateway reaches the adapter that drains through a hop that sees its health checks.
      spy = await healthSpy(Number(new URL(second.url).port));
      await cluster.startGateway({
        ADAPTER_URLS: [first.url, spy.url].join(','),
        HEALTH_CHECK_INTERVAL_SECONDS,
      });
      admin = await cluster.admin();
      tiny = await makeClip(join(cluster.dir, 'tiny.mp4'), { seconds: 1 });
    });
    after(async () => {
      await cluster?.close();
      await spy?.close();
    });

    it('an upload cut in the middle of a PATCH resumes where it stopped: the file whole, one asset', async () => {
      assert.ok(cluster);
      // A real clip, over what the gateway keeps of a body: it streams through, as uploads do.
      const clip = await makeClip(join(cluster.dir, 'cut.mp4'), { seconds: 2, size: '1280x720' });
      const data = await readFile(clip);
      assert.ok(data.length > 1.5 * REPLAYABLE_BODY_BYTES, `the clip is ${data.length} bytes`);
      const hop = await flakyHop(Number(new URL(cluster.url).port));
      // What the adapters' tus store holds of uploads in progress (a file each, beside its .json).
      const uploadsDir = join(cluster.media, 'uploads');
      const storedUploadBytes = async () => {
        let bytes = 0;
        for (const name of await readdir(uploadsDir).catch(() => [] as string[]))
          if (!name.endsWith('.json')) bytes += (await stat(join(uploadsDir, name))).size;
        return bytes;
      };
      try {
        const title = 'Cut in the middle of a PATCH';
        const requests: string[] = [];
        const answers: string[] = [];
        let resumedAt: number | undefined;
        let assetId: string | undefined;
        await new Promise<void>((resolve, reject) => {
          const upload = new tus.Upload(data, {
            endpoint: `${hop.url}/api/uploads`,
            retryDelays: [100],
            headers: { authorization: `Bearer ${admin.accessToken ?? ''}` },
            metadata: { filename: 'cut.mp4', filetype: 'video/mp4', title },
            onBeforeRequest: (req) => {
              requests.push(req.getMethod());
              // The network goes away half-way through the file, while the PATCH is sending it,
              // once the adapter has stored some of what came before (on a busy machine the
              // bytes in flight could otherwise all be lost, and the upload start again at 0).
              if (req.getMethod() === 'PATCH' && !requests.slice(0, -1).includes('PATCH'))
                void hop
                  .holdAfter(data.length / 2)
                  .then(() => until(async () => (await storedUploadBytes()) > 0, 'part of the upload stored'))
                  .then(hop.cut, reject);
            },
            // The client tries again once the network is back.
            onShouldRetry: () => {
              hop.restore();
              return true;
            },
            onAfterResponse: (req, res) => {
              answers.push(`${req.getMethod()} ${res.getStatus()}`);
              if (req.getMethod() === 'HEAD') resumedAt ??= Number(res.getHeader('Upload-Offset'));
              assetId = res.getHeader('Frameproof-Asset-Id') ?? assetId;
            },
            onSuccess: () => resolve(),
            onError: reject,
          });
          upload.start();
        });
        // The cut PATCH got no answer; the client asked where to go on (HEAD) and sent the rest.
        assert.deepEqual(requests.slice(0, 3), ['POST', 'PATCH', 'HEAD'], requests.join());
        assert.deepEqual(answers.slice(0, 2), ['POST 201', 'HEAD 200'], answers.join());
        assert.equal(answers.at(-1), 'PATCH 204', answers.join());
        assert.ok(
          resumedAt !== undefined && resumedAt > 0 && resumedAt < data.length,
          `resumed at ${resumedAt} of ${data.length} bytes`,
        );
        const named = (await admin.listAssets({ limit: 200 })).items.filter((a) => a.title === title);
        assert.deepEqual(
          named.map((a) => a.id),
          [assetId],
          'one asset, the one the last PATCH named',
        );
        const original = (await admin.getAsset(assetId ?? '')).shapes.find((s) => s.type === 'original')
          ?.files[0];
        assert.equal(original?.size, data.length);
        const stored = await fetch(original?.url ?? '');
        assert.equal(stored.status, 200);
        assert.equal(sha256(new Uint8Array(await stored.arrayBuffer())), sha256(data), 'stored whole');
      } finally {
        hop.server.close();
      }
    });

    it('an adapter of two behind the gateway drains: the gateway stops sending to it before it closes, sockets reconnect on the other', async (t) => {
      assert.ok(cluster);
      const leaving = cluster.adapters[1];
      assert.ok(leaving);
      const token = admin.accessToken ?? '';
      const asset = await admin.uploadAsset(await openAsBlob(tiny), 'tiny.mp4', 'SIGTERM under load');

      // Tickets first, then the sockets one after another, before any other request: round
      // robin puts half of them on each adapter.
      const tickets: string[] = [];
      for (let i = 0; i < 4; i++) tickets.push((await admin.eventBusTicket()).ticket);
      const sockets: ReturnType<typeof busSocket>[] = [];
      for (const ticket of tickets) {
        const socket = busSocket(admin, ticket);
        sockets.push(socket);
        await until(() => socket.hellos > 0, 'the socket to open', { ms: 60_000 });
      }

      const failures: string[] = [];
      const acked: string[] = [];
      let running = true;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const client = async (c: number) => {
        for (let n = 0; running; n++) {
          const [method, path, body] =
            n % 3 === 2
              ? [
                  'POST',
                  `/api/assets/${asset.id}/markers`,
                  JSON.stringify({ start: { frame: n }, title: `c${c} n${n}` }),
                ]
              : [
                  'GET',
                  n % 3 === 0 ? `/api/assets/${asset.id}` : `/api/assets/${asset.id}/markers`,
                  undefined,
                ];
          try {
            const res = await fetch(`${cluster?.url}${path}`, { method, headers, body });
            const text = await res.text();
            if (res.status >= 500) failures.push(`${method} ${path}: ${res.status} ${text}`);
            else if (method === 'POST' && res.status === 201)
              acked.push((JSON.parse(text) as { id: string }).id);
          } catch (err) {
            failures.push(`${method} ${path}: ${String((err as { cause?: unknown }).cause ?? err)}`);
          }
        }
      };
      // Uploads too: their bodies stream through the gateway, so one sent to an adapter that
      // no longer accepts cannot go to another (502), unlike the small requests above.
      const part = randomBytes(REPLAYABLE_BODY_BYTES + 64 * 1024);
      let patches = 0;
      const uploader = async () => {
        const tus = { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' };
        while (running) {
          try {
            const created = await fetch(`${cluster?.url}/api/uploads`, {
              method: 'POST',
              headers: {
                ...tus,
                'upload-length': String(part.length * 100),
                'upload-metadata': `filename ${Buffer.from('load.bin').toString('base64')}`,
              },
            });
            const location = new URL(created.headers.get('location') ?? '', cluster?.url).href;
            if (created.status !== 201) {
              failures.push(`POST /api/uploads: ${created.status} ${await created.text()}`);
              continue;
            }
            for (let offset = 0; running && offset < part.length * 100; offset += part.length) {
              const res = await fetch(location, {
                method: 'PATCH',
                headers: {
                  ...tus,
                  'upload-offset': String(offset),
                  'content-type': 'application/offset+octet-stream',
                },
                body: part,
              });
              const text = await res.text();
              if (res.status !== 204) {
                failures.push(`PATCH ${location} at ${offset}: ${res.status} ${text}`);
                break;
              }
              patches++;
            }
          } catch (err) {
            failures.push(`upload: ${String((err as { cause?: unknown }).cause ?? err)}`);
          }
        }
      };
      const clients = [...Array.from({ length: 20 }, (_, c) => client(c)), uploader(), uploader()];
      // Whatever fails, the load stops and the sockets stop reconnecting: the file ends.
      const stopAll = async () => {
        running = false;
        await Promise.all(clients);
        for (const s of sockets) {
          s.done = true;
          s.socket?.close();
        }
      };
      t.after(stopAll);
      assert.ok(spy);
      // Under load, and just after a health check passed: the next one comes a whole interval
      // later, while the adapter drains; without a drain it has closed by then.
      await until(() => acked.length > 0 && patches > 0, 'requests under way', { ms: 60_000 });
      assert.equal(await spy.nextAnswer(), 200, 'the adapter was healthy before it was stopped');
      const checked = spy.answers.length;
      const logged = cluster.logs.length;
      leaving.process.kill('SIGTERM');
      assert.equal(await exitCode(leaving.process), 0, cluster.logs.slice(-20).join(''));
      await sleep(1000);
      running = false;
      await Promise.all(clients);

      // Where the drain shows: a health check found the adapter draining before it closed, and
      // the gateway never met it closed. Without it, the first request sent there after it
      // stopped accepting is refused (or its kept-alive connection reset); a small one goes to
      // the other adapter, unseen by its client, but the gateway saw it.
      const answers = spy.answers.slice(checked);
      assert.ok(answers.includes(503), `health checks answered while it stopped: ${JSON.stringify(answers)}`);
      const met = cluster.logs
        .slice(logged)
        .join('')
        .split('\n')
        .filter((line) => /ECONNREFUSED|ECONNRESET|socket hang up/.test(line));
      assert.deepEqual(met, [], 'the gateway sent nothing to the adapter once it stopped accepting');
      assert.deepEqual(failures, []);
      assert.ok(acked.length > 0 && patches > 0, `${acked.length} markers, ${patches} parts`);
      const stored = new Set((await admin.listMarkers(asset.id)).items.map((m) => m.id));
      assert.deepEqual(
        acked.filter((id) => !stored.has(id)),
        [],
        'every acknowledged marker is stored',
      );
      // The sockets on the stopping adapter were told to reconnect, and did, on the other.
      const told = sockets.filter((s) => s.codes.includes(1012));
      assert.ok(told.length > 0, `close codes: ${JSON.stringify(sockets.map((s) => s.codes))}`);
      await until(() => told.every((s) => s.hellos >= 2), 'the told sockets to reconnect', { ms: 60_000 });
    });

    it('an adapter killed (SIGKILL) in the middle of a bulk marker write leaves none of its markers', async () => {
      assert.ok(cluster);
      const killed = cluster.adapters[0];
      assert.ok(killed);
      const database = cluster.databaseUrl;
      const asset = await admin.uploadAsset(await openAsBlob(tiny), 'tiny.mp4', 'Killed mid-write');
      const count = async () =>
        Number((await psql(database, `SELECT count(*) FROM markers WHERE asset_id = '${asset.id}'`))[0]?.[0]);
      // The write goes in batches of 1000 rows in one transaction; the 2200th row, in the third
      // batch, stalls its insert, so the kill lands with 2000 rows written and the rest to come.
      await psql(
        database,
        `CREATE FUNCTION frameproof_test_stall() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.title = 'stall' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$;
         CREATE TRIGGER frameproof_test_stall BEFORE INSERT ON markers
           FOR EACH ROW EXECUTE FUNCTION frameproof_test_stall();`,
      );
      const markers = Array.from({ length: 2500 }, (_, i) => ({
        start: { frame: i },
        title: i === 2199 ? 'stall' : `m${i}`,
      }));
      const request = () =>
        fetch(`${killed.url}/api/assets/${asset.id}/markers/bulk`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.accessToken ?? ''}`, 'content-type': 'application/json' },
          body: JSON.stringify({ markers }),
        });
      const sent = request().then(
        (res) => `answered ${res.status}`,
        (err: unknown) => `no answer: ${String((err as { cause?: unknown }).cause ?? err)}`,
      );
      const stalled = async () =>
        (
          await psql(database, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'`)
        )[0]?.[0] === '1';
      await until(stalled, 'the write to reach its third batch', { ms: 60_000, everyMs: 50 });
      killed.process.kill('SIGKILL');
      assert.match(await sent, /^no answer: /, 'the kill landed before the answer');
      // The database ends the dead client's transaction (its connection check, set above).
      await until(async () => !(await stalled()), 'the orphaned write to end', { ms: 30_000, everyMs: 100 });
      await psql(
        database,
        'DROP TRIGGER frameproof_test_stall ON markers; DROP FUNCTION frameproof_test_stall()',
      );

      const again = await cluster.startAdapter({}, killed);
      assert.equal(await count(), 0, 'none of the 2000 rows written before the kill is left');
      const reader = new FrameproofClient(again.url);
      await reader.login('admin', cluster.adminPassword);
      assert.deepEqual((await reader.listMarkers(asset.id)).items, []);
      // The same request, to the adapter started again: every marker, counted the same way.
      const res = await fetch(`${again.url}/api/assets/${asset.id}/markers/bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reader.accessToken ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ markers }),
      });
      assert.equal(res.status, 201, await res.text());
      assert.equal(await count(), markers.length);
    });
  },
);

describe('SIGTERM: in-flight work finishes, then the process exits 0', () => {
  it(
    'a jobs worker hands its running job back; another completes it, once',
    { skip: !serverUrl && 'needs TEST_DATABASE_URL' },
    async () => {
      const cluster = await Cluster.create(serverUrl ?? '');
      try {
        await cluster.startAdapter({ JOB_LEASE_SECONDS: '3', JOB_RETRY_BASE_SECONDS: '0' });
        const admin = await cluster.admin();
        const clip = await makeClip(join(cluster.dir, 'long.mp4'), { seconds: 30, size: '1280x720' });
        const others = cluster.startWorker({ JOBS_TYPES: 'probe,audio-proxy,thumbnails,auto-qc' });
        const leaving = cluster.startWorker({ JOBS_TYPES: 'video-proxy', JOBS_STOP_TIMEOUT_SECONDS: '0' });
        const id = (
          await admin.uploadAsset(await openAsBlob(clip), 'long.mp4', 'Worker stopped mid-transcode')
        ).id;
        const videoJob = async () => (await admin.listJobs({ assetId: id, type: 'video-proxy' })).items;
        let running: Job | undefined;
        await until(
          async () =>
            Boolean((running = (await videoJob()).find((j) => j.status === 'running' && j.progress > 0))),
          'the transcode to run',
          { ms: 180_000, everyMs: 200 },
        );
        assert.ok(running);
        leaving.process.kill('SIGTERM');
        assert.equal(await exitCode(leaving.process), 0, cluster.logs.slice(-20).join(''));
        assert.equal(
          (await videoJob())[0]?.status,
          'queued',
          'released at once, not left to its lease expiring',
        );
        const rescuer = cluster.startWorker({ JOBS_TYPES: 'video-proxy' });
        let asset = await admin.getAsset(id);
        await until(
          async () => (asset = await admin.getAsset(id)).status !== 'ingesting',
          'the asset to settle',
          {
            ms: 300_000,
            everyMs: 500,
          },
        );
        assert.equal(asset.status, 'ready', asset.error ?? '');
        assert.deepEqual(
          (await videoJob()).map((j) => [j.id, j.status]),
          [[running.id, 'completed']],
        );
        assert.equal(asset.shapes.filter((s) => s.type === 'video-proxy').length, 1);
        assert.deepEqual(await readdir(join(cluster.media, 'assets', id, 'video-proxy')), ['video.mp4']);
        for (const w of [others, rescuer]) w.process.kill('SIGTERM');
        await Promise.all([others, rescuer].map((w) => exited(w.process)));
      } finally {
        await cluster.close();
      }
    },
  );

  /**
   * A service whose request is in flight (its upstream, a slow fake adapter, has not answered
   * yet) when SIGTERM comes: the request gets its answer, then the process exits 0.
   */
  for (const [name, entry, env] of [
    ['analyze', 'packages/analyze/src/main.ts', (adapter: string) => ({ AP_ADAPTER_HOST: adapter })],
    ['the gateway', 'packages/gateway/src/main.ts', (adapter: string) => ({ ADAPTER_URLS: adapter })],
  ] as const) {
    it(`${name} finishes the request in flight, then exits 0`, async () => {
      let arrived: () => void = () => undefined;
      const arrival = new Promise<void>((r) => {
        arrived = r;
      });
      const slow = createServer((req, res) => {
        if (req.url?.startsWith('/api/health')) return res.end('{"status":"ok"}');
        arrived();
        setTimeout(() => {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'no such asset' }));
        }, 1500);
      });
      await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
      const adapter = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
      const port = await freePort();
      const logs: string[] = [];
      const child = service(entry, { PORT: String(port), HOST: '127.0.0.1', ...env(adapter) }, logs);
      try {
        for (let i = 0; ; i++) {
          try {
            if ((await fetch(`http://127.0.0.1:${port}/api/health`)).status < 500) break;
          } catch {
            if (i > 400) throw new Error(`${name} did not start:\n${logs.join('')}`);
            await sleep(100);
          }
        }
        const path = '/api/analyze/assets/00000000-0000-4000-8000-000000000000/audio/1?';
        const inFlight = fetch(`http://127.0.0.1:${port}${name === 'analyze' ? path : '/api/assets/x'}`, {
          headers: { authorization: 'Bearer x' },
        });
        await arrival;
        child.kill('SIGTERM');
        const res = await inFlight;
        assert.equal(res.status, 404, await res.text());
        // Kept alive, the connection would hold the server open for its idle timeout (72 s).
        assert.equal(res.headers.get('connection'), 'close', 'the answer closes its connection');
        assert.equal(await exitCode(child), 0, logs.join(''));
      } finally {
        child.kill('SIGKILL');
        slow.closeAllConnections();
        slow.close();
      }
    });
  }
});
