/**
 * One measurement, two readers: a two-track PCM master goes through ingest (adapter, jobs worker
 * and analyze as processes), and the Auto QC loudness and silence markers of each track say what
 * analyze's loudness and levels answers say for that track (what the loudness panel shows).
 * They are the master's own figures: track 2 peaks at -1.5 dBTP in PCM, under the -1 dBTP
 * ceiling, where its AAC proxy overshoots past it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_LOUDNESS_TARGET,
  QC_SETTINGS,
  type LevelsResponse,
  type LoudnessResponse,
  type Marker,
  secondsToFrame,
} from '@frameproof/core';
import { FrameproofClient } from '@frameproof/client';
import { run, Stack } from './stack.js';

const SECONDS = 8;
const RATE = { num: 25, den: 1 };
const FRAMES = SECONDS * 25;
/** Track 1: 440 Hz at -30 dBFS with digital silence from 2 to 5 s. Track 2: 1 kHz at -1.5 dBFS. */
const TRACK_1 = { peakDb: -30, silence: [2, 5] };
const TRACK_2 = { peakDb: -1.5 };
const amplitude = (db: number) => (10 ** (db / 20)).toFixed(6);

async function makeMaster(path: string): Promise<string> {
  const a1 = amplitude(TRACK_1.peakDb);
  const [s, e] = TRACK_1.silence;
  const t1 = `if(between(t,${s},${e}),0,${a1}*sin(2*PI*440*t))`;
  const t2 = `${amplitude(TRACK_2.peakDb)}*sin(2*PI*1000*t)`;
  await run('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=25:duration=${SECONDS}`],
    ...['-f', 'lavfi', '-i', `aevalsrc=exprs='${t1}|${t1}':s=48000:d=${SECONDS}`],
    ...['-f', 'lavfi', '-i', `aevalsrc=exprs='${t2}|${t2}':s=48000:d=${SECONDS}`],
    ...['-map', '0:v', '-map', '1:a', '-map', '2:a'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'pcm_s24le'],
    path,
  ]);
  return path;
}

/** The frames a span in seconds covers on the timeline: first frame on screen to last before its end. */
function frames(span: { start: number; end: number }): [number, number] {
  const last = FRAMES - 1;
  const start = Math.min(last, secondsToFrame(span.start, RATE));
  if (secondsToFrame(span.end, RATE) >= last) return [start, last];
  return [start, Math.max(start, Math.ceil(span.end * 25 - 1e-6) - 1)];
}

describe('Auto QC and the loudness panel read one measurement per track', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start();
  });
  after(() => stack.close());

  it("gives each track's markers the figures analyze answers for that track: the master's, not the proxy's", async () => {
    stack.startWorker();
    const id = await stack.upload(await makeMaster(join(stack.dir, 'two tracks.mov')), 'Two tracks');
    const [asset] = await stack.settled([id], 300);
    assert.equal(asset?.status, 'ready', asset?.error ?? '');
    assert.equal(asset.durationFrames, FRAMES);
    const jobs = (await stack.client.listJobs({ assetId: id, type: 'auto-qc' })).items;
    assert.deepEqual(
      jobs.map((j) => [j.status, j.error]),
      [['completed', null]],
    );

    // What the panel reads: analyze's answers, asked with a person's token through the typed client.
    const analyze = new FrameproofClient(`http://127.0.0.1:${stack.analyzePort}`, stack.client.accessToken);
    const markers = (await stack.client.listMarkers(id, { group: 'Auto QC' })).items;
    const summary = asset.analysis['auto-qc'] as {
      tracks: { track: number; measuredOn: string; loudness: Record<string, unknown> }[];
    };
    const target = DEFAULT_LOUDNESS_TARGET;
    const measured: Record<number, LoudnessResponse> = {};
    for (const track of [1, 2]) {
      const loudness = await analyze.getLoudness(id, track);
      const levels: LevelsResponse = await analyze.getLevels(id, track, {
        silenceThreshold: QC_SETTINGS.silence.noiseDb,
        silenceMinDuration: QC_SETTINGS.silence.minSeconds,
      });
      measured[track] = loudness;
      assert.equal(loudness.source, 'original', 'the panel shows the master');
      assert.ok(loudness.integrated !== null && loudness.truePeak !== null);
      const on = (title: string) => markers.filter((m: Marker) => m.title === `${title} (track ${track})`);

      // Loudness: a programme-long marker exactly when analyze's verdict fails, quoting its figures.
      const integrated = on('Loudness out of range');
      assert.equal(integrated.length, loudness.checks.integrated.pass ? 0 : 1, `track ${track} integrated`);
      for (const m of integrated) {
        assert.equal(
          m.description,
          `Integrated ${loudness.integrated.toFixed(1)} LUFS; target ${target.integratedLufs} LUFS ±${target.toleranceLu} LU`,
        );
        assert.deepEqual([m.start.frame, m.end.frame, m.category], [0, FRAMES - 1, 'loudness']);
      }
      const peak = on('True peak too high');
      assert.equal(peak.length, loudness.checks.truePeak.pass ? 0 : 1, `track ${track} true peak`);
      for (const m of peak)
        assert.equal(
          m.description,
          `True peak ${loudness.truePeak.toFixed(1)} dBTP; at most ${target.truePeakDbtp} dBTP`,
        );

      // Silence: one marker per span analyze reports, on the same frames.
      assert.deepEqual(
        on('Silence').map((m) => [m.start.frame, m.end.frame]),
        levels.silence.spans.map(frames),
        `track ${track} silence`,
      );
      // The summary Auto QC stores holds the same numbers.
      const stored = summary.tracks.find((t) => t.track === track);
      assert.equal(stored?.measuredOn, 'original');
      assert.equal(stored?.loudness.integratedLufs, loudness.integrated);
      assert.equal(stored?.loudness.truePeakDbtp, loudness.truePeak);
    }

    // The tracks differ, and each marker belongs to its own track. silencedetect ends a span at
    // the first block over its threshold, so the 5 s end may reach into frame 125.
    const silences = markers.filter((m) => m.category === 'silence');
    assert.deepEqual(
      silences.map((m) => [m.title, m.start.frame]),
      [['Silence (track 1)', 50]],
    );
    assert.ok([124, 125].includes(silences[0]?.end.frame ?? -1), `ends on ${silences[0]?.end.frame}`);
    assert.ok(
      Math.abs((measured[1]?.integrated ?? NaN) - TRACK_1.peakDb) < 1.5,
      `track 1 ${measured[1]?.integrated} LUFS`,
    );
    assert.ok(markers.some((m) => m.title === 'Loudness out of range (track 1)'));
    assert.ok(markers.some((m) => m.title === 'Loudness out of range (track 2)'));
    // Track 2 is the master's own true peak, within 0.1 dB, and under the ceiling: no marker,
    // though its AAC proxy (the panel's old source) reads over -1 dBTP.
    assert.ok(
      Math.abs((measured[2]?.truePeak ?? NaN) - TRACK_2.peakDb) <= 0.1,
      `track 2 ${measured[2]?.truePeak} dBTP`,
    );
    assert.ok(!markers.some((m) => m.title.startsWith('True peak too high')));
    const proxy = await analyze.getLoudness(id, 2, { source: 'proxy' });
    assert.equal(proxy.source, 'audio-proxy');
    assert.ok((proxy.truePeak ?? -Infinity) > target.truePeakDbtp, `the proxy reads ${proxy.truePeak} dBTP`);
  });
});
