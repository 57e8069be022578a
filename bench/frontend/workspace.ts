/**
 * The review workspace's numbers, for `npm run bench -- frontend` (bench/frontend.ts calls this):
 *  - the initial JavaScript of the app, gzip (what index.html loads before anything else);
 *  - a library of 10,000 assets: time from navigation to the first page of cards on screen, and
 *    the frame time p95 while scrolling it (each frame measured with requestAnimationFrame);
 *  - opening an asset to its first frame on screen, p50 and p95: from navigation to the player's
 *    first confirmed frame (requestVideoFrameCallback named it), on a 10 s 1080p programme
 *    ingested by the stack as processes (tests/e2e/web.ts), as the browser tests run it.
 * For the library, the adapter (PGlite, seeded with SQL), the frontend's server and the gateway
 * run in this process; the browser is Debian's Chromium.
 */
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, createContext, openPglite, readConfig } from '../../packages/adapter/src/index.js';
import { buildStaticServer, loadConfig } from '../../packages/frontend/src/index.js';
import { buildGateway } from '../../packages/gateway/src/index.js';
import { launchChromium } from '../../tests/browsers/index.js';
import { makeClip } from '../../tests/e2e/stack.js';
import { buildFrontend, WebStack } from '../../tests/e2e/web.js';

const ASSETS = 10_000;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : null;
};
const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

/** Builds the app as `npm run build` does; returns the folder and the initial JS, gzip, in KB. */
async function buildApp_(
  dir: string,
): Promise<{ publicDir: string; initialJsGzipKB: number; files: string[] }> {
  const publicDir = join(dir, 'public');
  await buildFrontend(publicDir);
  const html = await readFile(join(publicDir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+\.js)"/g)].map((m) => m[1] as string);
  let bytes = 0;
  for (const f of files) bytes += (await stat(join(publicDir, `${f}.gz`))).size;
  return { publicDir, initialJsGzipKB: Math.round(bytes / 102.4) / 10, files };
}

export async function measureWorkspace(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'frameproof-bench-frontend-'));
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const built = await buildApp_(dir);
    const configDir = join(dir, 'config');
    await mkdir(configDir);
    await writeFile(
      join(configDir, 'settings.js'),
      'window.frameproofSettings = {"apiUrl": "", "oidc": null};\n',
    );

    const db = await openPglite(join(dir, 'db'));
    const config = {
      ...readConfig({ FRAMEPROOF_DATA_DIR: dir, LOG_LEVEL: 'silent' }),
      adminPassword: 'bench-password',
      busPort: null,
    };
    const ctx = await createContext(config, db);
    const adapter = await buildApp(ctx, { logger: false });
    closers.push(() => adapter.close());
    const [admin] = await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`);
    await db.query(
      `INSERT INTO assets (title, created_by, status, metadata, created_at)
       SELECT 'Programme ' || g, $1, 'ready', jsonb_build_object('episode', g), now() - make_interval(secs => g)
       FROM generate_series(1, $2::int) g`,
      [admin?.id, ASSETS],
    );
    await adapter.listen({ port: 0, host: '127.0.0.1' });
    const frontend = await buildStaticServer({
      root: built.publicDir,
      config: await loadConfig({ dir: configDir }),
    });
    closers.push(() => frontend.close());
    await frontend.listen({ port: 0, host: '127.0.0.1' });
    const origin = (s: { server: { address(): unknown } }) =>
      `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    const gateway = await buildGateway(
      { adapter: origin(adapter), frontend: origin(frontend) },
      { logger: false },
    );
    closers.push(() => gateway.close());
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const url = origin(gateway);

    const browser = await launchChromium();
    closers.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // tsx keeps function names with a `__name` helper, which the function evaluated in the
    // page below carries but the page lacks.
    await page.addInitScript('globalThis.__name = (f) => f;');
    await page.goto(url);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('bench-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('a.card').first().waitFor();

    // First page: a fresh navigation (session refreshed from the cookie) to cards on screen.
    const firstPage: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await page.goto(`${url}/`);
      await page.locator('a.card').first().waitFor();
      firstPage.push(Date.now() - t0);
    }
    // Scroll the virtualized list 300 px per frame for 240 frames; frame times from rAF.
    const frames = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): { scrollTop: number } | null };
        requestAnimationFrame(cb: (t: number) => void): number;
      };
      const list = g.document.querySelector('[data-testid="library-scroll"]');
      if (!list) return [];
      const times: number[] = [];
      let last = 0;
      await new Promise<void>((done) => {
        let n = 0;
        const step = (t: number) => {
          if (last) times.push(t - last);
          last = t;
          list.scrollTop += 300;
          if (++n < 240) g.requestAnimationFrame(step);
          else done();
        };
        g.requestAnimationFrame(step);
      });
      return times;
    });
    const loaded = await page.locator('a.card').count();
    return {
      initialJsGzipKB: built.initialJsGzipKB,
      initialJsFiles: built.files,
      library: {
        assets: ASSETS,
        firstPageMs: { p50: percentile(firstPage, 50), max: Math.max(...firstPage) },
        scrollFrameMs: {
          p50: round(percentile(frames, 50)),
          p95: round(percentile(frames, 95)),
          frames: frames.length,
        },
        cardsInDom: loaded,
      },
      openAssetToFirstFrameMs: await measureOpenAsset(),
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The app's marks of an asset's opening (AssetPage's markOpening), in the order they come. */
const OPENING_MARKS = [
  'fp:session',
  'fp:asset',
  'fp:player',
  'fp:video-loadedmetadata',
  'fp:video-seeking',
  'fp:video-seeked',
  'fp:video-loadeddata',
  'fp:first-frame',
] as const;

/**
 * Opening an asset page, ten times, to the player's first frame confirmed on screen, with the
 * breakdown: p50 of each of the app's marks (ms from navigation), and how many seeks the player
 * made before its first frame (more than one: it retried).
 */
async function measureOpenAsset(): Promise<{
  p50: number | null;
  p95: number | null;
  opens: number;
  breakdownP50: Record<string, number | null>;
  seeksBeforeFirstFrame: number[];
}> {
  const web = await WebStack.start();
  try {
    const clip = await makeClip(join(web.stack.dir, 'open.mp4'), {
      seconds: 10,
      size: '1920x1080',
      rate: '25',
    });
    const id = await web.stack.upload(clip, 'Open me');
    await web.stack.settled([id]);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(web.url);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('e2e-admin-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const times: number[] = [];
      const marks: Record<string, number>[] = [];
      const seeks: number[] = [];
      for (let i = 0; i < 10; i++) {
        await page.goto('about:blank');
        const t0 = Date.now();
        await page.goto(`${web.url}/assets/${id}`);
        await page
          .locator('.fp-player[data-state="paused"]:not([data-seeks="0"])')
          .waitFor({ timeout: 60_000 });
        times.push(Date.now() - t0);
        const entries = await page.evaluate(() =>
          performance.getEntriesByType('mark').map((m) => [m.name, m.startTime] as const),
        );
        const first: Record<string, number> = {};
        for (const [name, at] of entries) first[name] ??= Math.round(at);
        marks.push(first);
        seeks.push(entries.filter(([name]) => name === 'fp:video-seeking').length);
      }
      const breakdownP50 = Object.fromEntries(
        OPENING_MARKS.map((name) => [
          name,
          percentile(
            marks.flatMap((m) => (m[name] === undefined ? [] : [m[name]])),
            50,
          ),
        ]),
      );
      return {
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        opens: times.length,
        breakdownP50,
        seeksBeforeFirstFrame: seeks,
      };
    } finally {
      await browser.close();
    }
  } finally {
    await web.close();
  }
}
