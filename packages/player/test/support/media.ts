/**
 * Frame-numbered test media: every frame carries its own number as 16 black-or-white blocks
 * (bit i at x = 20i..20i+19, lines 0-39) above their complement (lines 40-79), so a picture
 * can be read back from screen pixels and a blend of two frames is detected, not misread. The
 * source is made with ffmpeg (x264 with B-frames) and then passed through core's own proxy
 * builder, so the proxy format the product makes is what the browser plays.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CAPABILITY_ARGS,
  ffmpegCapabilities,
  type FrameRate,
  parseProbe,
  probeArgs,
  videoProxyArgs,
} from '@frameproof/core';
import type { PlayerMedia } from '../../src/types.js';

const run = promisify(execFile);

export interface RateCase {
  name: '23.976' | '25' | '29.97df' | '59.94';
  rate: FrameRate;
  dropFrame: boolean;
  startTimecode: string | null;
}

export const RATE_CASES: RateCase[] = [
  { name: '23.976', rate: { num: 24000, den: 1001 }, dropFrame: false, startTimecode: null },
  { name: '25', rate: { num: 25, den: 1 }, dropFrame: false, startTimecode: '10:00:00:00' },
  // Starts just before a minute so drop-frame labels are crossed: 00:00:59;29 → 00:01:00;02.
  { name: '29.97df', rate: { num: 30000, den: 1001 }, dropFrame: true, startTimecode: '00:00:50;00' },
  { name: '59.94', rate: { num: 60000, den: 1001 }, dropFrame: false, startTimecode: null },
];

export const PATTERN = { bits: 16, blockWidth: 20, rowHeight: 40 } as const;

/** The geq expression drawing the pattern (luma); chroma is neutral. */
function patternFilter(): string {
  const bit = `mod(floor(N/pow(2\\,floor(X/${PATTERN.blockWidth})))\\,2)`;
  return `geq=lum='if(lt(Y\\,${2 * PATTERN.rowHeight})\\,255*abs(${bit}-gte(Y\\,${PATTERN.rowHeight}))\\,96+64*sin(N/7+X/30))':cb=128:cr=128`;
}

export const MEDIA_DIR = join(tmpdir(), 'frameproof-player-media');

async function capabilities(): Promise<ReturnType<typeof ffmpegCapabilities>> {
  const [version, filters, help] = await Promise.all(
    [CAPABILITY_ARGS.version, CAPABILITY_ARGS.filters, CAPABILITY_ARGS.help].map((args) =>
      run('ffmpeg', [...args], { maxBuffer: 64 << 20 }).then((r) => r.stdout),
    ),
  );
  return ffmpegCapabilities({ version: version as string, filters: filters as string, help: help as string });
}

export interface MadeMedia {
  file: string;
  media: PlayerMedia;
}

/**
 * Makes (once per machine, cached under the temp folder) a frame-numbered proxy of `frames`
 * frames at `width`x`height` (the pattern drawn at 320x180 and scaled), with `audioTracks` sine-tone audio proxies beside it.
 */
export async function makeNumberedProxy(
  c: RateCase,
  opts: { frames: number; width?: number; height?: number; audioTracks?: number } = { frames: 480 },
): Promise<MadeMedia> {
  const width = opts.width ?? 320;
  const height = opts.height ?? 180;
  const tracks = opts.audioTracks ?? 0;
  const key = `${c.name}-${opts.frames}-${width}x${height}-a${tracks}`;
  const dir = join(MEDIA_DIR, key);
  const media: PlayerMedia = {
    videoUrl: `/media/${key}/proxy.mp4`,
    frameRate: c.rate,
    durationFrames: opts.frames,
    startTimecode: c.startTimecode,
    dropFrame: c.dropFrame,
    width,
    height,
    audioTracks: Array.from({ length: tracks }, (_, i) => ({
      track: i + 1,
      label: `Track ${i + 1} (stereo)`,
      url: `/media/${key}/audio${i + 1}.m4a`,
      channels: 2,
    })),
  };
  if (existsSync(join(dir, 'done'))) return { file: join(dir, 'proxy.mp4'), media };
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const rate = `${c.rate.num}/${c.rate.den}`;
  const source = join(work, 'source.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
    ...[
      '-f',
      'lavfi',
      '-i',
      `color=c=gray:s=320x180:r=${rate},format=yuv420p,${patternFilter()},scale=${width}:${height}:flags=neighbor`,
    ],
    ...[
      '-frames:v',
      String(opts.frames),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '18',
      '-bf',
      '3',
    ],
    ...['-x264-params', 'bframes=3:b-adapt=0', '-g', '48', '-pix_fmt', 'yuv420p', source],
  ]);
  const probe = parseProbe((await run('ffprobe', probeArgs(source), { maxBuffer: 16 << 20 })).stdout);
  const video = probe.video[0];
  if (!video) throw new Error('the generated source has no video stream');
  const args = videoProxyArgs({
    input: source,
    output: join(work, 'proxy.mp4'),
    video,
    maxHeight: height,
    capabilities: await capabilities(),
  });
  await run('ffmpeg', args);
  const seconds = (opts.frames * c.rate.den) / c.rate.num;
  for (let i = 1; i <= tracks; i++) {
    await run('ffmpeg', [
      ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
      ...['-f', 'lavfi', '-i', `sine=frequency=${220 * i}:sample_rate=48000:duration=${seconds}`],
      ...['-ac', '2', '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', join(work, `audio${i}.m4a`)],
    ]);
  }
  await rm(source);
  await writeFile(join(work, 'done'), '');
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir).catch(async (err: unknown) => {
    // Another test file made the same media meanwhile: keep theirs.
    if (existsSync(join(dir, 'done'))) await rm(work, { recursive: true, force: true });
    else throw err;
  });
  return { file: join(dir, 'proxy.mp4'), media };
}

/** Reads the frame number from an RGBA picture of the video (any scale); null when unreadable. */
export function readPattern(
  rgba: Uint8Array,
  width: number,
  height: number,
  videoWidth: number,
): number | null {
  const sx = width / videoWidth;
  const sy = sx;
  let value = 0;
  for (let bit = 0; bit < PATTERN.bits; bit++) {
    const x = Math.floor((bit * PATTERN.blockWidth + PATTERN.blockWidth / 2) * sx);
    const luma = (y: number): number => {
      const i = (Math.floor(y * sy) * width + x) * 4;
      return ((rgba[i] as number) + (rgba[i + 1] as number) + (rgba[i + 2] as number)) / 3;
    };
    const a = luma(PATTERN.rowHeight / 2);
    const b = luma(PATTERN.rowHeight * 1.5);
    const one = a > 128;
    // The complement must disagree clearly, or the picture is a blend of frames.
    if (one === b > 128 || Math.abs(a - b) < 100) return null;
    if (one) value |= 1 << bit;
  }
  return value;
}
