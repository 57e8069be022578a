import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildGateway, routeFor } from '../src/index.js';

/** Small upstreams that say who they are and what path they got. */
async function echo(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, path: req.url, host: req.headers['x-forwarded-host'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('gateway', () => {
  const upstreams: Record<string, { url: string; server: Server }> = {};
  let gateway: Awaited<ReturnType<typeof buildGateway>>;
  before(async () => {
    for (const name of ['adapter', 'analyze', 'auth', 'frontend']) upstreams[name] = await echo(name);
    gateway = await buildGateway(
      {
        adapter: upstreams.adapter?.url,
        analyze: upstreams.analyze?.url,
        auth: upstreams.auth?.url,
        frontend: upstreams.frontend?.url,
      },
      { logger: false },
    );
  });
  after(async () => {
    await gateway.close();
    for (const u of Object.values(upstreams)) u.server.close();
  });

  it('routes exactly as the ALB rules say, keeping the path', async () => {
    // Written out, not derived from the gateway's own table: the ALB's rules in infra take the
    // same paths to the same services (infra/test/load-balancer.test.ts).
    const expected: [string, string][] = [
      ['/api/analyze', 'analyze'],
      ['/api/analyze/', 'analyze'],
      ['/api/analyze/assets/x/audio/1/waveform?format=json', 'analyze'],
      ['/api/analyzer', 'adapter'],
      ['/api', 'adapter'],
      ['/api/assets?limit=1', 'adapter'],
      ['/api/health', 'adapter'],
      ['/api/eventbus?assetId=1', 'adapter'],
      ['/auth', 'auth'],
      ['/auth/realms/frameproof', 'auth'],
      ['/authors', 'frontend'],
      ['/Auth', 'frontend'],
      ['/', 'frontend'],
      ['/assets/123?frame=5', 'frontend'],
      ['/apiary', 'frontend'],
      ['/static/index.js', 'frontend'],
    ];
    const seen: [string, string][] = [];
    for (const [path] of expected) {
      const res = await gateway.inject({ url: path, headers: { host: 'review.example' } });
      const body = res.json() as { name: string; path: string; host: string };
      assert.equal(body.path, path);
      assert.equal(body.host, 'review.example');
      seen.push([path, body.name]);
    }
    assert.deepEqual(seen, expected);
    // WebSocket upgrades are routed by the same rules.
    assert.deepEqual(['/auth', '/authors', '/api/analyze', '/api'].map(routeFor), [
      'auth',
      'frontend',
      'analyze',
      'adapter',
    ]);
  });

  it('answers 502 for a service that is not running, on its prefix and below it only', async () => {
    const lone = await buildGateway({ frontend: upstreams.frontend?.url }, { logger: false });
    try {
      for (const path of ['/auth', '/auth/realms/frameproof', '/api/analyze', '/api/assets']) {
        const res = await lone.inject({ url: path });
        assert.equal(res.statusCode, 502, path);
        assert.match(res.json().message, /service is not running/, path);
      }
      const authors = await lone.inject({ url: '/authors' });
      assert.equal(authors.statusCode, 200);
      assert.equal(authors.json().name, 'frontend');
    } finally {
      await lone.close();
    }
  });
});
