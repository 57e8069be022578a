// Video analysis results (Rekognition Video, or any engine that reports the same) as timeline
// markers: pure, so the mapping is tested without AWS.
import type { OutputMarker } from './api/jobs.js';
import type { Severity } from './api/markers.js';
import { type FrameRate, secondsToFrame } from './frame-rate.js';
import { parseTimecode } from './timecode.js';

/** The analyses a deployment may run on a video proxy. */
export const VIDEO_ANALYSES = ['labels', 'celebrities', 'faces', 'text', 'moderation', 'segments'] as const;
export type VideoAnalysis = (typeof VIDEO_ANALYSES)[number];

/**
 * The analyses an upload names in a text field ("labels,faces"; empty or "none": none), each
 * one the deployment allows; throws a RangeError naming what is not.
 */
export function chooseVideoAnalyses(
  requested: readonly string[] | string,
  allowed: readonly VideoAnalysis[],
): VideoAnalysis[] {
  const items =
    typeof requested === 'string'
      ? requested
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a !== '' && a !== 'none')
      : [...requested];
  const refused = items.filter((a) => !(allowed as readonly string[]).includes(a));
  if (refused.length)
    throw new RangeError(
      `${refused.join(', ')}: not among this deployment's video analyses (${allowed.length ? allowed.join(', ') : 'none'})`,
    );
  return [...new Set(items as VideoAnalysis[])];
}

/** The timeline row each analysis writes its markers to. */
export const VIDEO_ANALYSIS_GROUPS: Record<VideoAnalysis, string> = {
  labels: 'AI labels',
  celebrities: 'AI celebrities',
  faces: 'AI faces',
  text: 'AI text',
  moderation: 'AI moderation',
  segments: 'AI segments',
};

/** One thing seen at one moment (`endMs` absent) or over a stretch, in ms from the first frame. */
export interface Detection {
  name: string;
  startMs: number;
  endMs?: number;
  /** 0-100, as the engine reports it. */
  confidence: number;
  category?: string;
}

export interface AnalysisTimeline {
  frameRate: FrameRate;
  /** Frames on the timeline; markers are clipped to it. */
  frameCount: number;
}

export interface SpanOptions {
  /** Detections of the same thing this close (ms) are one span: the engine samples, it does not see every frame. */
  maxGapMs: number;
  /** Detections below this confidence (0-100) are left out. */
  minConfidence?: number;
}

/** A marker's confidence: the engine's 0-100, to a tenth. */
const confidence = (n: number) => Math.min(100, Math.max(0, Math.round(n * 10) / 10));

/** The frame on screen at `ms`, on the timeline (clipped to it). */
function frameAt(ms: number, t: AnalysisTimeline): number {
  const last = Math.max(0, t.frameCount - 1);
  return Math.min(last, Math.max(0, secondsToFrame(ms / 1000, t.frameRate)));
}

/**
 * Merges consecutive detections of the same thing (same name and category) into spans and
 * turns each span into a marker on the analysis's row, in frames at the timeline's rate, with
 * the highest confidence seen (the marker's `confidence`) and how many detections it holds (its
 * description). Moderation findings are major;
 * everything else is information.
 */
export function detectionMarkers(
  analysis: Exclude<VideoAnalysis, 'segments'>,
  detections: readonly Detection[],
  timeline: AnalysisTimeline,
  options: SpanOptions,
): OutputMarker[] {
  const kept = detections
    .filter((d) => d.confidence >= (options.minConfidence ?? 0) && d.name.trim() !== '')
    .map((d) => ({ ...d, endMs: Math.max(d.startMs, d.endMs ?? d.startMs) }))
    .sort((a, b) => a.startMs - b.startMs);
  const open = new Map<string, { d: Required<Detection>; count: number }>();
  const spans: { d: Required<Detection>; count: number }[] = [];
  for (const d of kept) {
    const key = `${d.category ?? ''}\u0000${d.name}`;
    const span = open.get(key);
    if (span && d.startMs <= span.d.endMs + options.maxGapMs) {
      span.d.endMs = Math.max(span.d.endMs, d.endMs);
      span.d.confidence = Math.max(span.d.confidence, d.confidence);
      span.count++;
      continue;
    }
    const next = { d: { ...d, category: d.category ?? analysis }, count: 1 };
    open.set(key, next);
    spans.push(next);
  }
  const severity: Severity = analysis === 'moderation' ? 'major' : 'info';
  return spans
    .map(({ d, count }) => ({
      startFrame: frameAt(d.startMs, timeline),
      endFrame: frameAt(d.endMs, timeline),
      title: d.name.slice(0, 500),
      description: `${count} detection${count === 1 ? '' : 's'}`,
      confidence: confidence(d.confidence),
      category: d.category.slice(0, 100),
      severity,
      group: VIDEO_ANALYSIS_GROUPS[analysis],
    }))
    .sort((a, b) => a.startFrame - b.startFrame || a.title.localeCompare(b.title));
}

/** A shot or a technical cue, as segment detection reports it. */
export interface Segment {
  type: 'SHOT' | 'TECHNICAL_CUE';
  /** Frame numbers from 0, both inclusive, when the engine gives them. */
  startFrame?: number;
  endFrame?: number;
  /** SMPTE timecode from the start of the video (`;` before the frames for drop-frame). */
  startTimecode?: string;
  endTimecode?: string;
  startMs: number;
  endMs: number;
  confidence: number;
  /** For technical cues: BlackFrames, ColorBars, EndCredits, OpeningCredits, StudioLogo, Slate, Content. */
  cue?: string;
  /** For shots: the shot's index from 0. */
  shotIndex?: number;
}

/** Technical cues as the timeline names them; `Content` (the programme itself) is no marker. */
export const TECHNICAL_CUES: Record<string, { title: string; category: string }> = {
  BlackFrames: { title: 'Black frames', category: 'black-frames' },
  ColorBars: { title: 'Colour bars', category: 'colour-bars' },
  EndCredits: { title: 'End credits', category: 'end-credits' },
  OpeningCredits: { title: 'Opening credits', category: 'opening-credits' },
  StudioLogo: { title: 'Studio logo', category: 'studio-logo' },
  Slate: { title: 'Slate', category: 'slate' },
};

/**
 * Shots and technical cues as markers on the segments row. Their frames come from the frame
 * numbers the engine reports, else from its SMPTE timecode at the timeline's rate, else from
 * milliseconds; each is clipped to the timeline.
 */
export function segmentMarkers(segments: readonly Segment[], timeline: AnalysisTimeline): OutputMarker[] {
  const last = Math.max(0, timeline.frameCount - 1);
  const frame = (n: number | undefined, timecode: string | undefined, ms: number) => {
    let f: number | undefined = n;
    if (f === undefined && timecode) {
      try {
        f = parseTimecode(timecode, timeline.frameRate).frames;
      } catch {
        f = undefined;
      }
    }
    return f === undefined ? frameAt(ms, timeline) : Math.min(last, Math.max(0, f));
  };
  const markers: OutputMarker[] = [];
  for (const s of segments) {
    const cue = s.type === 'TECHNICAL_CUE' ? TECHNICAL_CUES[s.cue ?? ''] : undefined;
    if (s.type === 'TECHNICAL_CUE' && !cue) continue;
    const startFrame = frame(s.startFrame, s.startTimecode, s.startMs);
    const endFrame = Math.max(startFrame, frame(s.endFrame, s.endTimecode, s.endMs));
    markers.push({
      startFrame,
      endFrame,
      title: cue ? cue.title : `Shot ${(s.shotIndex ?? markers.length) + 1}`,
      confidence: confidence(s.confidence),
      category: cue ? cue.category : 'shot',
      severity: 'info',
      group: VIDEO_ANALYSIS_GROUPS.segments,
    });
  }
  return markers.sort((a, b) => a.startFrame - b.startFrame || a.title.localeCompare(b.title));
}
