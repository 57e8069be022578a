/**
 * The player's figures for `npm run bench -- frontend`, in Debian's headless Chromium (and
 * Firefox ESR for frame accuracy):
 * - frameAccuracy: the browser test's run (deep links, typed timecodes and frame numbers, single
 *   and ten-frame steps, pauses of playback) on frame-numbered proxies made by core's proxy
 *   builder; exact = the number read from the screen's pixels equals the frame the player names;
 * - seekLatencyMs: player.seekTimecode() to the frame confirmed on screen, 100 random frames of
 *   a 1080p25 proxy, measured in the page;
 * - avDriftMs: 60 s of playback with two audio tracks audible; drift = audio element time minus
 *   video time, sampled by the player on every presented frame before it corrects;
 * - timelineFrameMs: the timeline's draw time with 10,000 markers while the wheel zooms in and out
 *   and scrolls (the draw, measured in the page);
 * - playerJsGzipBytes: the player's initial JavaScript (esbuild, minified, with core's frame math,
 *   media-captions and waveform-data: the entry file and the chunks it imports statically),
 *   gzipped, each file on its own; lazyBytes: the chunks loaded on demand (the WebCodecs frame
 *   source with mediabunny, media-captions' parsers), gzipped.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '@frameproof/tests/browsers';
import { bundle, PLAYER_DIR } from '../../packages/player/scripts/bundle.js';
import {
  frameAccuracy,
  openEngine,
  playwrightDriver,
  random,
  settled,
  startSite,
  type TestSite,
  type TestWindow,
} from '../../packages/player/test/support/harness.js';
import { makeNumberedProxy, RATE_CASES } from '../../packages/player/test/support/media.js';
import type { PlayerMarker } from '../../packages/player/src/types.js';

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

async function accuracy(site: TestSite, engine: 'chromium' | 'firefox'): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const browser = await openEngine(engine);
  try {
    for (const c of RATE_CASES) {
      const page = await browser.newDriver();
      const r = await frameAccuracy(
        page.driver,
        site,
        c.name,
        (await makeNumberedProxy(c, { frames: 480 })).media,
        {
          total: 300,
          seed: 11,
        },
      );
      out[c.name] = {
        exact: r.exact,
        total: r.total,
        late: r.late.length,
        ...(r.failures.length ? { failures: r.failures.slice(0, 5) } : {}),
      };
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

export async function measurePlayer(): Promise<Record<string, unknown>> {
  const site = await startSite();
  try {
    for (const c of RATE_CASES)
      site.add(c.name, { media: (await makeNumberedProxy(c, { frames: 480 })).media });
    const hd = RATE_CASES[1];
    if (!hd) throw new Error('no 25 fps case');
    // 64 s of 1080p25 with two audio tracks: seek latency and 60 s of drift.
    const { media: hdMedia } = await makeNumberedProxy(hd, {
      frames: 1600,
      width: 1920,
      height: 1080,
      audioTracks: 2,
    });
    site.add('hd', { media: hdMedia });
    const rnd = random(7);
    const markers: PlayerMarker[] = Array.from({ length: 10_000 }, (_, i) => {
      const start = Math.floor(rnd() * 1590);
      return {
        id: `m${i}`,
        start,
        end: start + (rnd() < 0.5 ? 0 : Math.floor(rnd() * 50)),
        title: `Marker ${i}`,
        group: ['Manual', 'Auto QC', 'Loudness'][i % 3] as string,
        severity: ['info', 'minor', 'major', 'critical'][i % 4] as string,
      };
    });
    site.add('hd-markers', { media: { ...hdMedia, audioTracks: [] }, markers });

    const [chromiumAccuracy, firefoxAccuracy] = await Promise.all([
      accuracy(site, 'chromium'),
      accuracy(site, 'firefox'),
    ]);

    const browser = await launchChromium();
    let seek: number[] = [];
    let drift: number[] = [];
    let draws: number[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const d = await playwrightDriver(page);
      await page.goto(`${site.url}/?media=hd&frame=0`);
      await settled(d, -1);
      seek = await page.evaluate(async (n) => {
        const p = (window as TestWindow).player;
        if (!p) throw new Error('no player');
        const times: number[] = [];
        let s = 12345;
        for (let i = 0; i < n; i++) {
          s = (s * 1103515245 + 12345) % 2147483648;
          const frame = s % 1600;
          const t0 = performance.now();
          const got = await p.seekTimecode(p.timecodeOf(frame));
          times.push(performance.now() - t0);
          if (got !== frame) throw new Error(`seek to ${frame} confirmed ${got}`);
        }
        return times;
      }, 100);
      await page.getByRole('button', { name: 'Mute Track 2 (stereo)' }).click();
      await page.evaluate(() => (window as TestWindow).player?.seek(0));
      drift = await page.evaluate(async () => {
        const p = (window as TestWindow).player;
        if (!p) throw new Error('no player');
        const samples: number[] = [];
        await p.play();
        const t0 = performance.now();
        while (performance.now() - t0 < 60_000) {
          await new Promise((r) => setTimeout(r, 100));
          for (const v of p.audioDrift().values()) samples.push(Math.abs(v) * 1000);
        }
        await p.pause();
        return samples;
      });
      await page.goto(`${site.url}/?media=hd-markers&frame=800`);
      await settled(d, -1);
      const box = await page.locator('.fp-timeline').boundingBox();
      if (!box) throw new Error('no timeline');
      await page.evaluate(() => (window as TestWindow).player?.timelineDrawTimes().splice(0));
      await page.mouse.move(box.x + box.width / 2, box.y + 60);
      for (let i = 0; i < 40; i++) {
        await page.mouse.wheel(0, i < 20 ? -120 : 120);
        await page.waitForTimeout(16);
        await page.mouse.wheel(i % 2 ? 300 : -300, 0);
        await page.waitForTimeout(16);
      }
      draws = await page.evaluate(() => (window as TestWindow).player?.timelineDrawTimes().slice() ?? []);
    } finally {
      await browser.close();
    }

    const dir = await mkdtemp(join(tmpdir(), 'fp-bundle-'));
    const files = await bundle(join(PLAYER_DIR, 'src/index.ts'), join(dir, 'player.js'));
    const sizes = async (paths: string[]): Promise<{ gzip: number; raw: number }> => {
      let gzip = 0;
      let raw = 0;
      for (const p of paths) {
        const js = await readFile(p);
        gzip += gzipSync(js).length;
        raw += js.length;
      }
      return { gzip, raw };
    };
    const initialJs = await sizes(files.initial);
    const lazyJs = await sizes(files.lazy);
    await rm(dir, { recursive: true, force: true });

    const frameMs = 1000 / 25;
    return {
      frameAccuracy: { chromium: chromiumAccuracy, firefox: firefoxAccuracy },
      seekLatencyMs: {
        proxy: '1920x1080 25 fps H.264 (core proxy builder)',
        samples: seek.length,
        p50: round(percentile(seek, 50)),
        p95: round(percentile(seek, 95)),
        target: { p95: 100 },
      },
      avDriftMs: {
        seconds: 60,
        tracks: 2,
        samples: drift.length,
        p95: round(percentile(drift, 95)),
        max: round(Math.max(...drift)),
        target: { max: frameMs },
      },
      timelineFrameMs: {
        markers: markers.length,
        draws: draws.length,
        p95: round(percentile(draws, 95)),
        max: round(Math.max(...draws)),
        target: { p95: 16.7 },
      },
      playerJsGzipBytes: {
        bytes: initialJs.gzip,
        raw: initialJs.raw,
        lazyBytes: lazyJs.gzip,
        target: 120 * 1024,
      },
    };
  } finally {
    await site.close();
  }
}
