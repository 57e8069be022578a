import { Compile } from 'typebox/compile';
import { CreateMarkerBody, type FramePointInput } from '../api/markers.js';
import { resolvePoint, resolveRange, type Timeline, TimelineError } from '../timeline.js';
import { CSV_COLUMNS } from './markers-export.js';
import { CsvError, parseCsv, unguardCell } from './csv.js';

export const MARKER_IMPORT_FORMATS = ['csv', 'json'] as const;
export type MarkerImportFormat = (typeof MARKER_IMPORT_FORMATS)[number];

/** The most markers one import takes, as many as one bulk request. */
export const MAX_IMPORTED_MARKERS = 10000;

/**
 * Why a marker file cannot be imported. `row` counts as a spreadsheet does for CSV (the header is
 * row 1, the first marker row 2) and from 1 for the markers of a JSON file; 0 means the whole
 * file. `reason` is `not-ready` when a timecode needs the frame rate the probe has not found yet.
 */
export class MarkerImportError extends Error {
  constructor(
    readonly row: number,
    readonly column: string,
    readonly detail: string,
    readonly reason: 'invalid' | 'not-ready' = 'invalid',
  ) {
    super(`${row ? `row ${row}: ` : ''}${column ? `${column}: ` : ''}${detail}`);
  }
}

const FRAME = /^\d{1,9}$/;
const TIMECODE = /^\d{2}:\d{2}:\d{2}[:;]\d{2}$/;

/**
 * The API's own schema for a new marker, compiled on first use (ten times faster than checking
 * value by value over 10,000 rows; TypeBox falls back to checking without code generation where
 * a Content-Security-Policy forbids it).
 */
let validator:
  | { Check(value: unknown): boolean; Errors(value: unknown): { instancePath: string; message: string }[] }
  | undefined;

/** Checks a marker's fields against the API's schema; the first problem names its column. */
function checkBody(body: Record<string, unknown>, row: number, columnOf: (field: string) => string) {
  const check = (validator ??= Compile(CreateMarkerBody));
  if (check.Check(body)) return body as CreateMarkerBody;
  const first = check.Errors(body)[0];
  const field = first?.instancePath.split('/').filter(Boolean)[0] ?? '';
  throw new MarkerImportError(row, columnOf(field), first?.message ?? 'is not valid');
}

/**
 * Places the marker on the asset's timeline when one is given, so that every problem a later
 * insert would find (a timecode before the start, a frame past the end, out before in) is
 * reported with its row now.
 */
function place(
  body: CreateMarkerBody,
  row: number,
  t: Timeline | undefined,
  columnOf: (f: string) => string,
) {
  if (!t) return;
  try {
    resolveRange(body.start, body.end, t);
  } catch (err) {
    if (err instanceof TimelineError) {
      throw new MarkerImportError(row, columnOf(err.field), err.message.replace(/^\w+: /, ''), err.reason);
    }
    throw err;
  }
}

/** When a row gives both a frame and a timecode they must agree; the frame is what is kept. */
function agree(frame: number, timecode: string, t: Timeline | undefined, row: number, column: string): void {
  if (!t?.frameRate) return;
  let named: number;
  try {
    named = resolvePoint({ timecode }, { ...t, durationFrames: null }, column);
  } catch (err) {
    if (err instanceof TimelineError)
      throw new MarkerImportError(row, column, err.message.replace(/^\w+: /, ''));
    throw err;
  }
  if (named !== frame)
    throw new MarkerImportError(
      row,
      column,
      `${timecode} is frame ${named}, but the frame column says ${frame}; correct one or leave one empty`,
    );
}

// ---------------------------------------------------------------------------------------------
// CSV, with a header row naming the columns of the CSV export (any order; the computed ones,
// end_timecode, duration_frames, author and created_at, may be left out). Cells starting with an
// apostrophe before = + - @ lose the apostrophe the exporter put there against formula injection.

type CsvColumn = (typeof CSV_COLUMNS)[number];
/** A decimal number as the CSV export writes a confidence. */
const NUMBER = /^\d+(\.\d+)?$/;
const KNOWN = new Set<string>(CSV_COLUMNS);
const CSV_FIELD: Record<string, CsvColumn> = {
  start: 'start_frame',
  end: 'end_frame',
  title: 'title',
  description: 'description',
  group: 'group',
  category: 'category',
  severity: 'severity',
  color: 'color',
  confidence: 'confidence',
};

export function readMarkersCsv(text: string, timeline?: Timeline): CreateMarkerBody[] {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw new MarkerImportError(0, '', err.message);
    throw err;
  }
  const header = rows[0];
  if (!header)
    throw new MarkerImportError(0, '', 'the file is empty; it needs a header row and a marker row');
  const index = new Map<CsvColumn, number>();
  header.cells.forEach((raw, i) => {
    const name = raw.trim().toLowerCase().replace(/\s+/g, '_');
    if (!KNOWN.has(name))
      throw new MarkerImportError(
        1,
        raw.trim() || `column ${i + 1}`,
        `not a column of a marker file; the columns are ${CSV_COLUMNS.join(', ')}`,
      );
    if (index.has(name as CsvColumn))
      throw new MarkerImportError(1, name, 'this column appears twice in the header');
    index.set(name as CsvColumn, i);
  });
  if (!index.has('title')) throw new MarkerImportError(1, 'title', 'the header has no title column');
  if (!index.has('start_frame') && !index.has('start_timecode'))
    throw new MarkerImportError(
      1,
      'start_frame',
      'the header needs a start_frame or a start_timecode column',
    );
  const data = rows.slice(1);
  if (!data.length) throw new MarkerImportError(0, '', 'the file has no markers, only a header row');
  if (data.length > MAX_IMPORTED_MARKERS)
    throw new MarkerImportError(
      0,
      '',
      `the file has ${data.length} markers; at most ${MAX_IMPORTED_MARKERS} at a time`,
    );

  return data.map((r, k) => {
    const row = k + 2;
    if (r.cells.length !== header.cells.length)
      throw new MarkerImportError(
        row,
        '',
        `has ${r.cells.length} cells, but the header has ${header.cells.length} columns`,
      );
    const cell = (column: CsvColumn) => {
      const i = index.get(column);
      return i === undefined ? '' : unguardCell(r.cells[i] as string);
    };
    const point = (which: 'start' | 'end'): FramePointInput | undefined => {
      const frameText = cell(`${which}_frame`).trim();
      const timecode = cell(`${which}_timecode`).trim();
      if (frameText && !FRAME.test(frameText))
        throw new MarkerImportError(row, `${which}_frame`, `"${frameText}" is not a frame number`);
      if (timecode && !TIMECODE.test(timecode))
        throw new MarkerImportError(
          row,
          `${which}_timecode`,
          `"${timecode}" is not a timecode (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)`,
        );
      if (frameText && timecode) agree(Number(frameText), timecode, timeline, row, `${which}_timecode`);
      if (frameText) return { frame: Number(frameText) };
      if (timecode) return { timecode };
      return undefined;
    };
    const start = point('start');
    if (!start)
      throw new MarkerImportError(
        row,
        index.has('start_frame') ? 'start_frame' : 'start_timecode',
        'is empty',
      );
    const end = point('end');
    const body: Record<string, unknown> = { start, title: cell('title') };
    if (end) body.end = end;
    for (const column of ['description', 'group', 'category', 'severity', 'color'] as const) {
      const value = cell(column);
      if (value !== '') body[column] = value;
    }
    const confidence = cell('confidence').trim();
    if (confidence !== '') {
      if (!NUMBER.test(confidence))
        throw new MarkerImportError(row, 'confidence', `"${confidence}" is not a number from 0 to 100`);
      body.confidence = Number(confidence);
    }
    const columnOf = (field: string) =>
      field === 'start' || field === 'end'
        ? `${field}_${'frame' in ((body[field] as FramePointInput | undefined) ?? {}) ? 'frame' : 'timecode'}`
        : (CSV_FIELD[field] ?? field);
    const marker = checkBody(body, row, columnOf);
    place(marker, row, timeline, columnOf);
    return marker;
  });
}

// ---------------------------------------------------------------------------------------------
// JSON: the JSON export (an object with `markers`), a bulk request body (the same), or an array
// of markers. Points are {"frame": N}, {"timecode": "..."}, or both as the export writes them;
// what the API adds to a marker (id, author, timestamps) is ignored.

const IGNORED = new Set(['id', 'assetId', 'author', 'createdAt', 'updatedAt']);
const FIELDS = new Set([
  'start',
  'end',
  'title',
  'description',
  'group',
  'category',
  'severity',
  'color',
  'confidence',
]);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function readMarkersJson(text: string, timeline?: Timeline): CreateMarkerBody[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MarkerImportError(0, '', `not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : isObject(doc) ? doc.markers : undefined;
  if (!Array.isArray(list))
    throw new MarkerImportError(0, '', 'expected an array of markers, or an object with a "markers" array');
  if (!list.length) throw new MarkerImportError(0, '', 'the file has no markers');
  if (list.length > MAX_IMPORTED_MARKERS)
    throw new MarkerImportError(
      0,
      '',
      `the file has ${list.length} markers; at most ${MAX_IMPORTED_MARKERS} at a time`,
    );

  return list.map((m: unknown, k) => {
    const row = k + 1;
    if (!isObject(m)) throw new MarkerImportError(row, '', 'a marker must be an object');
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(m)) {
      if (IGNORED.has(key)) continue;
      if (!FIELDS.has(key)) throw new MarkerImportError(row, key, 'not a field of a marker');
      if (key === 'start' || key === 'end') {
        if (value === null && key === 'end') continue;
        body[key] = jsonPoint(value, row, key, timeline);
      } else if (value !== null) {
        body[key] = value;
      }
    }
    if (body.start === undefined) throw new MarkerImportError(row, 'start', 'is missing');
    const columnOf = (field: string) => field;
    const marker = checkBody(body, row, columnOf);
    place(marker, row, timeline, columnOf);
    return marker;
  });
}

function jsonPoint(value: unknown, row: number, key: string, t: Timeline | undefined): FramePointInput {
  if (!isObject(value))
    throw new MarkerImportError(row, key, 'must be {"frame": N} or {"timecode": "HH:MM:SS:FF"}');
  for (const k of Object.keys(value))
    if (k !== 'frame' && k !== 'timecode')
      throw new MarkerImportError(row, `${key}.${k}`, 'not a field of a point');
  const { frame, timecode } = value;
  if (frame !== undefined && (typeof frame !== 'number' || !Number.isInteger(frame) || frame < 0))
    throw new MarkerImportError(row, `${key}.frame`, 'must be a whole number >= 0');
  if (
    timecode !== undefined &&
    timecode !== null &&
    (typeof timecode !== 'string' || !TIMECODE.test(timecode))
  )
    throw new MarkerImportError(
      row,
      `${key}.timecode`,
      'must be a timecode (HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame)',
    );
  if (typeof frame === 'number') {
    if (typeof timecode === 'string') agree(frame, timecode, t, row, `${key}.timecode`);
    return { frame };
  }
  if (typeof timecode === 'string') return { timecode };
  throw new MarkerImportError(row, key, 'needs a frame or a timecode');
}

/** Reads a marker file of either import format. */
export function readMarkers(
  format: MarkerImportFormat,
  text: string,
  timeline?: Timeline,
): CreateMarkerBody[] {
  return format === 'csv' ? readMarkersCsv(text, timeline) : readMarkersJson(text, timeline);
}
