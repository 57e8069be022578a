import {
  DEFAULT_LOUDNESS_TARGET,
  DEFAULT_MEDIA_LIMITS,
  type JobPayload,
  type JobResult,
  type JobType,
  MediaInputError,
  type MediaLimits,
  OUTPUT_FILES,
  type TechnicalMetadata,
  autoQcMarkers,
  autoQcMetadata,
  checkMediaLimits,
  formatFrameRate,
  outputKey as key,
  timelineOf,
  VIDEO_ANALYSES,
} from '@frameproof/core';
import type { AudioMeasurer } from '../audio-measurer.js';
import type { Analysis, StepContext, Transcoder, VideoAnalyzer } from '../transcoder.js';

export interface ProcessorContext<T extends JobType> extends StepContext {
  payload: JobPayload<T>;
}
export type Processor<T extends JobType> = (ctx: ProcessorContext<T>) => Promise<JobResult>;
/** One processor per job type: a new type does not compile until it has one. */
export type ProcessorTable = { [T in JobType]: Processor<T> };

function invalid(message: string): never {
  throw new MediaInputError('invalid-job', message);
}

/** The payload comes over HTTP as JSON: check what the processors rely on. */
function checked<P extends JobPayload>(payload: P, { technical }: { technical: boolean }): P {
  const p = payload as Partial<JobPayload<'video-proxy'>> | undefined;
  if (typeof p?.source?.key !== 'string' || !p.source.key) invalid('the job has no source key');
  if (typeof p.outputPrefix !== 'string' || !p.outputPrefix) invalid('the job has no output prefix');
  if (technical && (!p.technical || !Array.isArray(p.technical.video) || !Array.isArray(p.technical.audio)))
    invalid('the job has no technical metadata (probe first)');
  return payload;
}

function firstVideo(technical: TechnicalMetadata) {
  const video = technical.video[0];
  if (!video) throw new MediaInputError('no-video', 'the file has no video stream');
  return video;
}

export interface ProcessorOptions {
  /** What the probe refuses (DEFAULT_MEDIA_LIMITS unless given). */
  limits?: MediaLimits;
  /** Runs video analyses (Rekognition Video on AWS); without it such jobs fail, not retried. */
  videoAnalyzer?: VideoAnalyzer;
  /**
   * Measures audio tracks for Auto QC: the analyze service, whose one result per track the
   * loudness panel reads too. Without it, Auto QC of a file with audio fails, not retried.
   */
  audioMeasurer?: AudioMeasurer;
}

/**
 * The processors, doing their steps with `transcoder` (and `videoAnalyzer`). Output names are
 * fixed under the job's `outputPrefix`, so a retried job overwrites what an earlier attempt left.
 * The probe refuses a file over `limits`, so no later step decodes it.
 */
export function createProcessors(
  transcoder: Transcoder,
  { limits = DEFAULT_MEDIA_LIMITS, videoAnalyzer, audioMeasurer }: ProcessorOptions = {},
): ProcessorTable {
  return {
    probe: async (ctx) => {
      const { source, outputPrefix } = checked(ctx.payload, { technical: false });
      const technical = await transcoder.probe({ source }, ctx);
      checkMediaLimits(technical, limits);
      // Text subtitle streams of the source become subtitle shapes, numbered from 1 in stream
      // order (the shape's track), so that a retried probe replaces them.
      const subtitles = await transcoder.subtitles(
        { source, technical, outputPrefix: key(outputPrefix, 'subtitles') },
        ctx,
      );
      if (!subtitles.length) return { technical };
      return {
        technical,
        shapes: subtitles.map(({ stream, cues, file }, i) => ({
          type: 'subtitle',
          track: i + 1,
          label: `Subtitles ${i + 1}${stream.language ? ` (${stream.language})` : ''}`,
          metadata: {
            ...(stream.language ? { language: stream.language } : {}),
            format: stream.codec,
            cues,
            source: 'ingest',
            streamIndex: stream.index,
          },
          files: [file],
        })),
      };
    },

    'video-proxy': async (ctx) => {
      const { source, technical, outputPrefix, maxHeight } = checked(ctx.payload, { technical: true });
      if (!Number.isInteger(maxHeight) || maxHeight < 2)
        invalid(`maxHeight must be a whole number >= 2, got ${maxHeight}`);
      const video = firstVideo(technical);
      const outputKey = key(outputPrefix, OUTPUT_FILES.videoProxy);
      const proxy = await transcoder.videoProxy(
        { source, technical, video, audio: technical.audio[0], maxHeight, outputKey },
        ctx,
      );
      const { files, metadata } = proxy;
      return {
        shapes: [{ type: 'video-proxy', label: `${String(metadata.height)}p H.264`, metadata, files }],
        // The proxy's own streams: thumbnails and Auto QC may read it instead of the original.
        technical: proxy.technical ?? (await transcoder.probe({ source: { key: outputKey } }, ctx)),
      };
    },

    'audio-proxy': async (ctx) => {
      const { source, technical, outputPrefix, track, streamIndex } = checked(ctx.payload, {
        technical: true,
      });
      const audio =
        technical.audio.find((a) => a.index === streamIndex) ??
        technical.audio.find((a) => a.track === track);
      if (!audio)
        throw new MediaInputError('no-audio', `the file has no audio stream ${streamIndex} (track ${track})`);
      const { files, metadata } = await transcoder.audioProxy(
        {
          source,
          technical,
          audio,
          video: technical.video[0],
          outputKey: key(outputPrefix, OUTPUT_FILES.audioProxy),
        },
        ctx,
      );
      const label = `Track ${audio.track}${audio.language ? ` (${audio.language})` : ''}`;
      return { shapes: [{ type: 'audio-proxy', track: audio.track, label, metadata, files }] };
    },

    thumbnails: async (ctx) => {
      const { source, technical, outputPrefix, spriteIntervalSeconds } = checked(ctx.payload, {
        technical: true,
      });
      if (!(spriteIntervalSeconds > 0))
        invalid(`spriteIntervalSeconds must be > 0, got ${spriteIntervalSeconds}`);
      const video = firstVideo(technical);
      const request = { source, technical, video };
      const poster = await transcoder.poster(
        { ...request, outputKey: key(outputPrefix, OUTPUT_FILES.poster) },
        ctx,
      );
      const sprite = await transcoder.sprites(
        {
          ...request,
          outputPrefix: outputPrefix.replace(/\/+$/, ''),
          intervalSeconds: spriteIntervalSeconds,
        },
        ctx,
      );
      return {
        shapes: [
          { type: 'poster', label: 'Poster', ...poster },
          { type: 'sprite', label: 'Thumbnails', ...sprite },
        ],
      };
    },

    'auto-qc': async (ctx) => {
      const { assetId, source, technical, loudnessTarget } = checked(ctx.payload, { technical: true });
      const target = loudnessTarget ?? DEFAULT_LOUDNESS_TARGET;
      const video = technical.video[0];
      const { audio } = technical;
      if (!video && !audio.length)
        throw new MediaInputError('no-streams', 'the file has neither video nor audio streams');
      const measurer = audioMeasurer;
      if (audio.length && !measurer)
        invalid('this jobs service cannot measure audio for Auto QC (no analyze service: ANALYZE_URL)');
      // The same time axis the adapter gives the asset: for audio only, AUDIO_ONLY_FRAME_RATE.
      const timeline = timelineOf(technical);
      const rate = timeline.frameRate;
      const frameCount = timeline.durationFrames;
      if (!rate || frameCount === null)
        throw new MediaInputError('no-streams', 'the file has neither video nor audio streams');
      // The picture here and every audio track in analyze, side by side; one failing stops both.
      const stop = new AbortController();
      const signal = AbortSignal.any([ctx.signal, stop.signal]);
      const picture: Promise<Analysis | undefined> = video
        ? transcoder.analyze({ source, technical, video }, { ...ctx, signal })
        : Promise.resolve(undefined);
      const sound = (async () => {
        const tracks = [];
        // One track after another: analyze decodes each whole track, on its own share of a CPU.
        for (const stream of audio)
          tracks.push(await (measurer as AudioMeasurer).measure({ assetId, audio: stream, video }, signal));
        return tracks;
      })();
      let found: [Analysis | undefined, Awaited<typeof sound>];
      try {
        found = await Promise.all([picture, sound]);
      } catch (err) {
        stop.abort(err);
        await Promise.allSettled([picture, sound]);
        throw err;
      }
      const [analysis, tracks] = found;
      const findings = {
        ...(analysis?.findings ?? { black: [], freeze: [], shotChanges: [] }),
        tracks,
      };
      return {
        markers: autoQcMarkers(findings, { frameRate: rate, frameCount }, target),
        metadata: autoQcMetadata(findings, target, {
          shotDetector: null,
          videoStream: null,
          ...analysis?.metadata,
          frameRate: formatFrameRate(rate),
          frameCount,
        }),
      };
    },

    'video-analysis': async (ctx) => {
      const { source, technical, analyses } = checked(ctx.payload, { technical: true });
      const known: readonly string[] = VIDEO_ANALYSES;
      if (!Array.isArray(analyses) || !analyses.length || !analyses.every((a) => known.includes(a)))
        invalid(`analyses must be some of ${VIDEO_ANALYSES.join(', ')}, got ${JSON.stringify(analyses)}`);
      firstVideo(technical);
      const analyzer = videoAnalyzer;
      if (!analyzer)
        invalid(
          'this jobs service runs no video analysis (set REKOGNITION_ROLE_ARN and REKOGNITION_SNS_TOPIC_ARN)',
        );
      const { markers, metadata } = await analyzer.analyzeVideo({ source, technical, analyses }, ctx);
      return { markers, metadata: { ...metadata, analyses } };
    },
  };
}
