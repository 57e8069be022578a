import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameRate } from '@frameproof/core';
import { audibleTracks, holdPeak, peakDbfs, syncDecision } from '../src/audio-sync.js';
import { parseLoudness, parseSpriteVtt, sheetResolver, tileAt } from '../src/media-data.js';
import { reverseStepPlan, shuttlePress } from '../src/shuttle.js';
import { cueFrames, cuesAt, parseSubtitles, SubtitleError } from '../src/subtitles.js';

test('J/K/L shuttle: each press faster up to 8x, K stops, the other key slows first', () => {
  let s = 0;
  const seq: number[] = [];
  for (let i = 0; i < 5; i++) seq.push((s = shuttlePress(s, 'l')));
  assert.deepEqual(seq, [1, 2, 4, 8, 8]);
  assert.equal(shuttlePress(8, 'j'), 4);
  assert.equal(shuttlePress(1, 'j'), 0);
  assert.equal(shuttlePress(0, 'j'), -1);
  assert.equal(shuttlePress(-2, 'j'), -4);
  assert.equal(shuttlePress(-8, 'k'), 0);
  const plan = reverseStepPlan(-1, 25);
  assert.ok(plan.frames * (1000 / plan.intervalMs) >= 24);
  const fast = reverseStepPlan(-8, 25);
  assert.ok(Math.abs(fast.frames * (1000 / fast.intervalMs) - 200) < 10);
});

test('audio sync leaves small drift, nudges medium drift and seeks past two frames', () => {
  const f = 1 / 25;
  assert.equal(syncDecision(0.005, f).action, 'none');
  const ahead = syncDecision(0.02, f);
  assert.equal(ahead.action, 'nudge');
  assert.ok(ahead.rateFactor < 1);
  assert.ok(syncDecision(-0.02, f).rateFactor > 1);
  assert.equal(syncDecision(0.2, f).action, 'seek');
  assert.deepEqual(
    [
      ...audibleTracks([
        { track: 1, muted: false, solo: false },
        { track: 2, muted: true, solo: false },
      ]),
    ],
    [1],
  );
  assert.deepEqual(
    [
      ...audibleTracks([
        { track: 1, muted: false, solo: false },
        { track: 2, muted: true, solo: true },
      ]),
    ],
    [2],
  );
  assert.equal(peakDbfs([0, 0.5, -1]), 0);
  assert.ok(Math.abs(peakDbfs([0.5]) + 6.0206) < 1e-3);
  assert.equal(peakDbfs([0, 0]), Number.NEGATIVE_INFINITY);
  const held = holdPeak({ db: -3, at: 0 }, -20, 1000);
  assert.equal(held.db, -3);
  assert.ok(holdPeak({ db: -3, at: 0 }, -20, 2500).db < -3);
});

test('subtitles: SRT and WebVTT cues become frame ranges; a malformed file names its line', async () => {
  const rate = frameRate(25);
  const srt = await parseSubtitles(
    {
      id: 's',
      label: 'English',
      format: 'srt',
      text: '1\n00:00:01,000 --> 00:00:02,000\nHello <i>there</i>\n\n2\n00:00:03,000 --> 00:00:04,000\nTwo\nlines\n',
    },
    rate,
  );
  assert.deepEqual(srt.cues, [
    { start: 25, end: 49, text: 'Hello there' },
    { start: 75, end: 99, text: 'Two\nlines' },
  ]);
  assert.deepEqual(
    cuesAt(srt, 49).map((c) => c.text),
    ['Hello there'],
  );
  assert.deepEqual(cuesAt(srt, 50), []);
  const vtt = await parseSubtitles(
    { id: 'v', label: 'V', format: 'vtt', text: 'WEBVTT\n\n00:00.500 --> 00:01.000\nHi\n' },
    rate,
  );
  assert.deepEqual(vtt.cues, [{ start: 12, end: 24, text: 'Hi' }]);
  await assert.rejects(
    parseSubtitles(
      {
        id: 'b',
        label: 'Bad',
        format: 'srt',
        text: '1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:03,000 --> 00:0x:04,000\nB\n',
      },
      rate,
    ),
    (err: unknown) => err instanceof SubtitleError && err.line === 6 && /line 6/.test(err.message),
  );
  await assert.rejects(
    parseSubtitles({ id: 'b', label: 'Bad', format: 'vtt', text: 'not a vtt' }, rate),
    SubtitleError,
  );
  // 29.97: a cue from 1 s shows from the frame on screen at 1 s.
  assert.deepEqual(cueFrames(1, 2, frameRate(30000, 1001)), { start: 29, end: 59 });
});

test('sprite index and loudness series are read as analyze and the jobs write them', () => {
  const tiles = parseSpriteVtt(
    'WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nsprite_0.jpg#xywh=0,0,160,90\n\n00:00:05.000 --> 00:00:10.000\nsprite_0.jpg#xywh=160,0,160,90\n',
    sheetResolver('https://x.test/a/sprites.vtt?sig=1'),
  );
  assert.equal(tiles.length, 2);
  assert.equal(tiles[1]?.url, 'https://x.test/a/sprite_0.jpg');
  // Signed sheets: each name has its own URL, which wins over the index's folder.
  const signed = sheetResolver('https://x.test/a/sprites.vtt?sig=1', {
    'sprite_0.jpg': 'https://s3.test/k?X-Sig=2',
  });
  assert.equal(signed('sprite_0.jpg'), 'https://s3.test/k?X-Sig=2');
  assert.equal(signed('sprite_1.jpg'), 'https://x.test/a/sprite_1.jpg');
  assert.equal(tileAt(tiles, 7)?.x, 160);
  assert.equal(tileAt(tiles, 0)?.x, 0);
  assert.throws(
    () => parseSpriteVtt('WEBVTT\n\n00:00.000 --> 00:05.000\nbroken\n', sheetResolver('https://x.test/')),
    /line 4/,
  );
  const l = parseLoudness({
    target: { integrated: -23 },
    series: { step: 0.4, momentary: [-30, null], shortTerm: [-31, -32] },
  });
  assert.equal(l.interval, 0.4);
  assert.equal(l.target, -23);
  assert.deepEqual(l.momentary, [-30, Number.NEGATIVE_INFINITY]);
});
