import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_JOB_TIMEOUTS, DEFAULT_MEDIA_LIMITS } from '@frameproof/core';
import { ConfigError, readJobsConfig } from '../src/config.js';

const required = { AP_ADAPTER_USERNAME: 'runner', AP_ADAPTER_PASSWORD: 'secret' };

describe('the jobs service settings', () => {
  it('refuses a bad LOG_LEVEL instead of quietly logging at info', () => {
    assert.equal(readJobsConfig({ ...required }).logLevel, 'info');
    assert.equal(readJobsConfig({ ...required, LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.throws(() => readJobsConfig({ ...required, LOG_LEVEL: 'loud' }), ConfigError);
  });

  it('asks analyze at ANALYZE_URL, else where the adapter is (a router serving both)', () => {
    assert.equal(readJobsConfig({ ...required }).analyzeUrl, 'http://localhost:8080');
    assert.equal(
      readJobsConfig({ ...required, AP_ADAPTER_HOST: 'gateway:8080' }).analyzeUrl,
      'http://gateway:8080',
    );
    assert.equal(
      readJobsConfig({ ...required, ANALYZE_URL: 'http://av-analyze.av.local:8080' }).analyzeUrl,
      'http://av-analyze.av.local:8080',
    );
    assert.throws(
      () => readJobsConfig({ ...required, ANALYZE_URL: 'av-analyze:8080' }),
      /ANALYZE_URL must be/,
    );
  });

  it('names the variable of a bad number', () => {
    assert.throws(() => readJobsConfig({ ...required, JOBS_CONCURRENCY: '0' }), /JOBS_CONCURRENCY must be/);
    assert.equal(readJobsConfig({ ...required, JOBS_POLL_SECONDS: '0.5' }).pollSeconds, 0.5);
  });

  it('runs nice (10) unless told, from 0 to 19', () => {
    assert.equal(readJobsConfig(required).nice, 10);
    assert.equal(readJobsConfig({ ...required, JOBS_NICE: '0' }).nice, 0);
    for (const bad of ['20', '-1', '2.5', 'low'])
      assert.throws(() => readJobsConfig({ ...required, JOBS_NICE: bad }), /JOBS_NICE must be/);
  });

  it("reads media limits and time limits, and refuses a picture limit over the decoders' cap", () => {
    const defaults = readJobsConfig({ ...required });
    assert.deepEqual(defaults.limits, DEFAULT_MEDIA_LIMITS);
    assert.deepEqual(defaults.timeouts, DEFAULT_JOB_TIMEOUTS);
    const tight = readJobsConfig({
      ...required,
      MEDIA_MAX_WIDTH: '1920',
      MEDIA_MAX_DURATION_SECONDS: '7200',
      JOBS_TIMEOUT_PER_MEDIA_SECOND: '2.5',
    });
    assert.equal(tight.limits.maxWidth, 1920);
    assert.equal(tight.limits.maxDurationSeconds, 7200);
    assert.equal(tight.timeouts.perMediaSecond, 2.5);
    assert.throws(
      () => readJobsConfig({ ...required, MEDIA_MAX_HEIGHT: '20000' }),
      /MEDIA_MAX_HEIGHT must be .* from 1 to 16384/,
    );
    assert.throws(
      () => readJobsConfig({ ...required, JOBS_TIMEOUT_BASE_SECONDS: '0' }),
      /JOBS_TIMEOUT_BASE_SECONDS/,
    );
  });

  it('uses ffmpeg and no AWS service unless told, and needs every MediaConvert setting when told', () => {
    const local = readJobsConfig({ ...required });
    assert.equal(local.transcoder, 'ffmpeg');
    assert.equal(local.mediaConvert, undefined);
    assert.equal(local.rekognition, undefined);

    const aws = {
      ...required,
      AWS_REGION: 'eu-west-1',
      TRANSCODER: 'mediaconvert',
      MEDIACONVERT_ROLE_ARN: 'arn:aws:iam::111122223333:role/mc',
      MEDIACONVERT_PROXY_PRESET: 'frameproof-proxy-1080p',
      MEDIACONVERT_VIDEO_ONLY_PRESET: 'frameproof-proxy-1080p-video-only',
      MEDIACONVERT_AUDIO_PRESET: 'frameproof-audio-aac',
      REKOGNITION_ROLE_ARN: 'arn:aws:iam::111122223333:role/rk',
      REKOGNITION_SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:rk',
    };
    const config = readJobsConfig(aws);
    assert.deepEqual(config.mediaConvert, {
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::111122223333:role/mc',
      proxyPreset: 'frameproof-proxy-1080p',
      videoOnlyPreset: 'frameproof-proxy-1080p-video-only',
      audioPreset: 'frameproof-audio-aac',
      queue: undefined,
      endpoint: undefined,
    });
    assert.deepEqual(config.rekognition, {
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::111122223333:role/rk',
      snsTopicArn: 'arn:aws:sns:eu-west-1:111122223333:rk',
    });

    assert.throws(
      () => readJobsConfig({ ...aws, MEDIACONVERT_AUDIO_PRESET: '' }),
      /^ConfigError: TRANSCODER=mediaconvert needs MEDIACONVERT_AUDIO_PRESET too$/,
    );
    assert.throws(
      () => readJobsConfig({ ...required, TRANSCODER: 'mediaconvert' }),
      /TRANSCODER=mediaconvert needs MEDIACONVERT_ROLE_ARN, MEDIACONVERT_PROXY_PRESET, MEDIACONVERT_VIDEO_ONLY_PRESET, MEDIACONVERT_AUDIO_PRESET/,
    );
    assert.throws(() => readJobsConfig({ ...aws, AWS_REGION: '' }), /needs AWS_REGION/);
    assert.throws(
      () => readJobsConfig({ ...aws, TRANSCODER: 'elastic' }),
      /TRANSCODER must be one of ffmpeg, mediaconvert/,
    );
    assert.throws(
      () => readJobsConfig({ ...required, AWS_REGION: 'eu-west-1', REKOGNITION_ROLE_ARN: 'arn:x' }),
      /Rekognition Video needs REKOGNITION_SNS_TOPIC_ARN too/,
    );
    assert.throws(
      () => readJobsConfig({ ...aws, MEDIACONVERT_ENDPOINT: 'http://mc.example' }),
      /MEDIACONVERT_ENDPOINT must be an https:\/\/ URL/,
    );
  });
});
