import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrameproofClient } from '@frameproof/client';
import type { Job } from '@frameproof/core';
import { WebSocket } from 'ws';
import { until } from '../support/until.js';
import { Cluster } from './cluster.js';
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

describe('SIGTERM under load: in-flight requests finish, nobody sees a reset or a 5xx', () => {
  it(
    'an adapter of two behind the gateway drains: requests go to the other, sockets reconnect there',
    { skip: !serverUrl && 'needs TEST_DATABASE_URL: two adapters share one PostgreSQL database' },
    async () => {
      const cluster = await Cluster.create(serverUrl ?? '');
      try {
        await cluster.startAdapter();
        const leaving = await cluster.startAdapter({ SHUTDOWN_DRAIN_SECONDS: '2' });
        await cluster.startGateway();
        const admin = await cluster.admin();
        const token = admin.accessToken ?? '';
        const clip = await makeClip(join(cluster.dir, 'tiny.mp4'), { seconds: 1 });
        const asset = await admin.uploadAsset(await openAsBlob(clip), 'tiny.mp4', 'SIGTERM under load');

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
              const res = await fetch(`${cluster.url}${path}`, { method, headers, body });
              const text = await res.text();
              if (res.status >= 500) failures.push(`${method} ${path}: ${res.status} ${text}`);
              else if (method === 'POST' && res.status === 201)
                acked.push((JSON.parse(text) as { id: string }).id);
            } catch (err) {
              failures.push(`${method} ${path}: ${String((err as { cause?: unknown }).cause ?? err)}`);
            }
          }
        };
        const clients = Array.from({ length: 20 }, (_, c) => client(c));
        await sleep(1000);
        leaving.process.kill('SIGTERM');
        assert.equal(await exitCode(leaving.process), 0, cluster.logs.slice(-20).join(''));
        await sleep(1000);
        running = false;
        await Promise.all(clients);

        assert.deepEqual(failures, []);
        assert.ok(acked.length > 0);
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
        for (const s of sockets) {
          s.done = true;
          s.socket?.close();
        }
      } finally {
        await cluster.close();
      }
    },
  );

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
        assert.equal(await exitCode(child), 0, logs.join(''));
      } finally {
        child.kill('SIGKILL');
        slow.closeAllConnections();
        slow.close();
      }
    });
  }
});
