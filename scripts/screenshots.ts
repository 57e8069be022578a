/**
 * Takes the README's screenshots with Debian's Chromium (playwright-core): starts the adapter
 * from source on a scratch data folder, adds a demo asset, and captures the pages.
 * `node --conditions=source --import tsx scripts/screenshots.ts`
 */
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { makeClip, Stack } from '../tests/e2e/stack.js';

const out = join(import.meta.dirname, '..', 'docs');
const stack = await Stack.start();
try {
  const worker = stack.startWorker();
  const id = await stack.upload(
    await makeClip(join(stack.dir, 'demo.mp4'), {
      seconds: 3,
      blackSeconds: 1,
      rate: '30000/1001',
      audioTracks: 2,
    }),
    'Demo programme',
  );
  await stack.settled([id]);
  worker.kill('SIGTERM');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${stack.port}/api/docs`);
  await page.waitForSelector('.opblock-tag');
  await page.screenshot({ path: join(out, 'api-docs.png') });
  await page.goto(`http://127.0.0.1:${stack.port}/api/docs#/markers`);
  await page.locator('.opblock-summary-path', { hasText: '/api/assets/{id}/markers' }).first().click();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, 'api-docs-markers.png') });
  await browser.close();
  console.log(`screenshots in ${out}`);
} finally {
  await stack.close();
}
