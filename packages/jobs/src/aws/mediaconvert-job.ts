// What MediaConvert is asked and what its answers mean, apart from the calls (pure, unit-tested).
import type { CreateJobCommandInput, Job } from '@aws-sdk/client-mediaconvert';
import type { BucketObject } from '@frameproof/storage';
import type { MediaConvertSettings } from './settings.js';

export const s3Url = (o: BucketObject) => `s3://${o.bucket}/${o.key}`;

/**
 * MediaConvert names outputs `<destination><name modifier>.<extension>`: the destination is the
 * output key without its extension, so the file lands exactly on `output`.
 */
export function fileDestination(output: BucketObject): { destination: string; extension: string } {
  const m = /^(.*[^/])\.([A-Za-z0-9]+)$/.exec(output.key);
  if (!m) throw new Error(`a MediaConvert output needs a file name with an extension, got "${output.key}"`);
  return { destination: s3Url({ bucket: output.bucket, key: m[1] as string }), extension: m[2] as string };
}

export interface ProxyJob {
  settings: MediaConvertSettings;
  input: BucketObject;
  output: BucketObject;
  preset: string;
  /** The source's audio track (from 1) the output carries; none for a source without audio. */
  audioTrack?: number;
  /** Tags the job with what it is for (asset, step), to be found in the console. */
  userMetadata: Record<string, string>;
}

/**
 * One output from one input with a deployment preset: the video proxy (preset H.264 + AAC, the
 * source's frame rate) or one audio track's proxy. Timecode starts at zero so that output frame
 * n is source frame n, as the frame-count check then confirms.
 */
export function proxyJobRequest(job: ProxyJob): CreateJobCommandInput {
  const { destination, extension } = fileDestination(job.output);
  return {
    Role: job.settings.roleArn,
    ...(job.settings.queue ? { Queue: job.settings.queue } : {}),
    UserMetadata: job.userMetadata,
    StatusUpdateInterval: 'SECONDS_10',
    Settings: {
      TimecodeConfig: { Source: 'ZEROBASED' },
      Inputs: [
        {
          FileInput: s3Url(job.input),
          TimecodeSource: 'ZEROBASED',
          VideoSelector: {},
          ...(job.audioTrack
            ? {
                AudioSelectors: {
                  'Audio Selector 1': {
                    DefaultSelection: 'DEFAULT',
                    SelectorType: 'TRACK',
                    Tracks: [job.audioTrack],
                  },
                },
              }
            : {}),
        },
      ],
      OutputGroups: [
        {
          Name: 'File Group',
          OutputGroupSettings: {
            Type: 'FILE_GROUP_SETTINGS',
            FileGroupSettings: { Destination: destination },
          },
          Outputs: [{ Preset: job.preset, Extension: extension }],
        },
      ],
    },
  };
}

/** A MediaConvert job that ended without its outputs. */
export class MediaConvertJobError extends Error {
  override readonly name = 'MediaConvertJobError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly errorCode?: number,
  ) {
    super(message);
  }
}

/**
 * Whether a job that failed with `code` may succeed when made again. 1000-range codes are about
 * the input, the settings, the role or the bucket (the same job fails the same way); 3000-range
 * codes are MediaConvert's own faults, as is an unknown or missing code.
 * See https://docs.aws.amazon.com/mediaconvert/latest/ug/mediaconvert_error_codes.html
 */
export function isRetryableErrorCode(code: number | undefined): boolean {
  if (code === undefined) return true;
  return code >= 3000 && code < 4000;
}

/** What went wrong with a job that ended in ERROR or CANCELED, as the job's error says it. */
export function jobFailure(job: Job): MediaConvertJobError {
  if (job.Status === 'CANCELED')
    return new MediaConvertJobError(`MediaConvert job ${job.Id ?? '?'} was cancelled`, true);
  const code = job.ErrorCode;
  const kind = isRetryableErrorCode(code) ? 'a MediaConvert fault' : 'the input or the job settings';
  return new MediaConvertJobError(
    `MediaConvert job ${job.Id ?? '?'} failed with error ${code ?? '(no code)'} (${kind}): ${job.ErrorMessage ?? 'no message'}`,
    isRetryableErrorCode(code),
    code,
  );
}

/** Percent done (0-100) of a job in progress; MediaConvert reports none while it is queued. */
export function jobPercent(job: Job): number {
  return Math.max(0, Math.min(100, job.JobPercentComplete ?? 0));
}
