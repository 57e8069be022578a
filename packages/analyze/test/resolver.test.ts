import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AssetWithShapes, Shape } from '@frameproof/core';
import { HttpError } from '../src/errors.js';
import { AdapterAssetResolver, sourceFromAsset } from '../src/resolver.js';

const ID = '11111111-1111-4111-8111-111111111111';
const file = (id: string, url: string) => ({
  id,
  name: id,
  size: 1234,
  checksum: `sum-${id}`,
  mimeType: 'audio/wav',
  url,
});
const shape = (
  type: Shape['type'],
  track: number | null,
  files: ReturnType<typeof file>[],
  metadata = {},
): Shape => ({
  id: `22222222-2222-4222-8222-00000000000${files.length}`,
  type,
  track,
  label: null,
  metadata,
  files,
});

function asset(overrides: Partial<AssetWithShapes> = {}): AssetWithShapes {
  return {
    id: ID,
    title: 'Programme',
    status: 'ready',
    error: null,
    qc: { status: 'pending', by: null, reason: null, at: null },
    technical: {
      container: 'mov',
      durationSeconds: 60,
      video: [],
      audio: [
        { index: 1, track: 1, codec: 'pcm_s24le', channels: 2, sampleRate: 48000 },
        { index: 2, track: 2, codec: 'pcm_s24le', channels: 6, sampleRate: 48000 },
      ],
      subtitles: [],
    },
    frameRate: { num: 25, den: 1 },
    durationFrames: 1500,
    startTimecode: null,
    dropFrame: false,
    metadata: {},
    analysis: {},
    projectId: ID,
    createdBy: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    shapes: [
      shape('original', null, [file('orig', 'https://s3.example/orig?sig=1')]),
      shape('audio-proxy', 1, [file('proxy1', 'https://s3.example/proxy1?sig=1')], {
        channels: 2,
        sampleRate: 44100,
      }),
    ],
    ...overrides,
  };
}

test('track 1: its audio proxy, first audio stream, with the proxy layout', () => {
  const s = sourceFromAsset(asset(), 1);
  assert.equal(s.input, 'https://s3.example/proxy1?sig=1');
  assert.equal(s.map, '0:a:0');
  assert.equal(s.sampleRate, 44100);
  assert.equal(s.channels, 2);
  assert.equal(s.durationSeconds, 60);
});

test('track 2 without a proxy: the original, mapped by stream index', () => {
  const s = sourceFromAsset(asset(), 2);
  assert.equal(s.input, 'https://s3.example/orig?sig=1');
  assert.equal(s.map, '0:2');
  assert.equal(s.channels, 6);
});

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? err.statusCode : -1;
  }
  return 0;
};

test('the original on request, even when there is a proxy', () => {
  const s = sourceFromAsset(asset(), 1, 'original');
  assert.equal(s.kind, 'original');
  assert.equal(s.input, 'https://s3.example/orig?sig=1');
  assert.equal(s.map, '0:1');
  assert.equal(s.sampleRate, 48000);
  assert.equal(sourceFromAsset(asset(), 1).kind, 'audio-proxy');
});

test('unknown track 404, no audio 422, not probed 409', () => {
  assert.equal(
    status(() => sourceFromAsset(asset(), 3)),
    404,
  );
  const silent = asset();
  (silent.technical as NonNullable<AssetWithShapes['technical']>).audio = [];
  assert.equal(
    status(() => sourceFromAsset(silent, 1)),
    422,
  );
  assert.equal(
    status(() => sourceFromAsset(asset({ technical: null }), 1)),
    409,
  );
});

let server: Server;
let url: string;
const seen: (string | undefined)[] = [];
/** Tokens the adapter refuses from now on, as it does after a sign-out. */
const revoked = new Set<string>();

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!req.headers.authorization || revoked.has(req.headers.authorization))
      return send(401, { statusCode: 401, error: 'Unauthorized', message: 'sign in' });
    if (req.headers.authorization === 'Bearer stranger') {
      return send(403, { statusCode: 403, error: 'Forbidden', message: 'not yours' });
    }
    if (req.url === `/api/assets/${ID}`) return send(200, asset());
    if (req.url?.startsWith('/api/assets/boom'))
      return send(500, { statusCode: 500, error: 'x', message: 'db down' });
    return send(404, { statusCode: 404, error: 'Not Found', message: 'asset not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test("the adapter sees the caller's own token; its answer is ours", async () => {
  const resolver = new AdapterAssetResolver(url, 0);
  const s = await resolver.resolve(ID, 1, 'Bearer abc');
  assert.equal(seen.at(-1), 'Bearer abc');
  assert.equal(s.cacheKey, `${ID}/1/proxy1/sum-proxy1`);
  // Results live next to the asset, per track and version of the decoded file.
  assert.match(s.resultsKey ?? '', new RegExp(`^assets/${ID}/analysis/1/[0-9a-f]{32}$`));
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 0,
      (e: unknown) => (e as HttpError).statusCode,
    );
  assert.equal(await code(resolver.resolve(ID, 1, undefined)), 401);
  assert.equal(await code(resolver.resolve(ID, 1, 'Bearer stranger')), 403);
  assert.equal(await code(resolver.resolve('33333333-3333-4333-8333-333333333333', 1, 'Bearer abc')), 404);
  assert.equal(await code(resolver.resolve('boom', 1, 'Bearer abc')), 502);
  assert.equal(
    await code(new AdapterAssetResolver('http://127.0.0.1:1', 0).resolve(ID, 1, 'Bearer abc')),
    502,
  );
});

test('answers are reused for a few seconds per token and asset; failures are not', async () => {
  let now = 1000;
  const resolver = new AdapterAssetResolver(url, 15_000, () => now);
  const before = seen.length;
  await resolver.resolve(ID, 1, 'Bearer t1');
  await resolver.resolve(ID, 2, 'Bearer t1');
  assert.equal(seen.length - before, 1);
  await resolver.resolve(ID, 1, 'Bearer t2');
  assert.equal(seen.length - before, 2, 'another token asks again');
  now += 16_000;
  await resolver.resolve(ID, 1, 'Bearer t1');
  assert.equal(seen.length - before, 3, 'expired');
  await assert.rejects(resolver.resolve(ID, 1, 'Bearer stranger'));
  await assert.rejects(resolver.resolve(ID, 1, 'Bearer stranger'));
  assert.equal(seen.length - before, 5);
});

/** A JWT-shaped token (unsigned: analyze only reads its expiry, the adapter checks it). */
const jwt = (exp: number, name: string) =>
  `Bearer x.${Buffer.from(JSON.stringify({ exp, sub: name })).toString('base64url')}.sig`;

test('a revoked token is refused within the reuse time, at once after any refusal', async () => {
  let now = 1_000_000;
  const resolver = new AdapterAssetResolver(url, 2_000, () => now);
  const token = jwt(now / 1000 + 600, 'revoked');
  await resolver.resolve(ID, 1, token);
  revoked.add(token);
  // Kept answers are reused for up to the reuse time: that is the bound.
  await resolver.resolve(ID, 1, token);
  now += 2_000;
  await assert.rejects(resolver.resolve(ID, 1, token), (e: unknown) => (e as HttpError).statusCode === 401);
  // Refused for one asset: nothing kept for the token is used again, whatever its age.
  revoked.delete(token);
  await resolver.resolve(ID, 1, token);
  revoked.add(token);
  await assert.rejects(
    resolver.resolve('55555555-5555-4555-8555-555555555555', 1, token),
    (e: unknown) => (e as HttpError).statusCode === 401,
  );
  await assert.rejects(resolver.resolve(ID, 1, token), (e: unknown) => (e as HttpError).statusCode === 401);
  revoked.delete(token);
});

test('an answer is never kept past the expiry of the token that got it', async () => {
  let now = 1_000_000;
  const resolver = new AdapterAssetResolver(url, 60_000, () => now);
  const token = jwt(now / 1000 + 1, 'short');
  const before = seen.length;
  await resolver.resolve(ID, 1, token);
  await resolver.resolve(ID, 1, token);
  assert.equal(seen.length - before, 1, 'reused while the token lives');
  now += 1_000;
  await resolver.resolve(ID, 1, token);
  assert.equal(
    seen.length - before,
    2,
    'asked again once it has expired, though the reuse time has not passed',
  );
  await resolver.resolve(ID, 1, jwt(now / 1000 - 5, 'expired'));
  await resolver.resolve(ID, 1, jwt(now / 1000 - 5, 'expired'));
  assert.equal(seen.length - before, 4, 'an expired token is never served from memory');
});
