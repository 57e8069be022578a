import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { buildGateway } from '../src/index.js';

const run = promisify(execFile);

/** What the upstream saw of one request body. */
interface Received {
  method: string;
  path: string;
  bytes: number;
  sha256: string;
  expect: string | null;
  transferEncoding: string | null;
  contentType: string | null;
}

const MEDIA = randomBytes(256 * 1024);

/**
 * An upstream that hashes request bodies as they stream in (announcing each chunk on
 * `progress`), serves `/api/media` with byte ranges, and echoes WebSocket messages on
 * `/api/eventbus`.
 */
async function upstream(): Promise<{
  url: string;
  server: Server;
  progress: EventEmitter;
  wss: WebSocketServer;
}> {
  const progress = new EventEmitter();
  const server = createServer((req, res) => {
    if (req.url === '/api/media') {
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      res.setHeader('accept-ranges', 'bytes');
      res.setHeader('content-type', 'video/mp4');
      if (!range) {
        res.setHeader('content-length', MEDIA.length);
        res.end(req.method === 'HEAD' ? undefined : MEDIA);
        return;
      }
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : MEDIA.length - 1;
      res.statusCode = 206;
      res.setHeader('content-range', `bytes ${start}-${end}/${MEDIA.length}`);
      res.setHeader('content-length', end - start + 1);
      res.end(MEDIA.subarray(start, end + 1));
      return;
    }
    if (req.url === '/api/refuse') {
      // Refuses before reading the body, as the adapter does for a bad token or a size over the limit.
      res.writeHead(413, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 413, message: 'too large' }));
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      progress.emit('bytes', bytes);
    });
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        bytes,
        sha256: hash.digest('hex'),
        expect: req.headers.expect ?? null,
        transferEncoding: req.headers['transfer-encoding'] ?? null,
        contentType: req.headers['content-type'] ?? null,
      };
      res.setHeader('content-type', 'application/json');
      res.statusCode = 201;
      res.end(JSON.stringify(received));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    if (req.url?.includes('ticket=bad')) {
      socket.end(
        'HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ hello: req.url, proto: req.headers['x-forwarded-proto'] }));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, progress, wss };
}

describe('gateway: what real clients send', () => {
  let up: Awaited<ReturnType<typeof upstream>>;
  let gateway: Awaited<ReturnType<typeof buildGateway>>;
  let base: string;
  let dir: string;
  before(async () => {
    up = await upstream();
    gateway = await buildGateway({ adapter: up.url }, { logger: false });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'frameproof-gateway-'));
  });
  after(async () => {
    await gateway.close();
    up.wss.close();
    up.server.closeAllConnections();
    up.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a multipart upload over 1 MB from curl, which sends Expect: 100-continue', async () => {
    const file = join(dir, 'big.mp4');
    const content = randomBytes(3 * 1024 * 1024);
    await writeFile(file, content);
    const { stdout } = await run('curl', [
      '-sS',
      '-X',
      'POST',
      `${base}/api/assets`,
      '-F',
      'title=Episode 12',
      '-F',
      `file=@${file}`,
      '-w',
      '\n%{http_code}',
    ]);
    const [body, status] = stdout.split('\n');
    assert.equal(status, '201', stdout);
    const received = JSON.parse(body ?? '') as Received;
    assert.equal(received.method, 'POST');
    assert.equal(received.path, '/api/assets');
    assert.match(received.contentType ?? '', /^multipart\/form-data; boundary=/);
    // The multipart envelope around the file: the whole file and a little more arrived.
    assert.ok(
      received.bytes > content.length && received.bytes < content.length + 1024,
      String(received.bytes),
    );
  });

  it("gives the service's early refusal to a client that is still sending", async () => {
    const file = join(dir, 'refused.mp4');
    await writeFile(file, randomBytes(8 * 1024 * 1024));
    const { stdout } = await run('curl', [
      '-sS',
      `${base}/api/refuse`,
      '-F',
      `file=@${file}`,
      '-w',
      '\n%{http_code}',
    ]);
    const [body, status] = stdout.split('\n');
    assert.equal(status, '413', stdout);
    assert.equal((JSON.parse(body ?? '') as { message: string }).message, 'too large');
  });

  it('passes a chunked body with no length, byte for byte', async () => {
    const file = join(dir, 'chunked.bin');
    const content = randomBytes(2 * 1024 * 1024 + 17);
    await writeFile(file, content);
    const { stdout } = await run('curl', [
      '-sS',
      '-X',
      'PUT',
      `${base}/api/uploads/x`,
      '-H',
      'transfer-encoding: chunked',
      '-H',
      // Chunking alone here; Expect has its own test above.
      'expect:',
      '-H',
      'content-type: application/offset+octet-stream',
      '--data-binary',
      `@${file}`,
    ]);
    const received = JSON.parse(stdout) as Received;
    assert.equal(received.bytes, content.length);
    assert.equal(received.sha256, createHash('sha256').update(content).digest('hex'));
    assert.equal(received.contentType, 'application/offset+octet-stream');
  });

  it('streams an upload to the service as it arrives instead of buffering it whole', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const req = request(`${base}/api/uploads/stream`, {
      method: 'PATCH',
      headers: { 'content-length': total, 'content-type': 'application/offset+octet-stream' },
    });
    const response = once(req, 'response') as Promise<[IncomingMessage]>;
    // Send the first megabyte, then wait until the service has seen bytes before sending the
    // rest: a gateway that buffers whole bodies never forwards anything, and this never ends.
    const seen = once(up.progress, 'bytes');
    req.write(chunk);
    await seen;
    for (let sent = chunk.length; sent < total; sent += chunk.length) {
      if (!req.write(chunk)) await once(req, 'drain');
    }
    req.end();
    const [res] = await response;
    let text = '';
    for await (const part of res) text += String(part);
    const received = JSON.parse(text) as Received;
    assert.equal(res.statusCode, 201);
    assert.equal(received.bytes, total);
  });

  it('passes Range requests and answers 206 with the service headers', async () => {
    const res = await fetch(`${base}/api/media`, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 1000-1999/${MEDIA.length}`);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), MEDIA.subarray(1000, 2000));
    const open = await fetch(`${base}/api/media`, { headers: { range: 'bytes=262000-' } });
    assert.equal(open.status, 206);
    assert.equal((await open.arrayBuffer()).byteLength, MEDIA.length - 262000);
    const head = await fetch(`${base}/api/media`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(MEDIA.length));
  });

  it('upgrades WebSockets on /api/eventbus, keeping the query and both directions', async () => {
    // A client's own X-Forwarded-Proto is not believed: the connection says plain HTTP.
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/eventbus?ticket=abc&assetId=42`, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    await once(ws, 'open');
    ws.send('ping');
    while (messages.length < 2) await once(ws, 'message');
    assert.deepEqual(JSON.parse(messages[0] ?? ''), {
      hello: '/api/eventbus?ticket=abc&assetId=42',
      proto: 'http',
    });
    assert.equal(messages[1], 'ping');
    ws.close();
    await once(ws, 'close');
  });

  it('tells the service a WebSocket came over TLS when it did', async () => {
    // The gateway's upgrade handling on a TLS listener (a self-signed certificate made here).
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ]);
    const tls = createHttpsServer({
      key: await readFile(join(dir, 'key.pem')),
      cert: await readFile(join(dir, 'cert.pem')),
    });
    tls.on('upgrade', (req, socket, early) => gateway.server.emit('upgrade', req, socket, early));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    try {
      const ws = new WebSocket(`wss://127.0.0.1:${(tls.address() as AddressInfo).port}/api/eventbus?t=1`, {
        rejectUnauthorized: false,
        headers: { 'x-forwarded-proto': 'http' },
      });
      const [hello] = (await once(ws, 'message')) as [Buffer];
      assert.deepEqual(JSON.parse(String(hello)), { hello: '/api/eventbus?t=1', proto: 'https' });
      ws.close();
      await once(ws, 'close');
    } finally {
      tls.closeAllConnections();
      tls.close();
    }
  });

  it("answers a refused WebSocket upgrade with the service's status, as the ALB does", async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/eventbus?ticket=bad`);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    assert.equal(res.statusCode, 401);
    // The client reports the refusal as an error once it gives up on the connection.
    const failed = once(ws, 'error');
    ws.terminate();
    await failed;
  });
});
