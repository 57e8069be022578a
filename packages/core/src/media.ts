import { Type, type Static } from 'typebox';

/** What the probe finds in a file; stored on the asset as `technical`. */
export const FrameRateSchema = Type.Object(
  { num: Type.Integer({ minimum: 1 }), den: Type.Integer({ minimum: 1 }) },
  { description: 'Frames per second as a rational: 30000/1001 is 29.97.' },
);

export const VideoStream = Type.Object({
  index: Type.Integer(),
  codec: Type.String(),
  profile: Type.Optional(Type.String()),
  width: Type.Integer(),
  height: Type.Integer(),
  sampleAspectRatio: Type.Optional(Type.String()),
  displayAspectRatio: Type.Optional(Type.String()),
  frameRate: FrameRateSchema,
  averageFrameRate: Type.Optional(FrameRateSchema),
  variableFrameRate: Type.Boolean(),
  fieldOrder: Type.Optional(Type.String()),
  pixelFormat: Type.Optional(Type.String()),
  colorSpace: Type.Optional(Type.String()),
  colorPrimaries: Type.Optional(Type.String()),
  colorTransfer: Type.Optional(Type.String()),
  colorRange: Type.Optional(Type.String()),
  frameCount: Type.Optional(Type.Integer()),
  bitRate: Type.Optional(Type.Integer()),
  startTime: Type.Optional(Type.Number({ description: 'Seconds: the first timestamp of the stream.' })),
});

export const AudioStream = Type.Object({
  index: Type.Integer(),
  track: Type.Integer({ description: 'Audio track number, from 1, in stream order.' }),
  codec: Type.String(),
  channels: Type.Integer(),
  channelLayout: Type.Optional(Type.String()),
  sampleRate: Type.Integer(),
  language: Type.Optional(Type.String()),
  bitRate: Type.Optional(Type.Integer()),
  startTime: Type.Optional(Type.Number({ description: 'Seconds: the first timestamp of the stream.' })),
});

export const SubtitleStream = Type.Object({
  index: Type.Integer(),
  codec: Type.String(),
  language: Type.Optional(Type.String()),
});

export const TechnicalMetadata = Type.Object({
  container: Type.String(),
  durationSeconds: Type.Number(),
  startTime: Type.Optional(Type.Number({ description: 'Seconds: the first timestamp of the file.' })),
  bitRate: Type.Optional(Type.Integer()),
  sizeBytes: Type.Optional(Type.Number()),
  startTimecode: Type.Optional(Type.String()),
  dropFrame: Type.Optional(Type.Boolean()),
  video: Type.Array(VideoStream),
  audio: Type.Array(AudioStream),
  subtitles: Type.Array(SubtitleStream),
});
export type TechnicalMetadata = Static<typeof TechnicalMetadata>;
export type VideoStream = Static<typeof VideoStream>;
export type AudioStream = Static<typeof AudioStream>;
