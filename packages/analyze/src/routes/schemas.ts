import { Type, type Static } from 'typebox';
import { ErrorResponse, Uuid } from '@frameproof/core';

export const TrackParams = Type.Object(
  {
    assetId: Uuid,
    track: Type.Integer({ minimum: 1, maximum: 64, description: 'Audio track number, from 1.' }),
  },
  { additionalProperties: false },
);
export type TrackParams = Static<typeof TrackParams>;

const Source = Type.Optional(
  Type.Union([Type.Literal('proxy'), Type.Literal('original')], {
    description: "The track's audio proxy when there is one (default), or the original file.",
  }),
);

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
    source: Source,
  },
  { additionalProperties: false },
);
export type WaveformQuery = Static<typeof WaveformQuery>;

export const LoudnessQuery = Type.Object(
  {
    target: Type.Optional(Type.Number({ minimum: -70, maximum: 0, description: 'Target, LUFS (-23).' })),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 20, description: 'Tolerance, LU (0.5).' })),
    truePeak: Type.Optional(Type.Number({ minimum: -30, maximum: 6, description: 'Ceiling, dBTP (-1).' })),
    step: Type.Optional(
      Type.Number({
        minimum: 0.1,
        maximum: 60,
        description: 'Series step, seconds (0.1); values are maxima.',
      }),
    ),
    source: Source,
  },
  { additionalProperties: false },
);
export type LoudnessQuery = Static<typeof LoudnessQuery>;

export const SourceQuery = Type.Object({ source: Source }, { additionalProperties: false });

export const LevelsQuery = Type.Object(
  {
    silenceThreshold: Type.Optional(Type.Number({ minimum: -120, maximum: 0, description: 'dBFS (-60).' })),
    silenceMinDuration: Type.Optional(
      Type.Number({ minimum: 0.01, maximum: 3600, description: 'Seconds (2).' }),
    ),
    source: Source,
  },
  { additionalProperties: false },
);
export type LevelsQuery = Static<typeof LevelsQuery>;

const Level = Type.Union([Type.Number(), Type.Null()]);

const SourceKindSchema = Type.Union(
  [Type.Literal('audio-proxy'), Type.Literal('original'), Type.Literal('file')],
  {
    description: 'What was measured.',
  },
);

export const LoudnessResponse = Type.Object({
  source: SourceKindSchema,
  integrated: Level,
  integratedThreshold: Level,
  range: Level,
  rangeThreshold: Level,
  rangeLow: Level,
  rangeHigh: Level,
  samplePeak: Level,
  truePeak: Level,
  truePeakPerChannel: Type.Array(Level),
  momentaryMax: Level,
  shortTermMax: Level,
  durationSeconds: Type.Number(),
  target: Type.Object({ integrated: Type.Number(), tolerance: Type.Number(), truePeak: Type.Number() }),
  pass: Type.Boolean(),
  checks: Type.Object({
    integrated: Type.Object({ pass: Type.Boolean(), deviation: Level }),
    truePeak: Type.Object({ pass: Type.Boolean() }),
  }),
  series: Type.Object(
    {
      step: Type.Number(),
      momentary: Type.Array(Level),
      shortTerm: Type.Array(Level),
    },
    { description: 'Value i is the loudest in the step ending at (i + 1) * step seconds.' },
  ),
});
export type LoudnessResponse = Static<typeof LoudnessResponse>;

export const LevelsResponse = Type.Object({
  source: SourceKindSchema,
  channels: Type.Array(Type.Object({ channel: Type.Integer(), peak: Level, rms: Level })),
  overall: Type.Object({ peak: Level, rms: Level }),
  silence: Type.Object({
    threshold: Type.Number(),
    minDuration: Type.Number(),
    spans: Type.Array(Type.Object({ start: Type.Number(), end: Type.Number(), duration: Type.Number() })),
  }),
  durationSeconds: Type.Number(),
});

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
