import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DATABASES,
  RUNNER,
  addUser,
  auth,
  runJob,
  startApp,
  technical,
  uploadAsset,
  type TestApp,
} from './helpers.js';

// The standing suite for the API: generated path parameters, queries, bodies and credentials,
// sent to every route the OpenAPI document lists, as every role. Whatever comes in, the answer
// is never a 5xx, and every 4xx carries the JSON error body the API promises.

interface Operation {
  parameters?: { in: 'path' | 'query' | 'header'; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}
type Paths = Record<string, Record<string, Operation>>;

const RUNS_PER_ROUTE = Number(process.env.STANDING_RUNS ?? 25);

for (const { name, open } of DATABASES) {
  describe(`every route, as every role, with generated input, on ${name}`, () => {
    let app: TestApp;
    let tokens: Record<string, string | undefined>;
    let ids: string[];
    before(async () => {
      app = await startApp(open);
      const admin = await app.token();
      // Members of the project the assets are in, and a person of no project.
      for (const role of ['editor', 'reviewer', 'viewer']) await addUser(app, role);
      tokens = {
        admin,
        editor: await app.token('editor'),
        reviewer: await app.token('reviewer'),
        viewer: await app.token('viewer'),
        outsider: await addUser(app, 'editor', 'outsider', null),
        service: await app.token(RUNNER.username),
        anonymous: undefined,
        forged: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      };
      // Real ids too, so that generated requests reach past the 404s.
      const asset = await uploadAsset(app, admin, 'Fuzzed');
      const probe = await runJob(app, 'probe', { technical: technical() });
      const marker = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${asset}/markers`,
        headers: auth(admin),
        payload: { start: { frame: 10 }, title: 'x' },
      });
      const projects = await app.app.inject({ url: '/api/projects', headers: auth(admin) });
      const project = (projects.json() as { items: { id: string }[] }).items[0]?.id ?? '';
      const users = await app.app.inject({ url: '/api/users', headers: auth(admin) });
      const user = (users.json() as { items: { id: string; username: string }[] }).items.find(
        (u) => u.username === 'reviewer',
      );
      ids = [asset, probe.id, (marker.json() as { id: string }).id, project, user?.id ?? ''];
    });
    after(() => app.close());

    it('never answers 5xx, and every 4xx has the JSON error body', async () => {
      await app.app.ready();
      const paths = (app.app.swagger() as { paths: Paths }).paths;
      const routes = Object.entries(paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
      );
      assert.ok(routes.length >= 30, `the OpenAPI document lists ${routes.length} routes`);
      const value = fc.oneof(
        fc.constantFrom(...ids),
        fc.uuid(),
        fc.string(),
        fc.integer().map(String),
        fc.constantFrom('', '..', '%00', '../../etc/passwd', '1e309', '-1', 'true', '<img src=x onerror=1>'),
      );
      const failures: string[] = [];
      for (const { path, method, op } of routes) {
        const names = (where: string) =>
          (op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name);
        const properties = Object.keys(
          op.requestBody?.content?.['application/json']?.schema?.properties ?? {},
        );
        const body = fc.oneof(
          fc.jsonValue(),
          properties.length
            ? fc.dictionary(fc.constantFrom(...properties), fc.oneof(fc.jsonValue(), value))
            : fc.object(),
        );
        const query = names('query').length
          ? fc.dictionary(fc.constantFrom(...names('query')), value)
          : fc.constant({});
        const params = fc.tuple(...names('path').map(() => value));
        await fc
          .assert(
            fc.asyncProperty(
              fc.constantFrom(...Object.keys(tokens)),
              params,
              query,
              body,
              async (role, values, q, payload) => {
                let url = path;
                names('path').forEach(
                  (n, i) => (url = url.replace(`{${n}}`, encodeURIComponent(values[i] ?? ''))),
                );
                const search = new URLSearchParams(q as Record<string, string>).toString();
                const token = tokens[role];
                const res = await app.app.inject({
                  method: method as 'GET',
                  url: search ? `${url}?${search}` : url,
                  headers: token ? auth(token) : {},
                  ...(method === 'GET' || method === 'DELETE' ? {} : { payload: payload as object }),
                });
                const where = `${method} ${url}${search ? `?${search}` : ''} as ${role}: ${res.statusCode} ${res.body.slice(0, 300)}`;
                if (res.statusCode >= 500) {
                  failures.push(where);
                  return false;
                }
                if (res.statusCode >= 400) {
                  const error = res.json() as { statusCode?: unknown; message?: unknown };
                  if (error.statusCode !== res.statusCode || typeof error.message !== 'string') {
                    failures.push(`no error body: ${where}`);
                    return false;
                  }
                }
                return true;
              },
            ),
            { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
          )
          // A property that throws (a 4xx whose body is not JSON, say) fails the suite too.
          .catch((err: unknown) => failures.push(`${method} ${path}: ${String(err).split('\n')[0]}`));
      }
      assert.deepEqual(failures, []);
    });
  });
}
