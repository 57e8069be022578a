import { spawn } from 'node:child_process';
import { launchChromium } from '@frameproof/tests/browsers';
import { makeClip, Stack } from '../../tests/e2e/stack.ts';
const stack = await Stack.start();
stack.startWorker();
const clip = await makeClip('/tmp/demo-clip.mp4', { seconds: 4, audioTracks: 2 });
const id = await stack.upload(clip, 'Demo clip');
const [asset] = await stack.settled([id]);
console.log(asset?.status, asset?.shapes.map((s) => `${s.type}:${s.track}:${s.files.map((f) => f.key).join(',')}`));
const demo = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/player/demo/serve.ts'], {
  env: { ...process.env, GATEWAY_URL: `http://127.0.0.1:${stack.port}`, DEMO_PORT: '5199' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((r) => demo.stdout?.once('data', r));
const browser = await launchChromium();
const page = await browser.newPage();
page.on('console', (m) => console.log('console', m.text()));
await page.goto(`http://127.0.0.1:5199/?asset=${id}&frame=37`);
await page.fill('input[name=username]', 'admin');
await page.fill('input[name=password]', 'e2e-admin-password');
await page.click('text=Sign in');
await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Signed in.');
await page.fill('input[name=asset]', id);
await page.click('text=Open');
await page.waitForFunction(() => document.querySelector<HTMLElement>('.fp-player')?.dataset.state === 'paused', undefined, { timeout: 20000 });
console.log('frame', await page.getByLabel('Frame', { exact: true }).textContent(), await page.getByLabel('Timecode', { exact: true }).textContent(), await page.textContent('#status'));
await page.keyboard.press('ArrowRight');
await page.waitForTimeout(500);
console.log('frame', await page.getByLabel('Frame', { exact: true }).textContent());
await page.keyboard.press(' ');
await page.waitForTimeout(1500);
console.log('playing', await page.evaluate(() => [document.querySelector('video')?.currentTime, [...document.querySelectorAll('audio')].length]));
await page.screenshot({ path: '/tmp/demo.png' });
await browser.close();
demo.kill('SIGTERM');
await stack.close();
