import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, usableCpus } from '../src/config.js';

test('defaults: port 8080, a temporary cache folder kept 5 days', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.cacheDir, join(tmpdir(), 'frameproof-analyze'));
  assert.equal(c.cacheMaxAgeMs, 5 * 86_400_000);
  assert.equal(c.cacheMaxBytes, 10 * 1024 ** 3);
  assert.equal(c.ffmpegPath, 'ffmpeg');
  assert.equal(c.ffprobePath, 'ffprobe');
  assert.ok(c.maxDecoders >= 1 && c.maxDecoders <= 4);
});

test('settings from the environment', () => {
  const c = loadConfig({
    PORT: '9000',
    AP_ADAPTER_HOST: 'http://av-adapter.av.local:8080',
    AP_ANALYZE_CACHE_DIR: '/tmp/wav',
    AP_ANALYZE_CACHE_DAYS: '2',
    AP_ANALYZE_CACHE_MAX_GB: '0.5',
    FFMPEG_PATH: '/opt/ff/bin/ffmpeg',
  });
  assert.equal(c.port, 9000);
  assert.equal(c.adapterUrl, 'http://av-adapter.av.local:8080');
  assert.equal(c.cacheDir, '/tmp/wav');
  assert.equal(c.cacheMaxAgeMs, 2 * 86_400_000);
  assert.equal(c.cacheMaxBytes, 512 * 1024 ** 2);
  assert.equal(c.ffprobePath, '/opt/ff/bin/ffprobe');
});

test('decoders follow the CPUs the container may use', () => {
  assert.equal(usableCpus('50000 100000\n'), 1, 'half a vCPU: one decoder');
  assert.equal(usableCpus('max 100000\n'), availableParallelism());
  assert.equal(usableCpus(undefined), availableParallelism());
  assert.equal(usableCpus('100000000 100000'), availableParallelism());
});

test('bad values name the variable', () => {
  assert.throws(
    () => loadConfig({ AP_ANALYZE_CACHE_DAYS: 'soon' }),
    (e: unknown) => e instanceof ConfigError && /AP_ANALYZE_CACHE_DAYS/.test(e.message),
  );
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
});

test('the process listens, answers health, and exits 0 on SIGTERM', async () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      AP_ANALYZE_CACHE_DIR: join(tmpdir(), `fp-main-${process.pid}`),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const res = await fetch(`http://127.0.0.1:${port}/api/health`);
  assert.equal(res.status, 200);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exit, 0);
});
