import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AudioStream,
  type FfmpegCapabilities,
  type VideoStream,
  audioProxyArgs,
  audioSyncFilters,
  audioOffsetSeconds,
  autoQcArgs,
  classifyFfmpegFailure,
  ffmpegCapabilities,
  fitSize,
  isAllowedContainer,
  ffmpegInputArgs,
  ffmpegUrl,
  parseFfmpegVersion,
  posterArgs,
  proxyMismatch,
  posterFrame,
  ffmpegSeconds,
  spriteArgs,
  spriteLayout,
  spriteVtt,
  subtitleExtractArgs,
  textSubtitleStreams,
  unfinishedOutput,
  videoProxyArgs,
} from '../src/index.js';

const FFMPEG_5: FfmpegCapabilities = { version: '5.1.9', scdet: true, fpsMode: true };
const FFMPEG_4: FfmpegCapabilities = { version: 'N-47683', scdet: false, fpsMode: false };

const SAFE_INPUT = [
  '-protocol_whitelist',
  'file',
  '-format_whitelist',
  'mov,matroska,webm,mxf,mpegts,mpeg,avi,asf,flv,gxf,dv,nut,ivf,yuv4mpegpipe,ogg,wav,w64,aiff,caf,mp3,flac,aac,ac3,eac3',
  '-max_pixels',
  '268435456',
];
/** The value given to `flag`; fails when the flag is missing. */
function valueOf(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  assert.ok(at >= 0, `${flag} is missing from ${args.join(' ')}`);
  return args[at + 1];
}

/** The values of the flags that matter, by flag, to compare in one assertion. */
const options = (args: readonly string[], ...flags: string[]) =>
  Object.fromEntries(flags.map((flag) => [flag, valueOf(args, flag)]));

/** What each `-map` takes, in order. */
const maps = (args: readonly string[]) => args.flatMap((a, i) => (a === '-map' ? [args[i + 1]] : []));

/** One input, opened behind the allow-lists, and `output` written last. */
function assertInputAndOutput(args: readonly string[], input: string, output: string): void {
  const at = args.indexOf('-i');
  assert.equal(args.lastIndexOf('-i'), at, 'one input');
  assert.deepEqual(args.slice(at - SAFE_INPUT.length, at + 2), [...SAFE_INPUT, '-i', input]);
  assert.equal(args.at(-1), output);
}

/** Progress on stdout, for the runner's ETA; or none. */
function assertProgress(args: readonly string[], wanted: boolean): void {
  if (wanted) assert.equal(valueOf(args, '-progress'), 'pipe:1');
  else assert.ok(!args.includes('-progress'));
}

/** 1080p 29.97 progressive with stereo, both starting at 0. */
const hd: VideoStream = {
  index: 0,
  codec: 'prores',
  width: 1920,
  height: 1080,
  frameRate: { num: 30000, den: 1001 },
  variableFrameRate: false,
  fieldOrder: 'progressive',
  frameCount: 300,
  startTime: 0,
};
const stereo: AudioStream = {
  index: 1,
  track: 1,
  codec: 'pcm_s24le',
  channels: 2,
  sampleRate: 48000,
  startTime: 0,
};
/** PAL 16:9 anamorphic, interlaced, in MPEG-TS: the 5.1 audio starts 0.541333 s before the video. */
const pal: VideoStream = {
  index: 0,
  codec: 'mpeg2video',
  width: 720,
  height: 576,
  sampleAspectRatio: '64:45',
  frameRate: { num: 25, den: 1 },
  variableFrameRate: false,
  fieldOrder: 'tt',
  frameCount: 250,
  startTime: 1.941333,
};
const surround: AudioStream = {
  index: 2,
  track: 2,
  codec: 'ac3',
  channels: 6,
  sampleRate: 48000,
  startTime: 1.4,
};

describe('inputs', () => {
  it('prefixes local paths with file: so names cannot pass for protocols or options', () => {
    assert.equal(ffmpegUrl('/data/a:b.mov'), 'file:/data/a:b.mov');
    assert.equal(ffmpegUrl('-i.mov'), 'file:-i.mov');
    assert.equal(ffmpegUrl('https://s3/x.mov?sig=1'), 'https://s3/x.mov?sig=1');
    assert.equal(ffmpegUrl('file:/x'), 'file:/x');
  });

  it('lets each input use only the protocols its own scheme needs', () => {
    const protocols = (input: string) => valueOf(ffmpegInputArgs(input), '-protocol_whitelist') ?? '';
    // A local file reads files and nothing else: no http, data:, subfile:, pipe or crypto.
    assert.equal(protocols('/data/a.mov'), 'file');
    assert.equal(protocols('/data/http:x.mov'), 'file');
    // A presigned S3 URL (and a media URL behind TLS) needs HTTPS over TLS over TCP.
    assert.equal(protocols('https://bucket.s3.amazonaws.com/a.mov?X-Amz-Signature=1'), 'https,tls,tcp');
    // A local media URL (the analyze service reading the adapter's signed URL) is plain HTTP.
    assert.equal(protocols('http://127.0.0.1:8080/api/media/a.mov?sig=1'), 'http,tcp');
    for (const input of ['/a.mov', 'https://s3/a.mov', 'http://h/a.mov'])
      for (const refused of ['data', 'subfile', 'pipe', 'crypto', 'concat', 'ftp', 'rtmp', 'hls'])
        assert.ok(!protocols(input).split(',').includes(refused), `${refused} for ${input}`);
  });

  it('allows media containers and refuses playlists and references', () => {
    for (const ok of ['mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm', 'mxf', 'mpegts', 'wav'])
      assert.ok(isAllowedContainer(ok), ok);
    for (const bad of ['hls', 'concat', 'dash', 'image2', 'tty', 'lavfi', 'png_pipe'])
      assert.ok(!isAllowedContainer(bad), bad);
  });

  it('writes seconds without exponents or float noise', () => {
    assert.equal(ffmpegSeconds(0.1 + 0.2), '0.3');
    assert.equal(ffmpegSeconds(1e-7), '0');
    assert.equal(ffmpegSeconds(2), '2');
    assert.equal(ffmpegSeconds(0.541333), '0.541333');
  });

  it('puts audio on the video clock: cut before the first frame, silence when it starts later', () => {
    assert.deepEqual(audioSyncFilters(surround, pal), [
      'asetpts=PTS-STARTPTS-0.541333/TB',
      'aresample=async=1:first_pts=0',
    ]);
    assert.deepEqual(audioSyncFilters({ ...stereo, startTime: 0.5 }, hd), [
      'asetpts=PTS-STARTPTS+0.5/TB',
      'aresample=async=1:first_pts=0',
    ]);
    assert.deepEqual(audioSyncFilters(stereo, undefined), [
      'asetpts=PTS-STARTPTS',
      'aresample=async=1:first_pts=0',
    ]);
  });

  it('fits pictures in square pixels with even sides, never upscaling', () => {
    assert.deepEqual(fitSize(hd, 720), { width: 1280, height: 720 });
    assert.deepEqual(fitSize(hd, 2160), { width: 1920, height: 1080 });
    assert.deepEqual(fitSize(pal, 1080), { width: 1024, height: 576 });
    assert.deepEqual(fitSize({ ...hd, width: 641, height: 361 }, 1080), { width: 640, height: 360 });
  });
});

describe('videoProxyArgs', () => {
  it('makes a constant-rate H.264/AAC proxy at the exact source rate with a 1 s closed GOP', () => {
    const args = videoProxyArgs({
      input: '/m/in.mov',
      output: '/t/video.mp4',
      video: hd,
      audio: stereo,
      maxHeight: 720,
      capabilities: FFMPEG_5,
      progress: true,
    });
    assertInputAndOutput(args, 'file:/m/in.mov', 'file:/t/video.mp4');
    assertProgress(args, true);
    // The first picture and the chosen audio, both from zero; square pixels, 4:2:0.
    assert.equal(
      valueOf(args, '-filter_complex'),
      '[0:0]setpts=PTS-STARTPTS,scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[v];' +
        '[0:1]asetpts=PTS-STARTPTS,aresample=async=1:first_pts=0[a]',
    );
    assert.deepEqual(maps(args), ['[v]', '[a]']);
    // Frame-exact: the source's own rational rate, constant, a closed GOP of one second.
    assert.deepEqual(options(args, '-r', '-fps_mode', '-g', '-keyint_min', '-sc_threshold', '-flags'), {
      '-r': '30000/1001',
      '-fps_mode': 'cfr',
      '-g': '30',
      '-keyint_min': '30',
      '-sc_threshold': '0',
      '-flags': '+cgop',
    });
    // What every browser plays, starting before it has all of it; the rate ceiling grows with the size.
    assert.deepEqual(
      options(args, '-c:v', '-profile:v', '-maxrate', '-c:a', '-ac', '-ar', '-movflags', '-f'),
      {
        '-c:v': 'libx264',
        '-profile:v': 'high',
        '-maxrate': '3000k',
        '-c:a': 'aac',
        '-ac': '2',
        '-ar': '48000',
        '-movflags': '+faststart',
        '-f': 'mp4',
      },
    );
    assert.equal(valueOf(args, '-map_metadata'), '-1', 'no metadata of the source is carried over');
  });

  it('deinterlaces, widens anamorphic pictures, aligns audio, and uses -vsync on ffmpeg 4', () => {
    const args = videoProxyArgs({
      input: '/m/in.ts',
      output: '/t/video.mp4',
      video: pal,
      audio: surround,
      maxHeight: 1080,
      capabilities: FFMPEG_4,
    });
    assertInputAndOutput(args, 'file:/m/in.ts', 'file:/t/video.mp4');
    assertProgress(args, false);
    assert.equal(
      valueOf(args, '-filter_complex'),
      '[0:0]setpts=PTS-STARTPTS,bwdif=mode=send_frame:parity=auto:deint=all,scale=1024:576:flags=bicubic,setsar=1,format=yuv420p[v];' +
        '[0:2]asetpts=PTS-STARTPTS-0.541333/TB,aresample=async=1:first_pts=0[a]',
    );
    assert.deepEqual(maps(args), ['[v]', '[a]']);
    assert.ok(!args.includes('-fps_mode'), 'ffmpeg 4 has no -fps_mode');
    assert.deepEqual(options(args, '-r', '-vsync', '-g', '-keyint_min', '-maxrate', '-ac'), {
      '-r': '25/1',
      '-vsync': 'cfr',
      '-g': '25',
      '-keyint_min': '25',
      '-maxrate': '2000k',
      '-ac': '2',
    });
  });

  it('leaves audio out when there is none', () => {
    const args = videoProxyArgs({
      input: '/i',
      output: '/o',
      video: hd,
      maxHeight: 360,
      capabilities: FFMPEG_5,
    });
    assert.ok(!args.includes('-c:a') && !args.includes('[a]'));
    assert.equal(
      args[args.indexOf('-filter_complex') + 1],
      '[0:0]setpts=PTS-STARTPTS,scale=640:360:flags=bicubic,setsar=1,format=yuv420p[v]',
    );
  });
});

describe('proxyMismatch', () => {
  const stream = (num: number, den: number, frameCount?: number): VideoStream => ({
    index: 0,
    codec: 'h264',
    width: 1920,
    height: 1080,
    frameRate: { num, den },
    variableFrameRate: false,
    ...(frameCount === undefined ? {} : { frameCount }),
  });

  it('accepts the same rational rate and frame count, written either way', () => {
    assert.equal(proxyMismatch(stream(30000, 1001, 60), stream(30000, 1001, 60)), undefined);
    assert.equal(proxyMismatch(stream(25, 1, 50), stream(50, 2, 50)), undefined);
    assert.equal(proxyMismatch(stream(25, 1), stream(25, 1, 50)), undefined);
  });

  it('names what differs: no video, the rate (30 is not 30000/1001), or the frames', () => {
    assert.equal(proxyMismatch(stream(25, 1, 50), undefined), 'the proxy has no video stream');
    assert.equal(
      proxyMismatch(stream(30000, 1001, 60), stream(30, 1, 60)),
      'the proxy runs at 30/1 fps, the source at 30000/1001',
    );
    assert.equal(
      proxyMismatch(stream(25, 1, 50), stream(25, 1, 49)),
      'the proxy has 49 frames, the source 50',
    );
    assert.equal(
      proxyMismatch(stream(25, 1, 50), stream(25, 1)),
      'the proxy has an unknown number of frames, the source 50',
    );
  });
});

describe('audioProxyArgs', () => {
  it('encodes one stream as AAC in MP4, on the video clock, stereo at most', () => {
    const args = audioProxyArgs({
      input: '/m/in.ts',
      output: '/t/audio.m4a',
      audio: surround,
      video: pal,
      progress: true,
    });
    assertInputAndOutput(args, 'file:/m/in.ts', 'file:/t/audio.m4a');
    assertProgress(args, true);
    assert.equal(
      valueOf(args, '-filter_complex'),
      '[0:2]asetpts=PTS-STARTPTS-0.541333/TB,aresample=async=1:first_pts=0[a]',
    );
    assert.deepEqual(maps(args), ['[a]']);
    assert.deepEqual(options(args, '-c:a', '-ac', '-ar', '-movflags', '-f'), {
      '-c:a': 'aac',
      '-ac': '2',
      '-ar': '48000',
      '-movflags': '+faststart',
      '-f': 'mp4',
    });
  });

  it('keeps mono mono', () => {
    const args = audioProxyArgs({ input: '/i', output: '/o', audio: { ...stereo, channels: 1 } });
    assert.deepEqual(args.slice(args.indexOf('-c:a'), args.indexOf('-c:a') + 8), [
      '-c:a',
      'aac',
      '-b:a',
      '96k',
      '-ac',
      '1',
      '-ar',
      '48000',
    ]);
  });
});

describe('thumbnails', () => {
  it('poses the frame 10 % in, at most 10 s in', () => {
    assert.equal(posterFrame(hd), 30);
    assert.equal(posterFrame({ ...hd, frameCount: 90_000 }), 300);
    assert.equal(posterFrame({ ...hd, frameCount: 1 }), 0);
  });

  it('decodes to the poster frame (no input seek) and scales it', () => {
    const args = posterArgs({ input: '/m/in.ts', output: '/t/poster.jpg', video: pal, frame: 25 });
    assertInputAndOutput(args, 'file:/m/in.ts', 'file:/t/poster.jpg');
    assert.ok(!args.includes('-ss'), 'frames are counted from the first, not sought by time');
    assert.equal(
      valueOf(args, '-filter_complex'),
      "[0:0]bwdif=mode=send_frame:parity=auto:deint=all,select='eq(n,25)',scale=1024:576:flags=bicubic,setsar=1[p]",
    );
    assert.deepEqual(maps(args), ['[p]']);
    assert.deepEqual(options(args, '-frames:v', '-f'), { '-frames:v': '1', '-f': 'image2' });
  });

  it('lays out one thumbnail per interval that holds a frame', () => {
    // 300 frames at 29.97: the last one is at 9.977 s, so intervals 0-2, ..., 8-10.
    assert.deepEqual(spriteLayout(hd, 10.01, 2), {
      intervalSeconds: 2,
      count: 5,
      columns: 5,
      rows: 1,
      tileWidth: 160,
      tileHeight: 90,
      sheets: 1,
    });
    const hour = spriteLayout({ ...pal, frameCount: 90_000 }, 3600, 2);
    assert.deepEqual(
      [hour.count, hour.columns, hour.rows, hour.tileHeight, hour.sheets],
      [1800, 10, 10, 90, 18],
    );
    assert.equal(spriteLayout({ ...hd, frameCount: undefined }, 5, 2).count, 3);
  });

  it('keeps tiles at most twice as tall as wide, whatever height a file declares', () => {
    assert.equal(spriteLayout({ ...hd, width: 1080, height: 1920 }, 10, 2).tileHeight, 284, 'portrait');
    assert.equal(spriteLayout({ ...hd, width: 2, height: 8192 }, 10, 2).tileHeight, 320);
    assert.equal(spriteLayout({ ...hd, width: 8192, height: 2 }, 10, 2).tileHeight, 2);
  });

  it('selects the first frame of each interval and tiles them', () => {
    const layout = spriteLayout(hd, 10.01, 2);
    const args = spriteArgs({
      input: '/m/in.mov',
      outputDir: '/t/50%/',
      video: hd,
      layout,
      capabilities: FFMPEG_5,
      progress: true,
    });
    // A % in the folder is escaped: ffmpeg reads the name as a pattern.
    assertInputAndOutput(args, 'file:/m/in.mov', 'file:/t/50%%/sprite-%03d.jpg');
    assertProgress(args, true);
    assert.equal(
      valueOf(args, '-filter_complex'),
      "[0:0]setpts=PTS-STARTPTS,select='isnan(prev_selected_t)+gte(floor(t/2),floor(prev_selected_t/2)+1)'," +
        'scale=160:90:flags=bicubic,setsar=1,tile=5x1[s]',
    );
    assert.deepEqual(maps(args), ['[s]']);
    assert.deepEqual(options(args, '-fps_mode', '-start_number', '-f'), {
      '-fps_mode': 'passthrough',
      '-start_number': '1',
      '-f': 'image2',
    });
  });

  it('indexes the sheets in WebVTT, back to back to the end', () => {
    assert.equal(
      spriteVtt(spriteLayout(hd, 10.01, 2), 10.01),
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:02.000',
        'sprite-001.jpg#xywh=0,0,160,90',
        '',
        '00:00:02.000 --> 00:00:04.000',
        'sprite-001.jpg#xywh=160,0,160,90',
        '',
        '00:00:04.000 --> 00:00:06.000',
        'sprite-001.jpg#xywh=320,0,160,90',
        '',
        '00:00:06.000 --> 00:00:08.000',
        'sprite-001.jpg#xywh=480,0,160,90',
        '',
        '00:00:08.000 --> 00:00:10.010',
        'sprite-001.jpg#xywh=640,0,160,90',
        '',
      ].join('\n'),
    );
  });

  it('moves to the next sheet after columns x rows, and never cites a sheet that was not made', () => {
    const layout = spriteLayout({ ...pal, frameCount: 25 * 3700 }, 3700, 1);
    const vtt = spriteVtt(layout, 3700);
    assert.match(vtt, /00:01:40\.000 --> 00:01:41\.000\nsprite-002\.jpg#xywh=0,0,160,90/);
    assert.match(vtt, /00:01:39\.000 --> 00:01:40\.000\nsprite-001\.jpg#xywh=1440,810,160,90/);
    assert.match(vtt, /01:01:39\.000 --> 01:01:40\.000\nsprite-037\.jpg#xywh=1440,810,160,90\n$/);
    const short = spriteVtt(layout, 3700, 2);
    assert.match(short, /00:03:19\.000 --> 01:01:40\.000\nsprite-002\.jpg#xywh=1440,810,160,90\n$/);
  });
});

describe('autoQcArgs', () => {
  it('runs every video detector in one pass, on a small picture, with scdet where it exists', () => {
    const args = autoQcArgs({
      input: '/m/in.mov',
      video: hd,
      capabilities: FFMPEG_5,
      progress: true,
    });
    assertInputAndOutput(args, 'file:/m/in.mov', '-');
    assertProgress(args, true);
    assert.equal(valueOf(args, '-loglevel'), 'info', 'the detectors print at info');
    assert.equal(
      valueOf(args, '-filter_complex'),
      '[0:0]setpts=PTS-STARTPTS,scale=-2:360:flags=fast_bilinear,blackdetect=d=0.5:pic_th=0.98:pix_th=0.1,' +
        'freezedetect=n=-60dB:d=2,scdet=threshold=10[v]',
    );
    assert.deepEqual(maps(args), ['[v]'], 'no audio: analyze measures every track');
    assert.ok(!args.join(' ').includes('ebur128'));
    assert.equal(valueOf(args, '-f'), 'null', 'measures only, writes nothing');
  });

  it('finds shots with select where there is no scdet', () => {
    const video = autoQcArgs({ input: '/m/in.ts', video: pal, capabilities: FFMPEG_4 });
    assert.equal(
      video[video.indexOf('-filter_complex') + 1],
      '[0:0]setpts=PTS-STARTPTS,bwdif=mode=send_frame:parity=auto:deint=all,scale=-2:360:flags=fast_bilinear,' +
        'blackdetect=d=0.5:pic_th=0.98:pix_th=0.1,freezedetect=n=-60dB:d=2,' +
        "select='gt(scene,0.4)',metadata=mode=print:key=lavfi.scene_score[v]",
    );
    assert.deepEqual(video.slice(-5), ['-map', '[v]', '-f', 'null', '-']);
  });

  it("puts a track's first sample on the video's clock by the streams' start times", () => {
    assert.equal(audioOffsetSeconds({ ...stereo, startTime: 0.5 }, { ...hd, startTime: 0.1 }), 0.4);
    assert.equal(audioOffsetSeconds({ ...stereo, startTime: 0.5 }, undefined), 0);
    assert.equal(audioOffsetSeconds({ ...stereo, startTime: undefined }, hd), 0);
  });
});

describe('capabilities', () => {
  // Excerpts of `ffmpeg -version`, `-filters` and `-h long` from Debian's 5.1 and the npm 4.x build.
  const filters51 = [
    'Filters:',
    '  T.. = Timeline support',
    '  A = Audio input/output',
    ' TS. bwdif             V->V       Deinterlace the input image.',
    ' ... ebur128           A->N       EBU R128 scanner.',
    ' ... scdet             V->V       Detect video scene change',
    ' ... abuffersink       A->|       Buffer audio frames, and make them available to the end of the filter graph.',
  ].join('\n');
  const filters4 = filters51.replace(
    /^.*scdet.*$/m,
    ' ... select            V->N       Select video frames to pass in output.',
  );

  it('reads the version, scdet and -fps_mode', () => {
    assert.deepEqual(
      ffmpegCapabilities({
        version:
          'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers\nbuilt with gcc 12',
        filters: filters51,
        help:
          '-vsync              set video sync method globally; deprecated, use -fps_mode\n' +
          '-fps_mode           set framerate mode for matching video streams; overrides vsync\n',
      }),
      { version: '5.1.9-0+deb12u1', scdet: true, fpsMode: true },
    );
    assert.deepEqual(
      ffmpegCapabilities({
        version:
          'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018',
        filters: filters4,
        help: '-vsync              video sync method\n',
      }),
      { version: 'N-47683-g0e8eb07980-static', scdet: false, fpsMode: false },
    );
    assert.equal(parseFfmpegVersion('garbage'), 'unknown');
  });
});

describe('classifyFfmpegFailure', () => {
  it('calls bad input not retryable and keeps the last meaningful lines', () => {
    const bad = classifyFfmpegFailure(
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d] moov atom not found\nfile:/m/x.mov: Invalid data found when processing input\n',
    );
    assert.equal(bad.retryable, false);
    assert.equal(
      bad.summary,
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d] moov atom not found | file:/m/x.mov: Invalid data found when processing input',
    );
    const whitelist = classifyFfmpegFailure(
      "[hls @ 0x55e] Format not on whitelist 'mov,matroska'\nfile:/m/x.mov: Invalid argument\n",
    );
    assert.deepEqual(whitelist, {
      retryable: false,
      summary: 'the file is not in an accepted media format (hls)',
    });
    const network = classifyFfmpegFailure('https://s3/x.mov: Connection timed out\n');
    assert.equal(network.retryable, true);
    assert.equal(classifyFfmpegFailure('').summary, 'no output');
    assert.ok(classifyFfmpegFailure('x'.repeat(2000)).summary.length <= 600);
  });

  it("names a picture over the decoders' pixel limit instead of their follow-up errors", () => {
    // As ffmpeg 5.1 prints it with `-max_pixels 1000` on a 640x360 H.264 file.
    const stderr = [
      '[h264 @ 0x5619336b1e40] [IMGUTILS @ 0x7ffe058278e0] Picture size 640x360 exceeds specified max pixel count 1000, see the documentation if you wish to increase it',
      '[h264 @ 0x5619336b1e40] video_get_buffer: image parameters invalid',
      '[h264 @ 0x5619336b1e40] get_buffer() failed',
      'Error while opening decoder for input stream #0:0 : Invalid argument',
    ].join('\n');
    assert.deepEqual(classifyFfmpegFailure(stderr), {
      retryable: false,
      summary: 'the picture size 640x360 is over the limit of 1000 pixels',
    });
  });

  it('calls a picture too big to describe bad input, not a reason to try again', () => {
    // As ffprobe 5.1 prints it for a YUV4MPEG2 header declaring 60000x60000.
    const stderr = [
      '[IMGUTILS @ 0x7fff46bc2440] Picture size 60000x60000 is invalid',
      'file:/m/a.mov: Device or resource busy',
    ].join('\n');
    assert.deepEqual(classifyFfmpegFailure(stderr), {
      retryable: false,
      summary: 'the picture size 60000x60000 is invalid',
    });
  });

  it('calls a full disk a reason to try again, even after a line that blames the input', () => {
    // As ffmpeg 5.1 prints it writing a proxy into a tmpfs that fills up, after a short read.
    const stderr = [
      '[aac @ 0x55] Error reading frame: End of file',
      'av_interleaved_write_frame(): No space left on device',
      'Error writing trailer of file:/tmp/job/video.mp4: No space left on device',
    ].join('\n');
    const failure = classifyFfmpegFailure(stderr);
    assert.equal(failure.retryable, true);
    assert.match(
      failure.summary,
      /Error writing trailer of file:\/tmp\/job\/video\.mp4: No space left on device$/,
    );
  });
});

describe('unfinishedOutput', () => {
  it('finds the line saying an output was cut short, which ffmpeg 5.1 prints and still exits 0 after', () => {
    // What ffmpeg 5.1 printed (exit code 0) writing a 3 s proxy into a 64 KiB tmpfs.
    const full = [
      'Error writing trailer of file:/tmp/job/video.mp4: No space left on device',
      'Error closing file file:/tmp/job/video.mp4: No space left on device',
      '',
    ].join('\n');
    assert.equal(
      unfinishedOutput(full),
      'Error writing trailer of file:/tmp/job/video.mp4: No space left on device',
    );
    assert.equal(
      unfinishedOutput('Error closing file file:/mnt/a.m4a: Input/output error\n'),
      'Error closing file file:/mnt/a.m4a: Input/output error',
    );
    // Warnings about the input, and a clean run, leave the output whole.
    assert.equal(unfinishedOutput('[h264 @ 0x55] error while decoding MB 3 4, bytestream -5\n'), undefined);
    assert.equal(unfinishedOutput(''), undefined);
  });
});

describe('subtitle extraction', () => {
  it('keeps the text streams the probe found, in order', () => {
    assert.deepEqual(
      textSubtitleStreams({
        subtitles: [
          { index: 2, codec: 'mov_text', language: 'eng' },
          { index: 3, codec: 'dvb_subtitle' },
          { index: 4, codec: 'subrip' },
          { index: 5, codec: 'hdmv_pgs_subtitle' },
          { index: 6, codec: 'webvtt', language: 'fra' },
        ],
      }).map((s) => s.index),
      [2, 4, 6],
    );
  });

  it('converts each stream to WebVTT in one pass', () => {
    const args = subtitleExtractArgs({
      input: '/m/in.mp4',
      outputs: [
        { streamIndex: 2, output: '/t/subtitle-1.vtt' },
        { streamIndex: 4, output: '/t/subtitle-2.vtt' },
      ],
    });
    assertInputAndOutput(args, 'file:/m/in.mp4', 'file:/t/subtitle-2.vtt');
    // Each output takes its own stream, converted: `-map` and the codec come before the file.
    const outputs = ['file:/t/subtitle-1.vtt', 'file:/t/subtitle-2.vtt'].map((file) => args.indexOf(file));
    assert.deepEqual(maps(args), ['0:2', '0:4']);
    for (const [n, end] of outputs.entries()) {
      const start = n === 0 ? args.indexOf('-i') + 2 : (outputs[n - 1] as number) + 1;
      const part = args.slice(start, end);
      assert.deepEqual(options(part, '-map', '-c:s', '-f'), {
        '-map': n === 0 ? '0:2' : '0:4',
        '-c:s': 'webvtt',
        '-f': 'webvtt',
      });
    }
  });
});
