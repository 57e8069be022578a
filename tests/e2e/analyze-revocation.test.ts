import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TokenResponse } from '@frameproof/core';
import { FrameproofClient } from '@frameproof/client';
import { exited, makeClip, Stack } from './stack.js';

/**
 * A signed-out session must stop reading through analyze, which keeps the adapter's answers
 * for a moment per token. Here analyze keeps them for an hour (`AP_ANALYZE_AUTH_TTL_SECONDS`),
 * so only the refusal path can end the reuse; the reuse time itself (2 s by default) is driven
 * with a clock in analyze's resolver tests.
 */
describe('analyze and a signed-out session (adapter and analyze as processes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start();
  });
  after(() => stack.close());

  it('refuses the session as soon as the adapter has refused it once', async () => {
    const id = await stack.upload(await makeClip(join(stack.dir, 'clip.mp4'), { seconds: 1 }), 'Clip');
    const analyze = await stack.startAnalyze({ AP_ANALYZE_AUTH_TTL_SECONDS: '3600' });
    try {
      // A second session of the admin, to sign out of.
      const session = new FrameproofClient(`http://127.0.0.1:${stack.port}`);
      const tokens: TokenResponse = await session.login('admin', 'e2e-admin-password');
      const headers = { authorization: `Bearer ${tokens.accessToken}` };
      const loudness = (assetId: string) =>
        fetch(`${analyze.url}/api/analyze/assets/${assetId}/audio/1/loudness`, { headers }).then(
          (r) => r.status,
        );
      // Accepted: the asset is not probed (no worker runs), so 409, not 401.
      assert.equal(await loudness(id), 409);

      const out = await fetch(`http://127.0.0.1:${stack.port}/api/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: tokens.refreshToken }),
      });
      assert.ok(out.ok, `logout: ${out.status}`);
      assert.equal((await fetch(`http://127.0.0.1:${stack.port}/api/assets/${id}`, { headers })).status, 401);

      // The kept answer still serves within the reuse time, until the adapter refuses the token
      // for anything: then nothing kept for it is used again.
      assert.equal(await loudness(id), 409, 'within the reuse time');
      assert.equal(await loudness('00000000-0000-4000-8000-000000000000'), 401);
      assert.equal(await loudness(id), 401);
      // The admin's other session is untouched.
      const still = { authorization: `Bearer ${stack.client.accessToken}` };
      const other = await fetch(`${analyze.url}/api/analyze/assets/${id}/audio/1/loudness`, {
        headers: still,
      });
      assert.equal(other.status, 409);
    } finally {
      analyze.process.kill('SIGTERM');
      await exited(analyze.process);
    }
  });
});
