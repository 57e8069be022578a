// The AWS engines end to end: the adapter as its own process on the S3-protocol test server, and
// a worker in this process whose MediaConvert and Rekognition clients are mocked. The MediaConvert
// mock makes real proxies in the bucket, so the frame-count check runs on real files.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateJobCommand } from '@aws-sdk/client-mediaconvert';
import { StartLabelDetectionCommand } from '@aws-sdk/client-rekognition';
import { FrameproofClient } from '@frameproof/client';
import { startS3, type TestS3 } from '@frameproof/tests/s3';
import { countFrames, makeProgramme, PROGRAMME, shapesOf, Stack } from '@frameproof/tests/stack';
import { MediaConvertTranscoder } from '../src/aws/mediaconvert.js';
import { RekognitionAnalyzer } from '../src/aws/rekognition.js';
import { createProcessors } from '../src/processors/index.js';
import { Runner } from '../src/runner.js';
import { LocalTranscoder } from '../src/transcoder.js';
import { fakeMediaConvert, fakeRekognition, MEDIACONVERT_SETTINGS } from './aws-fakes.js';
import { compliantAudio, systemRunner } from './helpers.js';

const FAST = { firstMs: 20, maxMs: 200, factor: 2 };

describe('ingest with the AWS engines (MediaConvert and Rekognition mocked, S3-protocol storage)', () => {
  let s3: TestS3;
  let stack: Stack;
  before(async () => {
    s3 = await startS3();
    stack = await Stack.start({
      adapterEnv: {
        STORAGE_URL: `s3://${s3.bucket}/media`,
        S3_ENDPOINT: s3.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        VIDEO_ANALYSES: 'labels,segments',
        // As on AWS: thumbnails, sprites and Auto QC read the MediaConvert proxy from the bucket.
        THUMBNAILS_QC_SOURCE: 'proxy',
      },
    });
  });
  after(async () => {
    await stack?.close();
    await s3?.close();
  });

  it('ends ready with frame-exact proxies made by MediaConvert and AI markers from Rekognition', async () => {
    const storage = s3.storage('media');
    const { runner: ffmpeg, capabilities } = await systemRunner();
    const local = new LocalTranscoder(ffmpeg, capabilities);
    const mediaConvert = fakeMediaConvert({ storage, local });
    const rekognition = fakeRekognition({ pageSize: 1 });
    const worker = new Runner({
      client: new FrameproofClient(`http://127.0.0.1:${stack.port}`),
      credentials: stack.runner,
      processors: createProcessors(
        new MediaConvertTranscoder(ffmpeg, capabilities, {
          settings: MEDIACONVERT_SETTINGS,
          client: mediaConvert.client,
          follow: FAST,
          retry: FAST,
        }),
        {
          audioMeasurer: compliantAudio,
          videoAnalyzer: new RekognitionAnalyzer({
            settings: {
              region: 'us-east-1',
              roleArn: 'arn:aws:iam::111122223333:role/rk',
              snsTopicArn: 'arn:aws:sns:us-east-1:111122223333:rk',
            },
            client: rekognition.client,
            follow: FAST,
            retry: FAST,
          }),
        },
      ),
      storage,
      workerId: 'aws-worker',
      concurrency: 2,
      pollSeconds: 0.5,
      tmpRoot: stack.dir,
    });
    await worker.start();
    try {
      const clip = await makeProgramme(join(stack.dir, 'programme.mp4'));
      const id = await stack.upload(clip, 'On AWS');
      const [asset] = await stack.settled([id]);
      assert.ok(asset);
      assert.equal(asset.status, 'ready', asset.error ?? '');
      assert.deepEqual(shapesOf(asset), PROGRAMME.shapes);

      // MediaConvert made the proxies (one per audio track) from the original in the bucket.
      const inputs = mediaConvert.mock
        .commandCalls(CreateJobCommand)
        .map((c) => c.args[0].input.Settings?.Inputs?.[0]?.FileInput ?? '');
      assert.equal(inputs.length, 3);
      assert.ok(
        inputs.every((f) => f.startsWith(`s3://${s3.bucket}/media/assets/${id}/`)),
        inputs.join(),
      );
      const proxy = asset.shapes.find((s) => s.type === 'video-proxy');
      assert.equal(proxy?.metadata?.engine, 'mediaconvert');
      const proxyUrl = proxy?.files[0]?.url ?? '';
      assert.deepEqual(await countFrames(proxyUrl), await countFrames(clip));

      // Rekognition read the proxy, not the original; its findings are markers on their rows.
      const started = rekognition.mock.commandCalls(StartLabelDetectionCommand)[0]?.args[0].input;
      assert.deepEqual(started?.Video, {
        S3Object: { Bucket: s3.bucket, Name: `media/assets/${id}/video-proxy/video.mp4` },
      });
      const rows = async (group: string) =>
        (await stack.client.listMarkers(id, { group })).items
          .map((m) => [m.title, m.start.frame, m.end.frame, m.start.timecode])
          // Markers at the same frame come in no particular order.
          .sort((a, b) => Number(a[1]) - Number(b[1]) || String(a[0]).localeCompare(String(b[0])));
      assert.deepEqual(await rows('AI labels'), [
        ['Car', 0, 29, '00:00:00;00'],
        ['Road', 14, 14, '00:00:00;14'],
      ]);
      assert.deepEqual(await rows('AI segments'), [
        ['Black frames', 0, 29, '00:00:00;00'],
        ['Shot 1', 0, 29, '00:00:00;00'],
        ['Shot 2', 30, 89, '00:00:01;00'],
      ]);
      assert.deepEqual(await rows('AI faces'), [], 'only the analyses the deployment asks for run');
      // Auto QC found the black second in the proxy.
      const qc = (await stack.client.listMarkers(id, { group: 'Auto QC' })).items;
      assert.ok(
        qc.some((m) => m.category === 'black' && m.start.frame === 0),
        JSON.stringify(qc.map((m) => [m.category, m.start.frame])),
      );
    } finally {
      await worker.stop();
    }
  });
});
