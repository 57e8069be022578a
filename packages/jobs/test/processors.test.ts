import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_LOUDNESS_TARGET,
  DEFAULT_MEDIA_LIMITS,
  type JobPayload,
  type JobResult,
  type JobType,
  MediaInputError,
  type TechnicalMetadata,
} from '@frameproof/core';
import { LocalStorage } from '@frameproof/storage';
import { FfmpegRunner } from '@frameproof/media-kit';
import { type ProcessorTable, createProcessors } from '../src/processors/index.js';
import { isRetryable } from '../src/runner.js';
import { type JobProgress, LocalTranscoder } from '../src/transcoder.js';
import { type AudioMeasurer, type MeasureRequest, trackMeasurement } from '../src/audio-measurer.js';
import { NASTY_NAME, countFrames, ffprobeJson, makeMedia, systemRunner } from './helpers.js';

let media: Awaited<ReturnType<typeof makeMedia>>;
let storage: LocalStorage;
let processors: ProcessorTable;
const scratch: string[] = [];
const technical = new Map<string, TechnicalMetadata>();

/**
 * Stands in for the analyze service (tested with it end to end, tests/e2e/auto-qc.test.ts): what
 * it answers for qc.mp4's tone, whose silence runs from 2 to 4.5 s.
 */
const measured: MeasureRequest[] = [];
const measurer: AudioMeasurer = {
  measure: async (request) => {
    measured.push(request);
    return trackMeasurement(
      request,
      { source: 'original', integrated: -22.1, range: 5.5, truePeak: -16.1 },
      {
        silence: {
          threshold: -60,
          minDuration: 2,
          spans: [{ start: 2.00804, end: 4.50113, duration: 2.49309 }],
        },
      },
    );
  },
};

before(async () => {
  media = await makeMedia();
  storage = media.storage;
  const { runner, capabilities } = await systemRunner();
  processors = createProcessors(new LocalTranscoder(runner, capabilities), { audioMeasurer: measurer });
});
after(async () => {
  await media.cleanup();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/** Runs one processor the way the runner does, with a scratch folder and progress recorded. */
async function run<T extends JobType>(
  type: T,
  payload: Omit<JobPayload<T>, 'assetId' | 'outputPrefix' | 'source'> & { name: string },
  table: ProcessorTable = processors,
): Promise<{ result: JobResult; progress: JobProgress[] }> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'frameproof-processor-'));
  scratch.push(tmpDir);
  const progress: JobProgress[] = [];
  const { name, ...rest } = payload;
  const full = {
    ...rest,
    assetId: 'a1',
    source: { key: `src/${name}` },
    outputPrefix: `out/${name}/${type}`,
  };
  const processor = table[type] as (ctx: unknown) => Promise<JobResult>;
  const result = await processor({
    payload: full,
    storage,
    tmpDir,
    signal: new AbortController().signal,
    reportProgress: (p: JobProgress) => progress.push(p),
  });
  return { result, progress };
}

async function probe(name: string): Promise<TechnicalMetadata> {
  const known = technical.get(name);
  if (known) return known;
  const { result } = await run('probe', { name });
  assert.ok(result.technical);
  technical.set(name, result.technical);
  return result.technical;
}

/** Bad input must end in an error the runner reports as not retryable, with a clear message. */
async function rejectsForGood(work: Promise<unknown>, message: RegExp) {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(isRetryable(err), false, `retryable: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('probe', () => {
  it('turns text subtitle streams into WebVTT subtitle shapes, numbered in stream order', async () => {
    const { result } = await run('probe', { name: 'subtitles.mp4' });
    assert.deepEqual(
      result.technical?.subtitles.map((s) => [s.index, s.codec, s.language]),
      [
        [1, 'mov_text', 'eng'],
        [2, 'mov_text', 'fra'],
      ],
    );
    const shapes = result.shapes ?? [];
    assert.deepEqual(
      shapes.map((s) => [s.type, s.track, s.label, s.metadata]),
      [
        [
          'subtitle',
          1,
          'Subtitles 1 (eng)',
          { language: 'eng', format: 'mov_text', cues: 2, source: 'ingest', streamIndex: 1 },
        ],
        [
          'subtitle',
          2,
          'Subtitles 2 (fra)',
          { language: 'fra', format: 'mov_text', cues: 2, source: 'ingest', streamIndex: 2 },
        ],
      ],
    );
    const file = shapes[0]?.files[0];
    assert.equal(file?.key, 'out/subtitles.mp4/probe/subtitles/1.vtt');
    assert.equal(file?.mimeType, 'text/vtt');
    assert.equal(
      await readFile(storage.path(file.key), 'utf8'),
      'WEBVTT\n\n00:00:00.200 --> 00:00:01.000\nHello &amp; <i>welcome</i>\n\n00:00:01.200 --> 00:00:01.800\nSecond\n',
    );

    const mkv = await run('probe', { name: 'subtitles.mkv' });
    assert.deepEqual(
      mkv.result.shapes?.map((s) => [s.track, s.metadata?.format, s.metadata?.cues]),
      [[1, 'subrip', 2]],
    );
    const plain = await run('probe', { name: 'c25.mov' });
    assert.equal(plain.result.shapes, undefined);
  });

  it('reads rate, frames, timecode and tracks', async () => {
    const t = await probe('c25.mov');
    assert.deepEqual(t.video[0]?.frameRate, { num: 25, den: 1 });
    assert.equal(t.video[0]?.frameCount, 50);
    assert.equal(t.startTimecode, '01:00:00:00');
    assert.deepEqual(
      t.audio.map((a) => [a.track, a.channels]),
      [[1, 2]],
    );
    const tracks = await probe('tracks.mkv');
    assert.deepEqual(
      tracks.audio.map((a) => [a.track, a.index, a.channels, a.language]),
      [
        [1, 1, 1, 'eng'],
        [2, 2, 6, 'fra'],
      ],
    );
  });

  it('reads audio-only files, variable frame rate and interlaced MPEG-TS', async () => {
    const audio = await probe('audio.wav');
    assert.deepEqual(audio.video, []);
    assert.equal(audio.durationSeconds, 2);
    const vfr = await probe('vfr.mp4');
    assert.equal(vfr.video[0]?.variableFrameRate, true);
    const ts = await probe('interlaced.ts');
    assert.equal(ts.video[0]?.fieldOrder, 'tt');
    assert.ok((ts.audio[0]?.startTime ?? 0) < (ts.video[0]?.startTime ?? 0));
  });

  it('reads a file whose name holds shell and path characters, and runs no shell', async () => {
    const t = await probe(NASTY_NAME);
    assert.equal(t.video[0]?.frameCount, 50);
    assert.ok(!existsSync('pwned') && !existsSync(join(media.root, 'src', 'pwned')));
  });

  it('rejects empty, truncated, corrupt and non-media files for good', async () => {
    await rejectsForGood(run('probe', { name: 'zero.mov' }), /empty/);
    await rejectsForGood(run('probe', { name: 'truncated.mp4' }), /moov atom not found|Invalid data/);
    await rejectsForGood(run('probe', { name: 'corrupt.mov' }), /Invalid data|no media|neither/);
    await rejectsForGood(run('probe', { name: 'notes.txt' }), /not in an accepted media format \(tty\)/);
    await rejectsForGood(run('probe', { name: 'missing.mov' }), /not in storage/);
  });

  it('refuses a file over the limits at probe, naming each limit', async () => {
    // A picture wider than any programme (9000 px, the default limit is 8192), as raw frames.
    const wide = storage.path('src/wide.y4m');
    await writeFile(
      wide,
      Buffer.concat([
        Buffer.from('YUV4MPEG2 W9000 H16 F25:1 Ip A1:1 C420jpeg\n'),
        ...[0, 1].flatMap(() => [Buffer.from('FRAME\n'), Buffer.alloc((9000 * 16 * 3) / 2, 128)]),
      ]),
    );
    await rejectsForGood(run('probe', { name: 'wide.y4m' }), /width 9000 px is over the limit of 8192 px/);
    // A deployment's own, tighter limits: a 2 s 320x180 file is refused on three counts at once.
    const { runner, capabilities } = await systemRunner();
    const strict = createProcessors(new LocalTranscoder(runner, capabilities), {
      limits: { ...DEFAULT_MEDIA_LIMITS, maxWidth: 300, maxDurationSeconds: 1, maxFrameCount: 40 },
    });
    await rejectsForGood(
      run('probe', { name: 'c25.mov' }, strict),
      /over this deployment's limits: duration 2 s is over the limit of 1 s; .*width 320 px is over the limit of 300 px; .*frame count 50 is over the limit of 40/,
    );
    assert.equal((await probe('c25.mov')).video[0]?.width, 320, 'the default limits take it');
  });

  it('refuses playlists and concat lists that point at other files', async () => {
    await rejectsForGood(run('probe', { name: 'playlist.mov' }), /not in an accepted media format \(hls\)/);
    await rejectsForGood(run('probe', { name: 'concat.mov' }), /not in an accepted media format \(concat\)/);
  });
});

describe('video proxy', () => {
  const proxy = async (name: string, maxHeight = 1080) => {
    const t = await probe(name);
    const { result, progress } = await run('video-proxy', { name, technical: t, maxHeight });
    const shape = result.shapes?.[0];
    assert.equal(shape?.type, 'video-proxy');
    assert.equal(shape.files[0]?.key, `out/${name}/video-proxy/video.mp4`);
    const file = storage.path(shape.files[0]?.key ?? '');
    return { t, shape, file, progress, result, counted: await countFrames(file) };
  };

  it('keeps the exact frame count and rate of 25 and 30000/1001 fps sources', async () => {
    for (const [name, rate, frames] of [
      ['c25.mov', '25/1', 50],
      ['c2997.mp4', '30000/1001', 60],
    ] as const) {
      const { t, counted, shape, progress } = await proxy(name);
      const source = await countFrames(storage.path(`src/${name}`));
      assert.equal(source.frames, frames);
      assert.equal(counted.frames, source.frames, name);
      assert.equal(counted.rate, source.rate, name);
      assert.equal(counted.rate, rate);
      assert.equal(t.video[0]?.frameCount, frames);
      assert.equal(shape.metadata?.frames, frames);
      assert.equal(shape.metadata?.duplicatedFrames, 0);
      assert.equal(shape.metadata?.droppedFrames, 0);
      assert.equal(progress.at(-1)?.percent, 100);
    }
  });

  it("reports the proxy's own streams, which thumbnails and Auto QC read where they read the proxy", async () => {
    const { t, result } = await proxy('c25.mov', 90);
    const made = result.technical;
    assert.equal(made?.video[0]?.height, 90);
    assert.notEqual(t.video[0]?.height, 90);
    assert.equal(made?.video[0]?.frameCount, t.video[0]?.frameCount);
    assert.deepEqual(made?.video[0]?.frameRate, t.video[0]?.frameRate);
  });

  it('writes H.264 High with AAC stereo 48 kHz, a keyframe every second, +faststart', async () => {
    const { file, shape } = await proxy('c25.mov');
    const info = (await ffprobeJson(
      file,
      '-show_streams',
      '-show_entries',
      'frame=key_frame',
      '-select_streams',
      'v:0',
    )) as {
      streams: { codec_name: string; profile: string; pix_fmt: string }[];
      frames: { key_frame: number }[];
    };
    assert.equal(info.streams[0]?.codec_name, 'h264');
    assert.equal(info.streams[0]?.profile, 'High');
    assert.equal(info.streams[0]?.pix_fmt, 'yuv420p');
    const keys = info.frames.flatMap((f, i) => (f.key_frame ? [i] : []));
    assert.deepEqual(keys, [0, 25]);
    const audio = (await ffprobeJson(file, '-show_streams', '-select_streams', 'a:0')) as {
      streams: { codec_name: string; channels: number; sample_rate: string }[];
    };
    assert.deepEqual(
      [audio.streams[0]?.codec_name, audio.streams[0]?.channels, audio.streams[0]?.sample_rate],
      ['aac', 2, '48000'],
    );
    const head = (await readFile(file)).subarray(0, 64 * 1024).toString('latin1');
    assert.ok(head.indexOf('moov') < head.indexOf('mdat'), 'moov before mdat');
    assert.match(shape.files[0]?.checksum ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  it('makes odd sizes even, deinterlaces, and aligns audio that starts early', async () => {
    const odd = await proxy('odd.mkv');
    assert.deepEqual([odd.counted.width, odd.counted.height, odd.counted.frames], [640, 360, 25]);
    const ts = await proxy('interlaced.ts', 360);
    assert.deepEqual([ts.counted.width, ts.counted.height, ts.counted.frames], [450, 360, 50]);
    assert.equal(ts.shape.metadata?.deinterlaced, true);
    const streams = (await ffprobeJson(ts.file, '-show_streams')) as {
      streams: { start_time: string; duration: string }[];
    };
    for (const s of streams.streams) assert.equal(Number(s.start_time), 0);
    // 2.5 s of sound that began 0.5 s before the first frame: 2 s of it play with the pictures.
    assert.ok(Math.abs(Number(streams.streams[1]?.duration) - 2) < 0.05, streams.streams[1]?.duration);
  });

  it('gives variable-rate sources a constant rate without losing frames', async () => {
    const { counted, shape } = await proxy('vfr.mp4');
    assert.equal(counted.rate, '25/1');
    assert.equal(counted.frames, 99);
    assert.equal(shape.metadata?.droppedFrames, 0);
  });

  it('ends a file cut short with what it holds', async () => {
    const t = await probe('cut-short.mp4');
    const { result } = await run('video-proxy', { name: 'cut-short.mp4', technical: t, maxHeight: 360 });
    const frames = result.shapes?.[0]?.metadata?.frames as number;
    assert.ok(frames > 0 && frames <= 60, String(frames));
  });

  it('refuses audio-only files and bad payloads', async () => {
    const t = await probe('audio.wav');
    await rejectsForGood(
      run('video-proxy', { name: 'audio.wav', technical: t, maxHeight: 720 }),
      /no video stream/,
    );
    const c25 = await probe('c25.mov');
    await rejectsForGood(run('video-proxy', { name: 'c25.mov', technical: c25, maxHeight: 0 }), /maxHeight/);
  });
});

describe('audio proxy', () => {
  it('makes one AAC file per track, mono as mono and 5.1 as stereo', async () => {
    const t = await probe('tracks.mkv');
    for (const [track, streamIndex, channels] of [
      [1, 1, 1],
      [2, 2, 2],
    ] as const) {
      const { result } = await run('audio-proxy', { name: 'tracks.mkv', technical: t, track, streamIndex });
      const shape = result.shapes?.[0];
      assert.equal(shape?.type, 'audio-proxy');
      assert.equal(shape.track, track);
      assert.equal(shape.label, `Track ${track} (${track === 1 ? 'eng' : 'fra'})`);
      assert.equal(shape.files[0]?.mimeType, 'audio/mp4');
      const info = (await ffprobeJson(storage.path(shape.files[0]?.key ?? ''), '-show_streams')) as {
        streams: { codec_name: string; channels: number; sample_rate: string }[];
      };
      assert.deepEqual(
        info.streams.map((s) => [s.codec_name, s.channels, s.sample_rate]),
        [['aac', channels, '48000']],
      );
      assert.equal(shape.metadata?.sourceChannels, track === 1 ? 1 : 6);
    }
  });

  it('refuses a track the file does not have', async () => {
    const t = await probe('c25.mov');
    await rejectsForGood(
      run('audio-proxy', { name: 'c25.mov', technical: t, track: 3, streamIndex: 7 }),
      /no audio stream 7/,
    );
  });
});

describe('thumbnails', () => {
  it('makes a poster and sprite sheets whose WebVTT cues cover the whole duration', async () => {
    const t = await probe('c2997.mp4');
    const { result } = await run('thumbnails', {
      name: 'c2997.mp4',
      technical: t,
      spriteIntervalSeconds: 0.5,
    });
    const [poster, sprite] = result.shapes ?? [];
    assert.equal(poster?.type, 'poster');
    assert.equal(poster.metadata?.frame, 6);
    const size = await countFrames(storage.path(poster.files[0]?.key ?? ''));
    assert.deepEqual([size.width, size.height], [320, 180]);
    assert.equal(sprite?.type, 'sprite');
    assert.deepEqual(
      sprite.files.map((f) => [f.key, f.mimeType]),
      [
        ['out/c2997.mp4/thumbnails/sprites.vtt', 'text/vtt'],
        ['out/c2997.mp4/thumbnails/sprite-001.jpg', 'image/jpeg'],
      ],
    );
    const vtt = await readFile(storage.path(sprite.files[0]?.key ?? ''), 'utf8');
    const cues = [
      ...vtt.matchAll(/(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(\S+)/g),
    ].map((m) => {
      const at = (i: number) =>
        Number(m[i]) * 3600 + Number(m[i + 1]) * 60 + Number(m[i + 2]) + Number(m[i + 3]) / 1000;
      return { start: at(1), end: at(5), target: m[9] };
    });
    assert.ok(vtt.startsWith('WEBVTT\n\n'));
    assert.equal(cues.length, 4);
    assert.equal(cues[0]?.start, 0);
    for (let i = 1; i < cues.length; i++) assert.equal(cues[i]?.start, cues[i - 1]?.end, 'back to back');
    assert.ok((cues.at(-1)?.end ?? 0) >= t.durationSeconds - 0.001, 'covers the duration');
    assert.deepEqual(
      cues.map((c) => c.target),
      [
        'sprite-001.jpg#xywh=0,0,160,90',
        'sprite-001.jpg#xywh=160,0,160,90',
        'sprite-001.jpg#xywh=320,0,160,90',
        'sprite-001.jpg#xywh=480,0,160,90',
      ],
    );
    const sheet = await countFrames(storage.path(sprite.files[1]?.key ?? ''));
    assert.deepEqual([sheet.width, sheet.height], [640, 90]);
  });

  it('refuses audio-only files', async () => {
    const t = await probe('audio.wav');
    await rejectsForGood(
      run('thumbnails', { name: 'audio.wav', technical: t, spriteIntervalSeconds: 2 }),
      /no video stream/,
    );
  });
});

describe('auto QC', () => {
  const expected = [
    ['black', 0, 24, 'minor'],
    ['loudness', 0, 149, 'major'],
    ['shot-change', 25, 25, 'info'],
    ['silence', 50, 112, 'minor'],
    ['shot-change', 75, 75, 'info'],
    ['freeze', 75, 134, 'major'],
    ['shot-change', 135, 135, 'info'],
  ];

  it("finds black, freeze and shots in the picture, and puts each track's measurement beside them, frame-accurately", async () => {
    const t = await probe('qc.mp4');
    measured.length = 0;
    const { result } = await run('auto-qc', {
      name: 'qc.mp4',
      technical: t,
      loudnessTarget: DEFAULT_LOUDNESS_TARGET,
    });
    assert.deepEqual(
      result.markers?.map((m) => [m.category, m.startFrame, m.endFrame, m.severity]),
      expected,
    );
    assert.deepEqual(
      measured.map((r) => [r.assetId, r.audio.track, r.video?.index]),
      t.audio.map((a) => ['a1', a.track, t.video[0]?.index]),
      'every audio track is asked for, with the video whose clock it is put on',
    );
    assert.equal(result.markers?.find((m) => m.category === 'silence')?.title, 'Silence (track 1)');
    const [track] = result.metadata?.tracks as Record<string, unknown>[];
    assert.equal(track?.measuredOn, 'original');
    const loudness = track?.loudness as Record<string, unknown>;
    assert.equal(loudness.pass, false);
    assert.equal(loudness.integratedLufs, -22.1);
    assert.equal(result.metadata?.shotDetector, 'scdet');
  });

  it('fails for good without an analyze service to measure the audio', async () => {
    const t = await probe('qc.mp4');
    const { runner, capabilities } = await systemRunner();
    const deaf = createProcessors(new LocalTranscoder(runner, capabilities));
    await rejectsForGood(
      run('auto-qc', { name: 'qc.mp4', technical: t, loudnessTarget: DEFAULT_LOUDNESS_TARGET }, deaf),
      /ANALYZE_URL/,
    );
  });

  it("stops the picture's pass when a track cannot be measured, and says why", async () => {
    const t = await probe('qc.mp4');
    const { runner, capabilities } = await systemRunner();
    let stopped = false;
    const transcoder = new LocalTranscoder(runner, capabilities);
    const analyze = transcoder.analyze.bind(transcoder);
    transcoder.analyze = (request, ctx) => {
      ctx.signal.addEventListener('abort', () => (stopped = true));
      return analyze(request, ctx);
    };
    const failing = createProcessors(transcoder, {
      audioMeasurer: { measure: () => Promise.reject(new Error('analyze answered 500')) },
    });
    await assert.rejects(
      run('auto-qc', { name: 'qc.mp4', technical: t, loudnessTarget: DEFAULT_LOUDNESS_TARGET }, failing),
      /analyze answered 500/,
    );
    assert.ok(stopped, 'the video detectors were stopped');
  });

  it('finds the same with the npm ffmpeg 4.x (no scdet)', async (t) => {
    const npm = join(process.cwd(), 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    if (!existsSync(npm)) return t.skip('no npm ffmpeg on this platform');
    const old = createProcessors(
      new LocalTranscoder(new FfmpegRunner({ ffmpeg: npm, ffprobe: '/usr/bin/ffprobe' }), {
        version: '4',
        scdet: false,
        fpsMode: false,
      }),
      { audioMeasurer: measurer },
    );
    const technical = await probe('qc.mp4');
    const { result } = await run(
      'auto-qc',
      { name: 'qc.mp4', technical, loudnessTarget: DEFAULT_LOUDNESS_TARGET },
      old,
    );
    assert.deepEqual(
      result.markers?.map((m) => [m.category, m.startFrame, m.endFrame, m.severity]),
      expected,
    );
    assert.equal(result.metadata?.shotDetector, 'select-scene');
  });

  it('measures audio-only files on a 25 fps timeline', async () => {
    const t = await probe('audio.wav');
    const { result } = await run('auto-qc', {
      name: 'audio.wav',
      technical: t,
      loudnessTarget: DEFAULT_LOUDNESS_TARGET,
    });
    assert.equal(result.metadata?.frameRate, '25/1');
    assert.equal(result.metadata?.frameCount, 50);
    assert.ok(result.markers?.every((m) => m.endFrame <= 49));
  });
});

describe('inputs over HTTP(S), as presigned S3 URLs are', () => {
  /** Serves the storage folder with Range support, as S3 does. */
  async function serve(root: string) {
    const server = createServer((req, res) => {
      const key = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0] ?? '');
      readFile(join(root, key)).then(
        (body) => {
          const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
          const start = range ? Number(range[1]) : 0;
          const end = range?.[2] ? Number(range[2]) : body.length - 1;
          res.writeHead(range ? 206 : 200, {
            'accept-ranges': 'bytes',
            'content-length': end - start + 1,
            ...(range ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
          });
          res.end(body.subarray(start, end + 1));
        },
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, port: (server.address() as AddressInfo).port };
  }

  it('reads the source through the URL, and keeps the URL out of error messages', async () => {
    const { server, port } = await serve(media.root);
    // A storage that, like S3, has no local files and gives presigned URLs instead.
    class PresignedStorage extends LocalStorage {
      override localPath(_key: string): undefined {
        return undefined;
      }
      override async directUrl(key: string) {
        return `http://127.0.0.1:${port}/${encodeURIComponent(key)}?X-Amz-Signature=secret`;
      }
    }
    const { runner, capabilities } = await systemRunner();
    const remote = createProcessors(new LocalTranscoder(runner, capabilities));
    const saved = storage;
    storage = new PresignedStorage(media.root);
    try {
      const { result } = await run('probe', { name: 'c25.mov' }, remote);
      assert.equal(result.technical?.video[0]?.frameCount, 50);
      const t = result.technical as TechnicalMetadata;
      const { result: proxy } = await run(
        'video-proxy',
        { name: 'c25.mov', technical: t, maxHeight: 90 },
        remote,
      );
      assert.equal(proxy.shapes?.[0]?.metadata?.frames, 50);
      await assert.rejects(run('probe', { name: 'notes.txt' }, remote), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.doesNotMatch(err.message, /secret|http:/);
        assert.match(err.message, /src\/notes\.txt|accepted media format/);
        return true;
      });
      await assert.rejects(
        run('video-proxy', { name: 'gone.mov', technical: t, maxHeight: 90 }, remote),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.match(err.message, /src\/gone\.mov.*404|404.*src\/gone\.mov/);
          assert.doesNotMatch(err.message, /secret/);
          return true;
        },
      );
    } finally {
      storage = saved;
      server.close();
    }
  });
});

describe('bad input in every processor', () => {
  it('ends with an error that is not retried, and leaves no output behind', async () => {
    const good = await probe('c25.mov');
    const audio = good.audio[0];
    assert.ok(audio);
    for (const name of ['zero.mov', 'corrupt.mov', 'notes.txt', 'playlist.mov']) {
      const technical = good;
      await rejectsForGood(run('video-proxy', { name, technical, maxHeight: 360 }), /./);
      await rejectsForGood(run('audio-proxy', { name, technical, track: 1, streamIndex: audio.index }), /./);
      await rejectsForGood(run('thumbnails', { name, technical, spriteIntervalSeconds: 1 }), /./);
      await rejectsForGood(run('auto-qc', { name, technical, loudnessTarget: DEFAULT_LOUDNESS_TARGET }), /./);
      assert.ok(!existsSync(join(media.root, 'out', name)), `no outputs for ${name}`);
    }
  });

  it('rejects payloads without what the processors need', async () => {
    const err = await processors['video-proxy']({
      payload: { assetId: 'a', outputPrefix: 'x' } as unknown as JobPayload<'video-proxy'>,
      storage,
      tmpDir: tmpdir(),
      signal: new AbortController().signal,
      reportProgress: () => undefined,
    }).catch((e: unknown) => e);
    assert.ok(err instanceof MediaInputError && err.code === 'invalid-job');
    assert.deepEqual(await readdir(join(media.root, 'src')).then((f) => f.includes('pwned')), false);
  });
});
