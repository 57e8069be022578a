import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { buildGateway } from '../src/index.js';
import { REPLAYABLE_BODY_BYTES } from '../src/server.js';
import { Pool } from '../src/pool.js';

/** What an adapter stand-in answers: its name, and what it received. */
interface Answer {
  name: string;
  method: string;
  sha256: string;
  contentType: string | null;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * An adapter stand-in: says its name (and what it received) on every path and WebSocket,
 * health as it is told.
 */
async function adapter(name: string) {
  const state = { health: 200 };
  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/health') res.statusCode = state.health;
      const answer: Answer = {
        name,
        method: req.method ?? '',
        sha256: hash.digest('hex'),
        contentType: req.headers['content-type'] ?? null,
      };
      res.end(JSON.stringify(answer));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(name)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    state,
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
    /** Listens again on the same port, as a restarted instance. */
    async restart() {
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    },
  };
}

type Adapter = Awaited<ReturnType<typeof adapter>>;

describe('gateway: several adapters', () => {
  let a: Adapter;
  let b: Adapter;
  let gateway: Awaited<ReturnType<typeof buildGateway>>;
  let base: string;
  before(async () => {
    a = await adapter('a');
    b = await adapter('b');
    // A long interval: the tests below run the health checks themselves when they need them.
    gateway = await buildGateway({ adapter: [a.url, b.url] }, { logger: false, healthIntervalMs: 60_000 });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await gateway.close();
    await Promise.allSettled([a.stop(), b.stop()]);
  });

  const names = async (n: number, method = 'GET') => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${base}/api/assets`, { method });
      assert.equal(res.status, 200, `${method} ${i}`);
      seen.push(((await res.json()) as { name: string }).name);
    }
    return seen;
  };
  const socketName = async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/eventbus`);
    const [data] = (await once(ws, 'message')) as [Buffer];
    ws.close();
    return String(data);
  };

  it('sends requests and WebSocket upgrades round robin', async () => {
    const seen = await names(6);
    assert.deepEqual(seen.filter((n) => n === 'a').length, 3, seen.join());
    assert.notEqual(seen[0], seen[1]);
    const sockets = [await socketName(), await socketName()];
    assert.deepEqual(sockets.sort(), ['a', 'b']);
  });

  it('sends a GET refused by one adapter to the other, then leaves that adapter out', async () => {
    await b.stop();
    try {
      assert.deepEqual(await names(4), ['a', 'a', 'a', 'a']);
      // Left out: a POST never meets the refusal again.
      assert.deepEqual(await names(3, 'POST'), ['a', 'a', 'a']);
      assert.deepEqual([await socketName(), await socketName()], ['a', 'a']);
    } finally {
      await b.restart();
    }
  });

  it('takes an adapter back when its health check passes again', async () => {
    const pool = new Pool([a.url, b.url], { healthPath: '/api/health', intervalMs: 60_000 });
    pool.refused(b.url);
    assert.deepEqual([pool.pick(), pool.pick()], [a.url, a.url]);
    await pool.check();
    assert.deepEqual([pool.pick(), pool.pick()].sort(), [a.url, b.url].sort());
  });

  it('leaves out an adapter whose health check answers 503 (draining)', async () => {
    const pool = new Pool([a.url, b.url], { healthPath: '/api/health', intervalMs: 60_000 });
    a.state.health = 503;
    try {
      await pool.check();
      assert.deepEqual([pool.pick(), pool.pick(), pool.pick()], [b.url, b.url, b.url]);
    } finally {
      a.state.health = 200;
    }
  });

  /** A gateway over `a` and a target that refuses every connection, for one test. */
  const withRefusingTarget = async (test: (base: string) => Promise<void>) => {
    const gone = await adapter('gone');
    await gone.stop();
    const only = await buildGateway(
      { adapter: [a.url, gone.url] },
      { logger: false, healthIntervalMs: 60_000 },
    );
    try {
      await only.listen({ port: 0, host: '127.0.0.1' });
      await test(`http://127.0.0.1:${(only.server.address() as AddressInfo).port}`);
    } finally {
      await only.close();
    }
  };

  it('sends any request refused by one adapter to the other, body and all, when the body was small enough to keep', async () => {
    const cases: { method: string; body?: Uint8Array | string; type?: string }[] = [
      { method: 'POST', body: JSON.stringify({ title: 'x'.repeat(1000) }), type: 'application/json' },
      { method: 'PATCH', body: randomBytes(REPLAYABLE_BODY_BYTES), type: 'application/offset+octet-stream' },
      { method: 'PUT', body: randomBytes(1000) },
      { method: 'DELETE' },
      { method: 'POST', body: '', type: 'application/json' },
    ];
    for (const { method, body, type } of cases) {
      await withRefusingTarget(async (base) => {
        // Round robin over two targets, both healthy as far as the gateway knows: one of two
        // requests meets the refusal.
        for (let i = 0; i < 2; i++) {
          const res = await fetch(`${base}/api/assets/x/markers`, {
            method,
            body,
            headers: type ? { 'content-type': type } : {},
          });
          const label = `${method} ${i} with ${body?.length ?? 'no'} bytes`;
          assert.equal(res.status, 200, `${label}: ${await res.clone().text()}`);
          assert.deepEqual(await res.json(), {
            name: 'a',
            method,
            sha256: sha256(typeof body === 'string' ? Buffer.from(body) : (body ?? new Uint8Array())),
            contentType: type ?? null,
          } satisfies Answer);
        }
      });
    }
  });

  it('answers 502 to an upload refused by an adapter (its body streamed, and is spent), then closes the connection', async () => {
    await withRefusingTarget(async (base) => {
      const statuses: (number | string)[] = [];
      for (let i = 0; i < 2; i++) {
        try {
          const res = await fetch(`${base}/api/uploads/x`, {
            method: 'PATCH',
            body: randomBytes(REPLAYABLE_BODY_BYTES + 1),
          });
          await res.arrayBuffer();
          statuses.push(res.status === 502 ? `502 connection: ${res.headers.get('connection')}` : res.status);
        } catch (err) {
          statuses.push(String((err as { cause?: unknown }).cause ?? err));
        }
      }
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join());
      // The client's connection is closed with the 502, not held open for the keep-alive time
      // (72 s), which also kept the gateway from stopping.
      assert.ok(statuses.includes('502 connection: close'), statuses.join());
    });
  });

  it('tries every adapter when none is healthy, and answers 502 with a JSON body when none answers', async () => {
    const pool = new Pool([a.url, b.url]);
    pool.refused(a.url);
    pool.refused(b.url);
    assert.ok(pool.pick());
    await Promise.all([a.stop(), b.stop()]);
    try {
      const res = await fetch(`${base}/api/assets`);
      assert.equal(res.status, 502);
      assert.match(((await res.json()) as { message: string }).message, /no adapter instance/);
      const post = await fetch(`${base}/api/assets`, { method: 'POST', body: '{}' });
      assert.equal(post.status, 502);
    } finally {
      await Promise.all([a.restart(), b.restart()]);
    }
  });
});
