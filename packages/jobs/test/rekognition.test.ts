import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GetLabelDetectionCommand,
  GetSegmentDetectionCommand,
  StartLabelDetectionCommand,
  StartSegmentDetectionCommand,
} from '@aws-sdk/client-rekognition';
import { type JobResult, type TechnicalMetadata, VIDEO_ANALYSES } from '@frameproof/core';
import { LocalStorage, type S3Storage } from '@frameproof/storage';
import { startS3, type TestS3 } from '@frameproof/tests/s3';
import { RekognitionAnalyzer } from '../src/aws/rekognition.js';
import { createProcessors } from '../src/processors/index.js';
import { isRetryable } from '../src/runner.js';
import { type JobProgress, LocalTranscoder } from '../src/transcoder.js';
import { fakeRekognition, type FakeRekognitionOptions } from './aws-fakes.js';
import { systemRunner } from './helpers.js';

const FAST = { firstMs: 5, maxMs: 20, factor: 2 };
const SETTINGS = {
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::111122223333:role/frameproof-RekognitionRole',
  snsTopicArn: 'arn:aws:sns:eu-west-1:111122223333:frameproof-RekognitionTopic',
};
/** Two seconds at 29.97 fps: 60 frames. */
const TECHNICAL: TechnicalMetadata = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSeconds: 2.002,
  video: [
    {
      index: 0,
      codec: 'h264',
      width: 320,
      height: 180,
      frameRate: { num: 30000, den: 1001 },
      variableFrameRate: false,
      frameCount: 60,
    },
  ],
  audio: [],
  subtitles: [],
};

describe('video analysis by Rekognition Video (mocked client)', () => {
  let s3: TestS3;
  let storage: S3Storage;
  let local: LocalTranscoder;

  before(async () => {
    s3 = await startS3();
    storage = s3.storage('media');
    await storage.put('assets/a1/video-proxy/video.mp4', Buffer.from('proxy'), 'video/mp4');
    const { runner, capabilities } = await systemRunner();
    local = new LocalTranscoder(runner, capabilities);
  });
  after(() => s3?.close());

  async function analyse(
    fake: FakeRekognitionOptions,
    analyses: string[] = [...VIDEO_ANALYSES],
    {
      on = storage,
      withRekognition = true,
    }: { on?: LocalStorage | S3Storage; withRekognition?: boolean } = {},
  ) {
    const rekognition = fakeRekognition(fake);
    const analyzer = new RekognitionAnalyzer({
      settings: SETTINGS,
      client: rekognition.client,
      follow: FAST,
      retry: FAST,
    });
    const processors = createProcessors(local, withRekognition ? { videoAnalyzer: analyzer } : {});
    const progress: JobProgress[] = [];
    const run = processors['video-analysis'] as (ctx: unknown) => Promise<JobResult>;
    const result = run({
      payload: {
        assetId: 'a1',
        source: { key: 'assets/a1/video-proxy/video.mp4' },
        outputPrefix: 'assets/a1/video-analysis',
        technical: TECHNICAL,
        analyses,
      },
      storage: on,
      tmpDir: '/nonexistent',
      signal: new AbortController().signal,
      reportProgress: (p: JobProgress) => progress.push(p),
    });
    return { result, progress, mock: rekognition.mock };
  }

  it('starts every analysis on the proxy with the topic and role, reads every page, and makes markers per row', async () => {
    const { result, progress, mock } = await analyse({ pageSize: 2, inProgress: 2 });
    const { markers = [], metadata } = await result;

    const start = mock.commandCalls(StartLabelDetectionCommand)[0]?.args[0].input;
    assert.deepEqual(start, {
      Video: { S3Object: { Bucket: s3.bucket, Name: 'media/assets/a1/video-proxy/video.mp4' } },
      NotificationChannel: { SNSTopicArn: SETTINGS.snsTopicArn, RoleArn: SETTINGS.roleArn },
      JobTag: 'frameproof',
      MinConfidence: 50,
    });
    assert.deepEqual(mock.commandCalls(StartSegmentDetectionCommand)[0]?.args[0].input.SegmentTypes, [
      'TECHNICAL_CUE',
      'SHOT',
    ]);
    // Two IN_PROGRESS answers, then the two pages of four labels.
    assert.deepEqual(
      mock.commandCalls(GetLabelDetectionCommand).map((c) => c.args[0].input.NextToken ?? null),
      [null, null, null, 'page-2'],
    );
    assert.equal(mock.commandCalls(GetSegmentDetectionCommand).length, 4);

    const rows = (group: string) =>
      markers
        .filter((m) => m.group === group)
        .map((m) => [m.title, m.startFrame, m.endFrame, m.confidence, m.description]);
    // Car at 0, 0.5 and 1 s: one span, frames 0-29 (1 s is within frame 29 at 29.97 fps).
    assert.deepEqual(rows('AI labels'), [
      ['Car', 0, 29, 97.3, '3 detections'],
      ['Road', 14, 14, 88.0, '1 detection'],
    ]);
    assert.deepEqual(rows('AI celebrities'), [['Jane Doe', 29, 29, 99.1, '1 detection']]);
    assert.deepEqual(rows('AI faces'), [['Face', 0, 29, 99.9, '2 detections']]);
    assert.deepEqual(rows('AI text'), [['FRAMEPROOF', 0, 0, 98.2, '1 detection']]);
    assert.deepEqual(
      markers.filter((m) => m.group === 'AI moderation').map((m) => [m.title, m.category, m.severity]),
      [['Smoking', 'Drugs & Tobacco', 'major']],
    );
    // Segments by their frame numbers; the second shot is clipped to the 60 frames there are.
    assert.deepEqual(rows('AI segments'), [
      ['Black frames', 0, 29, 99.6, undefined],
      ['Shot 1', 0, 29, 99.2, undefined],
      ['Shot 2', 30, 59, 98.4, undefined],
    ]);
    assert.deepEqual(metadata?.analyses, [...VIDEO_ANALYSES]);
    assert.equal((metadata?.detections as Record<string, number>).labels, 4);
    assert.equal(progress.at(-1)?.percent, 100);
  });

  it('tries throttled calls again (ThrottlingException) and then succeeds', async () => {
    const { result, mock } = await analyse({ throttle: 3 }, ['labels']);
    const { markers = [] } = await result;
    assert.equal(markers.length, 2);
    // Three throttled starts, then the start; then IN_PROGRESS and two pages.
    assert.equal(mock.commandCalls(StartLabelDetectionCommand).length, 4);
    assert.equal(mock.commandCalls(GetLabelDetectionCommand).length, 3);
  });

  it('fails for good when an analysis job fails, naming it and Rekognition’s message', async () => {
    const { result } = await analyse({ fail: ['segments'] }, ['labels', 'segments']);
    await assert.rejects(result, (err: unknown) => {
      assert.match(
        String(err),
        /Rekognition SegmentDetection job 0+segments failed: Unsupported codec\/format\./,
      );
      assert.equal(isRetryable(err), false);
      return true;
    });
  });

  it('gives up, retryable, on a service that stays throttled', async () => {
    const { result } = await analyse({ throttle: 1000 }, ['labels']);
    await assert.rejects(result, (err: unknown) => {
      assert.match(String(err), /Rekognition StartLabelDetection failed after 6 tries: ThrottlingException/);
      assert.equal(isRetryable(err), true);
      return true;
    });
  });

  it('refuses, for good, analyses without Rekognition, on a folder, or of unknown kinds', async () => {
    const forGood = (message: RegExp) => (err: unknown) => {
      assert.match(String(err), message);
      assert.equal(isRetryable(err), false);
      return true;
    };
    const without = await analyse({}, ['labels'], { withRekognition: false });
    await assert.rejects(without.result, forGood(/runs no video analysis \(set REKOGNITION_ROLE_ARN/));
    await assert.rejects(
      (await analyse({}, ['cars'])).result,
      forGood(/analyses must be some of labels, celebrities/),
    );
    const onFolder = await analyse({}, ['labels'], { on: new LocalStorage('/tmp') });
    await assert.rejects(onFolder.result, forGood(/AWS services read and write S3 only/));
  });
});
