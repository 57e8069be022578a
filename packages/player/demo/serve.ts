/**
 * `npm run demo -w @frameproof/player`: bundles the demo with esbuild and serves it on
 * DEMO_PORT (default 5173) under a strict CSP, forwarding /api/* to the gateway
 * (GATEWAY_URL, default http://127.0.0.1:8080, as `npm start` runs it), so the page, the API
 * and the signed file URLs share one origin.
 */
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, PLAYER_DIR } from '../scripts/bundle.js';
import { serveStatic } from '../test/support/server.js';

const gateway = new URL(process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080');
const out = await mkdtemp(join(tmpdir(), 'fp-demo-'));
await bundle(join(PLAYER_DIR, 'demo/demo.ts'), join(out, 'demo.js'));
await copyFile(join(PLAYER_DIR, 'demo/demo.css'), join(out, 'demo.css'));
const html = await readFile(join(PLAYER_DIR, 'demo/index.html'), 'utf8');

const server = await serveStatic({
  mounts: { '/': out },
  pages: { '/': html },
  routes: [
    (req, res) => {
      if (!req.url?.startsWith('/api/')) return false;
      const upstream = request(
        {
          host: gateway.hostname,
          port: gateway.port,
          path: req.url,
          method: req.method,
          // The Host header stays the demo's: the adapter builds signed file URLs from it, so
          // media is read through this same origin too.
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502).end(`gateway at ${gateway.href} unreachable: ${err.message}`);
      });
      req.pipe(upstream);
      return true;
    },
  ],
  port: Number(process.env.DEMO_PORT ?? 5173),
});
console.log(`player demo on ${server.url} (API: ${gateway.href})`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
