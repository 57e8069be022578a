/**
 * A seek whose data comes late (storage or the network under load) is waited for, not abandoned:
 * the player asks once and confirms the frame when it arrives. Asking again while a seek is in
 * flight makes the browser abort it and begin anew, which under load can keep a frame off the
 * screen for many seconds (an asset page took ~10 s to its first frame in the benchmark).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browserMissing, launchChromium, type ChromiumBrowser } from '@frameproof/tests/browsers';
import { startSite, type TestSite } from '../support/harness.js';
import { makeNumberedProxy, RATE_CASES } from '../support/media.js';

const skip = browserMissing('chromium');
/** Longer than the player's old patience for a seek (2 s to a presentation, then 1 s). */
const STALL_MS = 4500;
let browser: ChromiumBrowser;
let site: TestSite;

before(async () => {
  if (skip) return;
  const c = RATE_CASES[1];
  assert.ok(c);
  let media;
  [browser, site, { media }] = await Promise.all([
    launchChromium(),
    startSite(),
    makeNumberedProxy(c, { frames: 480 }),
  ]);
  site.add('slow', { media });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

test(
  'a deep link whose frame arrives late is waited for, never sought again mid-seek, and confirmed',
  { skip },
  async () => {
    const page = await browser.newPage();
    // The proxy's first 70 % (its index and early frames) at once; the rest only after a stall,
    // so the seek to frame 400 (83 % in) waits on data.
    const ranges: string[] = [];
    await page.route('**/media/**/proxy.mp4', async (route) => {
      const req = route.request();
      const range = req.headers()['range'] ?? 'bytes=0-';
      ranges.push(range);
      if (range === 'bytes=0-') {
        const whole = await route.fetch();
        const size = (await whole.body()).length;
        const head = await route.fetch({
          headers: { ...req.headers(), range: `bytes=0-${Math.floor(size * 0.7)}` },
        });
        return route.fulfill({ response: head });
      }
      await new Promise((r) => setTimeout(r, STALL_MS));
      return route.continue();
    });
    // The video's seeking and seeked events, in order.
    await page.addInitScript(
      'window.seeks = []; for (const type of ["seeking", "seeked"]) document.addEventListener(type, () => window.seeks.push(type), true);',
    );
    await page.goto(`${site.url}/?media=slow&frame=400`);
    await page.locator('.fp-player[data-state="paused"]').waitFor({ timeout: 60_000 });
    const shown = await page.evaluate(() => ({
      seeks: (window as unknown as { seeks: string[] }).seeks,
      frame: document.querySelector<HTMLElement>('.fp-player')?.dataset.frame,
      message: document.querySelector('.fp-error')?.textContent ?? '',
    }));
    assert.ok(ranges.length >= 2, `the rest of the proxy was asked for: ${ranges.join(', ')}`);
    assert.deepEqual({ frame: shown.frame, message: shown.message }, { frame: '400', message: '' });
    // Each seek ran to its end before another began: none was abandoned (and begun anew).
    assert.ok(shown.seeks.length >= 2, shown.seeks.join(' '));
    shown.seeks.forEach((type, i) =>
      assert.equal(type, i % 2 === 0 ? 'seeking' : 'seeked', shown.seeks.join(' ')),
    );
    await page.close();
  },
);
