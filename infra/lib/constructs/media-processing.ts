import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as mediaconvert from 'aws-cdk-lib/aws-mediaconvert';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { grantObjects, grantPassRole } from '../grants.js';
import { allowWildcards } from '../nag.js';
import { MEDIA_PREFIX } from '../services.js';

/** AAC stereo 48 kHz in progressive-download MP4: the sound of both presets, as browsers play it. */
const AAC_STEREO_IN_MP4 = {
  AudioDescriptions: [
    {
      CodecSettings: {
        Codec: 'AAC',
        AacSettings: {
          CodecProfile: 'LC',
          RateControlMode: 'CBR',
          Bitrate: 128_000,
          CodingMode: 'CODING_MODE_2_0',
          SampleRate: 48_000,
        },
      },
    },
  ],
  ContainerSettings: {
    Container: 'MP4',
    Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' },
  },
};

/** 1920x1080 H.264 High CBR 2 Mb/s, GOP 90 frames, source frame rate, deinterlaced; AAC-LC 128 kb/s stereo 48 kHz; progressive MP4. */
export const PROXY_PRESET_SETTINGS = {
  VideoDescription: {
    Width: 1920,
    Height: 1080,
    ScalingBehavior: 'DEFAULT',
    AntiAlias: 'ENABLED',
    Sharpness: 50,
    CodecSettings: {
      Codec: 'H_264',
      H264Settings: {
        CodecProfile: 'HIGH',
        CodecLevel: 'AUTO',
        RateControlMode: 'CBR',
        Bitrate: 2_000_000,
        GopSize: 90,
        GopSizeUnits: 'FRAMES',
        GopClosedCadence: 1,
        NumberBFramesBetweenReferenceFrames: 2,
        FramerateControl: 'INITIALIZE_FROM_SOURCE',
        ParControl: 'INITIALIZE_FROM_SOURCE',
        InterlaceMode: 'PROGRESSIVE',
        SceneChangeDetect: 'ENABLED',
        QualityTuningLevel: 'SINGLE_PASS_HQ',
        EntropyEncoding: 'CABAC',
      },
    },
    VideoPreprocessors: {
      Deinterlacer: { Algorithm: 'INTERPOLATE', Mode: 'DEINTERLACE', Control: 'NORMAL' },
    },
  },
  ...AAC_STEREO_IN_MP4,
};

/** The video proxy of a source without sound: MediaConvert fails a job whose output asks for audio the input lacks. */
export const VIDEO_ONLY_PROXY_PRESET_SETTINGS = {
  VideoDescription: PROXY_PRESET_SETTINGS.VideoDescription,
  ContainerSettings: PROXY_PRESET_SETTINGS.ContainerSettings,
};

/**
 * One audio proxy per source track: AAC stereo 48 kHz in MP4, as the local path makes it, which
 * the player plays beside the video (the jobs refuse anything else from MEDIACONVERT_AUDIO_PRESET).
 */
export const AUDIO_PRESET_SETTINGS = AAC_STEREO_IN_MP4;

/** Rekognition Video analyses jobs run; each is started and read back. */
const REKOGNITION_ANALYSES = [
  'LabelDetection',
  'CelebrityRecognition',
  'FaceDetection',
  'TextDetection',
  'ContentModeration',
  'SegmentDetection',
];

export interface MediaProcessingProps {
  readonly mediaBucket: s3.IBucket;
  /** Names the presets, which are per account and region. */
  readonly applicationTag: string;
}

/**
 * What jobs need from AWS media services: MediaConvert's role and its presets, and the role and
 * SNS topic Rekognition Video reports completion through.
 */
export class MediaProcessing extends Construct {
  readonly mediaConvertRole: iam.Role;
  readonly proxyPreset: mediaconvert.CfnPreset;
  readonly videoOnlyProxyPreset: mediaconvert.CfnPreset;
  readonly audioPreset: mediaconvert.CfnPreset;
  readonly rekognitionRole: iam.Role;
  readonly rekognitionTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: MediaProcessingProps) {
    super(scope, id);

    this.mediaConvertRole = new iam.Role(this, 'MediaConvertRole', {
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com'),
      description: 'Assumed by MediaConvert to read sources and write renditions',
    });
    grantObjects(this.mediaConvertRole, props.mediaBucket, MEDIA_PREFIX, 'read-write');

    const preset = (
      id: string,
      name: string,
      description: string,
      settingsJson: object,
    ): mediaconvert.CfnPreset =>
      new mediaconvert.CfnPreset(this, id, {
        name: `${props.applicationTag}-${name}`,
        category: 'frameproof',
        description,
        settingsJson,
      });
    this.proxyPreset = preset(
      'ProxyPreset',
      'proxy-1080p',
      'Frameproof proxy: 1080p H.264 2 Mb/s, AAC stereo, MP4',
      PROXY_PRESET_SETTINGS,
    );
    this.videoOnlyProxyPreset = preset(
      'VideoOnlyProxyPreset',
      'proxy-1080p-video-only',
      'Frameproof proxy of a source without audio: 1080p H.264 2 Mb/s, MP4',
      VIDEO_ONLY_PROXY_PRESET_SETTINGS,
    );
    this.audioPreset = preset(
      'AudioPreset',
      'audio-aac',
      'Frameproof audio proxy: AAC stereo 48 kHz, MP4',
      AUDIO_PRESET_SETTINGS,
    );

    this.rekognitionTopic = new sns.Topic(this, 'RekognitionTopic', {
      displayName: 'Frameproof Rekognition Video completions',
      enforceSSL: true,
    });
    this.rekognitionRole = new iam.Role(this, 'RekognitionRole', {
      assumedBy: new iam.ServicePrincipal('rekognition.amazonaws.com'),
      description: 'Assumed by Rekognition Video to report completed analyses',
    });
    this.rekognitionTopic.grantPublish(this.rekognitionRole);
  }

  /** Everything the jobs service does with MediaConvert and Rekognition. */
  grantJobs(role: iam.IRole): void {
    const arn = (resource: string): string =>
      `arn:${Aws.PARTITION}:mediaconvert:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['mediaconvert:CreateJob'],
        resources: [
          arn('queues/Default'),
          this.proxyPreset.attrArn,
          this.videoOnlyProxyPreset.attrArn,
          this.audioPreset.attrArn,
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['mediaconvert:GetJob', 'mediaconvert:CancelJob'],
        resources: [arn('jobs/*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['mediaconvert:DescribeEndpoints'], resources: ['*'] }),
    );
    grantPassRole(role, this.mediaConvertRole, 'mediaconvert.amazonaws.com');

    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: REKOGNITION_ANALYSES.flatMap((a) => [`rekognition:Start${a}`, `rekognition:Get${a}`]),
        resources: ['*'],
      }),
    );
    grantPassRole(role, this.rekognitionRole, 'rekognition.amazonaws.com');

    allowWildcards(
      role,
      {
        finding: /^Resource::arn:<AWS::Partition>:mediaconvert:<AWS::Region>:<AWS::AccountId>:jobs\/\*$/,
        reason: 'MediaConvert job ids are made when jobs are created; this account and region only.',
      },
      {
        finding: /^Resource::\*$/,
        reason:
          'Rekognition Video Start*/Get* and mediaconvert:DescribeEndpoints support no resource-level permissions.',
      },
    );
  }
}
