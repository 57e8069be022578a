import type { OutputMarker, LoudnessTarget } from '../api/jobs.js';
import type { Severity } from '../api/markers.js';
import { type FrameRate, secondsToFrame } from '../frame-rate.js';
import type { VideoStream } from '../media.js';
import type { FfmpegCapabilities } from './capabilities.js';
import { ffmpegGlobalArgs, ffmpegInputArgs, videoStartFilters } from './input.js';

/** The detectors' settings; durations are the shortest event reported. */
export const QC_SETTINGS = {
  black: { minSeconds: 0.5, pictureRatio: 0.98, pixelThreshold: 0.1 },
  freeze: { minSeconds: 2, noiseDb: -60 },
  /**
   * Asked of the analyze service with each track's levels; its own default, so the answer comes
   * from the track's one measuring pass.
   */
  silence: { minSeconds: 2, noiseDb: -60 },
  /** scdet's threshold (0-100) and, without scdet, the `select` scene score (0-1). */
  shots: { scdetThreshold: 10, sceneScore: 0.4 },
  /** Detection runs on a picture at most this high: same findings, far less work. */
  analysisHeight: 360,
} as const;

export interface AutoQcOptions {
  input: string;
  video: VideoStream;
  capabilities: FfmpegCapabilities;
  progress?: boolean;
}

/**
 * One decoding pass of the picture with every video detector: black, freeze and shot changes.
 * The findings come as log lines (`AutoQcLog` reads them), so the log level is `info`. Silence
 * and loudness are not measured here: the analyze service measures each audio track once, and
 * Auto QC reads that result (`AudioTrackMeasurement`), as the loudness panel does.
 */
export function autoQcArgs(o: AutoQcOptions): string[] {
  const { black, freeze, shots, analysisHeight } = QC_SETTINGS;
  const chain = [
    ...videoStartFilters(o.video),
    ...(o.video.height > analysisHeight ? [`scale=-2:${analysisHeight}:flags=fast_bilinear`] : []),
    `blackdetect=d=${black.minSeconds}:pic_th=${black.pictureRatio}:pix_th=${black.pixelThreshold}`,
    `freezedetect=n=${freeze.noiseDb}dB:d=${freeze.minSeconds}`,
    ...(o.capabilities.scdet
      ? [`scdet=threshold=${shots.scdetThreshold}`]
      : [`select='gt(scene,${shots.sceneScore})'`, 'metadata=mode=print:key=lavfi.scene_score']),
  ];
  return [
    ...ffmpegGlobalArgs({ progress: o.progress, logLevel: 'info' }),
    ...ffmpegInputArgs(o.input),
    '-filter_complex',
    `[0:${o.video.index}]${chain.join(',')}[v]`,
    '-map',
    '[v]',
    '-f',
    'null',
    '-',
  ];
}

/** An event in seconds from the first frame; `end` is exclusive and absent while open. */
export interface QcInterval {
  start: number;
  end?: number;
}

export interface LoudnessMeasurement {
  /** LUFS; -70 for silence. */
  integrated: number;
  /** LU. */
  range: number;
  /** dBTP; -Infinity for silence. */
  truePeak: number;
}

/** What the video detectors found. */
export interface VideoQcFindings {
  black: QcInterval[];
  freeze: QcInterval[];
  shotChanges: number[];
}

/**
 * One audio track's silence and loudness, as the analyze service measured them (its `levels`
 * and `loudness` answers), with times already on the video's clock.
 */
export interface AudioTrackMeasurement {
  /** The audio track, from 1. */
  track: number;
  silence: QcInterval[];
  /** None when the track could not be measured (no loudness in the answer). */
  loudness?: LoudnessMeasurement;
  /** What analyze decoded: `original` (the master's own audio) or `audio-proxy`. */
  source?: string;
}

export interface AutoQcFindings extends VideoQcFindings {
  /** Every audio track, in track order. */
  tracks: AudioTrackMeasurement[];
}

const number = (text: string | undefined) =>
  text === undefined ? NaN : /^-inf/.test(text) ? -Infinity : /^inf/.test(text) ? Infinity : Number(text);

/**
 * Reads the video detectors' lines of an `autoQcArgs` run, one line at a time as ffmpeg prints
 * them. Knows the output of ffmpeg 4.x and 5.x (whose lines and quirks differ a little).
 */
export class AutoQcLog {
  private readonly found: VideoQcFindings = { black: [], freeze: [], shotChanges: [] };
  private freezeStart: number | undefined;
  private freezeDuration: number | undefined;
  private scenePts: number | undefined;

  push(line: string): void {
    let m: RegExpExecArray | null;
    if ((m = /black_start:(\S+) black_end:(\S+)/.exec(line))) {
      this.found.black.push({ start: number(m[1]), end: number(m[2]) });
    } else if ((m = /freezedetect\.freeze_start: (\S+)/.exec(line))) {
      this.freezeStart = number(m[1]);
    } else if ((m = /freezedetect\.freeze_duration: (\S+)/.exec(line))) {
      this.freezeDuration = number(m[1]);
    } else if ((m = /freezedetect\.freeze_end: (\S+)/.exec(line))) {
      // 4.x leaves out a freeze_start at 0 s; the duration tells it.
      const end = number(m[1]);
      this.found.freeze.push({ start: this.freezeStart ?? end - (this.freezeDuration ?? 0), end });
      this.freezeStart = this.freezeDuration = undefined;
    } else if ((m = /lavfi\.scd\.score: \S+, lavfi\.scd\.time: (\S+)/.exec(line))) {
      this.found.shotChanges.push(number(m[1]));
    } else if ((m = /Parsed_metadata_\d+ .*\bpts_time:(\S+)/.exec(line))) {
      this.scenePts = number(m[1]);
    } else if (/lavfi\.scene_score=/.test(line) && this.scenePts !== undefined) {
      this.found.shotChanges.push(this.scenePts);
      this.scenePts = undefined;
    }
  }

  /** What was found; events still open at the end of the file get no `end`. */
  findings(): VideoQcFindings {
    const f = this.found;
    return {
      black: [...f.black],
      freeze: this.freezeStart === undefined ? [...f.freeze] : [...f.freeze, { start: this.freezeStart }],
      shotChanges: [...f.shotChanges],
    };
  }
}

export interface LoudnessVerdict {
  integratedOk: boolean;
  truePeakOk: boolean;
}

export function judgeLoudness(loudness: LoudnessMeasurement, target: LoudnessTarget): LoudnessVerdict {
  return {
    integratedOk: Math.abs(loudness.integrated - target.integratedLufs) <= target.toleranceLu + 1e-9,
    truePeakOk: loudness.truePeak <= target.truePeakDbtp + 1e-9,
  };
}

export interface QcTimeline {
  frameRate: FrameRate;
  /** Frames on the timeline; events are clipped to it. */
  frameCount: number;
}

/**
 * The frames an event covers: from the frame on screen at its start to the last frame before
 * its end (ffmpeg's ends are the first time after the event). An end at or past the last
 * frame, or none (the event lasts to the end), ends on the last frame.
 */
function frameSpan(interval: QcInterval, rate: FrameRate, last: number): [number, number] {
  const clip = (frame: number) => Math.min(last, Math.max(0, frame));
  const start = clip(secondsToFrame(interval.start, rate));
  const { end } = interval;
  if (end === undefined || secondsToFrame(end, rate) >= last) return [start, last];
  return [start, Math.max(start, clip(Math.ceil((end * rate.num) / rate.den - 1e-6) - 1))];
}

const programme = (last: number, title: string, description: string): OutputMarker => ({
  startFrame: 0,
  endFrame: last,
  title,
  description,
  category: 'loudness',
  severity: 'major',
});

/** The findings as frame-accurate markers: frames from the first frame, ends inclusive. */
export function autoQcMarkers(
  findings: AutoQcFindings,
  timeline: QcTimeline,
  target: LoudnessTarget,
): OutputMarker[] {
  const rate = timeline.frameRate;
  const last = Math.max(0, timeline.frameCount - 1);
  const spans = (intervals: QcInterval[]) => intervals.map((i) => frameSpan(i, rate, last));
  const markers: OutputMarker[] = [];
  const add = (
    spanList: [number, number][],
    category: string,
    title: string,
    severity: (s: number) => Severity,
  ) => {
    for (const [startFrame, endFrame] of spanList) {
      const frames = endFrame - startFrame + 1;
      const duration = (frames * rate.den) / rate.num;
      const description = `${duration.toFixed(2)} s (${frames} frames)`;
      markers.push({ startFrame, endFrame, title, description, category, severity: severity(duration) });
    }
  };
  const black = spans(findings.black);
  add(black, 'black', 'Black video', (s) => (s >= 2 ? 'major' : 'minor'));
  // Black pictures are frozen ones too: a freeze within a black stretch says nothing new.
  const inBlack = ([s, e]: [number, number]) => black.some(([bs, be]) => bs <= s && e <= be);
  add(
    spans(findings.freeze).filter((f) => !inBlack(f)),
    'freeze',
    'Frozen video',
    () => 'major',
  );
  for (const [frame] of spans(findings.shotChanges.map((t) => ({ start: t })))) {
    markers.push({
      startFrame: frame,
      endFrame: frame,
      title: 'Shot change',
      category: 'shot-change',
      severity: 'info',
    });
  }
  for (const { track, silence, loudness } of findings.tracks) {
    const on = ` (track ${track})`;
    add(spans(silence), 'silence', `Silence${on}`, (s) => (s >= 10 ? 'major' : 'minor'));
    if (!loudness) continue;
    const verdict = judgeLoudness(loudness, target);
    if (!verdict.integratedOk) {
      const detail = `Integrated ${loudness.integrated.toFixed(1)} LUFS; target ${target.integratedLufs} LUFS ±${target.toleranceLu} LU`;
      markers.push(programme(last, `Loudness out of range${on}`, detail));
    }
    if (!verdict.truePeakOk) {
      const detail = `True peak ${loudness.truePeak.toFixed(1)} dBTP; at most ${target.truePeakDbtp} dBTP`;
      markers.push(programme(last, `True peak too high${on}`, detail));
    }
  }
  // Stable: markers that start and end together keep their order (tracks in order).
  return markers.sort((a, b) => a.startFrame - b.startFrame || a.endFrame - b.endFrame);
}

/** JSON has no infinities: silence's -inf true peak becomes null. */
const finite = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(2)) : null);

/** The numbers for the asset's analysis (`result.metadata`): per audio track, its loudness verdict. */
export function autoQcMetadata(
  findings: AutoQcFindings,
  target: LoudnessTarget,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...extra,
    counts: {
      black: findings.black.length,
      freeze: findings.freeze.length,
      silence: findings.tracks.reduce((n, t) => n + t.silence.length, 0),
      shotChanges: findings.shotChanges.length,
    },
    tracks: findings.tracks.map(({ track, silence, loudness, source }) => {
      const verdict = loudness && judgeLoudness(loudness, target);
      return {
        track,
        measuredOn: source ?? null,
        silence: silence.length,
        loudness:
          loudness && verdict
            ? {
                integratedLufs: finite(loudness.integrated),
                rangeLu: finite(loudness.range),
                truePeakDbtp: finite(loudness.truePeak),
                target,
                ...verdict,
                pass: verdict.integratedOk && verdict.truePeakOk,
              }
            : null,
      };
    }),
    settings: QC_SETTINGS,
  };
}
