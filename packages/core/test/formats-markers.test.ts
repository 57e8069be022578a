import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CreateMarkerBody,
  exportMarkers,
  type Marker,
  type MarkerExportAsset,
  MarkerExportError,
  MarkerImportError,
  markersToAvid,
  markersToCsv,
  markersToEdl,
  markersToFcpXml,
  markersToJson,
  readMarkers,
  readMarkersCsv,
  readMarkersJson,
  resolveRange,
  safeExportName,
  type Timeline,
} from '../src/index.js';

// Samples written by hand from each format's description: 29.97 drop-frame starting at
// 01:00:00;00 (frame 107892 of the day), so frame 1800 is 01:01:00;02 (00 and 01 are skipped).

const asset: MarkerExportAsset = {
  id: '11111111-1111-4111-8111-111111111111',
  title: 'Episode 12',
  frameRate: { num: 30000, den: 1001 },
  durationFrames: 108000,
  startTimecode: '01:00:00;00',
  dropFrame: true,
  qc: { status: 'rejected', by: null, reason: 'Dropout at 1:01', at: '2026-01-02T00:00:00.000Z' },
  analysis: { 'auto-qc': { findings: 1 } },
};
const timeline: Timeline = asset;

let n = 0;
function marker(
  fields: Partial<Omit<Marker, 'start' | 'end'>> & { start: number; end?: number; title: string },
): Marker {
  const { start, end, ...rest } = fields;
  n++;
  return {
    id: `00000000-0000-4000-8000-00000000000${n}`,
    assetId: asset.id,
    description: null,
    group: 'Manual',
    category: null,
    severity: null,
    color: null,
    confidence: null,
    author: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...rest,
    start: { frame: start, timecode: null },
    end: { frame: end ?? start, timecode: null },
  };
}

const dropout = marker({
  start: 1800,
  end: 1829,
  title: 'Dropout',
  description: 'Line one\nline "two"',
  group: 'Auto QC',
  category: 'video',
  severity: 'major',
  confidence: 97.5,
});
const hostile = marker({
  start: 17982,
  title: '=HYPERLINK("http://x")',
  color: '#00ff00',
  author: { id: '22222222-2222-4222-8222-222222222222', username: 'alice' },
});
const markers = [dropout, hostile];

describe('marker writers', () => {
  it('CSV: RFC 4180 quoting, a header row, timecodes offset by the start, formulas defused', () => {
    assert.equal(
      markersToCsv(asset, markers),
      'start_frame,end_frame,start_timecode,end_timecode,duration_frames,title,description,group,category,severity,color,confidence,author,created_at\r\n' +
        '1800,1829,01:01:00;02,01:01:01;01,30,Dropout,"Line one\nline ""two""",Auto QC,video,major,,97.5,,2026-01-01T00:00:00.000Z\r\n' +
        '17982,17982,01:10:00;00,01:10:00;00,1,"\'=HYPERLINK(""http://x"")",,Manual,,,#00ff00,,alice,2026-01-01T00:00:00.000Z\r\n',
    );
    for (const bad of ['+1', '-1', '@SUM(A1)', '\tx']) {
      const csv = markersToCsv(asset, [marker({ start: 0, title: bad })]);
      assert.match(csv.split('\r\n')[1] as string, new RegExp(`,"?'\\${bad[0] === '\t' ? 't' : bad[0]}`));
    }
  });

  it('CSV without a frame rate leaves the timecodes empty', () => {
    const unprobed = { ...asset, frameRate: null, startTimecode: null, dropFrame: false };
    assert.equal(
      markersToCsv(unprobed, [marker({ start: 5, title: 'x' })]).split('\r\n')[1],
      '5,5,,,1,x,,Manual,,,,,,2026-01-01T00:00:00.000Z',
    );
  });

  it('JSON: the time axis, the QC decision and analysis, and each marker with frames and timecodes', () => {
    const doc = JSON.parse(markersToJson(asset, [dropout])) as Record<string, unknown>;
    assert.deepEqual(doc, {
      format: 'frameproof-markers',
      version: 1,
      asset: {
        id: asset.id,
        title: 'Episode 12',
        frameRate: '30000/1001',
        startTimecode: '01:00:00;00',
        dropFrame: true,
        durationFrames: 108000,
      },
      qc: { decision: asset.qc, analysis: { 'auto-qc': { findings: 1 } } },
      markers: [
        {
          start: { frame: 1800, timecode: '01:01:00;02' },
          end: { frame: 1829, timecode: '01:01:01;01' },
          title: 'Dropout',
          description: 'Line one\nline "two"',
          group: 'Auto QC',
          category: 'video',
          severity: 'major',
          color: null,
          confidence: 97.5,
          author: null,
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      ],
    });
  });

  it('Resolve marker EDL: CMX3600 events with |C: |M: |D: notes, drop-frame, out = in + duration', () => {
    const plain = marker({ start: 17982, title: 'Pipe | and\nbreak', color: '#00ff00' });
    assert.equal(
      markersToEdl(asset, [dropout, plain]),
      'TITLE: Episode 12\r\n' +
        'FCM: DROP FRAME\r\n' +
        '\r\n' +
        '001  001      V     C        01:01:00;02 01:01:01;02 01:01:00;02 01:01:01;02  \r\n' +
        ' |C:ResolveColorPink |M:Dropout |D:30\r\n' +
        '* QC: major, video\r\n' +
        '\r\n' +
        '002  001      V     C        01:10:00;00 01:10:00;01 01:10:00;00 01:10:00;01  \r\n' +
        ' |C:ResolveColorGreen |M:Pipe / and break |D:1\r\n',
    );
    const ndf = markersToEdl(
      { ...asset, frameRate: { num: 25, den: 1 }, startTimecode: '10:00:00:00', dropFrame: false },
      [marker({ start: 25, end: 49, title: 'One second in', severity: 'critical' })],
    );
    assert.equal(
      ndf,
      'TITLE: Episode 12\r\nFCM: NON-DROP FRAME\r\n\r\n' +
        '001  001      V     C        10:00:01:00 10:00:02:00 10:00:01:00 10:00:02:00  \r\n' +
        ' |C:ResolveColorRed |M:One second in |D:25\r\n* QC: critical\r\n',
    );
  });

  it('Avid marker text: user, timecode, track, colour, comment, duration, tab-separated', () => {
    assert.equal(
      markersToAvid(asset, markers),
      'Frameproof\t01:01:00;02\tV1\tmagenta\tDropout - Line one line "two" - [major, video]\t30\r\n' +
        'alice\t01:10:00;00\tV1\tgreen\t=HYPERLINK("http://x")\t1\r\n',
    );
  });

  it('Final Cut Pro XML: xmeml 5 sequence, NTSC rate, DF start timecode, markers in frames', () => {
    assert.equal(
      markersToFcpXml({ ...asset, title: 'A <b> & "c"' }, markers),
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE xmeml>',
        '<xmeml version="5">',
        `  <sequence id="${asset.id}">`,
        '    <name>A &lt;b&gt; &amp; &quot;c&quot;</name>',
        '    <duration>108000</duration>',
        '    <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>',
        '    <timecode>',
        '      <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>',
        '      <string>01:00:00;00</string>',
        '      <frame>107892</frame>',
        '      <displayformat>DF</displayformat>',
        '    </timecode>',
        '    <media><video><track/></video></media>',
        '    <marker>',
        '      <name>Dropout</name>',
        '      <comment>Line one\nline &quot;two&quot;\nmajor, video</comment>',
        '      <in>1800</in>',
        '      <out>1830</out>',
        '    </marker>',
        '    <marker>',
        '      <name>=HYPERLINK(&quot;http://x&quot;)</name>',
        '      <comment></comment>',
        '      <in>17982</in>',
        '      <out>-1</out>',
        '    </marker>',
        '  </sequence>',
        '</xmeml>',
        '',
      ].join('\n'),
    );
  });

  it('timecode formats need the frame rate; CSV and JSON do not', () => {
    const unprobed = { ...asset, frameRate: null };
    for (const format of ['edl', 'avid', 'fcpxml'] as const)
      assert.throws(() => exportMarkers(format, unprobed, markers), MarkerExportError);
    for (const format of ['csv', 'json'] as const) assert.ok(exportMarkers(format, unprobed, markers).body);
    assert.deepEqual(
      (['csv', 'json', 'edl', 'avid', 'fcpxml'] as const).map((f) => exportMarkers(f, asset, []).extension),
      ['csv', 'json', 'edl', 'txt', 'xml'],
    );
  });

  it('file names from titles keep no quote, slash, control character or non-ASCII', () => {
    assert.equal(safeExportName('Episode 12', 'csv'), 'Episode 12.csv');
    assert.equal(safeExportName('a"b\r\nContent-Type: x/../..', 'edl'), 'a_b_Content-Type_ x.edl');
    assert.equal(safeExportName('Crème brûlée', 'json'), 'Creme brulee.json');
    assert.equal(safeExportName('"', 'xml'), 'markers.xml');
    assert.equal(safeExportName('日本語', 'txt'), 'markers.txt');
  });
});

/** What a marker is, as a request would create it again. */
function asBody(m: Marker): CreateMarkerBody {
  const body: CreateMarkerBody = {
    start: { frame: m.start.frame },
    end: { frame: m.end.frame },
    title: m.title,
    group: m.group,
  };
  for (const k of ['description', 'category', 'severity', 'color', 'confidence'] as const) {
    const v = m[k];
    if (v !== null) (body as Record<string, unknown>)[k] = v;
  }
  return body;
}

function importError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MarkerImportError) return err.message;
    throw err;
  }
  assert.fail('expected a MarkerImportError');
}

describe('marker readers', () => {
  const tricky = [
    ...markers,
    marker({ start: 0, title: "'quoted", description: '+ plus, "comma"\r\nCRLF' }),
    marker({ start: 5, end: 7, title: '@at', group: 'Review', severity: 'info' }),
  ];

  it('CSV round trip: write, read, the same markers', () => {
    assert.deepEqual(readMarkersCsv(markersToCsv(asset, tricky), timeline), tricky.map(asBody));
    assert.deepEqual(readMarkers('csv', markersToCsv(asset, tricky)), tricky.map(asBody));
  });

  it('JSON round trip: write, read, the same markers', () => {
    assert.deepEqual(readMarkersJson(markersToJson(asset, tricky), timeline), tricky.map(asBody));
    assert.deepEqual(readMarkers('json', JSON.stringify({ markers: tricky })), tricky.map(asBody));
  });

  it('CSV by hand: columns in any order, timecodes alone, a BOM and LF line ends', () => {
    const text =
      '\uFEFFTitle,Start Timecode,severity\nFirst,01:00:01;00,minor\n"Second, with comma",01:01:00;02,\n';
    const bodies = readMarkersCsv(text, timeline);
    assert.deepEqual(bodies, [
      { start: { timecode: '01:00:01;00' }, title: 'First', severity: 'minor' },
      { start: { timecode: '01:01:00;02' }, title: 'Second, with comma' },
    ]);
    assert.deepEqual(
      bodies.map((b) => resolveRange(b.start, b.end, timeline)),
      [
        [30, 30],
        [1800, 1800],
      ],
    );
  });

  it('confidence: a number from 0 to 100, else the row and column are named', () => {
    const head = 'start_frame,title,confidence\r\n';
    assert.deepEqual(readMarkersCsv(`${head}1,car,99.5\r\n2,road,\r\n`), [
      { start: { frame: 1 }, title: 'car', confidence: 99.5 },
      { start: { frame: 2 }, title: 'road' },
    ]);
    assert.equal(
      importError(() => readMarkersCsv(`${head}1,car,high\r\n`)),
      'row 2: confidence: "high" is not a number from 0 to 100',
    );
    assert.match(
      importError(() => readMarkersCsv(`${head}1,car,101\r\n`)),
      /^row 2: confidence: /,
    );
    assert.match(
      importError(() => readMarkersJson('[{"start":{"frame":1},"title":"x","confidence":-1}]')),
      /^row 1: confidence: /,
    );
  });

  it('CSV errors name the row (as a spreadsheet numbers it) and the column', () => {
    const head = 'start_frame,start_timecode,title,severity\r\n';
    assert.equal(
      importError(() => readMarkersCsv(`${head}1,,ok,\r\nabc,,bad,\r\n`)),
      'row 3: start_frame: "abc" is not a frame number',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head}1,,ok,urgent\r\n`)),
      `row 2: severity: ${importError(() => readMarkersJson('[{"start":{"frame":1},"title":"ok","severity":"urgent"}]')).replace(/^row 1: severity: /, '')}`,
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head},,no start,\r\n`)),
      'row 2: start_frame: is empty',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head}1,,,\r\n`)),
      'row 2: title: ' + importError(() => readMarkersJson('[{"start":{"frame":1},"title":""}]')).slice(14),
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head}1799,01:01:00;02,mismatch,\r\n`, timeline)),
      'row 2: start_timecode: 01:01:00;02 is frame 1800, but the frame column says 1799; correct one or leave one empty',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head},00:59:00;02,early,\r\n`, timeline)),
      'row 2: start_timecode: 00:59:00;02 is before the programme starts (01:00:00;00)',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head},01:01:00;00,skipped,\r\n`, timeline)),
      'row 2: start_timecode: "01:01:00;00" does not exist in drop-frame timecode (frames 00-01 are skipped)',
    );
    assert.equal(
      importError(() => readMarkersCsv(`start_frame,end_frame,title\r\n10,9,backwards\r\n`, timeline)),
      'row 2: end_frame: the out point (frame 9) comes before the in point (frame 10)',
    );
    assert.equal(
      importError(() => readMarkersCsv(`start_frame,title\r\n200000,late\r\n`, timeline)),
      'row 2: start_frame: frame 200000 is past the end of the programme (108000 frames)',
    );
    assert.match(
      importError(() => readMarkersCsv(`${head}1,,x\r\n`)),
      /^row 2: has 3 cells, but the header has 4/,
    );
    assert.match(
      importError(() => readMarkersCsv('start_frame,title,colour\r\n')),
      /^row 1: colour: not a column/,
    );
    assert.equal(
      importError(() => readMarkersCsv('start_frame,title,title\r\n1,a,b\r\n')),
      'row 1: title: this column appears twice in the header',
    );
    assert.equal(
      importError(() => readMarkersCsv('title\r\nx\r\n')),
      'row 1: start_frame: the header needs a start_frame or a start_timecode column',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head}`)),
      'the file has no markers, only a header row',
    );
    assert.equal(
      importError(() => readMarkersCsv('')),
      'the file is empty; it needs a header row and a marker row',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head}1,,"never closed,\r\n2,,x,\r\n`)),
      'line 2: a quoted cell is never closed',
    );
    assert.equal(
      importError(() => readMarkersCsv(`${head}1,,a"b,\r\n`)),
      'line 2: a double quote inside an unquoted cell (enclose the cell in quotes)',
    );
  });

  it('a timecode on an asset without a frame rate is not-ready, with its row', () => {
    try {
      readMarkersCsv('start_timecode,title\r\n00:00:01:00,x\r\n', {
        frameRate: null,
        durationFrames: null,
        startTimecode: null,
        dropFrame: false,
      });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof MarkerImportError);
      assert.equal(err.reason, 'not-ready');
      assert.equal(err.row, 2);
      assert.equal(err.column, 'start_timecode');
    }
  });

  it('JSON errors name the marker (from 1) and the field', () => {
    assert.match(
      importError(() => readMarkersJson('{"markers": [')),
      /^not valid JSON: /,
    );
    assert.equal(
      importError(() => readMarkersJson('{"items": []}')),
      'expected an array of markers, or an object with a "markers" array',
    );
    assert.equal(
      importError(() => readMarkersJson('[]')),
      'the file has no markers',
    );
    const ok = '{"start":{"frame":1},"title":"ok"}';
    assert.equal(
      importError(() => readMarkersJson(`[${ok}, 3]`)),
      'row 2: a marker must be an object',
    );
    assert.equal(
      importError(() => readMarkersJson(`[${ok}, {"title":"x"}]`)),
      'row 2: start: is missing',
    );
    assert.equal(
      importError(() => readMarkersJson(`[${ok}, {"start":{"frame":-1},"title":"x"}]`)),
      'row 2: start.frame: must be a whole number >= 0',
    );
    assert.equal(
      importError(() => readMarkersJson(`[{"start":{"timecode":"1:00"},"title":"x"}]`)),
      'row 1: start.timecode: must be a timecode (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)',
    );
    assert.equal(
      importError(() => readMarkersJson(`[{"start":{"frame":1},"title":"x","colour":"red"}]`)),
      'row 1: colour: not a field of a marker',
    );
    assert.match(
      importError(() => readMarkersJson(`[${ok},${ok},{"start":{"frame":1},"title":"x","color":"red"}]`)),
      /^row 3: color: /,
    );
    assert.equal(
      importError(() => readMarkersJson(`[{"start":{"frame":5},"end":{"frame":4},"title":"x"}]`, timeline)),
      'row 1: end: the out point (frame 4) comes before the in point (frame 5)',
    );
  });
});
