import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MediaInputError, parseProbe, probeArgs } from '../src/index.js';

/** ffprobe output captured here with `probeArgs` from files made with lavfi sources. */
const sample = (name: string) => readFileSync(new URL(`./ffmpeg-samples/${name}`, import.meta.url), 'utf8');
const fails = (json: unknown, code: string) =>
  assert.throws(
    () => parseProbe(json),
    (err: unknown) => err instanceof MediaInputError && err.code === code && err.retryable === false,
  );

describe('probeArgs', () => {
  it('asks for JSON with packet counts and reads through the allow-lists', () => {
    assert.deepEqual(probeArgs('/media/a b.mov'), [
      '-hide_banner',
      '-loglevel',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      '-count_packets',
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      'mov,matroska,webm,mxf,mpegts,mpeg,avi,asf,flv,gxf,dv,nut,ivf,yuv4mpegpipe,ogg,wav,w64,aiff,caf,mp3,flac,aac,ac3,eac3',
      '-max_pixels',
      '268435456',
      '-i',
      'file:/media/a b.mov',
    ]);
  });

  it('can skip the packet count, and gives a network input a read timeout', () => {
    const args = probeArgs('https://bucket.s3.amazonaws.com/a.mov?X-Amz-Signature=1', {
      countPackets: false,
    });
    assert.ok(!args.includes('-count_packets'));
    assert.equal(args[args.indexOf('-protocol_whitelist') + 1], 'https,tls,tcp');
    assert.deepEqual(args.slice(-4), [
      '-rw_timeout',
      '60000000',
      '-i',
      'https://bucket.s3.amazonaws.com/a.mov?X-Amz-Signature=1',
    ]);
  });
});

describe('parseProbe with real ffprobe output', () => {
  it('reads a 25 fps MOV with a timecode track', () => {
    const t = parseProbe(sample('probe-a25-mov.json'));
    assert.equal(t.container, 'mov,mp4,m4a,3gp,3g2,mj2');
    assert.equal(t.durationSeconds, 3);
    assert.equal(t.startTimecode, '01:00:00:00');
    assert.equal(t.dropFrame, false);
    assert.deepEqual(t.video, [
      {
        index: 0,
        codec: 'h264',
        profile: 'High',
        width: 320,
        height: 180,
        sampleAspectRatio: '1:1',
        displayAspectRatio: '16:9',
        frameRate: { num: 25, den: 1 },
        averageFrameRate: { num: 25, den: 1 },
        variableFrameRate: false,
        fieldOrder: 'progressive',
        pixelFormat: 'yuv420p',
        frameCount: 75,
        bitRate: 228117,
        startTime: 0,
      },
    ]);
    assert.deepEqual(t.audio, [
      {
        index: 1,
        track: 1,
        codec: 'aac',
        channels: 1,
        channelLayout: 'mono',
        sampleRate: 48000,
        bitRate: 69714,
        startTime: 0,
      },
    ]);
    assert.deepEqual(t.subtitles, []);
  });

  it('reads 29.97 as 30000/1001 and a drop-frame timecode', () => {
    const t = parseProbe(sample('probe-a2997-mp4.json'));
    assert.deepEqual(t.video[0]?.frameRate, { num: 30000, den: 1001 });
    assert.equal(t.video[0]?.frameCount, 90);
    assert.equal(t.startTimecode, '00:59:59;28');
    assert.equal(t.dropFrame, true);
  });

  it('counts packets where the container has no frame count, and keeps start times (MPEG-TS)', () => {
    const t = parseProbe(sample('probe-off-ts.json'));
    assert.equal(t.container, 'mpegts');
    assert.equal(t.startTime, 1.4);
    assert.equal(t.video[0]?.frameCount, 75);
    assert.equal(t.video[0]?.startTime, 1.941333);
    assert.equal(t.audio[0]?.startTime, 1.4);
  });

  it('reads interlaced MXF with the container timecode', () => {
    const t = parseProbe(sample('probe-il-mxf.json'));
    assert.equal(t.container, 'mxf');
    assert.equal(t.startTimecode, '10:00:00:00');
    assert.equal(t.video[0]?.codec, 'mpeg2video');
    assert.equal(t.video[0]?.fieldOrder, 'tt');
    assert.equal(t.video[0]?.frameCount, 50);
    assert.deepEqual(t.video[0]?.frameRate, { num: 25, den: 1 });
  });

  it('flags variable frame rate and counts the frames of its constant-rate timeline', () => {
    const v = parseProbe(sample('probe-vfr-mp4.json')).video[0];
    assert.equal(v?.variableFrameRate, true);
    assert.deepEqual(v?.frameRate, { num: 25, den: 1 });
    assert.deepEqual(v?.averageFrameRate, { num: 625, den: 33 });
    // 75 frames over 3.96 s: on a 25 fps timeline that is 99 frames.
    assert.equal(v?.frameCount, 99);
  });

  it('numbers audio tracks from 1 and reads languages, layouts, anamorphic video and subtitles (Matroska)', () => {
    const t = parseProbe(sample('probe-multi-mkv.json'));
    assert.equal(t.container, 'matroska,webm');
    assert.equal(t.video[0]?.sampleAspectRatio, '64:45');
    assert.equal(t.video[0]?.displayAspectRatio, '16:9');
    assert.equal(t.video[0]?.frameCount, 25);
    assert.deepEqual(
      t.audio.map((a) => [a.index, a.track, a.codec, a.channels, a.channelLayout, a.language]),
      [
        [1, 1, 'aac', 1, 'mono', 'eng'],
        [2, 2, 'ac3', 6, '5.1(side)', 'fra'],
      ],
    );
    assert.deepEqual(t.subtitles, [{ index: 3, codec: 'subrip', language: 'swe' }]);
  });

  it('reads audio-only files', () => {
    const t = parseProbe(sample('probe-tone-wav.json'));
    assert.equal(t.container, 'wav');
    assert.equal(t.durationSeconds, 2);
    assert.deepEqual(t.video, []);
    assert.equal(t.audio[0]?.channels, 2);
    assert.equal(t.startTimecode, undefined);
  });
});

describe('parseProbe on odd and bad data', () => {
  const stream = (over: Record<string, unknown> = {}) => ({
    index: 0,
    codec_type: 'video',
    codec_name: 'h264',
    width: 1920,
    height: 1080,
    r_frame_rate: '25/1',
    avg_frame_rate: '25/1',
    nb_read_packets: '250',
    ...over,
  });
  const probe = (streams: unknown[], format: Record<string, unknown> = {}) => ({
    streams,
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.000000', ...format },
  });

  it('takes the frame rate of interlaced streams that report their field rate', () => {
    const v = parseProbe(probe([stream({ field_order: 'tt', r_frame_rate: '50/1', avg_frame_rate: '25/1' })]))
      .video[0];
    assert.deepEqual(v?.frameRate, { num: 25, den: 1 });
    assert.equal(v?.variableFrameRate, false);
  });

  it('snaps rates stored as decimals to their NTSC rational', () => {
    const v = parseProbe(probe([stream({ r_frame_rate: '2997/100', avg_frame_rate: '2997/100' })])).video[0];
    assert.deepEqual(v?.frameRate, { num: 30000, den: 1001 });
  });

  it('leaves out cover art, and timecodes the frame rate cannot have', () => {
    const t = parseProbe(
      probe(
        [
          stream({ codec_name: 'mjpeg', disposition: { attached_pic: 1 } }),
          { index: 1, codec_type: 'audio', codec_name: 'mp3', channels: 2, sample_rate: '44100' },
        ],
        { format_name: 'mp3', tags: { timecode: '01:00:00;00' } },
      ),
    );
    assert.deepEqual(t.video, []);
    assert.equal(t.audio.length, 1);
    assert.equal(t.startTimecode, undefined);
    const df = parseProbe(probe([stream()], { tags: { timecode: '01:00:00;00' } }));
    assert.equal(df.startTimecode, undefined, 'no drop-frame at 25 fps');
  });

  it('takes the longest stream when the container has no duration', () => {
    const t = parseProbe(
      probe([stream({ duration: '4.0' }), stream({ index: 1, duration: '6.5' })], { duration: 'N/A' }),
    );
    assert.equal(t.durationSeconds, 6.5);
  });

  it('rejects output without media, playlists, files without streams and empty files', () => {
    fails('not json', 'unreadable');
    fails('{\n\n}', 'unreadable');
    fails({ streams: [], format: { format_name: 'hls', duration: '10' } }, 'unsupported-container');
    fails(probe([{ index: 0, codec_type: 'data' }]), 'no-streams');
    fails(probe([stream()], { duration: '0.000000' }), 'no-duration');
    fails(probe([stream({ r_frame_rate: '0/0', avg_frame_rate: '0/0' })]), 'unreadable');
  });
});
