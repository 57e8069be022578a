/**
 * A small static server for browser tests, the benchmark and the demo: serves a page, its
 * bundle and media files with Range requests (as storage's signed URLs do), under a strict
 * Content-Security-Policy so the player is proved to need no inline script or style.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.vtt': 'text/vtt',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.dat': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Serves `mounts` (URL prefix → folder), `pages` (path → HTML) and any extra routes. */
export async function serveStatic(opts: {
  mounts: Record<string, string>;
  pages?: Record<string, string>;
  routes?: Route[];
  /** Default: any free port. */
  port?: number;
}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const page = opts.pages?.[url.pathname];
    if (page !== undefined) {
      res.writeHead(200, {
        'content-type': TYPES['.html'] as string,
        'content-security-policy': CSP,
        'cache-control': 'no-store',
      });
      res.end(page);
      return;
    }
    for (const route of opts.routes ?? []) if (await route(req, res)) return;
    for (const [prefix, dir] of Object.entries(opts.mounts)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = normalize(decodeURIComponent(url.pathname.slice(prefix.length)));
      if (rel.startsWith('..') || rel.includes(`${sep}..`)) break;
      await sendFile(req, res, join(dir, rel));
      return;
    }
    res.writeHead(404).end('not found');
  }
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function sendFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    res.writeHead(404).end('not found');
    return;
  }
  const headers = {
    'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
    'cache-control': 'no-cache',
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    let start = range[1] ? Number(range[1]) : size - Number(range[2]);
    let end = range[1] && range[2] ? Number(range[2]) : size - 1;
    start = Math.max(0, start);
    end = Math.min(size - 1, end);
    if (start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, {
      ...headers,
      'content-range': `bytes ${start}-${end}/${size}`,
      'content-length': end - start + 1,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(path).pipe(res);
}
