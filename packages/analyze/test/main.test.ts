import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { until } from '@frameproof/tests/until';

describe('the analyze service (main.ts)', () => {
  it('says at start-up which ffmpeg it uses, and stops on SIGTERM', async (t) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/analyze/src/main.ts'],
      {
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.after(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Starting through tsx took 16 s alone at load 29, and over 30 s once: a budget, not a measure.
    await until(() => output.includes('analyze: listening'), 'the service to listen', {
      ms: 90_000,
      everyMs: 50,
    });
    const found = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.msg === 'ffmpeg found');
    assert.ok(found, output);
    assert.equal(found.service, 'analyze');
    assert.match(String(found.ffmpeg), /ffmpeg/);
    assert.ok(['env', 'system', 'npm'].includes(String(found.source)));
    assert.equal(typeof found.version, 'string');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
