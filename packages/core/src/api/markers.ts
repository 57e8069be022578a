import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.js';

export const SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A point on the timeline as sent by a client: a frame number or a SMPTE timecode. */
export const FramePointInput = Type.Union([
  Type.Object({ frame: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object(
    {
      timecode: Type.String({
        pattern: '^\\d{2}:\\d{2}:\\d{2}[:;]\\d{2}$',
        description: '"HH:MM:SS:FF", or "HH:MM:SS;FF" for drop-frame.',
      }),
    },
    { additionalProperties: false },
  ),
]);
export type FramePointInput = Static<typeof FramePointInput>;

/** A point on the timeline as returned: always the frame, and its timecode once the rate is known. */
export const FramePoint = Type.Object({ frame: Type.Integer(), timecode: Nullable(Type.String()) });
export type FramePoint = Static<typeof FramePoint>;

/** How sure the engine that found a marker was, 0-100, as Rekognition Video reports it. */
export const MarkerConfidence = Type.Number({
  minimum: 0,
  maximum: 100,
  description: 'How sure the engine that found it was, 0-100 (as Rekognition Video reports it).',
});

const markerFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  description: Type.Optional(Type.String({ maxLength: 10000 })),
  group: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'The timeline row, e.g. "Manual" or "Auto QC".',
    }),
  ),
  category: Type.Optional(Type.String({ maxLength: 100 })),
  severity: Type.Optional(Type.Enum(SEVERITIES)),
  color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
  confidence: Type.Optional(MarkerConfidence),
};

export const CreateMarkerBody = Type.Object(
  { start: FramePointInput, end: Type.Optional(FramePointInput), ...markerFields },
  { additionalProperties: false },
);
export type CreateMarkerBody = Static<typeof CreateMarkerBody>;

export const BulkMarkersBody = Type.Object(
  { markers: Type.Array(CreateMarkerBody, { minItems: 1, maxItems: 10000 }) },
  { additionalProperties: false },
);
export type BulkMarkersBody = Static<typeof BulkMarkersBody>;

export const UpdateMarkerBody = Type.Object(
  {
    start: Type.Optional(FramePointInput),
    end: Type.Optional(FramePointInput),
    title: Type.Optional(markerFields.title),
    description: markerFields.description,
    group: markerFields.group,
    category: markerFields.category,
    severity: markerFields.severity,
    color: markerFields.color,
    confidence: markerFields.confidence,
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMarkerBody = Static<typeof UpdateMarkerBody>;

export const Marker = Type.Object({
  id: Uuid,
  assetId: Uuid,
  start: FramePoint,
  end: FramePoint,
  title: Type.String(),
  description: Nullable(Type.String()),
  group: Type.String(),
  category: Nullable(Type.String()),
  severity: Nullable(Type.String()),
  color: Nullable(Type.String()),
  confidence: Nullable(Type.Number()),
  author: Nullable(Type.Object({ id: Uuid, username: Type.String() })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Marker = Static<typeof Marker>;

export const ListMarkersQuery = Type.Object(
  {
    from: Type.Optional(
      Type.Integer({ minimum: 0, description: 'First frame of the range (markers that overlap it).' }),
    ),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'Last frame of the range.' })),
    group: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type ListMarkersQuery = Static<typeof ListMarkersQuery>;

export const MarkerList = Type.Object({ items: Type.Array(Marker) });

export const MarkerParams = Type.Object({ id: Uuid, markerId: Uuid }, { additionalProperties: false });

export const Comment = Type.Object({
  id: Uuid,
  markerId: Uuid,
  body: Type.String(),
  author: Nullable(Type.Object({ id: Uuid, username: Type.String() })),
  createdAt: Timestamp,
});
export type Comment = Static<typeof Comment>;
export const CreateCommentBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 10000 }) },
  { additionalProperties: false },
);
