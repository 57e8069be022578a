import type { Asset } from '../api/assets.js';
import type { Marker } from '../api/markers.js';
import { type FrameRate, formatFrameRate, nominalFps, supportsDropFrame } from '../frame-rate.js';
import { formatTimecode, parseTimecode } from '../timecode.js';
import { csvRecord } from './csv.js';

export const MARKER_EXPORT_FORMATS = ['csv', 'json', 'edl', 'avid', 'fcpxml'] as const;
export type MarkerExportFormat = (typeof MARKER_EXPORT_FORMATS)[number];

/** The asset fields a marker file needs: its time axis, its title, and its QC results. */
export type MarkerExportAsset = Pick<
  Asset,
  'id' | 'title' | 'frameRate' | 'durationFrames' | 'startTimecode' | 'dropFrame' | 'qc' | 'analysis'
>;

export interface MarkerFile {
  body: string;
  contentType: string;
  /** The file name extension, without the dot. */
  extension: string;
}

/** A format that places markers by timecode cannot be written before the probe found the rate. */
export class MarkerExportError extends Error {}

/** The columns of the CSV export, which the CSV reader takes back. */
export const CSV_COLUMNS = [
  'start_frame',
  'end_frame',
  'start_timecode',
  'end_timecode',
  'duration_frames',
  'title',
  'description',
  'group',
  'category',
  'severity',
  'color',
  'confidence',
  'author',
  'created_at',
] as const;

interface Clock {
  rate: FrameRate;
  dropFrame: boolean;
  /** Frames from 00:00:00:00 to the asset's first frame. */
  offset: number;
  timecode(frame: number): string;
}

function clockOf(asset: MarkerExportAsset): Clock | null {
  const rate = asset.frameRate;
  if (!rate) return null;
  const dropFrame = asset.dropFrame && supportsDropFrame(rate);
  const offset = asset.startTimecode ? parseTimecode(asset.startTimecode, rate).frames : 0;
  return { rate, dropFrame, offset, timecode: (frame) => formatTimecode(frame + offset, rate, dropFrame) };
}

function requireClock(asset: MarkerExportAsset, format: string): Clock {
  const clock = clockOf(asset);
  if (!clock)
    throw new MarkerExportError(
      `${format} places markers by timecode, which needs the asset's frame rate; it is known once the probe has run`,
    );
  return clock;
}

/** Frames a marker covers: its in and out points are both inclusive, so a point marker has 1. */
const durationOf = (m: Marker) => m.end.frame - m.start.frame + 1;

/** One line of text: editors' marker formats have no room for line breaks, tabs or pipes. */
const oneLine = (text: string, { pipes = false }: { pipes?: boolean } = {}) => {
  // Control characters (C0, DEL, C1) become spaces, and runs of spaces collapse.
  // eslint-disable-next-line no-control-regex
  let s = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  if (pipes) s = s.replace(/\|/g, '/');
  return s.replace(/ {2,}/g, ' ').trim();
};

/** What a QC finding adds to a marker's comment: "major, video". */
const qcNote = (m: Marker) => [m.severity, m.category].filter(Boolean).join(', ');

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180) with a header row.

export function markersToCsv(asset: MarkerExportAsset, markers: readonly Marker[]): string {
  const clock = clockOf(asset);
  let out = csvRecord(CSV_COLUMNS);
  for (const m of markers) {
    out += csvRecord([
      m.start.frame,
      m.end.frame,
      clock ? clock.timecode(m.start.frame) : '',
      clock ? clock.timecode(m.end.frame) : '',
      durationOf(m),
      m.title,
      m.description,
      m.group,
      m.category,
      m.severity,
      m.color,
      m.confidence,
      m.author?.username,
      m.createdAt,
    ]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON: the asset's time axis, its QC decision and analysis, and every marker.

export const MARKERS_JSON_FORMAT = 'frameproof-markers';

export function markersToJson(asset: MarkerExportAsset, markers: readonly Marker[]): string {
  const clock = clockOf(asset);
  const point = (frame: number) => ({ frame, timecode: clock ? clock.timecode(frame) : null });
  return `${JSON.stringify(
    {
      format: MARKERS_JSON_FORMAT,
      version: 1,
      asset: {
        id: asset.id,
        title: asset.title,
        frameRate: asset.frameRate ? formatFrameRate(asset.frameRate) : null,
        startTimecode: asset.startTimecode,
        dropFrame: clock?.dropFrame ?? false,
        durationFrames: asset.durationFrames,
      },
      qc: { decision: asset.qc, analysis: asset.analysis },
      markers: markers.map((m) => ({
        start: point(m.start.frame),
        end: point(m.end.frame),
        title: m.title,
        description: m.description,
        group: m.group,
        category: m.category,
        severity: m.severity,
        color: m.color,
        confidence: m.confidence,
        author: m.author?.username ?? null,
        createdAt: m.createdAt,
      })),
    },
    null,
    2,
  )}\n`;
}

// ---------------------------------------------------------------------------------------------
// Colours. Editors offer a fixed palette; a marker's own colour picks the nearest entry, else its
// severity picks one.

type Rgb = [number, number, number];
const hexToRgb = (hex: string): Rgb => [
  parseInt(hex.slice(1, 3), 16),
  parseInt(hex.slice(3, 5), 16),
  parseInt(hex.slice(5, 7), 16),
];

function nearest<T extends string>(palette: Record<T, Rgb>, hex: string): T {
  const [r, g, b] = hexToRgb(hex);
  let best: T | undefined;
  let bestDistance = Infinity;
  for (const [name, [pr, pg, pb]] of Object.entries(palette) as [T, Rgb][]) {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best as T;
}

const SEVERITY_COLOR: Record<string, string> = {
  critical: '#ff0000',
  major: '#ff00ff',
  minor: '#ffff00',
  info: '#0000ff',
};

function colorOf<T extends string>(m: Marker, palette: Record<T, Rgb>, fallback: T): T {
  const hex = m.color ?? (m.severity ? SEVERITY_COLOR[m.severity] : undefined);
  return hex && /^#[0-9a-fA-F]{6}$/.test(hex) ? nearest(palette, hex) : fallback;
}

// ---------------------------------------------------------------------------------------------
// DaVinci Resolve marker EDL: a CMX3600 edit decision list (title and FCM header lines, then one
// event per marker: number, reel, track, transition, source in/out, record in/out) whose note line
// carries the marker as Resolve writes and reads it: `|C:ResolveColorBlue |M:name |D:frames`.
// Lines that start with `*` are CMX3600 comments, which carry severity and category.

const RESOLVE_COLORS = {
  Blue: [0, 122, 255],
  Cyan: [0, 206, 208],
  Green: [0, 173, 0],
  Yellow: [240, 222, 0],
  Red: [230, 0, 0],
  Pink: [255, 68, 200],
  Purple: [150, 40, 220],
  Fuchsia: [190, 0, 120],
  Rose: [255, 160, 185],
  Lavender: [160, 150, 220],
  Sky: [140, 210, 255],
  Mint: [110, 220, 170],
  Lemon: [220, 240, 120],
  Sand: [200, 170, 110],
  Cocoa: [110, 80, 50],
  Cream: [245, 235, 205],
} satisfies Record<string, Rgb>;

export function markersToEdl(asset: MarkerExportAsset, markers: readonly Marker[]): string {
  const clock = requireClock(asset, 'EDL');
  const lines = [
    `TITLE: ${oneLine(asset.title).slice(0, 70)}`,
    `FCM: ${clock.dropFrame ? 'DROP FRAME' : 'NON-DROP FRAME'}`,
    '',
  ];
  markers.forEach((m, i) => {
    const tcIn = clock.timecode(m.start.frame);
    const tcOut = clock.timecode(m.start.frame + durationOf(m));
    const event = String(i + 1).padStart(3, '0');
    lines.push(`${event}  001      V     C        ${tcIn} ${tcOut} ${tcIn} ${tcOut}  `);
    lines.push(
      ` |C:ResolveColor${colorOf(m, RESOLVE_COLORS, 'Blue')} |M:${oneLine(m.title, { pipes: true })} |D:${durationOf(m)}`,
    );
    const note = qcNote(m);
    if (note) lines.push(`* QC: ${oneLine(note)}`);
    lines.push('');
  });
  return lines.join('\r\n');
}

// ---------------------------------------------------------------------------------------------
// Avid Media Composer marker text, as its Markers window exports and imports it: one marker a
// line, tab-separated fields user, timecode, track, colour, comment, duration in frames.

const AVID_COLORS = {
  red: [255, 0, 0],
  green: [0, 200, 0],
  blue: [0, 0, 255],
  cyan: [0, 255, 255],
  magenta: [255, 0, 255],
  yellow: [255, 255, 0],
  black: [0, 0, 0],
  white: [255, 255, 255],
} satisfies Record<string, Rgb>;

export function markersToAvid(asset: MarkerExportAsset, markers: readonly Marker[]): string {
  const clock = requireClock(asset, 'Avid marker text');
  return markers
    .map((m) => {
      const note = qcNote(m);
      const comment = [m.title, m.description, note && `[${note}]`].filter(Boolean).join(' - ');
      return [
        oneLine(m.author?.username ?? 'Frameproof') || 'Frameproof',
        clock.timecode(m.start.frame),
        'V1',
        colorOf(m, AVID_COLORS, 'red'),
        oneLine(comment),
        String(durationOf(m)),
      ].join('\t');
    })
    .map((line) => `${line}\r\n`)
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Final Cut Pro 7 XML (xmeml version 5, the Final Cut Pro XML Interchange Format, which Premiere
// Pro imports): a sequence with the asset's rate and start timecode, and one <marker> per marker
// whose <in> and <out> count frames from the sequence's start (<out> -1 for a point marker).

const xml = (text: string) =>
  text
    // XML 1.0 allows no C0 control characters other than tab, LF and CR.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export function markersToFcpXml(asset: MarkerExportAsset, markers: readonly Marker[]): string {
  const clock = requireClock(asset, 'Final Cut Pro XML');
  const ntsc = clock.rate.den === 1001 ? 'TRUE' : 'FALSE';
  const rate = `<rate><timebase>${nominalFps(clock.rate)}</timebase><ntsc>${ntsc}</ntsc></rate>`;
  const lastFrame = markers.reduce((n, m) => Math.max(n, m.end.frame + 1), 0);
  const duration = asset.durationFrames ?? lastFrame;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE xmeml>',
    '<xmeml version="5">',
    `  <sequence id="${xml(asset.id)}">`,
    `    <name>${xml(asset.title)}</name>`,
    `    <duration>${duration}</duration>`,
    `    ${rate}`,
    '    <timecode>',
    `      ${rate}`,
    `      <string>${clock.timecode(0)}</string>`,
    `      <frame>${clock.offset}</frame>`,
    `      <displayformat>${clock.dropFrame ? 'DF' : 'NDF'}</displayformat>`,
    '    </timecode>',
    '    <media><video><track/></video></media>',
  ];
  for (const m of markers) {
    const comment = [m.description, qcNote(m)].filter(Boolean).join('\n');
    out.push(
      '    <marker>',
      `      <name>${xml(m.title)}</name>`,
      `      <comment>${xml(comment)}</comment>`,
      `      <in>${m.start.frame}</in>`,
      `      <out>${m.end.frame > m.start.frame ? m.end.frame + 1 : -1}</out>`,
      '    </marker>',
    );
  }
  out.push('  </sequence>', '</xmeml>', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

const WRITERS: {
  [F in MarkerExportFormat]: {
    write: (asset: MarkerExportAsset, markers: readonly Marker[]) => string;
    contentType: string;
    extension: string;
  };
} = {
  csv: { write: markersToCsv, contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv' },
  json: { write: markersToJson, contentType: 'application/json; charset=utf-8', extension: 'json' },
  edl: { write: markersToEdl, contentType: 'text/plain; charset=utf-8', extension: 'edl' },
  avid: { write: markersToAvid, contentType: 'text/plain; charset=utf-8', extension: 'txt' },
  fcpxml: { write: markersToFcpXml, contentType: 'application/xml; charset=utf-8', extension: 'xml' },
};

/** Writes the markers of an asset in one of the export formats. */
export function exportMarkers(
  format: MarkerExportFormat,
  asset: MarkerExportAsset,
  markers: readonly Marker[],
): MarkerFile {
  const w = WRITERS[format];
  return { body: w.write(asset, markers), contentType: w.contentType, extension: w.extension };
}

/**
 * A file name from a title: letters, digits, spaces, dots, dashes and underscores only (no path,
 * quote or control character can reach a Content-Disposition header), at most 100 characters.
 */
export function safeExportName(title: string, extension: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\w .-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[\s._-]+|[\s._-]+$/g, '')
    .slice(0, 100)
    .trim();
  return `${base || 'markers'}.${extension}`;
}
