import { Type, type Static } from 'typebox';
import { AnalyzeSourceQuery, ErrorResponse, Uuid } from '@frameproof/core';

// The measuring answers are core's, so the typed client (Auto QC in jobs, the tests) reads them.
export { LevelsQuery, LevelsResponse, LoudnessQuery, LoudnessResponse } from '@frameproof/core';

export const TrackParams = Type.Object(
  {
    assetId: Uuid,
    track: Type.Integer({ minimum: 1, maximum: 64, description: 'Audio track number, from 1.' }),
  },
  { additionalProperties: false },
);
export type TrackParams = Static<typeof TrackParams>;

const Seconds = (description: string) => Type.Number({ minimum: 0, maximum: 1e6, description });

export const WaveformQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('dat')])),
    pixelsPerSecond: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 384000, description: 'Resolution; or samplesPerPixel.' }),
    ),
    samplesPerPixel: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1 << 24,
        description: 'Multiples of 256 are served from the precomputed peak file.',
      }),
    ),
    start: Type.Optional(Seconds('Window start, seconds from the first sample.')),
    end: Type.Optional(Seconds('Window end, seconds.')),
    bits: Type.Optional(Type.Union([Type.Literal(8), Type.Literal(16)])),
    channels: Type.Optional(Type.Union([Type.Literal('merged'), Type.Literal('all')])),
    version: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
    source: AnalyzeSourceQuery,
  },
  { additionalProperties: false },
);
export type WaveformQuery = Static<typeof WaveformQuery>;

export const SourceQuery = Type.Object({ source: AnalyzeSourceQuery }, { additionalProperties: false });

export const TrackInfo = Type.Object({
  sampleRate: Type.Integer(),
  channels: Type.Integer(),
  durationSeconds: Type.Number(),
  frames: Type.Integer(),
  exact: Type.Boolean({
    description: 'Whether the length was measured by decoding, not read from metadata.',
  }),
  levels: Type.Array(Type.Integer(), { description: 'Samples per pixel served without decoding.' }),
});

/** Binary (.dat) or JSON text in the audiowaveform format, sent as built. */
export const WaveformBody = Type.Unknown({ description: 'audiowaveform .dat or JSON' });

export const HealthResponse = Type.Object({
  status: Type.Literal('ok'),
  cache: Type.Object({
    dir: Type.String(),
    entries: Type.Integer(),
    bytes: Type.Number(),
    maxBytes: Type.Number(),
  }),
});

// Core's schema carries an $id; a copy without it can sit in many routes' responses.
const ErrorBody = Type.Object(ErrorResponse.properties);

/** The error answers every route may give. */
export const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};
