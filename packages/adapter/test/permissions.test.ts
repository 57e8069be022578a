import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { can, type Permission, PERSON_ROLES, type Role } from '@frameproof/core';
import {
  addMember,
  addProject,
  addUser,
  auth,
  DATABASES,
  firstProject,
  postAsset,
  RUNNER,
  startApp,
  type TestApp,
  uploadAsset,
} from './helpers.js';

const ID = '00000000-0000-4000-8000-000000000000';

/**
 * Every route of the API with the permission it needs. The test checks that this list covers
 * every route the app has, then calls each with each role and compares with the table in core.
 */
const ROUTES: { method: string; url: string; permission: Permission | 'public'; payload?: unknown }[] = [
  { method: 'GET', url: '/api/health', permission: 'public' },
  { method: 'POST', url: '/api/auth/login', permission: 'public' },
  { method: 'POST', url: '/api/auth/refresh', permission: 'public' },
  { method: 'POST', url: '/api/auth/logout', permission: 'public' },
  { method: 'POST', url: '/api/auth/session', permission: 'public' },
  { method: 'POST', url: '/api/auth/session/refresh', permission: 'public' },
  { method: 'POST', url: '/api/auth/session/logout', permission: 'public' },
  { method: 'GET', url: '/api/auth/me', permission: 'asset:read' },
  { method: 'GET', url: '/api/users', permission: 'user:manage' },
  { method: 'POST', url: '/api/users', permission: 'user:manage', payload: {} },
  { method: 'PATCH', url: '/api/users/:id', permission: 'user:manage', payload: {} },
  { method: 'GET', url: '/api/projects', permission: 'project:read' },
  { method: 'POST', url: '/api/projects', permission: 'project:manage', payload: {} },
  { method: 'PATCH', url: '/api/projects/:id', permission: 'project:manage', payload: {} },
  { method: 'GET', url: '/api/projects/:id/members', permission: 'project:manage' },
  { method: 'PUT', url: '/api/projects/:id/members/:userId', permission: 'project:manage', payload: {} },
  { method: 'DELETE', url: '/api/projects/:id/members/:userId', permission: 'project:manage' },
  { method: 'GET', url: '/api/assets', permission: 'asset:read' },
  { method: 'POST', url: '/api/assets', permission: 'asset:create' },
  { method: 'GET', url: '/api/assets/:id', permission: 'asset:read' },
  { method: 'PATCH', url: '/api/assets/:id', permission: 'asset:update', payload: {} },
  { method: 'DELETE', url: '/api/assets/:id', permission: 'asset:delete' },
  { method: 'GET', url: '/api/assets/deleted', permission: 'asset:delete' },
  { method: 'POST', url: '/api/assets/:id/restore', permission: 'asset:delete' },
  { method: 'POST', url: '/api/assets/:id/qc', permission: 'asset:qc', payload: {} },
  { method: 'POST', url: '/api/assets/:id/video-analysis', permission: 'asset:update', payload: {} },
  { method: 'GET', url: '/api/assets/:id/markers', permission: 'marker:read' },
  { method: 'POST', url: '/api/assets/:id/markers', permission: 'marker:write', payload: {} },
  { method: 'POST', url: '/api/assets/:id/markers/bulk', permission: 'marker:write', payload: {} },
  { method: 'GET', url: '/api/assets/:id/markers/export', permission: 'marker:read' },
  { method: 'POST', url: '/api/assets/:id/markers/import', permission: 'marker:write', payload: {} },
  { method: 'POST', url: '/api/assets/:id/subtitles', permission: 'asset:update', payload: {} },
  { method: 'DELETE', url: '/api/assets/:id/subtitles/:shapeId', permission: 'asset:update' },
  { method: 'PATCH', url: '/api/assets/:id/markers/:markerId', permission: 'marker:write', payload: {} },
  { method: 'DELETE', url: '/api/assets/:id/markers/:markerId', permission: 'marker:write' },
  { method: 'GET', url: '/api/assets/:id/markers/:markerId/comments', permission: 'marker:read' },
  {
    method: 'POST',
    url: '/api/assets/:id/markers/:markerId/comments',
    permission: 'comment:write',
    payload: {},
  },
  { method: 'GET', url: '/api/jobs', permission: 'job:read' },
  { method: 'GET', url: '/api/jobs/:id', permission: 'job:read' },
  { method: 'POST', url: '/api/jobs/:id/retry', permission: 'job:manage' },
  { method: 'POST', url: '/api/jobs/:id/cancel', permission: 'job:manage' },
  { method: 'POST', url: '/api/runner/lease', permission: 'job:work', payload: {} },
  { method: 'POST', url: '/api/runner/jobs/:id/heartbeat', permission: 'job:work', payload: {} },
  { method: 'POST', url: '/api/runner/jobs/:id/complete', permission: 'job:work', payload: {} },
  { method: 'POST', url: '/api/runner/jobs/:id/fail', permission: 'job:work', payload: {} },
  { method: 'POST', url: '/api/runner/jobs/:id/release', permission: 'job:work', payload: {} },
  { method: 'GET', url: '/api/media/:fileId', permission: 'public' },
  { method: 'GET', url: '/api/upload-options', permission: 'asset:read' },
  { method: 'POST', url: '/api/direct-uploads', permission: 'asset:create', payload: {} },
  { method: 'GET', url: '/api/direct-uploads/:id', permission: 'asset:create' },
  { method: 'POST', url: '/api/direct-uploads/:id/parts', permission: 'asset:create', payload: {} },
  {
    method: 'PUT',
    url: '/api/direct-uploads/:id/parts/:partNumber',
    permission: 'asset:create',
    payload: {},
  },
  { method: 'POST', url: '/api/direct-uploads/:id/complete', permission: 'asset:create', payload: {} },
  { method: 'DELETE', url: '/api/direct-uploads/:id', permission: 'asset:create' },
  { method: 'POST', url: '/api/imports', permission: 'asset:create', payload: {} },
  { method: 'GET', url: '/api/imports/:id', permission: 'asset:create' },
  { method: 'GET', url: '/api/eventbus', permission: 'asset:read' },
  { method: 'POST', url: '/api/eventbus/ticket', permission: 'asset:read' },
  { method: 'GET', url: '/api/audit', permission: 'audit:read' },
  { method: 'GET', url: '/api/admin/backup', permission: 'system:backup' },
  { method: 'GET', url: '/api/openapi.json', permission: 'public' },
];

const { name, open } = DATABASES[0] as (typeof DATABASES)[number];

describe(`permissions (${name})`, () => {
  it('lists every route of the app with the permission the app declares for it', async (t) => {
    const app = await startApp(open);
    t.after(() => app.close());
    const actual = app.app.routeTable
      .filter((r) => !r.url.startsWith('/api/uploads'))
      .map((r) => `${r.method} ${r.url} ${r.permission}`)
      .sort();
    assert.deepEqual(actual, ROUTES.map((r) => `${r.method} ${r.url} ${r.permission}`).sort());
  });

  it('each role gets exactly what the permission table says, route by route', async (t) => {
    const app = await startApp(open);
    t.after(() => app.close());
    const admin = await app.token();
    const tokens: Partial<Record<Role, string>> = { admin, service: await app.token(RUNNER.username) };
    for (const role of PERSON_ROLES.filter((r) => r !== 'admin')) tokens[role] = await addUser(app, role);
    const assetId = await uploadAsset(app, admin);
    const jobs = await app.app.inject({ url: `/api/jobs?assetId=${assetId}`, headers: auth(admin) });
    const jobId = (jobs.json() as { items: { id: string }[] }).items[0]?.id ?? ID;
    for (const route of ROUTES) {
      if (route.permission === 'public') continue;
      const url = route.url
        .replace(':id', route.url.startsWith('/api/jobs/') ? jobId : assetId)
        .replace(':markerId', ID)
        .replace(':shapeId', ID)
        .replace(':userId', ID)
        .replace(':partNumber', '1');
      const anonymous = await app.app.inject({
        method: route.method as 'GET',
        url,
        payload: route.payload as object,
      });
      assert.equal(anonymous.statusCode, 401, `${route.method} ${route.url} without a token`);
      for (const [role, token] of Object.entries(tokens) as [Role, string][]) {
        const res = await app.app.inject({
          method: route.method as 'GET',
          url,
          headers: auth(token),
          payload: route.payload as object,
        });
        const allowed = can(role, route.permission);
        if (allowed)
          assert.notEqual(res.statusCode, 403, `${role} ${route.method} ${route.url}: ${res.body}`);
        else
          assert.equal(
            res.statusCode,
            403,
            `${role} ${route.method} ${route.url}: ${res.statusCode} ${res.body}`,
          );
        assert.notEqual(res.statusCode, 500, `${role} ${route.method} ${route.url}: ${res.body}`);
      }
    }
    const bad = await app.app.inject({ url: '/api/assets', headers: auth('not.a.token') });
    assert.equal(bad.statusCode, 401);
  });
});

/** The routes about one asset or one of its jobs: a person outside the asset's project gets 404 there. */
const ASSET_ROUTES = ROUTES.filter((r) => /^\/api\/(assets|jobs)\/:id/.test(r.url));

async function uploadTo(app: TestApp, token: string, projectId: string, title: string): Promise<string> {
  const res = await postAsset(
    app,
    token,
    { title, projectId },
    { name: `${title}.mov`, type: 'video/quicktime', data: Buffer.from('bytes') },
  );
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

for (const { name, open } of DATABASES) {
  describe(`project membership (${name})`, () => {
    it('a person outside the asset’s project gets 404 on every route of the asset; members and admins do not', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const admin = await app.token();
      const other = await addProject(app, 'Other');
      const outsiders = Object.fromEntries(
        await Promise.all(
          (['editor', 'reviewer', 'viewer'] as const).map(async (r) => [r, await addUser(app, r)]),
        ),
      ) as Record<string, string>;
      const member = await addUser(app, 'viewer', 'member', other);
      const assetId = await uploadTo(app, admin, other, 'Secret');
      const jobs = await app.app.inject({ url: `/api/jobs?assetId=${assetId}`, headers: auth(admin) });
      const jobId = (jobs.json() as { items: { id: string }[] }).items[0]?.id;
      assert.ok(jobId, jobs.body);
      for (const route of ASSET_ROUTES) {
        const url: string = route.url
          .replace(':id', route.url.startsWith('/api/jobs') ? jobId : assetId)
          .replace(':markerId', ID)
          .replace(':shapeId', ID);
        const call = (token: string): Promise<{ statusCode: number; body: string }> =>
          app.app.inject({
            method: route.method as 'GET',
            url,
            headers: auth(token),
            payload: route.payload as object,
          });
        for (const [role, token] of Object.entries(outsiders)) {
          const res = await call(token);
          assert.equal(res.statusCode, 404, `outside ${role} ${route.method} ${route.url}: ${res.body}`);
        }
        // Admins and members reach the asset: what follows is the route's own answer.
        const reached = /"(asset|job) not found"/;
        const byAdmin = await call(admin);
        assert.ok(
          ![403, 500].includes(byAdmin.statusCode) && !reached.test(byAdmin.body),
          `admin ${route.method} ${route.url}: ${byAdmin.statusCode} ${byAdmin.body}`,
        );
        const byMember = await call(member);
        assert.ok(
          byMember.statusCode !== 500 && !reached.test(byMember.body),
          `member ${route.url}: ${byMember.body}`,
        );
        assert.equal(
          byMember.statusCode === 403,
          !can('viewer', route.permission as Permission),
          `member viewer ${route.method} ${route.url}: ${byMember.statusCode} ${byMember.body}`,
        );
      }
    });

    it('lists, search, jobs and the trash show only the assets of one’s projects', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const admin = await app.token();
      const main = await firstProject(app);
      const other = await addProject(app, 'Other');
      const editor = await addUser(app, 'editor');
      const mine = await uploadTo(app, admin, main, 'Shared interview');
      const theirs = await uploadTo(app, admin, other, 'Secret interview');
      const list = async (token: string, url: string) => {
        const res = await app.app.inject({ url, headers: auth(token) });
        assert.equal(res.statusCode, 200, res.body);
        return (res.json() as { items: { id?: string; assetId?: string; projectId?: string }[] }).items;
      };
      const ids = (items: { id?: string }[]) => items.map((a) => a.id).sort();
      assert.deepEqual(ids(await list(editor, '/api/assets')), [mine]);
      assert.deepEqual(ids(await list(editor, '/api/assets?q=interview')), [mine]);
      assert.deepEqual(ids(await list(admin, '/api/assets')), [mine, theirs].sort());
      assert.deepEqual(ids(await list(admin, `/api/assets?projectId=${other}`)), [theirs]);
      assert.deepEqual(ids(await list(editor, `/api/assets?projectId=${other}`)), []);
      assert.equal((await list(admin, `/api/assets?projectId=${other}`))[0]?.projectId, other);
      assert.deepEqual([...new Set((await list(editor, '/api/jobs')).map((j) => j.assetId))], [mine]);
      assert.deepEqual(await list(editor, `/api/jobs?assetId=${theirs}`), []);
      for (const id of [mine, theirs])
        assert.equal(
          (await app.app.inject({ method: 'DELETE', url: `/api/assets/${id}`, headers: auth(admin) }))
            .statusCode,
          204,
        );
      assert.deepEqual(ids(await list(editor, '/api/assets/deleted')), [mine]);
      assert.deepEqual(ids(await list(admin, '/api/assets/deleted')), [mine, theirs].sort());
      const restore = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${theirs}/restore`,
        headers: auth(editor),
      });
      assert.equal(restore.statusCode, 404, restore.body);
    });

    it('uploads go to the one project one belongs to, else to the project named, as an editor there', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const admin = await app.token();
      const main = await firstProject(app);
      const editor = await addUser(app, 'editor');
      const reviewer = await addUser(app, 'reviewer');
      const file = { name: 'a.mov', type: 'video/quicktime', data: Buffer.from('bytes') };
      const one = await postAsset(app, editor, {}, file);
      assert.equal(one.statusCode, 201, one.body);
      assert.equal((one.json() as { projectId: string }).projectId, main);
      assert.equal((await postAsset(app, reviewer, {}, file)).statusCode, 403);
      const other = await addProject(app, 'Other');
      const several = await postAsset(app, admin, {}, file);
      assert.equal(several.statusCode, 400, several.body);
      assert.equal((several.json() as { field?: string }).field, 'projectId');
      assert.equal((await postAsset(app, editor, { projectId: other }, file)).statusCode, 404);
      assert.equal((await postAsset(app, admin, { projectId: 'not-a-uuid' }, file)).statusCode, 400);
      const direct = await app.app.inject({
        method: 'POST',
        url: '/api/direct-uploads',
        headers: auth(editor),
        payload: { fileName: 'a.mov', size: 5, projectId: other },
      });
      assert.equal(direct.statusCode, 404, direct.body);
      const imported = await app.app.inject({
        method: 'POST',
        url: '/api/imports',
        headers: auth(editor),
        payload: { keys: ['nothing/there.mov'], projectId: other },
      });
      assert.equal(imported.statusCode, 404, imported.body);
      const viaAdmin = await postAsset(app, admin, { projectId: other }, file);
      assert.equal((viaAdmin.json() as { projectId: string }).projectId, other);
    });

    it('reviewers change and delete only their own markers; Auto QC markers only editors and admins', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const admin = await app.token();
      const editor = await addUser(app, 'editor');
      const reviewer = await addUser(app, 'reviewer');
      await addUser(app, 'reviewer', 'other');
      const other = await app.token('other');
      const assetId = await uploadAsset(app, admin);
      const mark = async (token: string, title: string) => {
        const res = await app.app.inject({
          method: 'POST',
          url: `/api/assets/${assetId}/markers`,
          headers: auth(token),
          payload: { start: { frame: 1 }, title },
        });
        assert.equal(res.statusCode, 201, res.body);
        return (res.json() as { id: string }).id;
      };
      const change = (token: string, markerId: string) =>
        app.app.inject({
          method: 'PATCH',
          url: `/api/assets/${assetId}/markers/${markerId}`,
          headers: auth(token),
          payload: { title: 'changed' },
        });
      const remove = (token: string, markerId: string) =>
        app.app.inject({
          method: 'DELETE',
          url: `/api/assets/${assetId}/markers/${markerId}`,
          headers: auth(token),
        });
      const own = await mark(reviewer, 'mine');
      const others = await mark(other, 'theirs');
      assert.equal((await change(reviewer, own)).statusCode, 200);
      assert.equal((await change(reviewer, others)).statusCode, 403);
      assert.equal((await remove(reviewer, others)).statusCode, 403);
      assert.equal((await change(editor, others)).statusCode, 200);
      assert.equal((await remove(reviewer, own)).statusCode, 204);
      const auto = await mark(admin, 'Loudness over target');
      await app.ctx.db.query(`UPDATE markers SET origin = 'auto-qc', author_id = NULL WHERE id = $1`, [auto]);
      const analysis = await mark(admin, 'Face');
      await app.ctx.db.query(`UPDATE markers SET origin = 'video-analysis:faces' WHERE id = $1`, [analysis]);
      for (const id of [auto, analysis]) {
        assert.equal((await change(reviewer, id)).statusCode, 403);
        assert.equal((await remove(reviewer, id)).statusCode, 403);
      }
      assert.equal((await change(editor, auto)).statusCode, 200);
      assert.equal((await remove(editor, auto)).statusCode, 204);
      assert.equal((await change(admin, analysis)).statusCode, 200);
    });

    it('admins create and rename projects and manage members; a member removed loses the assets at once', async (t) => {
      const app = await startApp(open);
      t.after(() => app.close());
      const admin = await app.token();
      const other = await addProject(app, 'Other');
      const dup = await app.app.inject({
        method: 'POST',
        url: '/api/projects',
        headers: auth(admin),
        payload: { name: 'other' },
      });
      assert.equal(dup.statusCode, 409, dup.body);
      const renamed = await app.app.inject({
        method: 'PATCH',
        url: `/api/projects/${other}`,
        headers: auth(admin),
        payload: { name: 'Film' },
      });
      assert.equal((renamed.json() as { name: string }).name, 'Film');
      const viewer = await addUser(app, 'viewer', 'vic', other);
      const me = await app.app.inject({ url: '/api/auth/me', headers: auth(viewer) });
      const vic = (me.json() as { id: string }).id;
      const mine = await app.app.inject({ url: '/api/projects', headers: auth(viewer) });
      assert.deepEqual(
        (mine.json() as { items: { name: string; role: string }[] }).items.map((p) => [p.name, p.role]),
        [['Film', 'viewer']],
      );
      const assetId = await uploadTo(app, admin, other, 'Film cut');
      assert.equal(
        (await app.app.inject({ url: `/api/assets/${assetId}`, headers: auth(viewer) })).statusCode,
        200,
      );
      await addMember(app, other, vic, 'editor');
      const members = await app.app.inject({ url: `/api/projects/${other}/members`, headers: auth(admin) });
      assert.deepEqual(
        (members.json() as { items: { username: string; role: string }[] }).items.map((m) => [
          m.username,
          m.role,
        ]),
        [['vic', 'editor']],
      );
      const patch = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${assetId}`,
        headers: auth(viewer),
        payload: { title: 'x' },
      });
      assert.equal(patch.statusCode, 200, 'the role in the project decides, not the account role');
      const adminAsMember = await app.app.inject({
        method: 'PUT',
        url: `/api/projects/${other}/members/${(await app.app.inject({ url: '/api/auth/me', headers: auth(admin) })).json<{ id: string }>().id}`,
        headers: auth(admin),
        payload: {},
      });
      assert.equal(adminAsMember.statusCode, 400, adminAsMember.body);
      const gone = await app.app.inject({
        method: 'DELETE',
        url: `/api/projects/${other}/members/${vic}`,
        headers: auth(admin),
      });
      assert.equal(gone.statusCode, 204);
      assert.equal(
        (await app.app.inject({ url: `/api/assets/${assetId}`, headers: auth(viewer) })).statusCode,
        404,
      );
      assert.equal(
        (
          await app.app.inject({
            method: 'DELETE',
            url: `/api/projects/${other}/members/${vic}`,
            headers: auth(admin),
          })
        ).statusCode,
        404,
      );
    });
  });
}
