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
    for (const name of ['adapter', 'analyze', 'frontend']) upstreams[name] = await echo(name);
    gateway = await buildGateway(
      { adapter: upstreams.adapter?.url, analyze: upstreams.analyze?.url, frontend: upstreams.frontend?.url },
      false,
    );
  });
  after(async () => {
    await gateway.close();
    for (const u of Object.values(upstreams)) u.server.close();
  });

  it('routes exactly as the ALB rules say, keeping the path', async () => {
    // Written out, not derived from the gateway's own table: this is what FACTS.md's rules say.
    const expected: [string, string][] = [
      ['/api/analyze/assets/x/audio/1/waveform?format=json', 'analyze'],
      ['/api/analyzer', 'adapter'],
      ['/api/assets?limit=1', 'adapter'],
      ['/api/health', 'adapter'],
      ['/api/eventbus?assetId=1', 'adapter'],
      ['/', 'frontend'],
      ['/assets/123?frame=5', 'frontend'],
      ['/apiary', 'frontend'],
      ['/static/index.js', 'frontend'],
    ];
    for (const [path, upstream] of expected) {
      const res = await gateway.inject({ url: path, headers: { host: 'review.example' } });
      const body = res.json() as { name: string; path: string; host: string };
      assert.equal(body.name, upstream, path);
      assert.equal(body.path, path);
      assert.equal(body.host, 'review.example');
    }
    assert.equal(routeFor('/auth/realms/frameproof'), 'auth');
    assert.equal(routeFor('/auth'), 'auth');
  });

  it('answers 502 for a service that is not running', async () => {
    const res = await gateway.inject({ url: '/auth/realms/frameproof' });
    assert.equal(res.statusCode, 502);
    assert.match(res.json().message, /auth service is not running/);
  });
});
