import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FfmpegCapabilities } from '@frameproof/core';
import { LocalStorage } from '@frameproof/storage';
import { FfmpegRunner, probeCapabilities } from '@frameproof/media-kit';
import { type AudioMeasurer, trackMeasurement } from '../src/audio-measurer.js';

const run = promisify(execFile);

/** The machine's ffmpeg (Debian's 5.1 here); tests make their media with it. */
export const SYSTEM = { ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe' };

export async function ffmpeg(...args: string[]): Promise<void> {
  await run(SYSTEM.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** ffprobe's JSON for the first video stream with decoded frames counted. */
export async function countFrames(
  path: string,
): Promise<{ frames: number; rate: string; width: number; height: number }> {
  const { stdout } = await run(SYSTEM.ffprobe, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_frames',
    '-show_entries',
    'stream=nb_read_frames,r_frame_rate,avg_frame_rate,width,height',
    '-of',
    'json',
    path,
  ]);
  const s = (JSON.parse(stdout) as { streams: Record<string, string | number>[] }).streams[0] ?? {};
  return {
    frames: Number(s.nb_read_frames),
    rate: String(s.r_frame_rate),
    width: Number(s.width),
    height: Number(s.height),
  };
}

export async function ffprobeJson(path: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(SYSTEM.ffprobe, ['-v', 'error', '-of', 'json', ...args, path]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

export async function systemRunner(): Promise<{ runner: FfmpegRunner; capabilities: FfmpegCapabilities }> {
  const runner = new FfmpegRunner(SYSTEM);
  return { runner, capabilities: await probeCapabilities(runner) };
}

/** A name with everything a shell or a path parser could trip on. */
export const NASTY_NAME = `it's a "test"; $(touch pwned) | & \`id\` -i x:y%d.mov`;

/**
 * Small generated media in a storage folder, under `src/`. Every file is a few seconds at low
 * resolution, so the whole suite stays quick.
 */
export async function makeMedia() {
  const root = await mkdtemp(join(tmpdir(), 'frameproof-jobs-test-'));
  const storage = new LocalStorage(root);
  const path = (name: string) => storage.path(`src/${name}`);
  await mkdir(join(root, 'src'));
  const tone = (seconds: number, channels = 2) => [
    '-f',
    'lavfi',
    '-i',
    `sine=f=440:r=48000:d=${seconds},volume=-12dB${channels > 1 ? `,pan=${channels === 6 ? '5.1' : 'stereo'}|c0=c0|c1=c0` : ''}`,
  ];
  await Promise.all([
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25:d=2', ...tone(2)],
      ...[
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-timecode',
        '01:00:00:00',
        path('c25.mov'),
      ],
    ),
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30000/1001:d=2', ...tone(2)],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', path('c2997.mp4')],
    ),
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=641x361:r=25:d=1',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv444p',
      path('odd.mkv'),
    ),
    ffmpeg(...tone(2), '-c:a', 'pcm_s16le', path('audio.wav')),
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25:d=3'],
      ...[
        '-vf',
        "setpts='if(lt(N,30),N/25,(N+N/3)/25)/TB'",
        '-fps_mode',
        'vfr',
        '-c:v',
        'libx264',
        path('vfr.mp4'),
      ],
    ),
    // Interlaced PAL in MPEG-TS, with the audio starting 0.5 s before the pictures.
    ffmpeg(
      ...['-itsoffset', '0.5', '-f', 'lavfi', '-i', 'testsrc2=s=720x576:r=25:d=2,setfield=tff', ...tone(2.5)],
      ...[
        '-c:v',
        'mpeg2video',
        '-flags',
        '+ildct+ilme',
        '-top',
        '1',
        '-c:a',
        'mp2',
        '-f',
        'mpegts',
        path('interlaced.ts'),
      ],
    ),
    // Two audio tracks: mono English, 5.1 French.
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=25:d=1', ...tone(1, 1), ...tone(1, 6)],
      ...['-map', '0', '-map', '1', '-map', '2', '-c:v', 'libx264', '-c:a', 'aac'],
      ...['-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', path('tracks.mkv')],
    ),
    // For QC at 25 fps, 6 s: black 0-1 s, moving 1-3 s, still 3-5.4 s, moving 5.4-6 s; tone,
    // silence 2-4.5 s, tone.
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'color=black:s=160x90:r=25:d=1[b];testsrc2=s=160x90:r=25:d=2[t];smptebars=s=160x90:r=25:d=2.4[f];' +
        'mandelbrot=s=160x90:r=25,trim=duration=0.6[m];[b][t][f][m]concat=n=4:v=1:a=0,format=yuv420p',
      '-f',
      'lavfi',
      '-i',
      "sine=f=440:r=48000:d=6,volume=enable='between(t,2,4.5)':volume=0",
      ...['-c:v', 'libx264', '-c:a', 'aac', '-shortest', path('qc.mp4')],
    ),
  ]);
  // Text subtitles: two MP4 timed-text streams (English, French) and a SubRip one in Matroska.
  await writeFile(
    path('subtitles.srt'),
    '1\n00:00:00,200 --> 00:00:01,000\nHello & <i>welcome</i>\n\n2\n00:00:01,200 --> 00:00:01,800\nSecond\n',
  );
  await Promise.all([
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=25:d=2', '-i', path('subtitles.srt')],
      ...['-i', path('subtitles.srt'), '-map', '0', '-map', '1', '-map', '2'],
      ...['-c:v', 'libx264', '-c:s', 'mov_text', '-metadata:s:s:0', 'language=eng'],
      ...['-metadata:s:s:1', 'language=fra', path('subtitles.mp4')],
    ),
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=25:d=2', '-i', path('subtitles.srt')],
      ...['-map', '0', '-map', '1', '-c:v', 'libx264', '-c:s', 'srt', path('subtitles.mkv')],
    ),
  ]);
  await copyFile(path('c25.mov'), path(NASTY_NAME));
  await ffmpeg('-i', path('c2997.mp4'), '-c', 'copy', '-movflags', '+faststart', path('faststart.mp4'));
  // Bad input: empty, cut short (moov at the end, so no index), noise, text, a playlist.
  await writeFile(path('zero.mov'), '');
  const whole = await readFile(path('c2997.mp4'));
  await writeFile(path('truncated.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
  // With the index in front, a cut file still opens: it just ends early.
  const indexed = await readFile(path('faststart.mp4'));
  await writeFile(path('cut-short.mp4'), indexed.subarray(0, Math.floor(indexed.length * 0.6)));
  await writeFile(
    path('corrupt.mov'),
    Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 251)),
  );
  await writeFile(path('notes.txt'), 'These are not pictures.\n'.repeat(100));
  await writeFile(
    path('playlist.mov'),
    '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n',
  );
  await writeFile(path('concat.mov'), "ffconcat version 1.0\nfile '/etc/passwd'\n");
  return { root, storage, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Stands in for the analyze service where a test is about something else: Auto QC asks it about
 * each audio track (with the real service: tests/e2e/auto-qc.test.ts). Every track reads as a
 * compliant programme (-23 LUFS, -3 dBTP, no silence), so Auto QC finds nothing in the audio.
 */
export const compliantAudio: AudioMeasurer = {
  measure: async (request) =>
    trackMeasurement(
      request,
      { source: 'original', integrated: -23, range: 5, truePeak: -3 },
      { silence: { threshold: -60, minDuration: 2, spans: [] } },
    ),
};
