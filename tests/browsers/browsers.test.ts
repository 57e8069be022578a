import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { browserMissing, launchChromium, launchFirefox } from './index.js';

let url = '';
const server = createServer((_req, res) => {
  res.setHeader('content-type', 'text/html');
  res.end('<!doctype html><title>t</title><script>document.title = String(6 * 7)</script>');
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('Chromium runs a page script', { skip: browserMissing('chromium') }, async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    assert.equal(await page.title(), '42');
  } finally {
    await browser.close();
  }
});

test('Firefox runs a page script', { skip: browserMissing('firefox') }, async () => {
  const browser = await launchFirefox();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    assert.equal(await page.title(), '42');
  } finally {
    await browser.close();
  }
});
