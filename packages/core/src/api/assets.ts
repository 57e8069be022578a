import { Type, type Static } from 'typebox';
import { FrameRateSchema, TechnicalMetadata } from '../media.js';
import { JsonObject, Nullable, Page, Timestamp, Uuid } from './common.js';

export const ASSET_STATUSES = ['ingesting', 'ready', 'failed'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];
export const QC_STATUSES = ['pending', 'in_review', 'approved', 'rejected'] as const;
export type QcStatus = (typeof QC_STATUSES)[number];
export const SHAPE_TYPES = [
  'original',
  'video-proxy',
  'audio-proxy',
  'poster',
  'thumbnails',
  'sprite',
  'subtitle',
] as const;
export type ShapeType = (typeof SHAPE_TYPES)[number];

export const AssetStatusSchema = Type.Enum(ASSET_STATUSES);
export const QcStatusSchema = Type.Enum(QC_STATUSES);
export const ShapeTypeSchema = Type.Enum(SHAPE_TYPES);

export const MediaFile = Type.Object({
  id: Uuid,
  name: Type.String({
    description:
      'The file name within its shape (e.g. `sprites.vtt`, `sprite-001.jpg`); where it is stored is not told.',
  }),
  size: Type.Number(),
  checksum: Nullable(Type.String()),
  mimeType: Type.String(),
  url: Type.String({ description: 'A short-lived signed URL that reads the file; it honours Range.' }),
});
export type MediaFile = Static<typeof MediaFile>;

export const Shape = Type.Object({
  id: Uuid,
  type: ShapeTypeSchema,
  track: Nullable(Type.Integer({ description: 'Audio track number (from 1) for audio-proxy shapes.' })),
  label: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'What the step that made the shape knows of it; subtitle shapes: `language` (BCP 47), `format` (of the file as attached: "srt" or "vtt"; the stored file is WebVTT), `cues`.',
  }),
  files: Type.Array(MediaFile),
});
export type Shape = Static<typeof Shape>;

export const QcState = Type.Object({
  status: QcStatusSchema,
  by: Nullable(Type.Object({ id: Uuid, username: Type.String() })),
  reason: Nullable(Type.String()),
  at: Nullable(Timestamp),
});

export const Asset = Type.Object({
  id: Uuid,
  title: Type.String(),
  status: AssetStatusSchema,
  error: Nullable(Type.String({ description: 'Why ingest failed, or which steps did.' })),
  qc: QcState,
  technical: Nullable(TechnicalMetadata),
  frameRate: Nullable(FrameRateSchema),
  durationFrames: Nullable(Type.Integer()),
  startTimecode: Nullable(Type.String()),
  dropFrame: Type.Boolean(),
  metadata: JsonObject,
  analysis: Type.Record(Type.String(), Type.Unknown(), {
    description: 'What automatic steps found, by step: loudness, QC summary.',
  }),
  projectId: Uuid,
  createdBy: Nullable(Uuid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Asset = Static<typeof Asset>;

export const AssetWithShapes = Type.Intersect([Asset, Type.Object({ shapes: Type.Array(Shape) })]);
export type AssetWithShapes = Static<typeof AssetWithShapes>;

export const AssetSort = Type.Enum(['createdAt', 'updatedAt', 'title']);
export const ListAssetsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
    sort: Type.Optional(AssetSort),
    order: Type.Optional(Type.Enum(['asc', 'desc'])),
    status: Type.Optional(AssetStatusSchema),
    qcStatus: Type.Optional(QcStatusSchema),
    createdSince: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only assets created at or after this instant.' }),
    ),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search in title and metadata.' }),
    ),
    projectId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only the assets of this project.' }),
    ),
  },
  { additionalProperties: false },
);
export type ListAssetsQuery = Static<typeof ListAssetsQuery>;
export const AssetPage = Page(Asset);
export type AssetPage = Static<typeof AssetPage>;

export const UpdateAssetBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    metadata: Type.Optional(JsonObject),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAssetBody = Static<typeof UpdateAssetBody>;

export const QcBody = Type.Object(
  {
    status: QcStatusSchema,
    reason: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);
export type QcBody = Static<typeof QcBody>;

export const DeleteAssetQuery = Type.Object(
  {
    hard: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Admins only: remove the rows and the files in storage now, for good (also for an asset already in the trash).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DeleteAssetQuery = Static<typeof DeleteAssetQuery>;

/** An asset in the trash: deleted, restorable until `restorableUntil`, then purged. */
export const DeletedAsset = Type.Intersect([
  Asset,
  Type.Object({
    deletedAt: Timestamp,
    deletedBy: Nullable(Uuid),
    restorableUntil: Timestamp,
  }),
]);
export type DeletedAsset = Static<typeof DeletedAsset>;

export const DeletedAssetQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export type DeletedAssetQuery = Static<typeof DeletedAssetQuery>;
export const DeletedAssetList = Type.Object({ items: Type.Array(DeletedAsset) });
export type DeletedAssetList = Static<typeof DeletedAssetList>;
