import { Type, type Static } from 'typebox';

/**
 * The analyze service's measuring answers (`/api/analyze/assets/{id}/audio/{track}/loudness` and
 * `/levels`): what the loudness panel shows and what Auto QC turns into markers, from one
 * measurement of each audio track.
 */

export const AnalyzeSourceQuery = Type.Optional(
  Type.Union([Type.Literal('proxy'), Type.Literal('original')], {
    description:
      "Which file to decode: the track's audio proxy (when there is one) or the original. Waveforms default to the proxy; loudness and levels to the original (AP_ANALYZE_MEASURE_SOURCE).",
  }),
);

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
    source: AnalyzeSourceQuery,
  },
  { additionalProperties: false },
);
export type LoudnessQuery = Static<typeof LoudnessQuery>;

export const LevelsQuery = Type.Object(
  {
    silenceThreshold: Type.Optional(Type.Number({ minimum: -120, maximum: 0, description: 'dBFS (-60).' })),
    silenceMinDuration: Type.Optional(
      Type.Number({ minimum: 0.01, maximum: 3600, description: 'Seconds (2).' }),
    ),
    source: AnalyzeSourceQuery,
  },
  { additionalProperties: false },
);
export type LevelsQuery = Static<typeof LevelsQuery>;

const Level = Type.Union([Type.Number(), Type.Null()]);

export const AnalyzedSource = Type.Union(
  [Type.Literal('audio-proxy'), Type.Literal('original'), Type.Literal('file')],
  { description: 'What was measured.' },
);

export const LoudnessResponse = Type.Object({
  source: AnalyzedSource,
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
  source: AnalyzedSource,
  channels: Type.Array(Type.Object({ channel: Type.Integer(), peak: Level, rms: Level })),
  overall: Type.Object({ peak: Level, rms: Level }),
  silence: Type.Object({
    threshold: Type.Number(),
    minDuration: Type.Number(),
    spans: Type.Array(
      Type.Object(
        { start: Type.Number(), end: Type.Number(), duration: Type.Number() },
        {
          description: "Seconds from the track's first sample.",
        },
      ),
    ),
  }),
  durationSeconds: Type.Number(),
});
export type LevelsResponse = Static<typeof LevelsResponse>;
