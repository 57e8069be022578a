import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Marker } from '@frameproof/core';
import { appFor, auth, DATABASES, runJob, technical, uploadAsset } from './helpers.js';

type Json = Record<string, unknown>;

for (const { name, open } of DATABASES) {
  describe(`markers on ${name}`, () => {
    it('adds markers by frame and by drop-frame timecode, and returns both', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ frames: 108000, startTimecode: '01:00:00;00' }) });
      const post = (payload: Json) =>
        app.app.inject({ method: 'POST', url: `/api/assets/${id}/markers`, headers: auth(token), payload });

      const byFrame = await post({
        start: { frame: 1800 },
        end: { frame: 1829 },
        title: 'Dropout',
        severity: 'major',
        category: 'video',
        confidence: 87.5,
      });
      assert.equal(byFrame.statusCode, 201, byFrame.body);
      const m1 = byFrame.json() as Marker;
      assert.equal(m1.confidence, 87.5);
      for (const confidence of [-1, 100.5, 'high']) {
        const bad = await post({ start: { frame: 1 }, title: 'x', confidence });
        assert.equal(bad.statusCode, 400, bad.body);
        assert.equal(bad.json().field, 'confidence');
      }
      assert.deepEqual(m1.start, { frame: 1800, timecode: '01:01:00;02' });
      assert.deepEqual(m1.end, { frame: 1829, timecode: '01:01:01;01' });
      assert.equal(m1.group, 'Manual');
      assert.equal(m1.author?.username, 'admin');

      const byTimecode = await post({
        start: { timecode: '01:10:00;00' },
        title: 'Ten minutes',
        group: 'Review',
      });
      assert.equal(byTimecode.statusCode, 201, byTimecode.body);
      assert.deepEqual((byTimecode.json() as Marker).start, { frame: 17982, timecode: '01:10:00;00' });

      const skipped = await post({ start: { timecode: '01:01:00;00' }, title: 'Not a DF label' });
      assert.equal(skipped.statusCode, 400);
      assert.equal(skipped.json().field, 'start');

      const list = (
        await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) })
      ).json() as { items: Marker[] };
      assert.deepEqual(
        list.items.map((m) => m.start.frame),
        [1800, 17982],
      );
      const windowed = (
        await app.app.inject({ url: `/api/assets/${id}/markers?from=1820&to=2000`, headers: auth(token) })
      ).json() as { items: Marker[] };
      assert.deepEqual(
        windowed.items.map((m) => m.title),
        ['Dropout'],
      );
      const group = (
        await app.app.inject({ url: `/api/assets/${id}/markers?group=Review`, headers: auth(token) })
      ).json() as { items: Marker[] };
      assert.deepEqual(
        group.items.map((m) => m.title),
        ['Ten minutes'],
      );
    });

    it('refuses a timecode with 409 until the probe has run, and takes frames meanwhile', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const tc = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload: { start: { timecode: '00:00:01:00' }, title: 'x' },
      });
      assert.equal(tc.statusCode, 409);
      assert.match(tc.json().message, /probe/);
      const frame = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload: { start: { frame: 10 }, title: 'x' },
      });
      assert.equal(frame.statusCode, 201);
      assert.deepEqual((frame.json() as Marker).start, { frame: 10, timecode: null });
    });

    it('answers bad markers with 400 naming the field, and changes nothing', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ rate: [25, 1], frames: 250 }) });
      const cases: [Json | string, string][] = [
        [{ start: { frame: -1 }, title: 'x' }, 'start.frame'],
        [{ start: { frame: 250 }, title: 'x' }, 'start'],
        [{ start: { frame: 20 }, end: { frame: 10 }, title: 'x' }, 'end'],
        [{ start: { frame: '5' }, title: 'x' }, 'start.frame'],
        [{ start: { frame: 5 } }, 'title'],
        [{ start: { frame: 5 }, title: 'x', colour: '#fff' }, 'colour'],
        [{ start: { frame: 5 }, title: 'x', color: 'red' }, 'color'],
        [{ start: { frame: 5 }, title: 'x', severity: 'apocalyptic' }, 'severity'],
        [{ start: { timecode: '00:00:01;00' }, title: 'x' }, 'start'],
        [{ start: { timecode: '00:00:01:25' }, title: 'x' }, 'start'],
      ];
      for (const [payload, field] of cases) {
        const res = await app.app.inject({
          method: 'POST',
          url: `/api/assets/${id}/markers`,
          headers: auth(token),
          payload,
        });
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
        assert.equal(res.json().field, field, JSON.stringify(payload));
      }
      const malformed = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: { ...auth(token), 'content-type': 'application/json' },
        payload: '{"start": {"frame": 1',
      });
      assert.equal(malformed.statusCode, 400);
      assert.equal(typeof malformed.json().message, 'string');
      const unknown = await app.app.inject({
        method: 'POST',
        url: `/api/assets/00000000-0000-4000-8000-000000000000/markers`,
        headers: auth(token),
        payload: { start: { frame: 1 }, title: 'x' },
      });
      assert.equal(unknown.statusCode, 404);
      const list = (
        await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) })
      ).json() as { items: Marker[] };
      assert.equal(list.items.length, 0);
    });

    it('creates markers in bulk, all or none', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ rate: [25, 1], frames: 25 * 3600 }) });
      const markers = Array.from({ length: 2500 }, (_, i) => ({
        start: { frame: i * 10 },
        end: { frame: i * 10 + 5 },
        title: `m${i}`,
      }));
      const ok = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers/bulk`,
        headers: auth(token),
        payload: { markers },
      });
      assert.equal(ok.statusCode, 201, ok.body.slice(0, 300));
      const created = (ok.json() as { items: Marker[] }).items;
      assert.equal(created.length, 2500);
      assert.deepEqual(
        created.slice(0, 3).map((m) => m.title),
        ['m0', 'm1', 'm2'],
      );

      const bad = [...markers.slice(0, 3), { start: { frame: 25 * 3600 }, title: 'past the end' }];
      const refused = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers/bulk`,
        headers: auth(token),
        payload: { markers: bad },
      });
      assert.equal(refused.statusCode, 400);
      assert.equal(refused.json().field, 'markers/3/start');
      const list = (
        await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) })
      ).json() as { items: Marker[] };
      assert.equal(list.items.length, 2500);
    });

    it('updates and deletes markers, and keeps comments on them', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await runJob(app, 'probe', { technical: technical({ rate: [25, 1], frames: 1000 }) });
      const m = (
        await app.app.inject({
          method: 'POST',
          url: `/api/assets/${id}/markers`,
          headers: auth(token),
          payload: { start: { frame: 100 }, title: 'Flash' },
        })
      ).json() as Marker;
      const patched = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${id}/markers/${m.id}`,
        headers: auth(token),
        payload: { end: { timecode: '00:00:04:10' }, color: '#ff0000', confidence: 42 },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal((patched.json() as Marker).confidence, 42);
      assert.equal(m.confidence, null);
      assert.deepEqual((patched.json() as Marker).end, { frame: 110, timecode: '00:00:04:10' });
      const backwards = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${id}/markers/${m.id}`,
        headers: auth(token),
        payload: { start: { frame: 200 } },
      });
      assert.equal(backwards.statusCode, 400);

      const comment = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers/${m.id}/comments`,
        headers: auth(token),
        payload: { body: 'Fixed in v2?' },
      });
      assert.equal(comment.statusCode, 201);
      const comments = (
        await app.app.inject({ url: `/api/assets/${id}/markers/${m.id}/comments`, headers: auth(token) })
      ).json() as { items: { body: string; author: { username: string } }[] };
      assert.deepEqual(
        comments.items.map((c) => [c.body, c.author.username]),
        [['Fixed in v2?', 'admin']],
      );

      assert.equal(
        (
          await app.app.inject({
            method: 'DELETE',
            url: `/api/assets/${id}/markers/${m.id}`,
            headers: auth(token),
          })
        ).statusCode,
        204,
      );
      assert.equal(
        (await app.app.inject({ url: `/api/assets/${id}/markers/${m.id}/comments`, headers: auth(token) }))
          .statusCode,
        404,
      );
    });
  });
}
