// Rekognition Video's Get* answers as detections and segments (pure, unit-tested); the markers
// are made from those by core's video-analysis mapping.
import type {
  CelebrityRecognition,
  ContentModerationDetection,
  FaceDetection,
  LabelDetection,
  SegmentDetection,
  TextDetectionResult,
} from '@aws-sdk/client-rekognition';
import type { Detection, Segment } from '@frameproof/core';

const at = (d: {
  Timestamp?: number;
  StartTimestampMillis?: number;
  EndTimestampMillis?: number;
}): { startMs: number; endMs?: number } => ({
  startMs: d.StartTimestampMillis ?? d.Timestamp ?? 0,
  ...(d.EndTimestampMillis === undefined ? {} : { endMs: d.EndTimestampMillis }),
});

/** Labels (`Label.Name`, first category), whether aggregated by timestamps or by segments. */
export const labelDetections = (items: readonly LabelDetection[]): Detection[] =>
  items.flatMap((d) =>
    d.Label?.Name
      ? [
          {
            ...at(d),
            name: d.Label.Name,
            confidence: d.Label.Confidence ?? 0,
            ...(d.Label.Categories?.[0]?.Name ? { category: d.Label.Categories[0].Name } : {}),
          },
        ]
      : [],
  );

export const celebrityDetections = (items: readonly CelebrityRecognition[]): Detection[] =>
  items.flatMap((d) =>
    d.Celebrity?.Name ? [{ ...at(d), name: d.Celebrity.Name, confidence: d.Celebrity.Confidence ?? 0 }] : [],
  );

/** Faces have no name: a span is a stretch with a face on screen. */
export const faceDetections = (items: readonly FaceDetection[]): Detection[] =>
  items.map((d) => ({ ...at(d), name: 'Face', confidence: d.Face?.Confidence ?? 0 }));

/** Lines of text (words repeat them). */
export const textDetections = (items: readonly TextDetectionResult[]): Detection[] =>
  items.flatMap((d) =>
    d.TextDetection?.Type === 'LINE' && d.TextDetection.DetectedText
      ? [{ ...at(d), name: d.TextDetection.DetectedText, confidence: d.TextDetection.Confidence ?? 0 }]
      : [],
  );

/** Moderation labels, with their top-level category (`ParentName`) when they have one. */
export const moderationDetections = (items: readonly ContentModerationDetection[]): Detection[] =>
  items.flatMap((d) =>
    d.ModerationLabel?.Name
      ? [
          {
            ...at(d),
            name: d.ModerationLabel.Name,
            confidence: d.ModerationLabel.Confidence ?? 0,
            ...(d.ModerationLabel.ParentName ? { category: d.ModerationLabel.ParentName } : {}),
          },
        ]
      : [],
  );

/** Shots and technical cues, with the frame numbers and SMPTE timecodes Rekognition gives. */
export const segments = (items: readonly SegmentDetection[]): Segment[] =>
  items.flatMap((d) =>
    d.Type === 'SHOT' || d.Type === 'TECHNICAL_CUE'
      ? [
          {
            type: d.Type,
            startFrame: d.StartFrameNumber,
            endFrame: d.EndFrameNumber,
            startTimecode: d.StartTimecodeSMPTE,
            endTimecode: d.EndTimecodeSMPTE,
            startMs: d.StartTimestampMillis ?? 0,
            endMs: d.EndTimestampMillis ?? d.StartTimestampMillis ?? 0,
            confidence:
              (d.Type === 'SHOT' ? d.ShotSegment?.Confidence : d.TechnicalCueSegment?.Confidence) ?? 0,
            cue: d.TechnicalCueSegment?.Type,
            shotIndex: d.ShotSegment?.Index,
          },
        ]
      : [],
  );
