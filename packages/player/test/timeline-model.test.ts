import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clampViewport,
  dragMarker,
  fitViewport,
  frameToX,
  hitTest,
  LANE_HEIGHT,
  layoutMarkers,
  layoutRows,
  MAX_PIXELS_PER_FRAME,
  MAX_VISIBLE_LANES,
  markerColor,
  rulerTicks,
  scrollBy,
  tickFrames,
  visibleFrames,
  visibleInLane,
  xToFrame,
  zoomAt,
} from '../src/timeline-model.js';
import type { PlayerMarker } from '../src/types.js';

const m = (id: string, start: number, end: number, group = 'Manual', editable = true): PlayerMarker => ({
  id,
  start,
  end,
  title: id,
  group,
  editable,
});

test('pixel to frame and back at every zoom from the whole programme to single frames', () => {
  const duration = 90_000;
  let v = fitViewport(1000, duration);
  assert.equal(xToFrame(0, v, duration), 0);
  assert.equal(xToFrame(999.999, v, duration), duration - 1);
  for (let i = 0; i < 40; i++) {
    for (const start of [0, 1234.5, duration / 2]) {
      const w = clampViewport({ ...v, start }, duration);
      const { first, last } = visibleFrames(w, duration);
      for (let f = first; f <= last; f += Math.max(1, Math.floor((last - first) / 50))) {
        const x0 = frameToX(f, w);
        const x1 = frameToX(f + 1, w);
        // Any pixel inside a frame's cell maps to that frame.
        if (x0 >= 0 && x1 <= w.width) {
          assert.equal(xToFrame(x0, w, duration), f);
          assert.equal(xToFrame((x0 + x1) / 2, w, duration), f);
          assert.equal(xToFrame(x1 - 1e-6 * (x1 - x0), w, duration), f);
        }
      }
    }
    v = zoomAt(v, 1.5, 500, duration);
  }
  assert.equal(v.pixelsPerFrame, MAX_PIXELS_PER_FRAME);
  // Pixels outside the programme clamp to its first and last frame.
  assert.equal(xToFrame(-50, fitViewport(1000, duration), duration), 0);
  assert.equal(xToFrame(5000, fitViewport(1000, duration), duration), duration - 1);
});

test('zoom keeps the frame under the pointer in place; scroll stays inside the programme', () => {
  const duration = 10_000;
  const v = fitViewport(1000, duration);
  const anchor = 333;
  const before = v.start + anchor / v.pixelsPerFrame;
  const z = zoomAt(v, 8, anchor, duration);
  assert.ok(Math.abs(z.start + anchor / z.pixelsPerFrame - before) < 1e-9);
  const out = zoomAt(z, 1 / 1000, anchor, duration);
  assert.deepEqual(out, fitViewport(1000, duration));
  assert.equal(scrollBy(z, -1e9, duration).start, 0);
  const end = scrollBy(z, 1e9, duration);
  assert.ok(Math.abs(end.start + end.width / end.pixelsPerFrame - duration) < 1e-6);
});

test('ruler ticks: labels apart, frame ticks only at deep zoom', () => {
  const deep = rulerTicks(MAX_PIXELS_PER_FRAME, 25);
  assert.equal(deep.frameTicks, true);
  assert.equal(deep.major, 2);
  const whole = rulerTicks(1000 / 90_000, 25);
  assert.equal(whole.frameTicks, false);
  assert.ok(whole.major * (1000 / 90_000) >= 96);
  assert.equal(whole.major % 25, 0);
  assert.deepEqual(tickFrames(3, 31, 10), [10, 20, 30]);
  for (let ppf = 0.001; ppf <= 64; ppf *= 1.7) {
    const t = rulerTicks(ppf, 30);
    assert.ok(t.major * ppf >= 96 || t.major === 3600 * 30);
    if (t.minor) assert.equal(t.major % t.minor, 0);
  }
});

test('overlapping markers stack in lanes; touching ranges on one frame overlap', () => {
  const rows = layoutMarkers([
    m('a', 0, 10),
    m('b', 5, 20),
    m('c', 11, 12),
    m('d', 10, 10),
    m('q', 3, 4, 'Auto QC'),
    m('e', 21, 30),
  ]);
  assert.deepEqual(
    rows.map((r) => r.group),
    ['Manual', 'Auto QC'],
  );
  const manual = rows[0];
  assert.ok(manual);
  const laneOf = (id: string): number => manual.byLane.findIndex((l) => l.some((x) => x.id === id));
  assert.equal(laneOf('a'), 0);
  assert.equal(laneOf('b'), 1);
  assert.equal(laneOf('d'), 2); // frame 10 is inside a (inclusive) and b
  assert.equal(laneOf('c'), 0);
  assert.equal(laneOf('e'), 0);
  assert.equal(manual.lanes, 3);
  // No lane holds two markers sharing a frame.
  for (const lane of manual.byLane) {
    for (let i = 1; i < lane.length; i++)
      assert.ok((lane[i - 1] as PlayerMarker).end < (lane[i] as PlayerMarker).start);
  }
});

test('culling finds exactly the markers of a lane that touch the visible frames', () => {
  const markers = Array.from({ length: 10_000 }, (_, i) => m(`m${i}`, i * 10, i * 10 + (i % 7)));
  const [row] = layoutMarkers(markers);
  assert.equal(row?.lanes, 1);
  const lane = row?.byLane[0] ?? [];
  const got = visibleInLane(lane, 5003, 5100).map((x) => x.id);
  const want = markers.filter((x) => x.end >= 5003 && x.start <= 5100).map((x) => x.id);
  assert.deepEqual(got, want);
  assert.deepEqual(visibleInLane(lane, 200_000, 200_100), []);
});

test('hit testing finds markers, their trim edges, the ruler and rows', () => {
  const markers = [m('range', 100, 199), m('point', 300, 300), m('locked', 400, 499, 'Auto QC', false)];
  const markerRows = layoutMarkers(markers);
  const rows = layoutRows({ thumbnails: false, audioTracks: [], markerRows, subtitles: false });
  const v = { start: 0, pixelsPerFrame: 1, width: 1000 };
  const manualY = (rows.find((r) => r.key === 'Manual')?.y ?? 0) + 3 + LANE_HEIGHT / 2;
  const qcY = (rows.find((r) => r.key === 'Auto QC')?.y ?? 0) + 3 + LANE_HEIGHT / 2;
  const body = hitTest(150, manualY, v, rows, markerRows, 1000);
  assert.equal(body.kind === 'marker' && body.marker.id, 'range');
  assert.equal(body.kind === 'marker' && body.part, 'body');
  const startEdge = hitTest(101, manualY, v, rows, markerRows, 1000);
  assert.equal(startEdge.kind === 'marker' && startEdge.part, 'start');
  const endEdge = hitTest(198, manualY, v, rows, markerRows, 1000);
  assert.equal(endEdge.kind === 'marker' && endEdge.part, 'end');
  // A point marker is grabbable a few pixels either side.
  const point = hitTest(303, manualY, v, rows, markerRows, 1000);
  assert.equal(point.kind === 'marker' && point.marker.id, 'point');
  assert.equal(hitTest(310, manualY, v, rows, markerRows, 1000).kind, 'row');
  assert.equal(hitTest(450, qcY, v, rows, markerRows, 1000).kind, 'marker');
  const ruler = hitTest(250.5, 5, v, rows, markerRows, 1000);
  assert.deepEqual(ruler, { kind: 'ruler', frame: 250 });
  assert.equal(hitTest(-1, 5, v, rows, markerRows, 1000).kind, 'none');
  assert.equal(hitTest(10, 10_000, v, rows, markerRows, 1000).kind, 'none');
  // Zoomed to 16 px per frame, frame 101 starts at pixel 16.
  const z = { start: 100, pixelsPerFrame: 16, width: 1000 };
  const atZoom = hitTest(20, 5, z, rows, markerRows, 1000);
  assert.deepEqual(atZoom, { kind: 'ruler', frame: 101 });
});

test('a marker row shows at most MAX_VISIBLE_LANES lanes; deeper lanes are not hit', () => {
  const stacked = Array.from({ length: MAX_VISIBLE_LANES + 4 }, (_, i) => m(`s${i}`, 10, 20));
  const markerRows = layoutMarkers(stacked);
  assert.equal(markerRows[0]?.lanes, MAX_VISIBLE_LANES + 4);
  const rows = layoutRows({ thumbnails: false, audioTracks: [], markerRows, subtitles: false });
  const row = rows.find((r) => r.kind === 'markers');
  assert.equal(row?.height, MAX_VISIBLE_LANES * LANE_HEIGHT + 6 + 4);
  const v = { start: 0, pixelsPerFrame: 10, width: 1000 };
  const last = hitTest(
    150,
    (row?.y ?? 0) + 3 + (MAX_VISIBLE_LANES - 1) * LANE_HEIGHT + 2,
    v,
    rows,
    markerRows,
    100,
  );
  assert.equal(last.kind === 'marker' && last.marker.id, `s${MAX_VISIBLE_LANES - 1}`);
  const below = hitTest(
    150,
    (row?.y ?? 0) + 3 + MAX_VISIBLE_LANES * LANE_HEIGHT + 1,
    v,
    rows,
    markerRows,
    100,
  );
  assert.equal(below.kind, 'row');
});

test('dragging moves and trims by whole frames inside the programme', () => {
  const r = { start: 100, end: 199 };
  assert.deepEqual(dragMarker(r, 'body', 10.4, 1000), { start: 110, end: 209 });
  assert.deepEqual(dragMarker(r, 'body', -500, 1000), { start: 0, end: 99 });
  assert.deepEqual(dragMarker(r, 'body', 5000, 1000), { start: 900, end: 999 });
  assert.deepEqual(dragMarker(r, 'start', 150, 1000), { start: 199, end: 199 });
  assert.deepEqual(dragMarker(r, 'end', -150, 1000), { start: 100, end: 100 });
  assert.deepEqual(dragMarker(r, 'end', 5000, 1000), { start: 100, end: 999 });
});

test('marker colour: own colour, then severity, then category', () => {
  assert.equal(markerColor({ color: '#123456', severity: 'critical' }), '#123456');
  assert.equal(markerColor({ severity: 'critical' }), '#e5484d');
  assert.equal(markerColor({ category: 'audio' }), markerColor({ category: 'audio' }));
  assert.notEqual(markerColor({ category: 'audio' }), markerColor({ category: 'video' }));
});
