import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BusMessage } from '@frameproof/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { BusClient } from '../src/bus.js';
import { until } from '@frameproof/tests/until';

/** A bus server like the adapter's: WebSocket at /bus, Bearer token checked on upgrade. */
class TestBus {
  readonly http: Server = createServer((_req, res) => res.writeHead(426).end());
  readonly wss = new WebSocketServer({ noServer: true });
  token = 'good';
  /** The addresses the clients connected to. */
  peers: string[] = [];
  constructor() {
    this.http.on('upgrade', (req, socket, head) => {
      if (req.headers.authorization !== `Bearer ${this.token}` || req.url !== '/bus') {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.peers.push(req.socket.localAddress ?? '');
        ws.send(JSON.stringify({ type: 'hello', adapterId: 'adapter-1' } satisfies BusMessage));
        ws.send('not json');
        ws.send(JSON.stringify({ type: 'work-available' } satisfies BusMessage));
      });
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.http.listen(0, '0.0.0.0', r));
    return (this.http.address() as AddressInfo).port;
  }
  send(message: BusMessage) {
    for (const ws of this.wss.clients) ws.send(JSON.stringify(message));
  }
  get clients(): WebSocket[] {
    return [...this.wss.clients];
  }
  async close() {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise((r) => this.http.close(r));
  }
}

let server: TestBus;
let port: number;
let client: BusClient | undefined;
const messages: BusMessage[] = [];
let ups = 0;
let unauthorized = 0;
let token = 'good';

beforeEach(async () => {
  server = new TestBus();
  port = await server.listen();
  messages.length = 0;
  ups = unauthorized = 0;
  token = 'good';
});
afterEach(async () => {
  await client?.stop();
  await server.close();
});

function connect(host = 'localhost', resolve?: (host: string) => Promise<string[]>) {
  client = new BusClient({
    adapterUrl: `http://${host}:8080`,
    port,
    getToken: () => token,
    resolve,
    resolveSeconds: 0.1,
    backoffMs: { first: 20, max: 100 },
  });
  client.start({
    onMessage: (m) => messages.push(m),
    onUp: () => ups++,
    onUnauthorized: async () => {
      unauthorized++;
      token = 'good';
    },
  });
  return client;
}

describe('BusClient', () => {
  it('connects with the token and passes on valid messages only', async () => {
    const bus = connect();
    await until(() => messages.length === 2, 'two messages');
    assert.deepEqual(messages, [{ type: 'hello', adapterId: 'adapter-1' }, { type: 'work-available' }]);
    assert.ok(bus.isUp());
    assert.equal(ups, 1);
    server.send({ type: 'cancel', jobId: 'j1' });
    await until(() => messages.length === 3, 'the cancel');
    assert.deepEqual(messages[2], { type: 'cancel', jobId: 'j1' });
  });

  it('asks for a new login when refused, then connects', async () => {
    token = 'stale';
    const bus = connect();
    await until(() => bus.isUp(), 'the connection');
    assert.equal(unauthorized, 1);
  });

  it('reconnects after the connection drops', async () => {
    const bus = connect();
    await until(() => bus.isUp(), 'the connection');
    for (const ws of server.clients) ws.terminate();
    await until(() => !bus.isUp(), 'the drop');
    await until(() => bus.isUp() && ups === 2, 'the reconnection');
  });

  it('keeps one connection to each address of the adapter host, following DNS', async () => {
    let addresses = ['127.0.0.1', '127.0.0.2'];
    const asked: string[] = [];
    const bus = connect('adapter.av.local', async (host) => {
      asked.push(host);
      return addresses;
    });
    await until(() => server.clients.length === 2, 'two connections');
    assert.deepEqual([...server.peers].sort(), ['127.0.0.1', '127.0.0.2']);
    assert.equal(asked[0], 'adapter.av.local');
    addresses = ['127.0.0.1'];
    await until(() => server.clients.length === 1, 'the dropped address closed');
    assert.ok(bus.isUp());
  });

  it('uses the host itself when DNS fails, and stops for good', async () => {
    const bus = connect('127.0.0.1', async () => {
      throw new Error('never asked for an IP');
    });
    await until(() => bus.isUp(), 'the connection');
    const resolving = connect('localhost.invalid', async () => {
      throw new Error('ENOTFOUND');
    });
    assert.deepEqual(await resolving.addresses(), ['localhost.invalid']);
    await bus.stop();
    assert.equal(bus.isUp(), false);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(bus.isUp(), false, 'no reconnection after stop');
  });
});
