import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { pathOnly } from '@frameproof/core';
import WebSocket from 'ws';
import { auth, DATABASES, startApp } from './helpers.js';

it('keeps query strings, where tokens and signatures travel, out of the request log', async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const open = DATABASES[0]?.open;
  assert.ok(open);
  const t = await startApp(open, { logLevel: 'info' }, { logger: { stream } });
  try {
    const token = await t.token();
    await t.app.inject({ url: `/api/assets?access_token=${token}&x=1`, headers: auth(token) });
    await t.app.inject({ url: '/api/media/some/key?expires=1&signature=SIGNATURE-VALUE' });
    // The event bus: a browser's socket carries a one-time ticket in its URL, never the token.
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const issued = await t.app.inject({ method: 'POST', url: '/api/eventbus/ticket', headers: auth(token) });
    const { ticket } = issued.json() as { ticket: string };
    const ws = new WebSocket(
      `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/eventbus?ticket=${ticket}`,
    );
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    ws.terminate();
    const log = lines.join('');
    assert.match(log, /"url":"\/api\/eventbus"/, 'the upgrade is logged, by path');
    assert.doesNotMatch(log, new RegExp(ticket.replace(/[^\w]/g, '.').slice(-20)));
    assert.match(log, /"url":"\/api\/assets"/, 'the request is logged, by path');
    assert.match(log, /"url":"\/api\/media\/some\/key"/);
    assert.doesNotMatch(log, new RegExp(token.slice(-20)));
    assert.doesNotMatch(log, /SIGNATURE-VALUE/);
  } finally {
    await t.close();
  }
});

it('cuts a URL at its query or fragment', () => {
  assert.equal(pathOnly('/a/b?c=d#e'), '/a/b');
  assert.equal(pathOnly('/a#x?y'), '/a');
  assert.equal(pathOnly('/plain'), '/plain');
});
