/**
 * Debian's browsers for the tests: Chromium driven by playwright-core, Firefox ESR driven by
 * puppeteer-core over WebDriver BiDi (the tools' own browser downloads are not reachable here).
 * A test asks `browserMissing(name)` for its skip reason; with FRAMEPROOF_REQUIRE_BROWSERS=1
 * (CI) a missing browser is an error, never a skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser as ChromiumBrowser } from 'playwright-core';
import puppeteer, { type Browser as FirefoxBrowser } from 'puppeteer-core';

export type BrowserName = 'chromium' | 'firefox';
export type { ChromiumBrowser, FirefoxBrowser };

export const BROWSER_PATHS: Record<BrowserName, string> = {
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  firefox: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
};

/** Why `name` cannot run here (a skip reason), or false when it can. */
export function browserMissing(name: BrowserName): string | false {
  const path = BROWSER_PATHS[name];
  if (existsSync(path)) return false;
  const reason = `${name} not found at ${path} (apt-get install ${name === 'chromium' ? 'chromium' : 'firefox-esr'})`;
  if (process.env.FRAMEPROOF_REQUIRE_BROWSERS === '1')
    throw new Error(`browser tests are required: ${reason}`);
  return reason;
}

/** Headless Chromium with the flags this closed network needs (no background connections). */
export function launchChromium(): Promise<ChromiumBrowser> {
  return chromium.launch({
    executablePath: BROWSER_PATHS.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Headless Firefox ESR over WebDriver BiDi. */
export function launchFirefox(): Promise<FirefoxBrowser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: BROWSER_PATHS.firefox,
    headless: true,
    extraPrefsFirefox: {
      'media.autoplay.default': 0,
      'media.autoplay.blocking_policy': 0,
      'app.update.enabled': false,
      'browser.shell.checkDefaultBrowser': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'toolkit.telemetry.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
    },
  });
}
