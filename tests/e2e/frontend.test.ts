import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page, Request, Route } from 'playwright-core';
import type { FrameproofClient } from '@frameproof/client';
import { MARKER_EXPORT_FORMATS, readMarkersCsv, readMarkersJson } from '@frameproof/core';
import {
  browserMissing,
  type ChromiumBrowser,
  launchChromium,
  launchFirefox,
} from '@frameproof/tests/browsers';
import { makeClip } from './stack.js';
import { WebStack } from './web.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const REVIEWER = { username: 'rita', password: 'reviewer-password-1' };

/** Creates a person and makes them a member of the deployment's project at their role. */
async function addMember(
  client: FrameproofClient,
  person: { username: string; password: string; role: string },
): Promise<void> {
  const user = await client.request<{ id: string }>('POST', '/api/users', { body: person });
  const project = (await client.listProjects()).items[0];
  assert.ok(project, 'a new deployment has a project');
  await client.putProjectMember(project.id, user.id);
}

/** Watches a page for what must never happen: a dialog, or a Content-Security-Policy violation. */
function guard(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // An image that fails to load fails silently on the page: a broken thumbnail or sprite URL.
  page.on('response', (r) => {
    if (r.request().resourceType() === 'image' && r.status() >= 400)
      problems.push(`image ${r.status()}: ${r.url()}`);
  });
  return { problems };
}

async function violations(page: Page): Promise<string[]> {
  // A function, not a string: evaluating strings is eval, which the page's CSP refuses.
  return page.evaluate(() => (globalThis as unknown as { __csp?: string[] }).__csp ?? []);
}

async function newContext(browser: ChromiumBrowser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  // Runs before the page's scripts in each document (page context, hence a string).
  await context.addInitScript(
    `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
  );
  return context;
}

async function signIn(page: Page, url: string, who: { username: string; password: string }) {
  await page.goto(url);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

// One stack (adapter, worker, analyze, frontend, gateway) for both browsers.
let web: WebStack;
before(async () => {
  web = await WebStack.start({ settings: { uploadChunkBytes: 64 * 1024 } });
});
after(async () => {
  await web?.close();
});

describe('the review workspace in Chromium', { skip: browserMissing('chromium') }, () => {
  let browser: ChromiumBrowser;
  let clipA = '';
  let clipB = '';
  before(async () => {
    // A hostile file name: its title must show as text.
    const plain = await makeClip(join(web.stack.dir, 'a.mp4'), { seconds: 2 });
    clipA = join(web.stack.dir, `${HOSTILE}.mp4`);
    await copyFile(plain, clipA);
    clipB = await makeClip(join(web.stack.dir, 'second-clip.mp4'), { seconds: 6, size: '640x360' });
    await addMember(web.stack.client, { ...REVIEWER, role: 'reviewer' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  let assetId = '';

  it('signs in, uploads two files (one interrupted and resumed) and shows ingest live', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { problems } = guard(page);
    await signIn(page, web.url, { username: 'admin', password: 'e2e-admin-password' });

    // The first file uploads whole; its card appears and turns ready without a reload.
    await page.getByTestId('upload-input').setInputFiles(clipA);
    const card = page.locator('a.card', { hasText: HOSTILE });
    await card.waitFor({ timeout: 30_000 });
    await card.locator('.badge.status-ready').waitFor({ timeout: 180_000 });
    assetId = (await card.getAttribute('data-asset-id')) ?? '';
    assert.match(assetId, /^[0-9a-f-]{36}$/);

    // The second: the first chunk goes through, the next is held, then the page goes away.
    let patches = 0;
    const held: Route[] = [];
    await page.route('**/api/uploads/**', async (route) => {
      if (route.request().method() === 'PATCH' && ++patches > 1) held.push(route);
      else await route.continue();
    });
    await page.getByTestId('upload-input').setInputFiles(clipB);
    const row = page.locator('li[data-upload="second-clip.mp4"]');
    // The second request is sent only once the first chunk is stored: then it is held.
    for (let i = 0; i < 600 && held.length === 0; i++) await page.waitForTimeout(100);
    assert.equal(held.length, 1, 'the second chunk was sent');
    assert.notEqual(await row.locator('.pct').textContent(), '0%');
    await page.unroute('**/api/uploads/**');
    await page.reload();
    for (const r of held) await r.abort().catch(() => undefined);
    await row.and(page.locator('[data-state="interrupted"]')).waitFor();
    // Picking the same file again resumes where the server stopped, not from the start.
    const offsets: number[] = [];
    page.on('request', (req: Request) => {
      if (req.method() === 'PATCH' && req.url().includes('/api/uploads/'))
        offsets.push(Number(req.headers()['upload-offset']));
    });
    await page.getByTestId('upload-input').setInputFiles(clipB);
    await row.and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    assert.ok((offsets[0] ?? 0) >= 64 * 1024, `resumed at ${offsets[0]}`);
    await page.locator('a.card', { hasText: 'second-clip' }).waitFor({ timeout: 30_000 });

    assert.deepEqual(problems, []);
    assert.deepEqual(await violations(page), []);
    await context.close();
  });

  it('scrubs the sprite sheet on hover in the library, and asks for fresh URLs when a sheet is refused (expired)', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const asset = await web.stack.client.getAsset(assetId);
    const sheets = (asset.shapes.find((s) => s.type === 'sprite')?.files ?? [])
      .filter((f) => f.mimeType === 'image/jpeg')
      .map((f) => `/api/media/${f.id}`);
    assert.ok(sheets.length > 0, 'the asset has sprite sheets');
    // Sheets answer 403, as expired signed URLs do, until the page asks for the asset again.
    let detailsAsked = 0;
    let refused = 0;
    const served: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === `/api/assets/${assetId}`) detailsAsked++;
    });
    await page.route('**/api/media/**', async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (!sheets.includes(path)) return route.continue();
      if (detailsAsked < 2) {
        refused++;
        return route.fulfill({ status: 403, contentType: 'application/json', body: '{"message":"expired"}' });
      }
      served.push(route.request().url());
      return route.continue();
    });
    await signIn(page, web.url, { username: 'admin', password: 'e2e-admin-password' });
    const thumb = page.locator(`a.card[data-asset-id="${assetId}"] .thumb`);
    await thumb.waitFor();
    const box = await thumb.boundingBox();
    assert.ok(box);
    // Scrub across the thumbnail until a sheet has been served from fresh details.
    for (let i = 0; i < 300 && served.length === 0; i++) {
      await page.mouse.move(box.x + box.width * (0.2 + (i % 5) * 0.15), box.y + box.height / 2);
      await page.waitForTimeout(100);
    }
    assert.ok(refused >= 1, 'a sheet was refused');
    assert.ok(detailsAsked >= 2, `the asset was asked for again (${detailsAsked})`);
    assert.ok(served.length >= 1, 'a sheet was served from the fresh URLs');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator(`a.card[data-asset-id="${assetId}"] .sprite`).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('adds and edits a marker with the keyboard, keeps it after a reload; a second person sees markers and the QC decision live', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { problems } = guard(page);
    // The timeline's thumbnail row reads the sprite sheets through their own signed URLs.
    const asset = await web.stack.client.getAsset(assetId);
    const sheets = (asset.shapes.find((s) => s.type === 'sprite')?.files ?? []).filter(
      (f) => f.mimeType === 'image/jpeg',
    );
    assert.ok(sheets.length > 0, 'the asset has sprite sheets');
    const sheetRead = page.waitForResponse(
      (r) => sheets.some((f) => r.url().includes(`/api/media/${f.id}?`)) && r.status() === 200,
      { timeout: 60_000 },
    );
    await signIn(page, web.url, { username: 'admin', password: 'e2e-admin-password' });
    await page.locator(`a.card[data-asset-id="${assetId}"]`).click();
    await page.waitForURL(`**/assets/${assetId}`);
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await sheetRead;

    const other = await newContext(browser);
    const second = await other.newPage();
    const watch = guard(second);
    await signIn(second, `${web.url}/assets/${assetId}`, REVIEWER);
    await second.getByRole('heading', { name: HOSTILE }).waitFor();

    // Step frames in the player (its keys while focus is inside it); the page follows its frame.
    // Once it has confirmed its first frame (data-seeks counts confirmed seeks), one step at a time.
    const player = page.getByRole('region', { name: 'Player', exact: true });
    await page.locator('.fp-player:not([data-seeks="0"])').waitFor({ timeout: 60_000 });
    await player.focus();
    for (let i = 1; i <= 3; i++) {
      await page.keyboard.press('ArrowRight');
      await page
        .getByLabel('Current frame')
        .getByText(`Frame ${i}`, { exact: true })
        .waitFor({ timeout: 60_000 });
    }

    // m in the player: the New marker form opens at the player's frame; typing and Enter save it.
    await page.keyboard.press('m');
    const form = page.getByRole('form', { name: 'New marker' });
    assert.match(await form.getByLabel('In', { exact: true }).inputValue(), /[:;]03$/);
    await form.getByLabel('Title').fill(HOSTILE);
    await page.keyboard.press('Enter');
    const list = page.getByRole('list', { name: 'Markers' });
    await list.getByText(HOSTILE).waitFor();
    // The second person sees it appear without a reload.
    await second.getByRole('list', { name: 'Markers' }).getByText(HOSTILE).waitFor();

    // e: edit the selected marker in place.
    await page.locator('body').press('e');
    const title = page.getByRole('form', { name: 'Edit marker' }).getByLabel('Title');
    await title.fill('Dropout at the cut');
    await title.press('Enter');
    await list.getByText('Dropout at the cut').waitFor();
    await second.getByRole('list', { name: 'Markers' }).getByText('Dropout at the cut').waitFor();

    // A comment with hostile text, shown as text.
    await page.locator('body').press('c');
    await page.getByLabel('Comment', { exact: true }).fill(HOSTILE);
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.locator('.comments .body', { hasText: HOSTILE }).waitFor();

    await page.reload();
    await page.getByRole('list', { name: 'Markers' }).getByText('Dropout at the cut').waitFor();

    // QC: a rejection without a reason is refused; approval works and reaches the other page live.
    await page.getByRole('tab', { name: 'QC decision' }).click();
    await page.getByRole('button', { name: /^Reject/ }).click();
    await page.getByRole('alert').getByText('A rejection needs a reason').waitFor();
    assert.equal((await web.stack.client.getAsset(assetId)).qc.status, 'pending');
    // Out of the reason field (keys typed there are text), then the shortcut.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+A');
    await page.getByTestId('qc-status').getByText('approved').waitFor();
    await second.getByTestId('qc-badge').getByText('QC approved').waitFor();
    assert.equal((await web.stack.client.getAsset(assetId)).qc.status, 'approved');

    for (const p of [page, second]) assert.deepEqual(await violations(p), []);
    assert.deepEqual([...problems, ...watch.problems], []);
    await other.close();
    await context.close();
  });

  it('exports markers in every format and reads them back, imports all or none, attaches subtitles the player shows', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { problems } = guard(page);
    await signIn(page, `${web.url}/assets/${assetId}`, { username: 'admin', password: 'e2e-admin-password' });
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    await page.getByRole('tab', { name: 'Export and import' }).click();

    // Each export downloads a file that carries the marker made above.
    for (const format of MARKER_EXPORT_FORMATS) {
      const download = page.waitForEvent('download');
      await page.locator(`button[data-export="${format}"]`).click();
      const text = await readFile((await (await download).path()) as string, 'utf8');
      if (format === 'csv' || format === 'json') {
        const read = format === 'csv' ? readMarkersCsv(text) : readMarkersJson(text);
        assert.ok(
          read.some((m) => m.title === 'Dropout at the cut'),
          `${format}: ${read.map((m) => m.title).join(', ')}`,
        );
      } else assert.match(text, /Dropout at the cut/, format);
    }

    // Import: a file with a bad row changes nothing and names the row; a good one adds every row.
    const form = page.getByRole('form', { name: 'Import markers' });
    const before = (await web.stack.client.listMarkers(assetId)).items.length;
    const bad = join(web.stack.dir, 'bad.csv');
    await writeFile(bad, 'start_frame,title\n10,Imported one\nnot-a-frame,Imported two\n');
    await form.locator('input[type="file"]').setInputFiles(bad);
    await form.getByRole('button', { name: 'Import (all or none)' }).click();
    await page
      .getByRole('alert')
      .getByText(/Nothing was imported.*row 3/)
      .waitFor();
    assert.equal((await web.stack.client.listMarkers(assetId)).items.length, before);
    const good = join(web.stack.dir, 'good.csv');
    await writeFile(good, 'start_frame,title\n10,Imported one\n20,Imported two\n');
    await form.locator('input[type="file"]').setInputFiles(good);
    await form.getByRole('button', { name: 'Import (all or none)' }).click();
    await page.getByRole('status').getByText('Imported 2 markers from good.csv.').waitFor();
    assert.equal((await web.stack.client.listMarkers(assetId)).items.length, before + 2);

    // Subtitles: attached as SRT, then offered and shown by the player, as text.
    const srt = join(web.stack.dir, 'captions.srt');
    await writeFile(srt, `1\n00:00:00,000 --> 00:00:01,500\n${HOSTILE} said the caption\n`);
    const attach = page.getByRole('form', { name: 'Attach subtitles' });
    await attach.locator('input[type="file"]').setInputFiles(srt);
    await attach.getByLabel('Language').fill('en');
    await attach.getByRole('button', { name: 'Attach', exact: true }).click();
    await page.getByRole('status').getByText('Attached captions.srt (en).').waitFor();
    const select = page.getByRole('combobox', { name: 'Subtitles' });
    await select
      .locator('option', { hasText: /en|Subtitles/ })
      .first()
      .waitFor({ state: 'attached' });
    await page.locator('.fp-subtitle', { hasText: `${HOSTILE} said the caption` }).waitFor();

    assert.deepEqual(problems, []);
    assert.deepEqual(await violations(page), []);
    await context.close();
  });

  it('opens the printable report of the approved asset from the keyboard and prints it to PDF', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { problems } = guard(page);
    await signIn(page, `${web.url}/assets/${assetId}`, { username: 'admin', password: 'e2e-admin-password' });
    await page.getByRole('heading', { name: HOSTILE }).waitFor();
    // r on the asset page opens its report.
    await page.locator('body').press('r');
    await page.waitForURL(`**/assets/${assetId}/report`);
    const report = page.locator('article.report');
    await report.getByRole('heading', { name: `QC report: ${HOSTILE}` }).waitFor();

    // The decision, the technical metadata and the measured loudness are on it.
    const asset = await web.stack.client.getAsset(assetId);
    const decision = report.locator('dl.facts').first();
    assert.equal(await decision.locator('dt:has-text("Status") + dd').textContent(), 'approved');
    assert.equal(await decision.locator('dt:has-text("Decided by") + dd').textContent(), 'admin');
    await report
      .locator('.metadata dd', { hasText: asset.technical?.container ?? '?' })
      .first()
      .waitFor();
    await report.locator('table.loudness td', { hasText: 'LUFS' }).first().waitFor({ timeout: 60_000 });

    // Every marker with its timecode and a still of its frame drawn from the sprite sheet.
    const markers = (await web.stack.client.listMarkers(assetId)).items;
    assert.ok(markers.length >= 3, `markers: ${markers.length}`);
    const rows = report.locator('table.report-markers tbody tr');
    assert.equal(await rows.count(), markers.length);
    for (const m of markers) {
      assert.match(m.start.timecode ?? '', /^\d\d:\d\d:\d\d[:;]\d\d$/, m.title);
      const row = rows.filter({ hasText: m.title });
      assert.equal(await row.locator('td').nth(1).textContent(), m.start.timecode, m.title);
    }
    // A still is drawn once its sheet has loaded: its pixels are not all one colour.
    const stillsDrawn = () =>
      page.evaluate(() => {
        // The page's canvases, typed here as far as used (the tests compile without the DOM's types).
        type Canvas = {
          width: number;
          height: number;
          getContext(kind: '2d'): {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          } | null;
        };
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Canvas> } })
          .document;
        return [...doc.querySelectorAll('canvas.still')].map((c) => {
          const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
          // Colours (alpha left out) of the first thousand pixels: a test pattern has many.
          return (
            !!data && new Set(Array.from(data.subarray(0, 4000), (v, i) => (i % 4 === 3 ? 0 : v))).size > 8
          );
        });
      });
    let drawn: boolean[] = [];
    for (let i = 0; i < 300 && !(drawn.length === markers.length && drawn.every(Boolean)); i++) {
      drawn = await stillsDrawn();
      await page.waitForTimeout(100);
    }
    assert.deepEqual(
      drawn,
      markers.map(() => true),
      'a drawn still for every marker',
    );

    // Printed as Chromium prints it: a PDF of at least one page, with the stills in it as images.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.getByRole('button', { name: 'Print or save as PDF' }).isVisible(), false);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    await writeFile(join(web.stack.dir, 'report.pdf'), pdf);
    const text = pdf.toString('latin1');
    assert.match(text.slice(0, 8), /^%PDF-1\.\d/);
    assert.ok(pdf.length > 20_000, `the PDF has ${pdf.length} bytes`);
    assert.ok((text.match(/\/Type\s*\/Page\b/g) ?? []).length >= 1, 'the PDF has a page');
    assert.ok((text.match(/\/Subtype\s*\/Image\b/g) ?? []).length >= 1, 'the stills are images in the PDF');

    assert.deepEqual(problems, []);
    assert.deepEqual(await violations(page), []);
    await context.close();
  });

  it('lists deleted assets in the trash for an editor, who restores one; a reviewer has no trash', async () => {
    const editor = { username: 'eddie', password: 'editor-password-1' };
    await addMember(web.stack.client, { ...editor, role: 'editor' });
    const second = (await web.stack.client.listAssets({ q: 'second' })).items[0];
    assert.ok(second, 'the second upload is listed');
    await web.stack.client.deleteAsset(second.id);

    const context = await newContext(browser);
    const page = await context.newPage();
    const { problems } = guard(page);
    await signIn(page, web.url, editor);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
    await page.waitForURL('**/trash');
    const row = page.locator(`tr[data-asset-id="${second.id}"]`);
    await row.getByRole('rowheader', { name: second.title }).waitFor();
    await row.getByRole('button', { name: `Restore ${second.title}` }).click();
    await page.getByRole('status').getByText(`Restored ${second.title}.`).waitFor();
    await row.waitFor({ state: 'detached' });
    assert.equal((await web.stack.client.getAsset(second.id)).id, second.id);
    assert.ok(!(await web.stack.client.listDeletedAssets()).items.some((a) => a.id === second.id));
    assert.deepEqual(problems, []);
    assert.deepEqual(await violations(page), []);
    await context.close();

    const reviewer = await (await newContext(browser)).newPage();
    await signIn(reviewer, web.url, REVIEWER);
    assert.equal(await reviewer.getByRole('link', { name: 'Trash' }).count(), 0);
    await reviewer.context().close();
  });

  it('signs out, and after signing in again returns to the page asked for', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const { problems } = guard(page);
    await signIn(page, web.url, { username: 'admin', password: 'e2e-admin-password' });
    // The refresh token is an HttpOnly cookie: scripts cannot see it.
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
      '',
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.goto(`${web.url}/assets/${assetId}?frame=5`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('e2e-admin-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/assets/${assetId}?frame=5`);
    await page.getByLabel('Current frame').getByText('Frame 5').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('the review workspace in Firefox (shortened)', { skip: browserMissing('firefox') }, () => {
  it('signs in, opens an asset, adds a marker and sees it live in a second tab', async () => {
    const id = await web.stack.upload(
      await makeClip(join(web.stack.dir, 'ff.mp4'), { seconds: 2 }),
      'Firefox clip',
    );
    const browser = await launchFirefox();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1440, height: 900 });
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await page.goto(`${web.url}/assets/${id}`);
      await page.locator('input[name="username"]').fill('admin');
      await page.locator('input[name="password"]').fill('e2e-admin-password');
      await page.locator('form[aria-label="Sign in"] button[type="submit"]').click();
      await page.waitForSelector('h1 ::-p-text(Firefox clip)');

      const tab = await browser.newPage();
      await tab.goto(`${web.url}/assets/${id}`);
      // The same browser: the session cookie signs the second tab in.
      await tab.waitForSelector('h1 ::-p-text(Firefox clip)');

      // Keys go to the tab in front (the second tab opened over this one).
      await page.bringToFront();
      await page.keyboard.press('m');
      await page.waitForSelector('form[aria-label="New marker"] input[name="title"]:focus');
      await page.keyboard.type('Seen in Firefox');
      await page.keyboard.press('Enter');
      await page
        .waitForSelector('ol[aria-label="Markers"] ::-p-text(Seen in Firefox)')
        .catch(async (err: unknown) => {
          const text = await page.$eval('body', (b) => (b as unknown as { innerText: string }).innerText);
          throw new Error(`${String(err)}\n--- the page said:\n${text}`);
        });
      await tab.waitForSelector('ol[aria-label="Markers"] ::-p-text(Seen in Firefox)', { timeout: 30_000 });
      assert.equal(dialogs, 0);
    } finally {
      await browser.close();
    }
  });
});
