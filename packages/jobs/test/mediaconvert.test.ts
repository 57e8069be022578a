import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelJobCommand, CreateJobCommand, GetJobCommand } from '@aws-sdk/client-mediaconvert';
import type { JobPayload, JobResult, TechnicalMetadata } from '@frameproof/core';
import type { S3Storage } from '@frameproof/storage';
import { startS3, type TestS3 } from '@frameproof/tests/s3';
import { until } from '@frameproof/tests/until';
import { MediaConvertTranscoder } from '../src/aws/mediaconvert.js';
import {
  fileDestination,
  isRetryableErrorCode,
  jobFailure,
  proxyJobRequest,
} from '../src/aws/mediaconvert-job.js';
import { createProcessors } from '../src/processors/index.js';
import { isRetryable } from '../src/runner.js';
import { type JobProgress, LocalTranscoder } from '../src/transcoder.js';
import { fakeMediaConvert, MEDIACONVERT_SETTINGS, type FakeMediaConvertOptions } from './aws-fakes.js';
import { countFrames, makeMedia, systemRunner } from './helpers.js';

const FAST = { firstMs: 5, maxMs: 20, factor: 2 };

describe('MediaConvert requests and answers (pure)', () => {
  it('asks for one output with the preset, written exactly at the output key', () => {
    assert.deepEqual(fileDestination({ bucket: 'b', key: 'media/assets/a1/video-proxy/video.mp4' }), {
      destination: 's3://b/media/assets/a1/video-proxy/video',
      extension: 'mp4',
    });
    assert.throws(() => fileDestination({ bucket: 'b', key: 'media/assets/a1/video-proxy/' }), /extension/);
    const request = proxyJobRequest({
      settings: MEDIACONVERT_SETTINGS,
      input: { bucket: 'b', key: 'media/assets/a1/original/clip.mov' },
      output: { bucket: 'b', key: 'media/assets/a1/audio-proxy/2/audio.m4a' },
      preset: 'frameproof-audio-aac',
      audioTrack: 2,
      userMetadata: { step: 'audio-proxy 2' },
    });
    assert.deepEqual(request, {
      Role: MEDIACONVERT_SETTINGS.roleArn,
      Queue: MEDIACONVERT_SETTINGS.queue,
      UserMetadata: { step: 'audio-proxy 2' },
      StatusUpdateInterval: 'SECONDS_10',
      Settings: {
        TimecodeConfig: { Source: 'ZEROBASED' },
        Inputs: [
          {
            FileInput: 's3://b/media/assets/a1/original/clip.mov',
            TimecodeSource: 'ZEROBASED',
            VideoSelector: {},
            AudioSelectors: {
              'Audio Selector 1': { DefaultSelection: 'DEFAULT', SelectorType: 'TRACK', Tracks: [2] },
            },
          },
        ],
        OutputGroups: [
          {
            Name: 'File Group',
            OutputGroupSettings: {
              Type: 'FILE_GROUP_SETTINGS',
              FileGroupSettings: { Destination: 's3://b/media/assets/a1/audio-proxy/2/audio' },
            },
            Outputs: [{ Preset: 'frameproof-audio-aac', Extension: 'm4a' }],
          },
        ],
      },
    });
  });

  it('tells input and settings errors (1000s) from MediaConvert faults (3000s)', () => {
    assert.equal(isRetryableErrorCode(1010), false);
    assert.equal(isRetryableErrorCode(1030), false);
    assert.equal(isRetryableErrorCode(1401), false);
    assert.equal(isRetryableErrorCode(3450), true);
    assert.equal(isRetryableErrorCode(undefined), true);
    const failed = jobFailure({
      Id: '1764633600000-abc123',
      Role: 'r',
      Settings: {},
      Status: 'ERROR',
      ErrorCode: 1010,
      ErrorMessage:
        'Unable to open input file [s3://b/clip.mov]: [Failed probe/open: [No parser found for container]]',
    });
    assert.equal(failed.retryable, false);
    assert.match(
      failed.message,
      /job 1764633600000-abc123 failed with error 1010 \(the input or the job settings\): Unable to open input file/,
    );
    assert.equal(jobFailure({ Id: 'x', Role: 'r', Settings: {}, Status: 'CANCELED' }).retryable, true);
  });
});

describe('proxies made by MediaConvert (mocked client, real outputs in the S3-protocol server)', () => {
  let s3: TestS3;
  let storage: S3Storage;
  let local: LocalTranscoder;
  let runner: Awaited<ReturnType<typeof systemRunner>>;
  let media: Awaited<ReturnType<typeof makeMedia>>;
  const technical = new Map<string, TechnicalMetadata>();
  const scratch: string[] = [];

  before(async () => {
    [s3, media, runner] = await Promise.all([startS3(), makeMedia(), systemRunner()]);
    storage = s3.storage('media');
    local = new LocalTranscoder(runner.runner, runner.capabilities);
    for (const name of ['c2997.mp4', 'tracks.mkv', 'subtitles.mp4'])
      await storage.putFile(`assets/a1/original/${name}`, media.storage.path(`src/${name}`));
  });
  after(async () => {
    await Promise.all([
      s3?.close(),
      media?.cleanup(),
      ...scratch.map((d) => rm(d, { recursive: true, force: true })),
    ]);
  });

  function engine(options: Omit<FakeMediaConvertOptions, 'storage' | 'local'> = {}) {
    const fake = fakeMediaConvert({ storage, local, ...options });
    const transcoder = new MediaConvertTranscoder(runner.runner, runner.capabilities, {
      settings: MEDIACONVERT_SETTINGS,
      client: fake.client,
      follow: FAST,
      retry: FAST,
    });
    return { fake, processors: createProcessors(transcoder) };
  }

  async function run<T extends 'probe' | 'video-proxy' | 'audio-proxy'>(
    processors: ReturnType<typeof createProcessors>,
    type: T,
    name: string,
    extra: Omit<JobPayload<T>, 'assetId' | 'source' | 'outputPrefix'>,
    signal = new AbortController().signal,
  ): Promise<{ result: JobResult; progress: JobProgress[] }> {
    const tmpDir = await mkdtemp(join(tmpdir(), 'frameproof-mc-'));
    scratch.push(tmpDir);
    const progress: JobProgress[] = [];
    const processor = processors[type] as (ctx: unknown) => Promise<JobResult>;
    const result = await processor({
      payload: {
        ...extra,
        assetId: 'a1',
        source: { key: `assets/a1/original/${name}` },
        outputPrefix: 'track' in extra ? `assets/a1/${type}/${String(extra.track)}` : `assets/a1/${type}`,
      },
      storage,
      tmpDir,
      signal,
      reportProgress: (p: JobProgress) => progress.push(p),
    });
    return { result, progress };
  }

  async function probe(name: string): Promise<TechnicalMetadata> {
    const known = technical.get(name);
    if (known) return known;
    const { result } = await run(engine().processors, 'probe', name, {});
    assert.ok(result.technical);
    technical.set(name, result.technical);
    return result.technical;
  }

  it('makes a frame-exact video proxy from the original in S3, reporting MediaConvert progress', async () => {
    const t = await probe('c2997.mp4');
    const { fake, processors } = engine({ percents: [15, 60] });
    const { result, progress } = await run(processors, 'video-proxy', 'c2997.mp4', {
      technical: t,
      maxHeight: 1080,
    });

    const [create] = fake.mock.commandCalls(CreateJobCommand);
    assert.ok(create);
    const input = create.args[0].input;
    assert.equal(input.Role, MEDIACONVERT_SETTINGS.roleArn);
    assert.equal(input.Queue, MEDIACONVERT_SETTINGS.queue);
    assert.equal(
      input.Settings?.Inputs?.[0]?.FileInput,
      `s3://${s3.bucket}/media/assets/a1/original/c2997.mp4`,
    );
    assert.equal(input.Settings?.OutputGroups?.[0]?.Outputs?.[0]?.Preset, MEDIACONVERT_SETTINGS.proxyPreset);
    assert.equal(fake.mock.commandCalls(GetJobCommand).length, 3);
    assert.deepEqual(
      progress.map((p) => p.percent),
      [0, 15, 60, 100],
    );

    const shape = result.shapes?.[0];
    assert.equal(shape?.type, 'video-proxy');
    assert.equal(shape.files[0]?.key, 'assets/a1/video-proxy/video.mp4');
    assert.match(shape.files[0]?.checksum ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(shape.metadata?.engine, 'mediaconvert');
    assert.equal(
      shape.metadata?.mediaConvertJobId,
      fake.mock.commandCalls(GetJobCommand)[0]?.args[0].input.Id,
    );
    // The bytes in the bucket: the source's frames at the source's rate.
    const url = await storage.directUrl('assets/a1/video-proxy/video.mp4', 60);
    const counted = await countFrames(url);
    const source = await countFrames(media.storage.path('src/c2997.mp4'));
    assert.equal(counted.frames, source.frames);
    assert.equal(counted.rate, '30000/1001');
    assert.equal(shape.metadata?.frames, t.video[0]?.frameCount);
  });

  it('makes one audio proxy per source track, from that track', async () => {
    const t = await probe('tracks.mkv');
    const { fake, processors } = engine();
    for (const audio of t.audio) {
      const { result } = await run(processors, 'audio-proxy', 'tracks.mkv', {
        technical: t,
        track: audio.track,
        streamIndex: audio.index,
      });
      const shape = result.shapes?.[0];
      assert.equal(shape?.type, 'audio-proxy');
      assert.equal(shape.track, audio.track);
      assert.equal(shape.files[0]?.key, `assets/a1/audio-proxy/${audio.track}/audio.m4a`);
      assert.equal(shape.files[0]?.mimeType, 'audio/mp4');
      assert.equal(shape.metadata?.codec, 'aac');
    }
    const tracks = fake.mock
      .commandCalls(CreateJobCommand)
      .map((c) => c.args[0].input.Settings?.Inputs?.[0]?.AudioSelectors?.['Audio Selector 1']?.Tracks);
    assert.deepEqual(tracks, [[1], [2]]);
    // Mono stays mono, 5.1 becomes stereo, as the local proxies do.
    const channels = [];
    for (const track of [1, 2]) {
      const probed = await local.probe(
        { source: { key: `assets/a1/audio-proxy/${track}/audio.m4a` } },
        { storage, tmpDir: tmpdir(), signal: new AbortController().signal, reportProgress: () => undefined },
      );
      channels.push(probed.audio[0]?.channels);
    }
    assert.deepEqual(channels, [1, 2]);
  });

  it('fails a job MediaConvert ends in ERROR: input errors for good, its own faults to be retried', async () => {
    const t = await probe('c2997.mp4');
    const payload = { technical: t, maxHeight: 1080 };
    const bad = engine({
      fail: { code: 1030, message: 'Video description [1]: unsupported codec settings' },
    });
    await assert.rejects(run(bad.processors, 'video-proxy', 'c2997.mp4', payload), (err: unknown) => {
      assert.match(
        String(err),
        /failed with error 1030 \(the input or the job settings\): Video description/,
      );
      assert.equal(isRetryable(err), false);
      return true;
    });
    const fault = engine({ fail: { code: 3450, message: 'Internal service error' } });
    await assert.rejects(run(fault.processors, 'video-proxy', 'c2997.mp4', payload), (err: unknown) => {
      assert.match(String(err), /error 3450 \(a MediaConvert fault\)/);
      assert.equal(isRetryable(err), true);
      return true;
    });
  });

  it('makes the proxy of a source without audio with the video-only preset and no audio selector', async () => {
    // subtitles.mp4: picture and subtitles, no sound.
    const t = await probe('subtitles.mp4');
    assert.equal(t.audio.length, 0);
    const { fake, processors } = engine();
    const { result } = await run(processors, 'video-proxy', 'subtitles.mp4', {
      technical: t,
      maxHeight: 1080,
    });
    const input = fake.mock.commandCalls(CreateJobCommand)[0]?.args[0].input;
    assert.deepEqual(input?.Settings?.Inputs?.[0]?.AudioSelectors, undefined);
    assert.deepEqual(input?.Settings?.Inputs?.[0]?.VideoSelector, {});
    assert.deepEqual(input?.Settings?.OutputGroups?.[0]?.Outputs, [
      { Preset: MEDIACONVERT_SETTINGS.videoOnlyPreset, Extension: 'mp4' },
    ]);
    assert.equal(result.shapes?.[0]?.metadata?.audioCodec, null);
    assert.equal(result.technical?.audio.length, 0);
    assert.equal(result.technical?.video[0]?.frameCount, t.video[0]?.frameCount);
  });

  it('refuses a proxy that is not frame-exact', async () => {
    const t = await probe('c2997.mp4');
    const { processors } = engine({ wrongRate: true });
    await assert.rejects(
      run(processors, 'video-proxy', 'c2997.mp4', { technical: t, maxHeight: 1080 }),
      (err: unknown) => {
        assert.match(
          String(err),
          /not frame-exact: the proxy runs at 60000\/1001 fps, the source at 30000\/1001/,
        );
        assert.equal(isRetryable(err), false);
        return true;
      },
    );
  });

  it('tries throttled calls again with backoff, and gives up at once on a bad request', async () => {
    const t = await probe('c2997.mp4');
    const payload = { technical: t, maxHeight: 1080 };
    const throttled = engine({ throttle: { create: 2, get: 3 } });
    const { result } = await run(throttled.processors, 'video-proxy', 'c2997.mp4', payload);
    assert.equal(result.shapes?.[0]?.type, 'video-proxy');
    assert.equal(throttled.fake.mock.commandCalls(CreateJobCommand).length, 3);
    // Three throttled, then PROGRESSING once, then COMPLETE.
    assert.equal(throttled.fake.mock.commandCalls(GetJobCommand).length, 5);

    const always = engine({ throttle: { create: 100 } });
    await assert.rejects(run(always.processors, 'video-proxy', 'c2997.mp4', payload), (err: unknown) => {
      assert.match(String(err), /MediaConvert CreateJob failed after 6 tries: TooManyRequestsException/);
      assert.equal(isRetryable(err), true);
      return true;
    });

    const bad = engine({ badRequest: 'Preset [frameproof-proxy-1080p] does not exist' });
    await assert.rejects(run(bad.processors, 'video-proxy', 'c2997.mp4', payload), (err: unknown) => {
      assert.match(
        String(err),
        /CreateJob failed: BadRequestException: Preset \[frameproof-proxy-1080p\] does not exist/,
      );
      assert.equal(isRetryable(err), false);
      return true;
    });
    assert.equal(bad.fake.mock.commandCalls(CreateJobCommand).length, 1);
  });

  it('cancels the MediaConvert job when the step is aborted', async () => {
    const t = await probe('c2997.mp4');
    const { fake, processors } = engine({ percents: Array.from({ length: 100_000 }, () => 10) });
    const controller = new AbortController();
    const running = run(
      processors,
      'video-proxy',
      'c2997.mp4',
      { technical: t, maxHeight: 1080 },
      controller.signal,
    );
    await until(() => fake.mock.commandCalls(GetJobCommand).length >= 2, 'MediaConvert being followed', {
      ms: 60_000,
    });
    controller.abort();
    await assert.rejects(running);
    const cancels = fake.mock.commandCalls(CancelJobCommand);
    assert.deepEqual(
      cancels.map((c) => c.args[0].input.Id),
      [...fake.jobs.keys()],
    );
  });
});
