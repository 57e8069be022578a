import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { buildGateway } from '../src/index.js';

it('logs a failed request by its path: the query string, where signatures travel, stays out', async (t) => {
  // A target that answers what is not HTTP: the gateway logs the error with the request.
  const target = createServer((socket) => socket.once('data', () => socket.end('HELLO\r\n\r\n')));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => target.close());
  const lines: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const port = (target.address() as { port: number }).port;
  const gateway = await buildGateway(
    { adapter: `http://127.0.0.1:${port}` },
    { healthIntervalMs: 60_000, logStream },
  );
  t.after(() => gateway.close());
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(
    `http://127.0.0.1:${(gateway.server.address() as { port: number }).port}/api/media/clip.mp4?sig=SECRET`,
  );
  assert.equal(res.status, 500);
  await new Promise((resolve) => setImmediate(resolve));
  const logged = lines.map((line) => JSON.parse(line) as { req?: { url?: string } });
  assert.ok(
    logged.some((entry) => entry.req?.url === '/api/media/clip.mp4'),
    `the request is logged by its path: ${lines.join('\n')}`,
  );
  assert.ok(!lines.some((line) => line.includes('SECRET')), lines.join('\n'));
});
