import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Asset, AssetPage, AssetWithShapes } from '@frameproof/core';
import { appFor, auth, DATABASES, filesUnder, multipart, postAsset, type TestApp } from './helpers.js';

function upload(
  t: TestApp,
  token: string,
  title?: string,
  name = 'clip.mov',
  data = Buffer.from('not really a movie'),
) {
  return postAsset(t, token, title === undefined ? {} : { title }, { name, type: 'video/quicktime', data });
}

for (const { name, open } of DATABASES) {
  describe(`assets on ${name}`, () => {
    it('uploads a file in one request: the asset, its original shape and the probe job', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const res = await upload(app, token, 'Episode 1', 'ep 1; rm -rf $(x).mov');
      assert.equal(res.statusCode, 201, res.body);
      const asset = res.json() as Asset;
      assert.equal(asset.title, 'Episode 1');
      assert.equal(asset.status, 'ingesting');
      assert.equal(asset.qc.status, 'pending');

      const got = (
        await app.app.inject({ url: `/api/assets/${asset.id}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      const original = got.shapes.find((s) => s.type === 'original');
      assert.ok(original);
      const file = original.files[0];
      assert.ok(file);
      assert.equal(file.size, 'not really a movie'.length);
      assert.equal(file.name, 'ep_1_rm_-rf_x_.mov');
      assert.equal(Object.hasOwn(file, 'key'), false, 'no storage key reaches the client');
      const stored = await app.ctx.assets.file(file.id);
      assert.match(stored?.key ?? '', /^assets\/[0-9a-f-]+\/original\/ep_1_rm_-rf_x_.mov$/);
      assert.match(file.url, /^http:\/\/localhost(:\d+)?\/api\/media\//);

      // Signed URLs take their origin from X-Forwarded-* only when a trusted hop (loopback, the
      // gateway, by default) sends them; from anyone else the headers are ignored.
      const forwarded = {
        host: 'review.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      };
      const originalUrl = async (remoteAddress: string) => {
        const res = await app.app.inject({
          url: `/api/assets/${asset.id}`,
          headers: { ...auth(token), ...forwarded },
          remoteAddress,
        });
        return (res.json() as AssetWithShapes).shapes.find((s) => s.type === 'original')?.files[0]?.url;
      };
      assert.match((await originalUrl('203.0.113.9')) ?? '', /^http:\/\/review\.example\/api\/media\//);
      assert.match((await originalUrl('127.0.0.1')) ?? '', /^https:\/\/evil\.example\/api\/media\//);
      // MEDIA_PUBLIC_URL puts media on an origin of its own, away from the app's cookies and pages.
      app.ctx.config.mediaPublicUrl = 'https://media.review.example';
      assert.match(
        (await originalUrl('203.0.113.9')) ?? '',
        /^https:\/\/media\.review\.example\/api\/media\//,
      );
      app.ctx.config.mediaPublicUrl = undefined;

      const jobs = (
        await app.app.inject({ url: `/api/jobs?assetId=${asset.id}`, headers: auth(token) })
      ).json() as { items: { type: string; status: string }[] };
      assert.deepEqual(
        jobs.items.map((j) => [j.type, j.status]),
        [['probe', 'queued']],
      );
    });

    it('takes the title from the file name when none is given', async (t) => {
      const app = await appFor(t, open);
      const res = await upload(app, await app.token(), undefined, 'Interview_final.mxf');
      assert.equal((res.json() as Asset).title, 'Interview_final');
    });

    it('refuses uploads over the limit with 413 and leaves nothing behind', async (t) => {
      const app = await appFor(t, open, { uploadMaxBytes: 1000 });
      const token = await app.token();
      const res = await upload(app, token, 'big', 'big.mov', Buffer.alloc(5000, 1));
      assert.equal(res.statusCode, 413, res.body);
      const list = (await app.app.inject({ url: '/api/assets', headers: auth(token) })).json() as AssetPage;
      assert.equal(list.items.length, 0);
      assert.deepEqual(await filesUnder(join(app.dir, 'media', 'assets')), []);
    });

    it('answers bad uploads with 4xx and no asset', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const json = await app.app.inject({
        method: 'POST',
        url: '/api/assets',
        headers: auth(token),
        payload: { title: 'x' },
      });
      assert.equal(json.statusCode, 415);
      const noFile = multipart({ title: 'x' });
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/assets',
        headers: { ...noFile.headers, ...auth(token) },
        payload: noFile.payload,
      });
      assert.equal(res.statusCode, 400);
      const list = (await app.app.inject({ url: '/api/assets', headers: auth(token) })).json() as AssetPage;
      assert.equal(list.items.length, 0);
    });

    it('serves an uploaded page as a sandboxed download, never as a page on our origin', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const res = await postAsset(
        app,
        token,
        { title: 'Not a movie' },
        { name: 'x.html', type: 'text/html', data: Buffer.from('<script>alert(document.cookie)</script>') },
      );
      assert.equal(res.statusCode, 201, res.body);
      const asset = (
        await app.app.inject({ url: `/api/assets/${(res.json() as Asset).id}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      const file = asset.shapes.find((s) => s.type === 'original')?.files[0];
      assert.ok(file);
      assert.equal(file.mimeType, 'application/octet-stream');
      const served = await app.app.inject({ url: new URL(file.url).pathname + new URL(file.url).search });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['content-type'], 'application/octet-stream');
      assert.match(String(served.headers['content-disposition']), /^attachment; filename="x\.html"$/);
      assert.equal(served.headers['x-content-type-options'], 'nosniff');
      assert.equal(served.headers['content-security-policy'], "default-src 'none'; sandbox");
    });

    it('lists with cursor pagination, sorting, filters and full-text search', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const titles = [
        'Alpha interview',
        'Bravo promo',
        'Charlie interview final',
        'Delta trailer',
        'Echo interview',
      ];
      for (const title of titles) assert.equal((await upload(app, token, title)).statusCode, 201);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : '';
        const page = (
          await app.app.inject({ url: `/api/assets?limit=2&sort=title&order=asc${q}`, headers: auth(token) })
        ).json() as AssetPage;
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((a) => a.title));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...titles].sort());

      const newest = (
        await app.app.inject({ url: '/api/assets?limit=10', headers: auth(token) })
      ).json() as AssetPage;
      assert.deepEqual(
        newest.items.map((a) => a.title),
        [...titles].reverse(),
      );

      // Created since an instant: that asset and the ones after it, and the filter pages too.
      const third = newest.items[2] as Asset;
      const since = (query: string) =>
        app.app.inject({
          url: `/api/assets?createdSince=${encodeURIComponent(third.createdAt)}${query}`,
          headers: auth(token),
        });
      const expected = newest.items.filter((a) => a.createdAt >= third.createdAt).map((a) => a.title);
      assert.ok(expected.length >= 3 && expected.length < titles.length);
      assert.deepEqual(
        ((await since('')).json() as AssetPage).items.map((a) => a.title),
        expected,
      );
      const firstOfTwo = (await since('&limit=2&sort=title&order=asc')).json() as AssetPage;
      assert.ok(firstOfTwo.nextCursor);
      const secondOfTwo = (
        await since(`&limit=2&sort=title&order=asc&cursor=${firstOfTwo.nextCursor}`)
      ).json() as AssetPage;
      assert.deepEqual(
        [...firstOfTwo.items, ...secondOfTwo.items].map((a) => a.title),
        [...expected].sort(),
      );
      const later = new Date(Date.parse(newest.items[0]?.createdAt ?? '') + 1000).toISOString();
      assert.equal(
        (
          (
            await app.app.inject({ url: `/api/assets?createdSince=${later}`, headers: auth(token) })
          ).json() as AssetPage
        ).items.length,
        0,
      );
      for (const value of ['yesterday', '2026-12-01', '2026-12-01T10:00:00']) {
        const res = await app.app.inject({
          url: `/api/assets?createdSince=${encodeURIComponent(value)}`,
          headers: auth(token),
        });
        assert.equal(res.statusCode, 400, `${value}: ${res.body}`);
        assert.equal(res.json().field, 'createdSince', value);
      }

      const found = (
        await app.app.inject({ url: '/api/assets?q=interv&sort=title&order=asc', headers: auth(token) })
      ).json() as AssetPage;
      assert.deepEqual(
        found.items.map((a) => a.title),
        ['Alpha interview', 'Charlie interview final', 'Echo interview'],
      );
      const both = (
        await app.app.inject({ url: '/api/assets?q=interview%20fin', headers: auth(token) })
      ).json() as AssetPage;
      assert.deepEqual(
        both.items.map((a) => a.title),
        ['Charlie interview final'],
      );

      const none = (
        await app.app.inject({ url: '/api/assets?status=ready', headers: auth(token) })
      ).json() as AssetPage;
      assert.equal(none.items.length, 0);
      const bad = await app.app.inject({ url: '/api/assets?cursor=garbage', headers: auth(token) });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().field, 'cursor');
      // Tampered cursors: well-formed JSON whose values are not what the sort needs, or a cursor
      // from another sort. Each is 400 naming the cursor, never a database error.
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const firstTitlePage = (
        await app.app.inject({ url: '/api/assets?limit=1&sort=title', headers: auth(token) })
      ).json() as AssetPage;
      for (const [url, why] of [
        [`/api/assets?cursor=${forged(['not a time', '00000000-0000-4000-8000-000000000000'])}`, 'time'],
        [`/api/assets?cursor=${forged(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])}`, 'id'],
        [`/api/assets?cursor=${forged([1, 2, 3])}`, 'shape'],
        [`/api/assets?sort=createdAt&cursor=${firstTitlePage.nextCursor}`, 'other sort'],
      ] as const) {
        const res = await app.app.inject({ url, headers: auth(token) });
        assert.equal(res.statusCode, 400, `${why}: ${res.body}`);
        assert.equal(res.json().field, 'cursor');
      }
      const badSort = await app.app.inject({ url: '/api/assets?sort=size', headers: auth(token) });
      assert.equal(badSort.statusCode, 400);
      assert.equal(badSort.json().field, 'sort');
    });

    it('updates title and metadata, which search then finds', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const { id } = (await upload(app, token, 'Untitled')).json() as Asset;
      const res = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${id}`,
        headers: auth(token),
        payload: { title: 'Nightly news', metadata: { programme: 'News at Ten', episode: 42 } },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual((res.json() as Asset).metadata, { programme: 'News at Ten', episode: 42 });
      const page = (
        await app.app.inject({ url: '/api/assets?q=ten', headers: auth(token) })
      ).json() as AssetPage;
      assert.deepEqual(
        page.items.map((a) => a.id),
        [id],
      );
      const empty = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${id}`,
        headers: auth(token),
        payload: {},
      });
      assert.equal(empty.statusCode, 400);
      const wrongType = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${id}`,
        headers: auth(token),
        payload: { title: 5 },
      });
      assert.equal(wrongType.statusCode, 400);
      assert.equal(wrongType.json().field, 'title');
    });

    it('records QC decisions with who and why, and insists on a reason to reject', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const { id } = (await upload(app, token, 'QC me')).json() as Asset;
      const noReason = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/qc`,
        headers: auth(token),
        payload: { status: 'rejected' },
      });
      assert.equal(noReason.statusCode, 400);
      const res = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/qc`,
        headers: auth(token),
        payload: { status: 'rejected', reason: 'Audio drops at 00:12:03:10' },
      });
      assert.equal(res.statusCode, 200);
      const asset = res.json() as Asset;
      assert.equal(asset.qc.status, 'rejected');
      assert.equal(asset.qc.by?.username, 'admin');
      assert.equal(asset.qc.reason, 'Audio drops at 00:12:03:10');
      assert.ok(asset.qc.at);
    });

    it('hard-deletes an asset with its files, and answers 404 for unknown ids', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const { id } = (await upload(app, token, 'Delete me')).json() as Asset;
      assert.equal((await filesUnder(join(app.dir, 'media', 'assets', id))).length, 1);
      assert.equal(
        (
          await app.app.inject({
            method: 'DELETE',
            url: `/api/assets/${id}?hard=true`,
            headers: auth(token),
          })
        ).statusCode,
        204,
      );
      assert.deepEqual(await filesUnder(join(app.dir, 'media', 'assets', id)), []);
      assert.equal(
        (await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })).statusCode,
        404,
      );
      assert.equal(
        (await app.app.inject({ method: 'DELETE', url: `/api/assets/${id}`, headers: auth(token) }))
          .statusCode,
        404,
      );
      const notUuid = await app.app.inject({ url: '/api/assets/nope', headers: auth(token) });
      assert.equal(notUuid.statusCode, 400);
      assert.equal(notUuid.json().field, 'id');
    });

    it('serves files through signed URLs with Range, and refuses tampered or expired ones', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const data = Buffer.from('0123456789abcdefghij');
      const { id } = (await upload(app, token, 'Media', 'm.mov', data)).json() as Asset;
      const asset = (
        await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      const url = new URL(asset.shapes[0]?.files[0]?.url ?? '');
      const path = url.pathname + url.search;
      const whole = await app.app.inject({ url: path });
      assert.equal(whole.statusCode, 200);
      assert.equal(whole.body, data.toString());
      assert.equal(whole.headers['accept-ranges'], 'bytes');
      const part = await app.app.inject({ url: path, headers: { range: 'bytes=5-9' } });
      assert.equal(part.statusCode, 206);
      assert.equal(part.body, '56789');
      assert.equal(part.headers['content-range'], 'bytes 5-9/20');
      // One character of the signature changed (to another one: a signature may start with X).
      const tampered = await app.app.inject({
        url: path.replace(/signature=(.)/, (_, c: string) => `signature=${c === 'X' ? 'Y' : 'X'}`),
      });
      assert.equal(tampered.statusCode, 403);
      const expires = Number(url.searchParams.get('expires'));
      const expired = await app.app.inject({
        url: path.replace(`expires=${expires}`, `expires=${expires - 100000}`),
      });
      assert.equal(expired.statusCode, 403);
    });
  });
}
