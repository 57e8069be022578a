import { Type, type Static } from 'typebox';
import { VIDEO_ANALYSES } from '../video-analysis.js';
import { Nullable, Timestamp, Uuid } from './common.js';
import { ProjectIdField } from './projects.js';

/**
 * The video analyses to run on an upload or import (some of the deployment's VIDEO_ANALYSES;
 * none: `[]`); without it, the deployment's.
 */
export const VideoAnalysesChoice = Type.Array(Type.Enum(VIDEO_ANALYSES), {
  uniqueItems: true,
  maxItems: VIDEO_ANALYSES.length,
  description:
    "Video analyses to run on this asset: some of the deployment's (VIDEO_ANALYSES), or [] for none; without it, the deployment's.",
});

/**
 * Uploads straight to the storage (S3 multipart with part URLs the adapter presigns), and imports
 * of objects already there. The adapter keeps the parts it signed and the ETags the browser
 * reported, so an interrupted upload resumes from its record.
 */

/** S3's limits on a multipart upload. */
export const MULTIPART_LIMITS = {
  minPartBytes: 5 * 1024 * 1024,
  maxPartBytes: 5 * 1024 ** 3,
  maxParts: 10_000,
  maxObjectBytes: 5 * 1024 ** 4,
} as const;

/** Our part size when the file is small enough: large enough to keep requests few, small enough to resume cheaply. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export interface PartPlan {
  partSize: number;
  partCount: number;
}

/**
 * How a file of `size` bytes is cut into parts: `preferred` bytes each (at least S3's 5 MiB),
 * grown in whole MiB when the file would otherwise need more than 10,000 parts. Every part has
 * `partSize` bytes but the last. Throws a RangeError when the size cannot be uploaded so.
 */
export function planParts(size: number, preferred: number = DEFAULT_PART_BYTES): PartPlan {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError('the size must be a whole number of bytes, at least 1');
  const mib = 1024 * 1024;
  const floor = Math.max(preferred, MULTIPART_LIMITS.minPartBytes);
  const needed = Math.ceil(Math.ceil(size / MULTIPART_LIMITS.maxParts) / mib) * mib;
  const partSize = Math.max(floor, needed);
  if (size > MULTIPART_LIMITS.maxObjectBytes || partSize > MULTIPART_LIMITS.maxPartBytes)
    throw new RangeError('the file is too large for one multipart upload');
  return { partSize, partCount: Math.ceil(size / partSize) };
}

/** The byte range (end exclusive) of part `partNumber` (from 1) of a file cut by `plan`. */
export function partRange(size: number, plan: PartPlan, partNumber: number): { start: number; end: number } {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount)
    throw new RangeError(`part ${partNumber} is not between 1 and ${plan.partCount}`);
  const start = (partNumber - 1) * plan.partSize;
  return { start, end: Math.min(size, start + plan.partSize) };
}

/** The part numbers not yet reported, in order. */
export function missingParts(upload: {
  partCount: number;
  parts: readonly { partNumber: number }[];
}): number[] {
  const done = new Set(upload.parts.map((p) => p.partNumber));
  const missing: number[] = [];
  for (let n = 1; n <= upload.partCount; n++) if (!done.has(n)) missing.push(n);
  return missing;
}

/** Bytes the storage holds for the parts reported. */
export function bytesReported(
  upload: PartPlan & { size: number; parts: readonly { partNumber: number }[] },
): number {
  return upload.parts.reduce((sum, p) => {
    const { start, end } = partRange(upload.size, upload, p.partNumber);
    return sum + (end - start);
  }, 0);
}

/** An S3 part ETag as the storage answers it: an MD5 in hex, quoted or not. */
export const ETAG_PATTERN = '^"?[0-9a-fA-F]{32}"?$';
/** The ETag as we keep it and hand it back: quoted, as CompleteMultipartUpload wants it. */
export const normalizeEtag = (etag: string) => `"${etag.replace(/"/g, '').toLowerCase()}"`;

const PartNumber = Type.Integer({ minimum: 1, maximum: MULTIPART_LIMITS.maxParts });
const Etag = Type.String({
  pattern: ETAG_PATTERN,
  description: 'The ETag header of the part upload answer.',
});

export const CreateDirectUploadBody = Type.Object(
  {
    fileName: Type.String({ minLength: 1, maxLength: 1000 }),
    size: Type.Integer({ minimum: 1, description: 'The file size in bytes.' }),
    mimeType: Type.Optional(Type.String({ maxLength: 200 })),
    title: Type.Optional(Type.String({ maxLength: 500 })),
    videoAnalyses: Type.Optional(VideoAnalysesChoice),
    projectId: ProjectIdField,
  },
  { additionalProperties: false },
);
export type CreateDirectUploadBody = Static<typeof CreateDirectUploadBody>;

export const UploadedPart = Type.Object({ partNumber: PartNumber, etag: Etag });
export type UploadedPart = Static<typeof UploadedPart>;

export const DirectUpload = Type.Object({
  id: Uuid,
  fileName: Type.String(),
  title: Nullable(Type.String()),
  size: Type.Integer(),
  partSize: Type.Integer({ description: 'Every part has this many bytes but the last.' }),
  partCount: Type.Integer(),
  parts: Type.Array(UploadedPart, { description: 'The parts whose upload was reported, by number.' }),
  createdAt: Timestamp,
  expiresAt: Timestamp,
});
export type DirectUpload = Static<typeof DirectUpload>;

export const SignPartsBody = Type.Object(
  { partNumbers: Type.Array(PartNumber, { minItems: 1, maxItems: 100, uniqueItems: true }) },
  { additionalProperties: false },
);
export type SignPartsBody = Static<typeof SignPartsBody>;

export const SignedParts = Type.Object({
  parts: Type.Array(
    Type.Object({
      partNumber: PartNumber,
      url: Type.String({
        description: 'PUT the part bytes here; the answer’s ETag header is the part’s ETag.',
      }),
    }),
  ),
  expiresAt: Timestamp,
});
export type SignedParts = Static<typeof SignedParts>;

export const ReportPartBody = Type.Object({ etag: Etag }, { additionalProperties: false });
export type ReportPartBody = Static<typeof ReportPartBody>;

export const PartParams = Type.Object({ id: Uuid, partNumber: PartNumber }, { additionalProperties: false });

export const CompleteDirectUploadBody = Type.Object(
  {
    parts: Type.Optional(
      Type.Array(UploadedPart, {
        maxItems: MULTIPART_LIMITS.maxParts,
        description: 'The parts as the client knows them; when given they must equal the recorded ones.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CompleteDirectUploadBody = Static<typeof CompleteDirectUploadBody>;

/** What the adapter offers for uploads, so that clients pick the way (tus, or straight to the storage). */
export const UploadOptions = Type.Object({
  direct: Type.Boolean({ description: 'Browsers upload straight to the storage with /api/direct-uploads.' }),
  tus: Type.Boolean({ description: 'Resumable tus uploads at /api/uploads.' }),
  maxBytes: Type.Integer(),
});
export type UploadOptions = Static<typeof UploadOptions>;

export const CreateImportBody = Type.Union(
  [
    Type.Object(
      {
        prefix: Type.String({
          minLength: 1,
          maxLength: 1000,
          description: 'Every object under this prefix of the storage becomes an asset.',
        }),
        videoAnalyses: Type.Optional(VideoAnalysesChoice),
        projectId: ProjectIdField,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        keys: Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), {
          minItems: 1,
          maxItems: 1000,
          uniqueItems: true,
        }),
        videoAnalyses: Type.Optional(VideoAnalysesChoice),
        projectId: ProjectIdField,
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Keys are relative to the storage (STORAGE_URL), as the adapter names its own objects.' },
);
export type CreateImportBody = Static<typeof CreateImportBody>;

export const IMPORT_STATUSES = ['running', 'completed', 'failed'] as const;
export const ImportItem = Type.Object({
  key: Type.String(),
  assetId: Nullable(Uuid),
  error: Nullable(Type.String()),
});
export const ImportRecord = Type.Object({
  id: Uuid,
  status: Type.Enum(IMPORT_STATUSES),
  source: Type.String({ description: 'The prefix, or "keys" for a list.' }),
  total: Nullable(Type.Integer({ description: 'Objects found; null while a prefix is still being listed.' })),
  imported: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Integer({
    description: 'Objects under the prefix whose names are not of video or audio files.',
  }),
  error: Nullable(Type.String({ description: 'Why the import stopped, when it failed as a whole.' })),
  items: Type.Array(ImportItem, {
    description: 'Each object taken, in order, with its asset or why it has none.',
  }),
  createdAt: Timestamp,
  finishedAt: Nullable(Timestamp),
});
export type ImportRecord = Static<typeof ImportRecord>;
