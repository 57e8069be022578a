import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { Asset, Marker, Project, ProjectMember } from '@frameproof/core';
import { type Database, openPglite, openPostgres } from '../src/db/database.js';
import { MIGRATIONS, migrate } from '../src/db/migrate.js';
import { auth, createTestDatabase, postAsset, startApp } from './helpers.js';

// An upgrade must never lose data: a database the previous release made (people, an asset
// with markers, comments and a QC decision, a deleted asset, sessions) is migrated forward by
// the adapter's own start, and everything reads back through the API.
const RELEASE = { version: 4, sql: new URL('./fixtures/release-4.sql', import.meta.url) };

const fresh: { name: string; open: () => Promise<Database> }[] = [
  { name: 'pglite', open: () => openPglite() },
  ...(process.env.TEST_DATABASE_URL
    ? [
        {
          name: 'postgres',
          open: async () =>
            openPostgres(await createTestDatabase(process.env.TEST_DATABASE_URL as string), 3),
        },
      ]
    : []),
];

for (const { name, open } of fresh) {
  describe(`upgrading the previous release's database on ${name}`, () => {
    it('keeps every person, asset, marker, comment, decision and deleted asset', async (t) => {
      const db = await open();
      await migrate(db, { upTo: RELEASE.version });
      await db.exec(await readFile(RELEASE.sql, 'utf8'));
      const app = await startApp(async () => db);
      t.after(() => app.close());
      const applied = await db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        applied.map((r) => r.version),
        MIGRATIONS.map((m) => m.version),
        'the start ran every newer migration',
      );

      const erin = await app.token('erin', 'password-1234');
      const get = async <T>(url: string) => {
        const res = await app.app.inject({ url, headers: auth(erin) });
        assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
        return res.json() as T;
      };
      const { items } = await get<{ items: Asset[] }>('/api/assets');
      assert.deepEqual(
        items.map((a) => a.title),
        ['Episode 101'],
        'the deleted asset stays out of the list',
      );
      const [episode] = items;
      assert.ok(episode);
      assert.deepEqual(
        [episode.qc.status, episode.qc.reason, episode.qc.by?.username],
        ['rejected', 'audio dropout at 10:00:10:00', 'admin'],
      );
      const markers = await get<{ items: Marker[] }>(`/api/assets/${episode.id}/markers`);
      assert.deepEqual(
        markers.items.map((m) => [m.title, m.start.frame, m.end?.frame]),
        [['Dropout in the <b>left</b> channel', 250, 300]],
      );
      const [marker] = markers.items;
      const comments = await get<{ items: { body: string }[] }>(
        `/api/assets/${episode.id}/markers/${marker?.id}/comments`,
      );
      assert.deepEqual(
        comments.items.map((c) => c.body),
        ['Fixed in the next version'],
      );
      const admin = await app.token();
      const trash = await app.app.inject({ url: '/api/assets/deleted', headers: auth(admin) });
      assert.deepEqual(
        (trash.json() as { items: Asset[] }).items.map((a) => a.title),
        ['Trailer (deleted)'],
      );

      // Projects came with the upgrade: one, Default, holds every asset (the deleted one too),
      // and every person but the admin is a member at the role they had.
      const projects = await get<{ items: Project[] }>('/api/projects');
      assert.deepEqual(
        projects.items.map((p) => [p.name, p.role]),
        [['Default', 'editor']],
      );
      const project = projects.items[0] as Project;
      assert.equal(episode.projectId, project.id);
      assert.deepEqual(
        (trash.json() as { items: Asset[] }).items.map((a) => a.projectId),
        [project.id],
      );
      const members = await app.app.inject({
        url: `/api/projects/${project.id}/members`,
        headers: auth(admin),
      });
      assert.deepEqual(
        (members.json() as { items: ProjectMember[] }).items.map((m) => [m.username, m.role]),
        [['erin', 'editor']],
      );
      // Erin still uploads without naming a project: she belongs to one.
      const upload = await postAsset(
        app,
        erin,
        {},
        { name: 'b.mov', type: 'video/quicktime', data: Buffer.from('b') },
      );
      assert.equal(upload.statusCode, 201, upload.body);
      assert.equal((upload.json() as Asset).projectId, project.id);
    });
  });
}
