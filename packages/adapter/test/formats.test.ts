import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type AssetWithShapes, type LiveEvent, type Marker, type Shape } from '@frameproof/core';
import { ApiError, FrameproofClient } from '@frameproof/client';
import { appFor, auth, DATABASES, runJob, type TestApp, technical, uploadAsset, addUser } from './helpers.js';
import { until } from '@frameproof/tests/until';

type Json = Record<string, unknown>;

/** An asset probed as 29.97 drop-frame starting at 01:00:00;00, with two markers. */
async function probedAsset(app: TestApp, token: string, title = 'Episode 12') {
  const id = await uploadAsset(app, token, title);
  await runJob(app, 'probe', { technical: technical({ frames: 108000, startTimecode: '01:00:00;00' }) });
  const res = await app.app.inject({
    method: 'POST',
    url: `/api/assets/${id}/markers/bulk`,
    headers: auth(token),
    payload: {
      markers: [
        {
          start: { frame: 1800 },
          end: { frame: 1829 },
          title: 'Dropout',
          group: 'Auto QC',
          severity: 'major',
          category: 'video',
        },
        { start: { timecode: '01:10:00;00' }, title: '=cmd|calc', description: 'a "quote", a comma' },
      ],
    },
  });
  assert.equal(res.statusCode, 201, res.body);
  return id;
}

async function markersOf(app: TestApp, token: string, id: string) {
  return (
    (await app.app.inject({ url: `/api/assets/${id}/markers`, headers: auth(token) })).json() as {
      items: Marker[];
    }
  ).items;
}

/** Events as the bus delivers them (through NOTIFY on PostgreSQL, so not at once). */
function recordEvents(app: TestApp) {
  const seen: LiveEvent[] = [];
  const stop = app.ctx.events.onEvent((e) => seen.push(e));
  return {
    seen,
    stop,
    async waitFor(match: (e: LiveEvent) => boolean): Promise<LiveEvent> {
      await until(() => seen.some(match), 'a matching event', { ms: 5000, everyMs: 20 }).catch(() =>
        assert.fail(`no matching event; saw ${JSON.stringify(seen)}`),
      );
      return seen.find(match) as LiveEvent;
    },
  };
}

const SRT =
  '1\r\n00:00:01,000 --> 00:00:02,500\r\nHello & <i>welcome</i>\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nBye\r\n';

for (const { name, open } of DATABASES) {
  describe(`marker export and import on ${name}`, () => {
    it('exports each format as a download with its type, drop-frame timecodes from the start', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const viewer = await addUser(app, 'viewer');
      const id = await probedAsset(app, token);
      const get = (query: string, as = viewer) =>
        app.app.inject({ url: `/api/assets/${id}/markers/export?${query}`, headers: auth(as) });

      const csv = await get('format=csv');
      assert.equal(csv.statusCode, 200, csv.body);
      assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8; header=present');
      assert.equal(csv.headers['content-disposition'], 'attachment; filename="Episode 12.csv"');
      const lines = csv.body.split('\r\n');
      assert.match(lines[1] as string, /^1800,1829,01:01:00;02,01:01:01;01,30,Dropout,,Auto QC,video,major,/);
      assert.match(
        lines[2] as string,
        /^17982,17982,01:10:00;00,01:10:00;00,1,'=cmd\|calc,"a ""quote"", a comma",Manual,/,
      );

      const json = await get('format=json');
      assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(json.headers['content-disposition'], 'attachment; filename="Episode 12.json"');
      const doc = json.json() as { qc: { decision: { status: string } }; markers: Json[] };
      assert.equal(doc.qc.decision.status, 'pending');
      assert.deepEqual(
        doc.markers.map((m) => [m.start, m.severity]),
        [
          [{ frame: 1800, timecode: '01:01:00;02' }, 'major'],
          [{ frame: 17982, timecode: '01:10:00;00' }, null],
        ],
      );

      const edl = await get('format=edl');
      assert.equal(edl.headers['content-disposition'], 'attachment; filename="Episode 12.edl"');
      assert.match(edl.body, /^TITLE: Episode 12\r\nFCM: DROP FRAME\r\n/);
      assert.match(edl.body, /001 {2}001 {6}V {5}C {8}01:01:00;02 01:01:01;02 01:01:00;02 01:01:01;02/);
      assert.match(edl.body, / \|C:ResolveColorPink \|M:Dropout \|D:30\r\n/);

      const avid = await get('format=avid');
      assert.equal(avid.headers['content-disposition'], 'attachment; filename="Episode 12.txt"');
      assert.equal(
        avid.body.split('\r\n')[1],
        'admin\t01:10:00;00\tV1\tred\t=cmd|calc - a "quote", a comma\t1',
      );

      const xml = await get('format=fcpxml');
      assert.equal(xml.headers['content-type'], 'application/xml; charset=utf-8');
      assert.match(xml.body, /<string>01:00:00;00<\/string>\s+<frame>107892<\/frame>\s+<displayformat>DF</);
      assert.match(xml.body, /<in>1800<\/in>\s+<out>1830<\/out>/);

      const group = await get('format=csv&group=Auto%20QC');
      assert.equal(group.body.split('\r\n').length, 3, group.body);

      const unknown = await get('format=xls');
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().field, 'format');
      const missing = await app.app.inject({
        url: '/api/assets/00000000-0000-4000-8000-000000000000/markers/export?format=csv',
        headers: auth(viewer),
      });
      assert.equal(missing.statusCode, 404);
      const anonymous = await app.app.inject({ url: `/api/assets/${id}/markers/export?format=csv` });
      assert.equal(anonymous.statusCode, 401);
    });

    it('a hostile title cannot break out of Content-Disposition', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await probedAsset(app, token);
      const patch = await app.app.inject({
        method: 'PATCH',
        url: `/api/assets/${id}`,
        headers: auth(token),
        payload: {
          title: "evil\"; filename*=UTF-8''x.exe\r\nSet-Cookie: a=b/../../<img src=x onerror=alert(1)>",
        },
      });
      assert.equal(patch.statusCode, 200, patch.body);
      const res = await app.app.inject({
        url: `/api/assets/${id}/markers/export?format=edl`,
        headers: auth(token),
      });
      assert.equal(res.statusCode, 200, res.body);
      const disposition = res.headers['content-disposition'] as string;
      assert.match(disposition, /^attachment; filename="[\w .-]+\.edl"$/);
      assert.equal(res.headers['set-cookie'], undefined);
      assert.ok(!res.body.split('\r\n')[0]?.includes('\n'));
    });

    it('before the probe, CSV and JSON export frames; the timecode formats answer 409', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers`,
        headers: auth(token),
        payload: { start: { frame: 3 }, title: 'early' },
      });
      const csv = await app.app.inject({
        url: `/api/assets/${id}/markers/export?format=csv`,
        headers: auth(token),
      });
      assert.equal(csv.statusCode, 200);
      assert.match(csv.body.split('\r\n')[1] as string, /^3,3,,,1,early,/);
      for (const format of ['edl', 'avid', 'fcpxml']) {
        const res = await app.app.inject({
          url: `/api/assets/${id}/markers/export?format=${format}`,
          headers: auth(token),
        });
        assert.equal(res.statusCode, 409, `${format}: ${res.body}`);
        assert.match(res.json().message, /probe/);
      }
    });

    it('imports CSV and JSON all or none, announces them, and a bad row changes nothing', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const reviewer = await addUser(app, 'reviewer');
      const viewer = await addUser(app, 'viewer');
      const source = await probedAsset(app, token, 'Source');
      const target = await probedAsset(app, token, 'Target');
      const before = await markersOf(app, token, target);
      const events = recordEvents(app);
      t.after(events.stop);
      const post = (payload: Json, as = reviewer, id = target) =>
        app.app.inject({
          method: 'POST',
          url: `/api/assets/${id}/markers/import`,
          headers: auth(as),
          payload,
        });

      // Round trip through the API: export one asset's markers, import them into another.
      for (const format of ['csv', 'json'] as const) {
        const exported = await app.app.inject({
          url: `/api/assets/${source}/markers/export?format=${format}`,
          headers: auth(token),
        });
        const res = await post({ format, text: exported.body });
        assert.equal(res.statusCode, 201, res.body);
        const items = (res.json() as { items: Marker[] }).items;
        assert.deepEqual(
          items.map((m) => [m.start, m.end, m.title, m.description, m.group, m.severity, m.author?.username]),
          (await markersOf(app, token, source)).map((m) => [
            m.start,
            m.end,
            m.title,
            m.description,
            m.group,
            m.severity,
            'reviewer',
          ]),
        );
      }
      // Imports create markers in bulk: one markers.created per import (never markers.replaced).
      await events.waitFor((e) => e.type === 'markers.created' && e.assetId === target);
      const afterImports = await markersOf(app, token, target);
      assert.equal(afterImports.length, before.length + 4);

      // By hand, timecodes only.
      const byHand = await post({ format: 'csv', text: 'title,start_timecode\r\nHand,01:00:01;00\r\n' });
      assert.equal(byHand.statusCode, 201, byHand.body);
      assert.equal((byHand.json() as { items: Marker[] }).items[0]?.start.frame, 30);
      await events.waitFor(
        (e) => e.type === 'markers.created' && e.assetId === target && e.data?.count === 1,
      );
      const count = (await markersOf(app, token, target)).length;

      const bad = await post({
        format: 'csv',
        text: 'start_frame,title,severity\r\n1,fine,info\r\nabc,broken,info\r\n',
      });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'row 3: start_frame: "abc" is not a frame number',
        field: 'text',
      });
      const late = await post({
        format: 'json',
        text: JSON.stringify([
          { start: { frame: 1 }, title: 'a' },
          { start: { frame: 999999 }, title: 'b' },
        ]),
      });
      assert.equal(late.statusCode, 400);
      assert.equal(
        late.json().message,
        'row 2: start: frame 999999 is past the end of the programme (108000 frames)',
      );
      const notJson = await post({ format: 'json', text: '{"markers": [' });
      assert.equal(notJson.statusCode, 400);
      assert.match(notJson.json().message, /^not valid JSON/);
      const wrongField = await post({ format: 'yaml', text: 'x' });
      assert.equal(wrongField.statusCode, 400);
      assert.equal(wrongField.json().field, 'format');
      const forbidden = await post({ format: 'csv', text: 'start_frame,title\r\n1,x\r\n' }, viewer);
      assert.equal(forbidden.statusCode, 403);
      const tooBig = await post({ format: 'csv', text: 'x'.repeat(8 * 1024 * 1024 + 1) });
      assert.equal(tooBig.statusCode, 400);
      assert.equal(tooBig.json().field, 'text');
      assert.equal((await markersOf(app, token, target)).length, count);
    });

    it('a timecode before the probe is refused with 409, naming the row', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const res = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/markers/import`,
        headers: auth(token),
        payload: { format: 'csv', text: 'title,start_timecode\r\nx,00:00:01:00\r\n' },
      });
      assert.equal(res.statusCode, 409);
      assert.match(res.json().message, /^row 2: start_timecode: .*probe/);
      assert.equal((await markersOf(app, token, id)).length, 0);
    });
  });

  describe(`subtitles on ${name}`, () => {
    it('attaches SRT as WebVTT under the asset, serves it as text/vtt, lists and removes it', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const editor = await addUser(app, 'editor');
      const reviewer = await addUser(app, 'reviewer');
      const id = await uploadAsset(app, token);
      const events = recordEvents(app);
      t.after(events.stop);
      const post = (payload: Json, as = editor) =>
        app.app.inject({ method: 'POST', url: `/api/assets/${id}/subtitles`, headers: auth(as), payload });

      const res = await post({ language: 'en-us', format: 'srt', text: SRT });
      assert.equal(res.statusCode, 201, res.body);
      const shape = res.json() as Shape;
      assert.equal(shape.type, 'subtitle');
      assert.equal(shape.label, 'en-US');
      assert.deepEqual(shape.metadata, { language: 'en-US', format: 'srt', cues: 2, source: 'upload' });
      const file = shape.files[0];
      assert.ok(file);
      assert.equal(file.mimeType, 'text/vtt');
      assert.equal(file.name, `${shape.id}.vtt`);
      const fileKey = (await app.ctx.assets.file(file.id))?.key ?? '';
      assert.equal(fileKey, `assets/${id}/subtitles/${shape.id}.vtt`);
      await events.waitFor((e) => e.type === 'asset.updated' && e.assetId === id);

      const served = await app.app.inject({ url: file.url.replace(/^https?:\/\/[^/]+/, '') });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['content-type'], 'text/vtt');
      assert.equal(
        served.body,
        'WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nHello &amp; <i>welcome</i>\n\n2\n00:00:03.000 --> 00:00:04.000\nBye\n',
      );

      const french = await post({
        language: 'fr',
        label: 'Français (SDH)',
        format: 'vtt',
        text: 'WEBVTT\n\n00:01.000 --> 00:02.000\nBonjour\n',
      });
      assert.equal(french.statusCode, 201, french.body);
      const second = await post({
        language: 'fr',
        format: 'vtt',
        text: 'WEBVTT\n\n00:01.000 --> 00:02.000\nSalut\n',
      });
      assert.equal(second.statusCode, 201, 'a language may have several files');

      const asset = (
        await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      assert.deepEqual(
        asset.shapes.filter((s) => s.type === 'subtitle').map((s) => s.label),
        ['en-US', 'Français (SDH)', 'fr'],
      );

      const del = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${id}/subtitles/${shape.id}`,
        headers: auth(editor),
      });
      assert.equal(del.statusCode, 204);
      const again = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${id}/subtitles/${shape.id}`,
        headers: auth(editor),
      });
      assert.equal(again.statusCode, 404);
      assert.equal(await app.storage.stat(fileKey), undefined);
      const original = asset.shapes.find((s) => s.type === 'original');
      const notSubtitle = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${id}/subtitles/${original?.id}`,
        headers: auth(editor),
      });
      assert.equal(notSubtitle.statusCode, 404, 'only subtitle shapes are removed here');

      const forbidden = await post({ language: 'en', format: 'srt', text: SRT }, reviewer);
      assert.equal(forbidden.statusCode, 403);
      const forbiddenDelete = await app.app.inject({
        method: 'DELETE',
        url: `/api/assets/${id}/subtitles/${french.json().id}`,
        headers: auth(reviewer),
      });
      assert.equal(forbiddenDelete.statusCode, 403);
    });

    it('gives the subtitle file a signed URL on the media origin when there is one', async (t) => {
      const app = await appFor(t, open, { mediaPublicUrl: 'https://media.example.com/' });
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const res = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/subtitles`,
        headers: auth(token),
        payload: { language: 'en', format: 'srt', text: SRT },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.match((res.json() as Shape).files[0]?.url ?? '', /^https:\/\/media\.example\.com\/api\/media\//);
    });

    it('keeps attached subtitles next to those the probe found in the source', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const attached = await app.app.inject({
        method: 'POST',
        url: `/api/assets/${id}/subtitles`,
        headers: auth(token),
        payload: { language: 'de', format: 'srt', text: SRT },
      });
      assert.equal(attached.statusCode, 201, attached.body);
      const ingested = (track: number) => ({
        type: 'subtitle',
        track,
        label: `Subtitles ${track}`,
        metadata: { format: 'mov_text', cues: 2, source: 'ingest', streamIndex: track },
        files: [{ key: `assets/${id}/probe/subtitles/${track}.vtt`, size: 10, mimeType: 'text/vtt' }],
      });
      await runJob(app, 'probe', {
        technical: {
          ...technical(),
          subtitles: [
            { index: 1, codec: 'mov_text' },
            { index: 2, codec: 'mov_text' },
          ],
        },
        shapes: [ingested(1), ingested(2)],
      });
      const asset = (
        await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      assert.deepEqual(
        asset.shapes
          .filter((s) => s.type === 'subtitle')
          .map((s) => [s.label, s.track, s.files[0]?.mimeType])
          .sort(),
        [
          ['Subtitles 1', 1, 'text/vtt'],
          ['Subtitles 2', 2, 'text/vtt'],
          ['de', null, 'text/vtt'],
        ],
      );
    });

    it('refuses a malformed file naming its line, and a bad language, storing nothing', async (t) => {
      const app = await appFor(t, open);
      const token = await app.token();
      const id = await uploadAsset(app, token);
      const post = (payload: Json) =>
        app.app.inject({ method: 'POST', url: `/api/assets/${id}/subtitles`, headers: auth(token), payload });

      const broken = await post({
        language: 'en',
        format: 'srt',
        text: '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:0x,000\nbad\n',
      });
      assert.equal(broken.statusCode, 400);
      assert.deepEqual(broken.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'line 6: cue end timestamp `00:00:0x.000` is invalid',
        field: 'text',
      });
      const noHeader = await post({ language: 'en', format: 'vtt', text: SRT });
      assert.equal(noHeader.statusCode, 400);
      assert.match(noHeader.json().message, /^line 1: /);
      const language = await post({ language: 'english!', format: 'srt', text: SRT });
      assert.equal(language.statusCode, 400);
      assert.equal(language.json().field, 'language');
      const badTag = await post({ language: 'en-a', format: 'srt', text: SRT });
      assert.equal(badTag.statusCode, 400, badTag.body);
      assert.equal(badTag.json().field, 'language');
      const missing = await app.app.inject({
        method: 'POST',
        url: '/api/assets/00000000-0000-4000-8000-000000000000/subtitles',
        headers: auth(token),
        payload: { language: 'en', format: 'srt', text: SRT },
      });
      assert.equal(missing.statusCode, 404);

      const asset = (
        await app.app.inject({ url: `/api/assets/${id}`, headers: auth(token) })
      ).json() as AssetWithShapes;
      assert.deepEqual(
        asset.shapes.map((s) => s.type),
        ['original'],
      );
      const stored = await readdir(join(app.dir, 'media', 'assets', id), { recursive: true });
      assert.ok(!stored.some((f) => String(f).includes('subtitles')), `stored: ${stored.join(', ')}`);
    });
  });
}

describe('the typed client reaches export, import and subtitles', () => {
  it('exports with the file name, imports, attaches and removes subtitles, and reports a 400', async (t) => {
    const { open } = DATABASES[0] as (typeof DATABASES)[number];
    const app = await appFor(t, open);
    const token = await app.token();
    const id = await probedAsset(app, token);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const client = new FrameproofClient(
      `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`,
      token,
    );
    const file = await client.exportMarkers(id, { format: 'json', group: 'Auto QC' });
    assert.equal(file.fileName, 'Episode 12.json');
    assert.equal(file.contentType, 'application/json; charset=utf-8');
    const { items } = await client.importMarkers(id, { format: 'json', text: file.text });
    assert.deepEqual(
      items.map((m) => [m.start.frame, m.title]),
      [[1800, 'Dropout']],
    );
    await assert.rejects(
      client.importMarkers(id, { format: 'csv', text: 'start_frame,title\r\n-1,x\r\n' }),
      (err: unknown) =>
        err instanceof ApiError &&
        err.status === 400 &&
        err.body?.message === 'row 2: start_frame: "-1" is not a frame number',
    );
    const shape = await client.attachSubtitles(id, { language: 'en', format: 'srt', text: SRT });
    assert.equal(shape.files[0]?.mimeType, 'text/vtt');
    await client.deleteSubtitles(id, shape.id);
    await assert.rejects(
      client.exportMarkers(id, { format: 'edl', group: 'x'.repeat(101) }),
      (err: unknown) => {
        return err instanceof ApiError && err.status === 400 && err.body?.field === 'group';
      },
    );
  });
});
