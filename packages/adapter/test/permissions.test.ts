import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { can, type Permission, PERSON_ROLES, type Role } from '@frameproof/core';
import { auth, DATABASES, RUNNER, startApp, uploadAsset, addUser } from './helpers.js';

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
    for (const route of ROUTES) {
      if (route.permission === 'public') continue;
      const url = route.url
        .replace(':id', assetId)
        .replace(':markerId', ID)
        .replace(':shapeId', ID)
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
