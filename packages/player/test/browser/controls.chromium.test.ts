/**
 * The controls from the keyboard and the mouse, subtitles, audio tracks and the strict CSP, in
 * Chromium (the frame-accuracy files cover both engines).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserMissing, launchChromium, type ChromiumBrowser } from '@frameproof/tests/browsers';
import {
  frameOnScreen,
  patternBox,
  playwrightDriver,
  seekSeq,
  settled,
  startSite,
  type Driver,
  type TestSite,
} from '../support/harness.js';
import { makeNumberedProxy, RATE_CASES } from '../support/media.js';
import type { PlayerMedia } from '../../src/types.js';

const skip = browserMissing('chromium');
let browser: ChromiumBrowser;
let site: TestSite;
let media: PlayerMedia;
let page: Page;
let d: Driver;

const MARKERS = [
  { id: 'r1', start: 100, end: 139, title: 'Dropout', group: 'Auto QC', severity: 'major' },
  { id: 'p1', start: 200, end: 200, title: 'Note', group: 'Manual' },
];

before(async () => {
  if (skip) return;
  const c = RATE_CASES[1];
  assert.ok(c);
  [browser, site, { media }] = await Promise.all([
    launchChromium(),
    startSite(),
    makeNumberedProxy(c, { frames: 480, audioTracks: 2 }),
  ]);
  site.add('controls', { media, markers: MARKERS });
  page = await browser.newPage();
  d = await playwrightDriver(page);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function act(keys: () => Promise<void>): Promise<{ frame: number; timecode: string }> {
  const seq = await seekSeq(d);
  await keys();
  return settled(d, seq);
}

async function events<T>(type: string): Promise<T[]> {
  return page.evaluate((t) => window.events.filter((e) => e.type === t).map((e) => e.event as T), type);
}

test(
  'frame and timecode are visible with accessible names; a deep link shows its frame paused',
  { skip },
  async () => {
    await page.goto(`${site.url}/?media=controls&tc=10:00:02:05`);
    const s = await settled(d, -1);
    assert.deepEqual(s.frame, 55);
    assert.equal(await page.getByLabel('Frame', { exact: true }).textContent(), '55');
    assert.equal(await page.getByLabel('Timecode', { exact: true }).textContent(), '10:00:02:05');
    assert.equal(await frameOnScreen(d, 320, await patternBox(d)), 55);
  },
);

test('arrows, Shift, Home, End, I, O, M and typed frames from the keyboard', { skip }, async () => {
  await page.goto(`${site.url}/?media=controls&frame=10`);
  await settled(d, -1);
  assert.equal((await act(() => page.keyboard.press('ArrowRight'))).frame, 11);
  assert.equal((await act(() => page.keyboard.press('Shift+ArrowRight'))).frame, 21);
  assert.equal((await act(() => page.keyboard.press('Shift+ArrowLeft'))).frame, 11);
  await page.keyboard.press('i');
  assert.equal((await act(() => page.keyboard.press('End'))).frame, 479);
  await page.keyboard.press('o');
  assert.equal((await act(() => page.keyboard.press('Home'))).frame, 0);
  const ranges = await events<{ in: number | null; out: number | null }>('rangeselect');
  assert.deepEqual(ranges.at(-1), { in: 11, out: 479 });
  await page.keyboard.press('m');
  assert.deepEqual((await events('markercreate')).at(-1), { start: 11, end: 479 });
  const typed = await act(async () => {
    await page.keyboard.press('g');
    await page.keyboard.insertText('123');
    await page.keyboard.press('Enter');
  });
  assert.equal(typed.frame, 123);
  // A bad timecode is refused with a message, and the frame does not change.
  await page.keyboard.press('g');
  await page.keyboard.insertText('10:99:00:00');
  await page.keyboard.press('Enter');
  assert.match((await page.getByRole('alert').textContent()) ?? '', /minutes must be 00-59/);
  await page.keyboard.press('Escape');
  assert.equal(await page.getByLabel('Frame', { exact: true }).textContent(), '123');
});

test(
  'L shuttles faster, K stops on a confirmed frame, J steps backwards; P plays in to out',
  { skip },
  async () => {
    await page.goto(`${site.url}/?media=controls&frame=0`);
    await settled(d, -1);
    await page.keyboard.press('l');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('.fp-player')?.dataset.state === 'playing',
    );
    await page.keyboard.press('l');
    assert.equal(await page.evaluate(() => document.querySelector('video')?.playbackRate), 2);
    await page.waitForTimeout(300);
    const stopped = await act(() => page.keyboard.press('k'));
    assert.ok(stopped.frame > 0);
    assert.equal(await frameOnScreen(d, 320, await patternBox(d)), stopped.frame);
    await page.keyboard.press('j');
    await page.waitForFunction(
      (f) => Number(document.querySelector('[aria-label="Frame"]')?.textContent) < f - 2,
      stopped.frame,
    );
    const back = await act(() => page.keyboard.press('k'));
    assert.ok(back.frame < stopped.frame);
    assert.equal(await frameOnScreen(d, 320, await patternBox(d)), back.frame);
    // In 40, out 60: P plays the range and stops on the out frame.
    await act(async () => {
      await page.keyboard.press('g');
      await page.keyboard.insertText('40');
      await page.keyboard.press('Enter');
    });
    await page.keyboard.press('i');
    await act(() => page.keyboard.press('Shift+ArrowRight'));
    await act(() => page.keyboard.press('Shift+ArrowRight'));
    await page.keyboard.press('o');
    await page.keyboard.press('p');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('.fp-player')?.dataset.state === 'playing',
    );
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('.fp-player')?.dataset.state === 'paused',
      undefined,
      { timeout: 10_000 },
    );
    const end = await settled(d, -1);
    assert.equal(end.frame, 60);
    assert.equal(await frameOnScreen(d, 320, await patternBox(d)), 60);
  },
);

test(
  'the timeline: clicking the ruler seeks, a marker click seeks to it, a drag moves it by whole frames',
  { skip },
  async () => {
    await page.goto(`${site.url}/?media=controls&frame=0`);
    await settled(d, -1);
    const box = await page.locator('.fp-timeline').boundingBox();
    assert.ok(box);
    const LABEL_W = 96;
    const width = box.width - LABEL_W;
    const xOf = (frame: number): number => box.x + LABEL_W + ((frame + 0.5) * width) / 480;
    const ruler = await act(() => page.mouse.click(xOf(300), box.y + 10));
    assert.equal(ruler.frame, 300);
    // The Auto QC row comes after the ruler and the two waveform rows (no waveform URLs: empty).
    const rowY = await page.evaluate(() => {
      const canvas = document.querySelector('.fp-timeline') as HTMLCanvasElement;
      return canvas.getBoundingClientRect().y;
    });
    const qcY = rowY + 24 + 44 * 2 + 3 + 7;
    const toMarker = await act(() => page.mouse.click(xOf(120), qcY));
    assert.equal(toMarker.frame, 100);
    assert.deepEqual((await events('markerselect')).at(-1), { id: 'r1' });
    await page.mouse.move(xOf(120), qcY);
    await page.mouse.down();
    await page.mouse.move(xOf(150), qcY, { steps: 5 });
    await page.mouse.up();
    assert.deepEqual((await events('markermove')).at(-1), { id: 'r1', start: 130, end: 169 });
  },
);

test(
  'subtitles show over the picture at their frames; a malformed file is refused naming its line',
  { skip },
  async () => {
    await page.goto(`${site.url}/?media=controls&frame=0`);
    await settled(d, -1);
    await page.evaluate(() =>
      window.player?.addSubtitles({
        id: 'en',
        label: 'English',
        format: 'srt',
        text: '1\n00:00:02,000 --> 00:00:03,000\nHello world\n',
      }),
    );
    await act(() => page.evaluate(() => void window.player?.seek(50)));
    assert.equal(await page.locator('.fp-subtitle').textContent(), 'Hello world');
    await act(() => page.evaluate(() => void window.player?.seek(75)));
    assert.equal(await page.locator('.fp-subtitle').textContent(), '');
    const err = await page.evaluate(() =>
      window.player
        ?.addSubtitles({
          id: 'bad',
          label: 'Bad',
          format: 'vtt',
          text: 'WEBVTT\n\n00:00:01.000 --> 00:0x:02.000\nX\n',
        })
        .then(
          () => 'accepted',
          (e: unknown) => String(e),
        ),
    );
    assert.match(err ?? '', /line 3/);
  },
);

test('two audio tracks play with the video, within a frame of it', { skip }, async () => {
  await page.goto(`${site.url}/?media=controls&frame=0`);
  await settled(d, -1);
  await page.getByRole('button', { name: 'Mute Track 2 (stereo)' }).click();
  await page.locator('.fp-player').focus();
  await page.keyboard.press(' ');
  // After a second of playback, both tracks are (or are brought back) within a frame of the
  // video. A sample taken during a stall on a loaded machine may be further out for a moment:
  // what is asserted is that the sync brings it back; how far and how often it drifts is
  // measured by the benchmark (npm run bench -- frontend), not here.
  await page.waitForTimeout(1000);
  const samples: [number, number][][] = [];
  let state = { drift: [] as [number, number][], video: 0 };
  for (let i = 0; i < 50; i++) {
    state = await page.evaluate(() => ({
      drift: [...(window.player?.audioDrift() ?? new Map<number, number>()).entries()],
      video: document.querySelector('video')?.currentTime ?? 0,
    }));
    samples.push(state.drift);
    if (state.drift.length === 2 && state.drift.every(([, drift]) => Math.abs(drift) < 0.04)) break;
    await page.waitForTimeout(100);
  }
  await act(() => page.keyboard.press(' '));
  assert.equal(state.drift.length, 2);
  for (const [, drift] of state.drift)
    assert.ok(Math.abs(drift) < 0.04, `drift ${drift} s; samples ${JSON.stringify(samples)}`);
  assert.ok(state.video > 1);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
});
