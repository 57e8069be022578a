import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { BusMessage } from '@frameproof/core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthService } from './services/auth.js';
import { parseBearer } from './plugins/auth.js';
import type { EventBus } from './services/event-bus.js';

/**
 * The internal bus on BUS_PORT (5701, inside the 5699-5702 range the security groups open
 * between adapter and jobs). It only says "there is work" and "cancel this job"; every state
 * change still goes over HTTP. Only the service account may connect.
 */
export class BusServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly adapterId = randomUUID();
  private off: (() => void) | undefined;

  constructor(
    private readonly auth: AuthService,
    private readonly events: EventBus,
    private readonly log: FastifyBaseLogger,
  ) {
    this.http = createServer((_req, res) => res.writeHead(426).end('this port speaks WebSocket at /bus\n'));
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      const token = parseBearer(req.headers.authorization);
      const reject = (status: number, text: string) => {
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n\r\n`);
      };
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/bus') return reject(404, 'Not Found');
      if (!token) return reject(401, 'Unauthorized');
      this.auth.verify(token).then(
        (principal) => {
          if (principal.role !== 'service') return reject(403, 'Forbidden');
          this.wss.handleUpgrade(req, socket, head, (ws) => {
            // A worker whose token is revoked logs in again and reconnects (it is refused with 401).
            // Expiry alone does not close it: the socket carries only "there is work" signals.
            const unwatch = this.auth.watch(principal, (why) => ws.close(4401, `token ${why}`), {
              expiry: false,
            });
            ws.on('close', unwatch);
            this.welcome(ws);
          });
        },
        () => reject(401, 'Unauthorized'),
      );
    });
  }

  private welcome(ws: WebSocket) {
    const hello: BusMessage = { type: 'hello', adapterId: this.adapterId };
    ws.send(JSON.stringify(hello));
    // Work may have been queued while this worker was away.
    ws.send(JSON.stringify({ type: 'work-available' } satisfies BusMessage));
  }

  get connections(): number {
    return this.wss.clients.size;
  }

  async listen(port: number, host: string): Promise<number> {
    this.off = this.events.onWork((signal) => {
      const text = JSON.stringify(signal satisfies BusMessage);
      for (const client of this.wss.clients) client.send(text);
    });
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    const address = this.http.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    this.log.info({ port: bound }, 'worker bus listening');
    return bound;
  }

  async close(): Promise<void> {
    this.off?.();
    for (const client of this.wss.clients) client.close(1001, 'adapter stopping');
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
