import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { run } from './stack.js';
import { NpmStart, ROOT } from './npm-start.js';
import { commands } from './readme-blocks.js';

/**
 * The README's "Use the API" walk-through, run as a reader runs it: `npm start` (built
 * services, the gateway in front), then the shell block copied from README.md with `curl` and
 * `jq`. Only the password and the gateway's address are put in; the media file is the one the
 * README names, made here with ffmpeg. Every `curl` fails the run on an HTTP error.
 */
export async function walkThrough(): Promise<string> {
  const readme = await readFile(`${ROOT}/README.md`, 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use the API'));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README.md has a "Use the API" section with a ```sh block');
  return block;
}

describe("the README's API walk-through, through `npm start`", () => {
  let start: NpmStart;
  before(async () => {
    start = await NpmStart.launch();
  });
  after(() => start.close());

  it('runs every curl line of "Use the API" as written, with a media file over 1 MB', async () => {
    const block = await walkThrough();
    assert.ok(block.includes('"password":"…"'), 'the walk-through logs in with "password":"…"');
    assert.ok(
      block.includes('API=http://127.0.0.1:8080\n'),
      'the walk-through sets API to the default address',
    );
    const lines = commands(
      block
        .replace('"password":"…"', `"password":"${start.password}"`)
        .replace('API=http://127.0.0.1:8080\n', `API=${start.url}\n`),
    );
    assert.ok(lines.filter((l) => l.includes('curl ')).length >= 8, lines.join('\n'));

    // The file the README uploads, made here: 10 min 10 s of 29.97 fps (so that its drop-frame
    // timecode 00:10:00;00 lands inside), MPEG-2 and PCM in MXF, as a broadcast master would be.
    const file = /file=@(\S+)/.exec(block)?.[1];
    assert.ok(file, 'the walk-through uploads a file with -F file=@…');
    await run(
      'ffmpeg',
      [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=30000/1001:duration=610'],
        ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=610'],
        ...['-c:v', 'mpeg2video', '-b:v', '100k', '-c:a', 'pcm_s16le', '-timecode', '00:00:00;00'],
        ...['-shortest', file],
      ],
      { cwd: start.dir },
    );

    // Each command as written; between them only checks: a variable the README sets is set,
    // and before the first marker the asset has finished ingesting (the README's reader looks
    // at the jobs until then; a timecode needs the probed frame rate).
    const script = ['set -euo pipefail', 'curl() { command curl --fail-with-body "$@"; }'];
    let waited = false;
    for (const [i, line] of lines.entries()) {
      if (!waited && line.includes('/markers')) {
        waited = true;
        script.push(
          'for _ in $(seq 1 900); do',
          '  status=$(command curl -s $API/api/assets/$ID -H "authorization: Bearer $TOKEN" | jq -r .status)',
          '  [ "$status" != ingesting ] && break; sleep 1',
          'done',
          'echo "ingest: $status"',
        );
      }
      script.push(`echo '### ${i}'`, line);
      const assigned = /^([A-Z_]+)=/.exec(line)?.[1];
      if (assigned)
        script.push(
          `[ -n "$${assigned}" ] && [ "$${assigned}" != null ] || { echo '${assigned} is empty after: ${line.split('\n')[0]?.replace(/'/g, '')}' >&2; exit 1; }`,
          `echo "${assigned}=$${assigned}"`,
        );
    }
    script.push('echo "### done"');
    const { stdout } = await run('bash', ['-c', script.join('\n')], {
      cwd: start.dir,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 1200_000,
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}\n${start.output().slice(-4000)}`,
      );
    });
    assert.match(stdout, /### done/);
    assert.match(stdout, /ingest: ready/, stdout);

    // What the walk-through did, read back through the gateway.
    const id = /^ID=(\S+)$/m.exec(stdout)?.[1];
    const token = /^TOKEN=(\S+)$/m.exec(stdout)?.[1];
    assert.ok(id && token, stdout);
    const headers = { authorization: `Bearer ${token}` };
    const asset = (await (await fetch(`${start.url}/api/assets/${id}`, { headers })).json()) as {
      status: string;
      qcStatus?: string;
      frameRate: { num: number; den: number };
    };
    assert.equal(asset.status, 'ready');
    assert.deepEqual(asset.frameRate, { num: 30000, den: 1001 });
    const markers = (await (
      await fetch(`${start.url}/api/assets/${id}/markers?group=Manual`, { headers })
    ).json()) as {
      items: { title: string }[];
    };
    // Every marker the walk-through posts is there (an import may add more).
    const posted = lines.filter((l) => /-X POST \S+\/markers /.test(l)).length;
    assert.ok(markers.items.length >= posted, stdout);
  });

  it('says where it runs, who signs in and where the data lives; logs JSON when not in a terminal', async () => {
    const output = await start.waitFor(/Frameproof is running at/);
    assert.ok(output.includes(`Frameproof is running at ${start.url}`), output);
    assert.match(output, /Sign in as admin; password: the one in FRAMEPROOF_ADMIN_PASSWORD/);
    assert.ok(output.includes(`Data: ${start.dataDir} (database in db/`), output);
    assert.match(output, /, new\n/);
    assert.ok(
      output.split('\n').some((line) => line.startsWith('{"level":')),
      'the services log JSON lines when stdout is not a terminal',
    );
  });

  it('stops everything cleanly on Ctrl-C, and a second start finds the data', async () => {
    start.interrupt();
    assert.ok(await start.stopped(), `still running after Ctrl-C:\n${start.output().slice(-2000)}`);
    assert.doesNotMatch(start.output(), /exited \(|stopping the rest/);
    assert.match(start.output(), /frameproof: stopped/);

    const again = await NpmStart.launch({ dir: start.dir, password: start.password });
    start = again;
    const output = await again.waitFor(/Frameproof is running at/);
    assert.ok(output.includes(`found the data of an earlier run in ${again.dataDir}`), output);
    assert.match(output, /, kept from an earlier run/);
    const login = await fetch(`${again.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: again.password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const assets = (await (
      await fetch(`${again.url}/api/assets`, { headers: { authorization: `Bearer ${accessToken}` } })
    ).json()) as { items: { title: string }[] };
    assert.deepEqual(
      assets.items.map((a) => a.title),
      ['Episode 12'],
    );
  });
});

describe('the README', () => {
  it('names no folder outside the repository', async () => {
    const readme = await readFile(`${ROOT}/README.md`, 'utf8');
    assert.deepEqual(readme.match(/(^|[\s(`'"])\.\.\/[^\s)`'"]*/g) ?? [], []);
  });
});
