/**
 * Auto QC's audio findings come from the analyze service, which measures each audio track once
 * (loudness, true peak, silence) for the loudness panel as well: one result, two readers. The
 * worker asks over HTTP with its own service token, through the typed client.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, FrameproofClient } from '@frameproof/client';
import {
  type AudioStream,
  type AudioTrackMeasurement,
  audioOffsetSeconds,
  type LevelsResponse,
  type LoudnessResponse,
  MediaInputError,
  QC_SETTINGS,
  type VideoStream,
} from '@frameproof/core';

export interface MeasureRequest {
  assetId: string;
  audio: AudioStream;
  /** The video whose clock the findings are put on (none for audio-only files). */
  video?: VideoStream;
}

/** Measures one audio track of an asset for Auto QC. */
export interface AudioMeasurer {
  measure(request: MeasureRequest, signal: AbortSignal): Promise<AudioTrackMeasurement>;
}

/** The figures of analyze's answers as Auto QC's findings, on the video's clock. */
export function trackMeasurement(
  request: MeasureRequest,
  loudness: Pick<LoudnessResponse, 'source' | 'integrated' | 'range' | 'truePeak'>,
  levels: Pick<LevelsResponse, 'silence'>,
): AudioTrackMeasurement {
  const offset = audioOffsetSeconds(request.audio, request.video);
  return {
    track: request.audio.track,
    source: loudness.source,
    silence: levels.silence.spans.map((s) => ({ start: s.start + offset, end: s.end + offset })),
    loudness:
      loudness.integrated === null
        ? undefined
        : {
            integrated: loudness.integrated,
            range: loudness.range ?? NaN,
            // Digital silence has no true peak (ffmpeg: -inf; JSON: null).
            truePeak: loudness.truePeak ?? -Infinity,
          },
  };
}

export interface AnalyzeMeasurerOptions {
  /** The analyze service (ANALYZE_URL), or a router in front of it that serves `/api/analyze`. */
  url: string;
  /** The worker's current access token (the runner renews it). */
  getToken: () => string | undefined;
  /** Waits between tries while analyze is busy, restarting, or the token is being renewed. */
  retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15_000, 30_000, 30_000, 30_000];

/** Errors worth another try: analyze or the adapter behind it restarting, a token just expired, a long decode. */
function transient(err: unknown): boolean {
  if (err instanceof ApiError)
    return err.status === 401 || err.status === 502 || err.status === 503 || err.status === 504;
  // fetch failed: refused, reset, or no answer within undici's 300 s while a long programme decodes
  // (the decode goes on in analyze; asking again joins it).
  return err instanceof TypeError;
}

/** Asks the analyze service (the typed client, the worker's token) for each track's one measurement. */
export class AnalyzeMeasurer implements AudioMeasurer {
  private readonly delays: readonly number[];

  constructor(private readonly options: AnalyzeMeasurerOptions) {
    this.delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  async measure(request: MeasureRequest, signal: AbortSignal): Promise<AudioTrackMeasurement> {
    const { assetId, audio } = request;
    // The loudness first: it starts the track's one measuring pass, which the levels then read.
    const loudness = await this.ask('loudness', audio.track, signal, (c) =>
      c.getLoudness(assetId, audio.track, {}, signal),
    );
    const levels = await this.ask('levels', audio.track, signal, (c) =>
      c.getLevels(
        assetId,
        audio.track,
        { silenceThreshold: QC_SETTINGS.silence.noiseDb, silenceMinDuration: QC_SETTINGS.silence.minSeconds },
        signal,
      ),
    );
    return trackMeasurement(request, loudness, levels);
  }

  private async ask<T>(
    what: string,
    track: number,
    signal: AbortSignal,
    call: (client: FrameproofClient) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call(new FrameproofClient(this.options.url, this.options.getToken()));
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const delay = this.delays[attempt];
        if (transient(err) && delay !== undefined) {
          await sleep(delay, undefined, { signal }).catch(() => {
            throw signal.reason;
          });
          continue;
        }
        throw this.explain(err, what, track);
      }
    }
  }

  private explain(err: unknown, what: string, track: number): Error {
    const where = `the analyze service (ANALYZE_URL ${this.options.url})`;
    if (err instanceof ApiError) {
      const message = `${where} answered ${err.status} for the ${what} of audio track ${track}: ${err.message}`;
      // The track itself cannot be measured: another attempt would find the same.
      if (err.status === 422) return new MediaInputError('unreadable', message);
      return new Error(message);
    }
    return new Error(
      `${where} could not be asked for the ${what} of audio track ${track}: ${(err as Error).message}`,
    );
  }
}
