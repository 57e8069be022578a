import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP hop between a client and a service (the adapter, the gateway) that can drop every
 * connection once a number of bytes has gone up, and refuse new ones until it is `restore`d:
 * the network going away in the middle of an upload. `holdAfter` stops passing bytes on at that
 * point instead, until `cut`: the test decides when the network goes, once the service has
 * what was sent before it.
 */
export async function flakyHop(target: number): Promise<{
  url: string;
  cutAfter(bytes: number): void;
  holdAfter(bytes: number): Promise<void>;
  cut(): void;
  restore(): void;
  server: Server;
}> {
  let limit = Infinity;
  let sent = 0;
  let down = false;
  let held: (() => void) | undefined;
  const open = new Set<Socket>();
  const cut = () => {
    down = true;
    for (const socket of open) socket.destroy();
  };
  const server = createServer((client) => {
    if (down) return client.destroy();
    const upstream = createConnection(target, '127.0.0.1');
    open.add(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
    };
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > limit) {
        if (held) {
          upstream.write(chunk.subarray(0, chunk.length - (sent - limit)));
          client.pause();
          held();
          held = undefined;
          return;
        }
        cut();
        drop();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cutAfter(bytes) {
      sent = 0;
      limit = bytes;
    },
    holdAfter(bytes) {
      sent = 0;
      limit = bytes;
      return new Promise<void>((resolve) => (held = resolve));
    },
    cut,
    restore() {
      down = false;
      limit = Infinity;
    },
    server,
  };
}

/**
 * A TCP hop in front of a service that watches the load balancer's health checks (`GET path`)
 * go through, to time a fault against them: `nextAnswer()` resolves with the status of the next
 * health check answered, as its answer passes; `answers` are all of them, in order. When the
 * service refuses a connection, the hop closes its port too, so that what is behind it is
 * refused from then on, as without the hop (the one connection that found out is reset).
 */
export async function healthSpy(
  target: number,
  path = '/api/health',
): Promise<{ url: string; answers: number[]; nextAnswer(): Promise<number>; close(): Promise<void> }> {
  const check = Buffer.from(`GET ${path} `);
  const answers: number[] = [];
  let waiting: ((status: number) => void)[] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    open.add(client);
    let checking = false;
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
    };
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(check)) checking = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (checking) {
        checking = false;
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16))?.[1] ?? 0);
        answers.push(status);
        const told = waiting;
        waiting = [];
        for (const resolve of told) resolve(status);
      }
      client.write(chunk);
    });
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && server.listening) server.close();
      drop();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    answers,
    nextAnswer: () => new Promise<number>((resolve) => waiting.push(resolve)),
    async close() {
      for (const socket of open) socket.destroy();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
