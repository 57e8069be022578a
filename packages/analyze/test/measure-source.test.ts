/**
 * Loudness and peaks are the master's, not the proxy's: with no `source`, analyze measures the
 * original's own audio (AP_ANALYZE_MEASURE_SOURCE), and Auto QC's silence settings are the ones
 * the track's one pass measures with, so its levels request decodes nothing more.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  type AssetWithShapes,
  type LevelsResponse,
  type LoudnessResponse,
  QC_SETTINGS,
} from '@frameproof/core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { runFfmpeg } from '../src/ffmpeg.js';
import { DEFAULT_SILENCE } from '../src/processors/loudness.js';
import { type AssetResolver, sourceFromAsset } from '../src/resolver.js';
import { FFMPEG, ffmpeg, makeAudio, tempDir } from './helpers.js';

const ID = '33333333-3333-4333-8333-333333333333';
/** A 1 kHz stereo sine whose peaks are at -23.0 dBFS: its AAC proxy overshoots to about -22.1 dBTP. */
const LEVEL_DB = -23;

let dir: string;
let cleanup: () => Promise<void>;
let app: FastifyInstance;
const decodes: string[] = [];

/** An asset as the adapter describes it, with an original (PCM) and its audio proxy (AAC), read from disk. */
function asset(original: string, proxy: string): AssetWithShapes {
  const file = (id: string, url: string, mimeType: string) => ({
    id,
    name: id,
    size: 1,
    checksum: id,
    mimeType,
    url,
  });
  return {
    id: ID,
    title: 'PCM master',
    projectId: ID,
    status: 'ready',
    error: null,
    qc: { status: 'pending', by: null, reason: null, at: null },
    technical: {
      container: 'wav',
      durationSeconds: 10,
      video: [],
      audio: [{ index: 0, track: 1, codec: 'pcm_s24le', channels: 2, sampleRate: 48000 }],
      subtitles: [],
    },
    frameRate: { num: 25, den: 1 },
    durationFrames: 250,
    startTimecode: null,
    dropFrame: false,
    metadata: {},
    analysis: {},
    createdBy: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    shapes: [
      {
        id: '44444444-4444-4444-8444-000000000001',
        type: 'original',
        track: null,
        label: null,
        metadata: {},
        files: [file('master', original, 'audio/wav')],
      },
      {
        id: '44444444-4444-4444-8444-000000000002',
        type: 'audio-proxy',
        track: 1,
        label: 'Track 1',
        metadata: { channels: 2, sampleRate: 48000, durationSeconds: 10 },
        files: [file('proxy', proxy, 'audio/mp4')],
      },
    ],
  };
}

before(async () => {
  ({ dir, cleanup } = await tempDir());
  const a = (10 ** (LEVEL_DB / 20)).toFixed(6);
  const master = await makeAudio(
    join(dir, 'master.wav'),
    `aevalsrc=exprs='${a}*sin(2*PI*1000*t)|${a}*sin(2*PI*1000*t)':s=48000:d=10`,
    ['-c:a', 'pcm_s24le'],
  );
  // As the jobs service makes audio proxies: AAC-LC 128 kb/s, 48 kHz, in MP4.
  const proxy = join(dir, 'proxy.m4a');
  await ffmpeg(['-i', master, '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', proxy]);
  const described = asset(master, proxy);
  // What AdapterAssetResolver does with the adapter's answer, without the adapter.
  const resolver: AssetResolver = {
    resolve: async (_id, track, _auth, prefer) => {
      const { file, ...source } = sourceFromAsset(described, track, prefer);
      return { ...source, cacheKey: `${ID}/${track}/${file.id}` };
    },
  };
  app = await buildApp({
    resolver,
    cacheDir: join(dir, 'cache'),
    cacheMaxBytes: 1 << 30,
    cacheMaxAgeMs: 86_400_000,
    ffmpegPath: FFMPEG,
    maxDecoders: 1,
    runFfmpeg: (path, args, options) => {
      decodes.push(args.join(' '));
      return runFfmpeg(path, args, options);
    },
  });
});
after(async () => {
  await app.close();
  await cleanup();
});

const get = async <T>(url: string): Promise<T> => {
  const res = await app.inject({ method: 'GET', url: `/api/analyze/assets/${ID}/audio/1/${url}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<T>();
};

test("loudness and peaks are the PCM master's own, within 0.1 dB, not its AAC proxy's", async () => {
  const loudness = await get<LoudnessResponse>('loudness');
  assert.equal(loudness.source, 'original');
  assert.ok(Math.abs((loudness.truePeak ?? NaN) - LEVEL_DB) <= 0.1, `true peak ${loudness.truePeak} dBTP`);
  assert.ok(
    Math.abs((loudness.samplePeak ?? NaN) - LEVEL_DB) <= 0.1,
    `sample peak ${loudness.samplePeak} dBFS`,
  );
  for (const tp of loudness.truePeakPerChannel)
    assert.ok(Math.abs((tp ?? NaN) - LEVEL_DB) <= 0.1, `channel ${tp}`);
  const levels = await get<LevelsResponse>('levels');
  assert.equal(levels.source, 'original');
  assert.ok(Math.abs((levels.overall.peak ?? NaN) - LEVEL_DB) <= 0.1, `peak ${levels.overall.peak} dBFS`);

  // The proxy, asked for by name, is what overshoots: the figure the panel no longer shows.
  const proxy = await get<LoudnessResponse>('loudness?source=proxy');
  assert.equal(proxy.source, 'audio-proxy');
  assert.ok((proxy.truePeak ?? NaN) - LEVEL_DB >= 0.5, `the AAC proxy reads ${proxy.truePeak} dBTP`);
});

test("Auto QC's silence settings are the one pass's: its levels request decodes nothing more", async () => {
  assert.deepEqual(DEFAULT_SILENCE, {
    thresholdDb: QC_SETTINGS.silence.noiseDb,
    minSeconds: QC_SETTINGS.silence.minSeconds,
  });
  await get<LoudnessResponse>('loudness');
  const before = decodes.length;
  const levels = await get<LevelsResponse>(
    `levels?silenceThreshold=${QC_SETTINGS.silence.noiseDb}&silenceMinDuration=${QC_SETTINGS.silence.minSeconds}`,
  );
  assert.equal(levels.source, 'original');
  assert.equal(decodes.length, before, 'read from the loudness pass');
});

test('AP_ANALYZE_MEASURE_SOURCE: the original unless set to proxy; anything else is refused', () => {
  assert.equal(loadConfig({}).measureSource, 'original');
  assert.equal(loadConfig({ AP_ANALYZE_MEASURE_SOURCE: 'proxy' }).measureSource, 'proxy');
  assert.throws(
    () => loadConfig({ AP_ANALYZE_MEASURE_SOURCE: 'master' }),
    /AP_ANALYZE_MEASURE_SOURCE must be/,
  );
});
