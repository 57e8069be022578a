import { Type, type Static } from 'typebox';
import { MARKER_EXPORT_FORMATS } from '../formats/markers-export.js';
import { MARKER_IMPORT_FORMATS } from '../formats/markers-import.js';
import { SUBTITLE_FORMATS } from '../formats/subtitles.js';
import { Uuid } from './common.js';

/** The largest marker or subtitle file the API takes as text (characters). */
export const MAX_IMPORT_TEXT = 8 * 1024 * 1024;

export const ExportMarkersQuery = Type.Object(
  {
    format: Type.Enum(MARKER_EXPORT_FORMATS, {
      description:
        'csv (RFC 4180), json (with the QC decision and analysis), edl (DaVinci Resolve marker EDL), avid (Media Composer marker text), fcpxml (Final Cut Pro 7 XML, which Premiere Pro imports).',
    }),
    group: Type.Optional(Type.String({ maxLength: 100, description: 'Only the markers of this group.' })),
  },
  { additionalProperties: false },
);
export type ExportMarkersQuery = Static<typeof ExportMarkersQuery>;

export const ImportMarkersBody = Type.Object(
  {
    format: Type.Enum(MARKER_IMPORT_FORMATS),
    text: Type.String({
      minLength: 1,
      maxLength: MAX_IMPORT_TEXT,
      description: 'The file as text: CSV with a header row as the CSV export writes it, or JSON.',
    }),
  },
  { additionalProperties: false },
);
export type ImportMarkersBody = Static<typeof ImportMarkersBody>;

export const CreateSubtitleBody = Type.Object(
  {
    language: Type.String({
      minLength: 2,
      maxLength: 35,
      pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
      description: 'A BCP 47 language tag: "en", "fr-CA", "zh-Hant".',
    }),
    label: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'What the player lists; the language by default.',
      }),
    ),
    format: Type.Enum(SUBTITLE_FORMATS),
    text: Type.String({ minLength: 1, maxLength: MAX_IMPORT_TEXT }),
  },
  { additionalProperties: false },
);
export type CreateSubtitleBody = Static<typeof CreateSubtitleBody>;

export const SubtitleParams = Type.Object({ id: Uuid, shapeId: Uuid }, { additionalProperties: false });
