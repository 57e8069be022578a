/** Why a file cannot be processed; retrying the same file gives the same answer. */
export type MediaInputErrorCode =
  | 'unreadable'
  | 'unsupported-container'
  | 'no-streams'
  | 'no-duration'
  | 'no-video'
  | 'no-audio'
  | 'invalid-job'
  | 'over-limit';

/**
 * Bad input: a corrupt, truncated, empty or non-media file, or a job that asks for a stream
 * the file does not have. Workers report it as not retryable.
 */
export class MediaInputError extends Error {
  override readonly name = 'MediaInputError';
  readonly retryable = false;
  constructor(
    readonly code: MediaInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** stderr lines that mean the input itself is bad (so running again cannot help). */
const BAD_INPUT: readonly RegExp[] = [
  /Invalid data found when processing input/,
  /moov atom not found/,
  /not on whitelist/,
  /does not contain any stream/,
  /could not find codec parameters/i,
  /Stream map '.*' matches no streams/,
  /No such file or directory/,
  /Server returned 404/,
  /End of file/,
];

/** ENOSPC as ffmpeg words it: the disk it writes to is full (space may come back). */
const NO_SPACE = /No space left on device/;

export interface FfmpegFailure {
  retryable: boolean;
  /** The last meaningful stderr lines, short enough for a job's error column. */
  summary: string;
}

/** Lines ffmpeg prints that say nothing about a failure. */
const NOISE =
  /^\s*$|^(frame|size)=|^\s*(Stream|Metadata|Duration|Input|Output|Side data|handler_name|encoder)\b/;

/**
 * What ffmpeg prints when it could not finish writing an output: a full disk while the MP4
 * muxer writes its index at the end, say. ffmpeg 5.1 still exits 0 then, leaving a file cut short.
 */
const UNFINISHED_OUTPUT = /^(?:Error writing trailer of|Error closing file) .+$/m;

/** The line saying an output was left unfinished, when a run's stderr has one. */
export function unfinishedOutput(stderr: string): string | undefined {
  return UNFINISHED_OUTPUT.exec(stderr)?.[0];
}

/** Turns a failed run's stderr into a short message and whether another attempt could help. */
export function classifyFfmpegFailure(stderr: string, maxLength = 600): FfmpegFailure {
  // The demuxer allow-list said no: name what the file was taken for, not the whole list.
  const refused = /\[([\w,]+) @ [^\]]+\] Format not on whitelist/.exec(stderr);
  if (refused)
    return { retryable: false, summary: `the file is not in an accepted media format (${refused[1]})` };
  // A decoder met a picture over DECODE_MAX_PIXELS: say so, not the decoder's follow-up errors.
  const huge = /Picture size (\d+x\d+) exceeds specified max pixel count (\d+)/.exec(stderr);
  if (huge)
    return {
      retryable: false,
      summary: `the picture size ${huge[1]} is over the limit of ${huge[2]} pixels`,
    };
  // A header declared a picture no decoder can even describe (over INT_MAX/8 bytes).
  const invalid = /Picture size (\d+x\d+) is invalid/.exec(stderr);
  if (invalid) return { retryable: false, summary: `the picture size ${invalid[1]} is invalid` };
  const lines = stderr.split(/\r?\n/).filter((l) => !NOISE.test(l));
  let summary = lines.slice(-4).join(' | ').trim();
  if (summary.length > maxLength) summary = `…${summary.slice(-(maxLength - 1))}`;
  // A full disk is never the input's fault, whatever else the run printed on the way.
  const retryable = NO_SPACE.test(stderr) || !BAD_INPUT.some((re) => re.test(stderr));
  return { retryable, summary: summary || 'no output' };
}
