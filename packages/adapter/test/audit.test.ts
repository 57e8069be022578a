import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEntry, AuditPage, User } from '@frameproof/core';
import { audit } from '../src/services/audit.js';
import {
  addUser,
  appFor,
  auth,
  DATABASES,
  RUNNER,
  runJob,
  technical,
  uploadAsset,
  type TestApp,
} from './helpers.js';

// Who changed QC status, markers, comments and users: one entry per change, written in the
// change's own transaction, so a refused or rolled-back change leaves none.

async function page(app: TestApp, token: string, query = ''): Promise<AuditPage> {
  const res = await app.app.inject({ url: `/api/audit${query}`, headers: auth(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as AuditPage;
}

/** The entries written after `mark` (an entry id), oldest first. */
async function since(app: TestApp, admin: string, mark: bigint): Promise<AuditEntry[]> {
  const { items } = await page(app, admin, '?limit=200');
  return items.filter((e) => BigInt(e.id) > mark).reverse();
}

async function newest(app: TestApp, admin: string): Promise<bigint> {
  const [last] = (await page(app, admin, '?limit=1')).items;
  return last ? BigInt(last.id) : 0n;
}

/** Runs `change` and returns the entries it wrote. */
async function written(app: TestApp, admin: string, change: () => Promise<unknown>): Promise<AuditEntry[]> {
  const mark = await newest(app, admin);
  await change();
  return since(app, admin, mark);
}

for (const { name, open } of DATABASES) {
  describe(`the audit log on ${name}`, () => {
    it('each audited change leaves exactly one entry, with its actor and what changed', async (t) => {
      const app = await appFor(t, open);
      const admin = await app.token();
      const me = async (token: string) =>
        (await app.app.inject({ url: '/api/auth/me', headers: auth(token) })).json() as User;
      const adminUser = await me(admin);
      const call = async (token: string, method: string, url: string, payload?: object, status = 200) => {
        const res = await app.app.inject({ method: method as 'POST', url, headers: auth(token), payload });
        assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
        return res.json() as Record<string, unknown>;
      };

      // Users, by an admin.
      let userId = '';
      const [created, ...more] = await written(app, admin, async () => {
        userId = (
          await call(
            admin,
            'POST',
            '/api/users',
            { username: 'rita', password: 'password-1234', role: 'viewer' },
            201,
          )
        ).id as string;
      });
      assert.deepEqual(more, []);
      assert.ok(created && BigInt(created.id) > 0n);
      assert.deepEqual(
        { ...created, id: undefined, at: undefined },
        {
          id: undefined,
          at: undefined,
          actor: { id: adminUser.id, name: 'admin' },
          action: 'user.create',
          subject: { type: 'user', id: userId },
          assetId: null,
          detail: { after: { username: 'rita', role: 'viewer', displayName: null } },
        },
      );
      const patchUser = (body: object) => call(admin, 'PATCH', `/api/users/${userId}`, body);
      const one = async (change: () => Promise<unknown>) => {
        const entries = await written(app, admin, change);
        assert.equal(entries.length, 1, JSON.stringify(entries));
        return entries[0] as AuditEntry;
      };
      const role = await one(() => patchUser({ role: 'reviewer' }));
      assert.equal(role.action, 'user.role');
      assert.deepEqual(role.detail, { before: { role: 'viewer' }, after: { role: 'reviewer' } });
      const password = await one(() => patchUser({ password: 'another-password-1' }));
      assert.equal(password.action, 'user.password');
      assert.deepEqual(password.detail, {}, 'never the password');
      const disabled = await one(() => patchUser({ disabled: true }));
      assert.equal(disabled.action, 'user.disable');
      assert.deepEqual(disabled.detail, { before: { disabled: false }, after: { disabled: true } });
      assert.equal((await one(() => patchUser({ disabled: false }))).action, 'user.disable');
      assert.deepEqual(
        await written(app, admin, () => patchUser({ role: 'reviewer' })),
        [],
        'no change, no entry',
      );
      const both = await written(app, admin, () => patchUser({ role: 'editor', displayName: 'Rita' }));
      assert.deepEqual(
        both.map((e) => [e.action, e.detail]),
        [
          ['user.role', { before: { role: 'reviewer' }, after: { role: 'editor' } }],
          ['user.update', { before: { displayName: null }, after: { displayName: 'Rita' } }],
        ],
      );

      // QC, by a reviewer.
      const reviewer = await addUser(app, 'reviewer');
      const reviewerUser = await me(reviewer);
      const assetId = await uploadAsset(app, admin);
      await runJob(app, 'probe', { technical: technical() });
      const qc = await one(() =>
        call(reviewer, 'POST', `/api/assets/${assetId}/qc`, { status: 'rejected', reason: 'Dropout' }),
      );
      assert.deepEqual(
        { actor: qc.actor, action: qc.action, subject: qc.subject, assetId: qc.assetId, detail: qc.detail },
        {
          actor: { id: reviewerUser.id, name: 'reviewer' },
          action: 'asset.qc',
          subject: { type: 'asset', id: assetId },
          assetId,
          detail: {
            before: { status: 'pending', reason: null },
            after: { status: 'rejected', reason: 'Dropout' },
          },
        },
      );
      const approved = await one(() =>
        call(reviewer, 'POST', `/api/assets/${assetId}/qc`, { status: 'approved' }),
      );
      assert.deepEqual(approved.detail, {
        before: { status: 'rejected', reason: 'Dropout' },
        after: { status: 'approved', reason: null },
      });

      // Markers and comments, by an editor.
      const editor = await addUser(app, 'editor');
      const editorUser = await me(editor);
      const markers = `/api/assets/${assetId}/markers`;
      let markerId = '';
      const create = await one(async () => {
        markerId = (
          await call(editor, 'POST', markers, { start: { frame: 10 }, end: { frame: 20 }, title: 'Hit' }, 201)
        ).id as string;
      });
      assert.deepEqual(
        {
          actor: create.actor,
          action: create.action,
          subject: create.subject,
          assetId: create.assetId,
          detail: create.detail,
        },
        {
          actor: { id: editorUser.id, name: 'editor' },
          action: 'marker.create',
          subject: { type: 'marker', id: markerId },
          assetId,
          detail: { after: { title: 'Hit', start: 10, end: 20, group: 'Manual' } },
        },
      );
      const update = await one(() =>
        call(editor, 'PATCH', `${markers}/${markerId}`, {
          title: 'Hit!',
          severity: 'major',
          end: { frame: 20 },
        }),
      );
      assert.equal(update.action, 'marker.update');
      assert.deepEqual(
        update.detail,
        {
          before: { title: 'Hit', severity: null },
          after: { title: 'Hit!', severity: 'major' },
        },
        'only the fields that changed',
      );
      const comment = await one(() =>
        call(editor, 'POST', `${markers}/${markerId}/comments`, { body: 'Seen it' }, 201),
      );
      assert.equal(comment.action, 'comment.create');
      assert.equal(comment.subject.type, 'comment');
      assert.deepEqual(comment.detail, { markerId, length: 7 });
      const bulk = await one(() =>
        call(
          editor,
          'POST',
          `${markers}/bulk`,
          {
            markers: [
              { start: { frame: 1 }, title: 'a' },
              { start: { frame: 2 }, title: 'b', group: 'Sound' },
            ],
          },
          201,
        ),
      );
      assert.deepEqual(
        [bulk.action, bulk.subject, bulk.detail],
        ['marker.bulk', { type: 'asset', id: assetId }, { count: 2, groups: ['Manual', 'Sound'] }],
      );
      const imported = await one(() =>
        call(
          editor,
          'POST',
          `${markers}/import`,
          { format: 'csv', text: 'start_frame,title\r\n5,x\r\n' },
          201,
        ),
      );
      assert.deepEqual(
        [imported.action, imported.detail],
        ['marker.import', { format: 'csv', count: 1, groups: ['Manual'] }],
      );
      const deleted = await one(async () => {
        const res = await app.app.inject({
          method: 'DELETE',
          url: `${markers}/${markerId}`,
          headers: auth(editor),
        });
        assert.equal(res.statusCode, 204);
      });
      assert.deepEqual(
        [deleted.action, deleted.subject, deleted.detail],
        [
          'marker.delete',
          { type: 'marker', id: markerId },
          { before: { title: 'Hit!', start: 10, end: 20, group: 'Manual' } },
        ],
      );

      // Filters, and pages that follow one another without a gap or a repeat.
      const all = (await page(app, admin, '?limit=200')).items;
      const forAsset = (await page(app, admin, `?assetId=${assetId}&limit=200`)).items;
      assert.deepEqual(
        forAsset,
        all.filter((e) => e.assetId === assetId),
      );
      assert.equal(forAsset.length, 8);
      const byReviewer = (await page(app, admin, `?actorId=${reviewerUser.id}`)).items;
      assert.deepEqual(
        byReviewer.map((e) => e.action),
        ['asset.qc', 'asset.qc'],
      );
      assert.deepEqual((await page(app, admin, '?action=marker.update')).items, [update]);
      const at = update.at;
      const after = (await page(app, admin, `?since=${encodeURIComponent(at)}&limit=200`)).items;
      assert.ok(after.every((e) => e.at >= at) && after.some((e) => e.id === update.id));
      const before = (await page(app, admin, `?until=${encodeURIComponent(at)}&limit=200`)).items;
      assert.ok(before.every((e) => e.at < at) && before.length > 0);
      const seen: AuditEntry[] = [];
      let cursor: string | null = null;
      do {
        const next: AuditPage = await page(app, admin, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...next.items);
        cursor = next.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, all);
    });

    it('projects and memberships: who created, renamed, added, changed and removed whom', async (t) => {
      const app = await appFor(t, open);
      const admin = await app.token();
      const adminId = ((await app.app.inject({ url: '/api/auth/me', headers: auth(admin) })).json() as User)
        .id;
      const call = async (method: string, url: string, payload: object | undefined, status: number) => {
        const res = await app.app.inject({ method: method as 'POST', url, headers: auth(admin), payload });
        assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
        return res.statusCode === 204 ? {} : (res.json() as Record<string, unknown>);
      };
      const entries = async (change: () => Promise<unknown>) =>
        (await written(app, admin, change)).map((e) => {
          assert.deepEqual(e.actor, { id: adminId, name: 'admin' });
          return [e.action, e.subject, e.detail];
        });

      let projectId = '';
      const created = await entries(async () => {
        projectId = (await call('POST', '/api/projects', { name: 'Drama' }, 201)).id as string;
      });
      const subject = { type: 'project', id: projectId };
      assert.deepEqual(created, [['project.create', subject, { after: { name: 'Drama' } }]]);
      assert.deepEqual(
        await entries(() => call('POST', '/api/projects', { name: 'drama' }, 409)),
        [],
        'a refused project leaves no entry',
      );
      assert.deepEqual(
        await entries(() => call('PATCH', `/api/projects/${projectId}`, { name: 'Drama S2' }, 200)),
        [['project.rename', subject, { before: { name: 'Drama' }, after: { name: 'Drama S2' } }]],
      );
      assert.deepEqual(
        await entries(() => call('PATCH', `/api/projects/${projectId}`, { name: 'Drama S2' }, 200)),
        [],
        'no change, no entry',
      );

      const userId = (
        await call('POST', '/api/users', { username: 'vera', password: 'password-1234', role: 'viewer' }, 201)
      ).id as string;
      const member = `/api/projects/${projectId}/members/${userId}`;
      assert.deepEqual(await entries(() => call('PUT', member, {}, 200)), [
        ['member.put', subject, { userId, before: null, after: { role: 'viewer' } }],
      ]);
      assert.deepEqual(await entries(() => call('PUT', member, { role: 'reviewer' }, 200)), [
        ['member.put', subject, { userId, before: { role: 'viewer' }, after: { role: 'reviewer' } }],
      ]);
      assert.deepEqual(await entries(() => call('PUT', member, { role: 'reviewer' }, 200)), [], 'no change');
      assert.deepEqual(await entries(() => call('DELETE', member, undefined, 204)), [
        ['member.remove', subject, { userId, before: { role: 'reviewer' } }],
      ]);
      assert.deepEqual(await entries(() => call('DELETE', member, undefined, 404)), [], 'not a member');
    });

    it('refuses a cursor it did not give, and keeps the log from everyone but admins', async (t) => {
      const app = await appFor(t, open);
      const admin = await app.token();
      for (let i = 0; i < 3; i++) await addUser(app, 'viewer', `v${i}`);
      const { nextCursor } = await page(app, admin, '?limit=1');
      assert.ok(nextCursor);
      const assetCursor = Buffer.from(
        JSON.stringify(['createdAt', new Date().toISOString(), crypto.randomUUID()]),
      ).toString('base64url');
      for (const cursor of [
        `${nextCursor.slice(0, -2)}${nextCursor.at(-2) === 'A' ? 'B' : 'A'}${nextCursor.at(-1)}`,
        `${nextCursor}x`,
        Buffer.from(JSON.stringify(['audit', '1 OR 1=1'])).toString('base64url'),
        Buffer.from(JSON.stringify(['audit', 1])).toString('base64url'),
        assetCursor,
        'not a cursor',
      ]) {
        const res = await app.app.inject({
          url: `/api/audit?cursor=${encodeURIComponent(cursor)}`,
          headers: auth(admin),
        });
        assert.equal(res.statusCode, 400, `${cursor}: ${res.body}`);
        assert.equal(res.json().field, 'cursor');
      }
      const backwards = await app.app.inject({
        url: '/api/audit?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
        headers: auth(admin),
      });
      assert.equal(backwards.statusCode, 400);
      for (const role of ['editor', 'reviewer', 'viewer', RUNNER.username]) {
        const token =
          role === RUNNER.username ? await app.token(role) : await addUser(app, role, `${role}-x`);
        const res = await app.app.inject({ url: '/api/audit', headers: auth(token) });
        assert.equal(res.statusCode, 403, `${role}: ${res.body}`);
      }
      assert.equal((await app.app.inject({ url: '/api/audit' })).statusCode, 401);
    });

    it('a refused or rolled-back change leaves no entry', async (t) => {
      const app = await appFor(t, open);
      const admin = await app.token();
      const reviewer = await addUser(app, 'reviewer');
      const assetId = await uploadAsset(app, admin);
      await runJob(app, 'probe', { technical: technical() });
      const markers = `/api/assets/${assetId}/markers`;
      const marker = await app.app.inject({
        method: 'POST',
        url: markers,
        headers: auth(admin),
        payload: { start: { frame: 10 }, title: 'x' },
      });
      const markerId = (marker.json() as { id: string }).id;
      const refused: [string, string, string, object | undefined, number][] = [
        [
          admin,
          'POST',
          `${markers}/bulk`,
          {
            markers: [
              { start: { frame: 1 }, title: 'ok' },
              { start: { frame: 9 }, end: { frame: 2 }, title: 'bad' },
            ],
          },
          400,
        ],
        [
          admin,
          'POST',
          `${markers}/import`,
          { format: 'csv', text: 'start_frame,title\r\n1,ok\r\nabc,bad\r\n' },
          400,
        ],
        [admin, 'PATCH', `${markers}/${markerId}`, { end: { frame: 1 } }, 400],
        [admin, 'DELETE', `${markers}/${crypto.randomUUID()}`, undefined, 404],
        [admin, 'POST', `${markers}/${markerId}/comments`, { body: '' }, 400],
        [reviewer, 'POST', `/api/assets/${assetId}/qc`, { status: 'rejected' }, 400],
        [reviewer, 'POST', `/api/assets/${crypto.randomUUID()}/qc`, { status: 'approved' }, 404],
        [
          admin,
          'POST',
          '/api/users',
          { username: 'reviewer', password: 'password-1234', role: 'viewer' },
          409,
        ],
        [admin, 'PATCH', `/api/users/${crypto.randomUUID()}`, { role: 'editor' }, 404],
        [admin, 'PATCH', '/api/users/not-an-id', { role: 'editor' }, 400],
      ];
      const mark = await newest(app, admin);
      for (const [token, method, url, payload, status] of refused) {
        const res = await app.app.inject({ method: method as 'POST', url, headers: auth(token), payload });
        assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      }
      assert.deepEqual(await since(app, admin, mark), []);

      // The entry is written in the change's transaction: when it cannot be written, the change
      // is not made either; and an entry recorded in a transaction that rolls back is gone.
      await app.ctx.db.exec(
        `ALTER TABLE audit_log ADD CONSTRAINT no_markers CHECK (action <> 'marker.create') NOT VALID`,
      );
      try {
        const res = await app.app.inject({
          method: 'POST',
          url: markers,
          headers: auth(admin),
          payload: { start: { frame: 10 }, title: 'never' },
        });
        assert.equal(res.statusCode, 500);
      } finally {
        await app.ctx.db.exec('ALTER TABLE audit_log DROP CONSTRAINT no_markers');
      }
      const titles = (await app.app.inject({ url: markers, headers: auth(admin) }))
        .json()
        .items.map((m: { title: string }) => m.title);
      assert.deepEqual(titles, ['x']);
      const adminId = (
        (await app.app.inject({ url: '/api/auth/me', headers: auth(admin) })).json() as { id: string }
      ).id;
      await assert.rejects(
        app.ctx.db.transaction(async (tx) => {
          await audit.record(tx, {
            actor: { id: adminId, name: 'admin' },
            action: 'asset.qc',
            subject: { type: 'asset', id: assetId },
          });
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.deepEqual(await since(app, admin, mark), []);
    });
  });
}
