import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browserMissing, launchFirefox, type FirefoxBrowser } from '@frameproof/tests/browsers';
import { frameAccuracy, puppeteerDriver, startSite, type TestSite } from '../support/harness.js';
import { makeNumberedProxy, RATE_CASES } from '../support/media.js';

const skip = browserMissing('firefox');
let browser: FirefoxBrowser;
let site: TestSite;

before(async () => {
  if (skip) return;
  [browser, site] = await Promise.all([launchFirefox(), startSite()]);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

for (const c of RATE_CASES) {
  test(
    `Firefox: the frame named is the frame on screen at ${c.name} (300 random frames)`,
    { skip },
    async () => {
      const { media } = await makeNumberedProxy(c, { frames: 480 });
      site.add(c.name, { media });
      const page = await browser.newPage();
      try {
        const r = await frameAccuracy(puppeteerDriver(page), site, c.name, media, {
          total: 300,
          seed: 1 + c.rate.num,
        });
        assert.deepEqual(r.failures, []);
        assert.equal(r.exact, r.total);
        assert.ok(r.total >= 300);
      } finally {
        await page.close();
      }
    },
  );
}
