import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { restore, RestoreError } from '../src/restore.js';
import { addUser, appFor, auth, DATABASES, uploadAsset } from './helpers.js';

async function entries(archive: Buffer): Promise<{ name: string; data: Buffer }[]> {
  const out: { name: string; data: Buffer }[] = [];
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.push({ name: entry.header.name, data: Buffer.concat(chunks) });
  }
  return out;
}

async function pack(files: { name: string; data: string }[]): Promise<Buffer> {
  const p = tar.pack();
  for (const f of files) p.entry({ name: f.name }, f.data);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

for (const { name, open } of DATABASES) {
  describe(`GET /api/admin/backup (${name})`, () => {
    if (name === 'pglite') {
      it('gives admins one tar of the database and every media file, which restore brings back into a new folder', async (t) => {
        const app = await appFor(t, open);
        const admin = await app.token();
        const id = await uploadAsset(app, admin, 'Backed up');
        const res = await app.app.inject({ method: 'GET', url: '/api/admin/backup', headers: auth(admin) });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.headers['content-type'], 'application/x-tar');
        assert.match(
          String(res.headers['content-disposition']),
          /attachment; filename="frameproof-backup-.*\.tar"/,
        );
        const got = await entries(res.rawPayload);
        const names = got.map((e) => e.name);
        assert.deepEqual(names.slice(0, 2), ['frameproof-backup.json', 'database.tar.gz']);
        assert.equal(names.at(-1), 'checksums.json');
        const original = names.find((n) => n.startsWith(`media/assets/${id}/`));
        assert.ok(original, names.join(', '));

        const archive = join(app.dir, 'backup.tar');
        await writeFile(archive, res.rawPayload);
        const folder = join(app.dir, 'restored');
        assert.deepEqual(await restore(archive, folder), { assets: 1, files: names.length - 3 });
        assert.deepEqual(await readFile(join(folder, original)), got.find((e) => e.name === original)?.data);
        await assert.rejects(restore(archive, folder), (err: Error) => {
          assert.ok(err instanceof RestoreError);
          assert.match(err.message, /is not empty: restore only into a new or empty folder/);
          return true;
        });

        const editor = await addUser(app, 'editor');
        const refused = await app.app.inject({
          method: 'GET',
          url: '/api/admin/backup',
          headers: auth(editor),
        });
        assert.equal(refused.statusCode, 403);
      });

      it('restore refuses an archive whose files would leave the folder, or that lacks its checksums, and leaves nothing', async (t) => {
        const app = await appFor(t, open);
        const cases: [string, { name: string; data: string }[], RegExp][] = [
          [
            'escape',
            [
              { name: 'frameproof-backup.json', data: '{"format":1}' },
              { name: 'media/../../evil', data: 'x' },
            ],
            /may not leave the media folder/,
          ],
          ['short', [{ name: 'frameproof-backup.json', data: '{"format":1}' }], /incomplete/],
          ['foreign', [{ name: 'etc/passwd', data: 'x' }], /not a Frameproof backup/],
        ];
        for (const [label, files, message] of cases) {
          const archive = join(app.dir, `${label}.tar`);
          await writeFile(archive, await pack(files));
          const folder = join(app.dir, label);
          await mkdir(folder);
          await assert.rejects(restore(archive, folder), message);
          await assert.rejects(readFile(join(app.dir, 'evil')));
        }
      });
    } else {
      it('answers 409 on PostgreSQL, pointing at its own backup tools', async (t) => {
        const app = await appFor(t, open);
        const res = await app.app.inject({
          method: 'GET',
          url: '/api/admin/backup',
          headers: auth(await app.token()),
        });
        assert.equal(res.statusCode, 409);
        assert.match(res.json<{ message: string }>().message, /RDS snapshots or pg_dump/);
      });
    }
  });
}
