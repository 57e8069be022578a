import { resolve4 } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { BusMessage } from '@frameproof/core';
import WebSocket from 'ws';
import type { Logger } from '@frameproof/media-kit';
import { silentLogger } from '@frameproof/media-kit';

export interface BusHandlers {
  onMessage(message: BusMessage): void;
  /** A connection opened: work may have been announced while none was up. */
  onUp(): void;
  /** The bus refused the token: log in again; the connection is retried after. */
  onUnauthorized(): Promise<void>;
}

/** The runner's view of the bus: it only says whether pushes can reach us. */
export interface Bus {
  start(handlers: BusHandlers): void;
  stop(): Promise<void>;
  isUp(): boolean;
}

export interface BusOptions {
  /** The adapter's URL (AP_ADAPTER_HOST); its host name is resolved to every adapter task. */
  adapterUrl: string;
  port: number;
  getToken: () => string | undefined;
  resolve?: (host: string) => Promise<string[]>;
  /** How often the host name is resolved again (Cloud Map's TTL is 60 s). */
  resolveSeconds?: number;
  /** Reconnect delays double from the first to the last. */
  backoffMs?: { first: number; max: number };
  /** A connection that does not answer a ping within this time is dropped. */
  pingSeconds?: number;
  log?: Logger;
}

interface Connection {
  address: string;
  ws?: WebSocket;
  up: boolean;
  attempts: number;
  retry?: NodeJS.Timeout;
  ping?: NodeJS.Timeout;
  alive: boolean;
}

function isBusMessage(value: unknown): value is BusMessage {
  const m = value as Partial<Record<string, unknown>> | null;
  if (typeof m !== 'object' || m === null) return false;
  if (m.type === 'work-available') return true;
  if (m.type === 'cancel') return typeof m.jobId === 'string';
  return m.type === 'hello' && typeof m.adapterId === 'string';
}

/**
 * The push side of the worker protocol: one WebSocket to every adapter task (the host name's
 * A records), each reconnected with backoff. Messages only prompt the runner; every state
 * change still goes over HTTP.
 */
export class BusClient implements Bus {
  private readonly connections = new Map<string, Connection>();
  private handlers: BusHandlers | undefined;
  private resolveTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: BusOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'bus' });
  }

  start(handlers: BusHandlers): void {
    this.handlers = handlers;
    this.stopped = false;
    void this.refresh();
    this.resolveTimer = setInterval(() => void this.refresh(), (this.options.resolveSeconds ?? 60) * 1000);
    this.resolveTimer.unref();
  }

  isUp(): boolean {
    return [...this.connections.values()].some((c) => c.up);
  }

  /** The addresses to connect to: every A record of the host, or the host itself. */
  async addresses(): Promise<string[]> {
    const host = new URL(this.options.adapterUrl).hostname;
    if (isIP(host.replace(/^\[|\]$/g, '')) || host === 'localhost') return [host];
    try {
      const found = await (this.options.resolve ?? resolve4)(host);
      return found.length ? [...new Set(found)].sort() : [host];
    } catch (err) {
      this.log.warn({ host, err }, 'cannot resolve the adapter host; using the name');
      return [host];
    }
  }

  private async refresh(): Promise<void> {
    const wanted = await this.addresses();
    if (this.stopped) return;
    for (const address of wanted) {
      if (!this.connections.has(address)) {
        const connection: Connection = { address, up: false, attempts: 0, alive: true };
        this.connections.set(address, connection);
        this.connect(connection);
      }
    }
    for (const [address, connection] of this.connections) {
      if (!wanted.includes(address)) {
        this.connections.delete(address);
        this.close(connection);
      }
    }
  }

  private connect(c: Connection): void {
    const token = this.options.getToken();
    const url = `ws://${c.address}:${this.options.port}/bus`;
    const ws = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      handshakeTimeout: 10_000,
    });
    c.ws = ws;
    ws.on('open', () => {
      c.up = true;
      c.attempts = 0;
      c.alive = true;
      this.log.info({ url }, 'bus connected');
      c.ping = setInterval(
        () => {
          if (!c.alive) return ws.terminate();
          c.alive = false;
          ws.ping();
        },
        (this.options.pingSeconds ?? 30) * 1000,
      );
      c.ping.unref();
      this.handlers?.onUp();
    });
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        message = undefined;
      }
      if (isBusMessage(message)) this.handlers?.onMessage(message);
      else this.log.warn({ data: String(data).slice(0, 200) }, 'ignored a bus message');
    });
    ws.on('unexpected-response', (_req, res) => {
      this.log.warn({ url, status: res.statusCode }, 'the bus refused the connection');
      if (res.statusCode === 401) void this.handlers?.onUnauthorized().catch(() => undefined);
      ws.terminate();
    });
    ws.on('error', (err) => this.log.debug({ url, err }, 'bus connection error'));
    ws.on('close', () => {
      const wasUp = c.up;
      c.up = false;
      clearInterval(c.ping);
      if (wasUp) this.log.warn({ url }, 'bus disconnected');
      if (this.stopped || this.connections.get(c.address) !== c) return;
      const { first, max } = this.options.backoffMs ?? { first: 500, max: 30_000 };
      const delay = Math.min(max, first * 2 ** c.attempts++) * (0.75 + Math.random() * 0.5);
      c.retry = setTimeout(() => this.connect(c), delay);
      c.retry.unref();
    });
  }

  private close(c: Connection): Promise<void> {
    clearTimeout(c.retry);
    clearInterval(c.ping);
    const ws = c.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1001, 'worker stopping');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resolveTimer);
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => this.close(c)));
  }
}
