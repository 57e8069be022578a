/**
 * Takes the review workspace's README screenshots with Debian's Chromium: the stack as processes
 * (adapter, worker, analyze, frontend, gateway, as the browser tests run it), a demo asset with
 * markers and a QC decision, then the library, the asset page and the QC panel.
 * `node --conditions=source --import tsx scripts/screenshots-frontend.ts`
 */
import { join } from 'node:path';
import { launchChromium } from '../tests/browsers/index.js';
import { makeClip } from '../tests/e2e/stack.js';
import { WebStack } from '../tests/e2e/web.js';

const out = join(import.meta.dirname, '..', 'docs');
const web = await WebStack.start();
try {
  const { stack } = web;
  const ids: string[] = [];
  for (const [i, title] of ['Episode 12: The Harbour', 'Episode 13: Night Shift', 'Trailer (30 s)'].entries())
    ids.push(
      await stack.upload(
        await makeClip(join(stack.dir, `demo-${i}.mp4`), {
          seconds: 4,
          // The first opens on black, for the Auto QC finding; the others show their posters.
          blackSeconds: i === 0 ? 1 : 0,
          rate: '25',
          audioTracks: 2,
        }),
        title,
      ),
    );
  await stack.settled(ids);
  const id = ids[0] as string;
  for (const [frame, title, severity] of [
    [30, 'Flash frame after the cut', 'major'],
    [60, 'Lower third misspelt', 'minor'],
    [90, 'Audio drops on track 2', 'critical'],
  ] as const)
    await stack.client.createMarker(id, { start: { frame }, title, severity, category: 'review' });
  await stack.client.setQc(ids[1] as string, { status: 'approved' });

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(web.url);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('e2e-admin-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('a.card img').first().waitFor();
  // Posters load lazily: wait until each card's has decoded.
  await page.waitForFunction(() => {
    type Img = { complete: boolean; naturalWidth: number };
    const d = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Img> } };
    return Array.from(d.document.querySelectorAll('a.card img')).every(
      (i) => i.complete && i.naturalWidth > 0,
    );
  });
  await page.screenshot({ path: join(out, 'frontend-library.png') });
  await page.goto(`${web.url}/assets/${id}?frame=30`);
  await page.getByRole('list', { name: 'Markers' }).getByText('Flash frame after the cut').waitFor();
  // The player has confirmed frame 30 on screen; the timeline's rows (thumbnails, waveforms,
  // loudness: analyze decodes on first request) draw.
  await page.locator('.fp-player[data-state="paused"]:not([data-seeks="0"])').waitFor();
  await page.waitForTimeout(8000);
  await page.screenshot({ path: join(out, 'frontend-asset.png') });
  await page.getByRole('tab', { name: 'QC decision' }).click();
  await page.getByLabel('Reason (required to reject)').fill('Audio drops on track 2 at 00:00:03:15');
  await page.screenshot({ path: join(out, 'frontend-qc.png') });
  await browser.close();
  console.log(`screenshots in ${out}`);
} finally {
  await web.close();
}
